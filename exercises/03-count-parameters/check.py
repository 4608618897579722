"""Checker for exercise 3: parameter counts of a small CNN and an MLP.

Numeric: the probe only reads plain values, so no torch is imported anywhere. The
answers are computed here from the layer sizes, weights and biases counted apart.
"""

from __future__ import annotations

from typing import Any

from tutor.checks import Part
from tutor.checks.compare import conv_params, fmt_count, linear_params
from tutor.checks.values import expect_choice, expect_int

NAMES = ("cnn_params", "mlp_params", "more_parameters", "generalises_better")
CHOICES = ("cnn", "mlp")

CONV = conv_params(1, 16, 3)  # 160
CNN_LINEAR = linear_params(16 * 14 * 14, 10)  # 31,370
MLP_FIRST = linear_params(28 * 28, 100)  # 78,500
MLP_SECOND = linear_params(100, 10)  # 1,010
CNN_TOTAL = CONV + CNN_LINEAR
MLP_TOTAL = MLP_FIRST + MLP_SECOND


def judge(facts: dict[str, Any]) -> list[Part]:
    def get(name: str) -> dict[str, Any]:
        return facts.get(name, {"kind": "missing"})

    return [
        _judge_cnn(*expect_int(get("cnn_params"), "cnn_params")),
        _judge_mlp(*expect_int(get("mlp_params"), "mlp_params")),
        _judge_more(*expect_choice(get("more_parameters"), "more_parameters", CHOICES)),
        _judge_generalises(
            *expect_choice(get("generalises_better"), "generalises_better", CHOICES)
        ),
    ]


def _judge_cnn(got: int | None, problem: str) -> Part:
    pid = "cnn-params"
    if got is None:
        return Part(pid, False, problem)
    if got == CNN_TOTAL:
        return Part(
            pid,
            True,
            (
                f"cnn_params = {fmt_count(got)}: the conv's {fmt_count(CONV)} (16 filters of 3x3, "
                f"plus 16 biases) and the Linear's {fmt_count(CNN_LINEAR)}."
            ),
        )
    conv_w, lin_w = conv_params(1, 16, 3, bias=False), linear_params(3136, 10, bias=False)
    said = f"cnn_params = {fmt_count(got)} is not the CNN's count:"
    known = {
        conv_w + lin_w: "you counted the weights but forgot the biases. Each conv filter "
        "has one bias (16) and each Linear output has one (10); add them.",
        conv_w + CNN_LINEAR: "the conv layer's biases are missing: one per filter, 16 in all.",
        CONV + lin_w: "the Linear layer's biases are missing: one per output, 10 in all.",
        conv_params(1, 1, 3) + CNN_LINEAR: "you counted one 3x3 filter, but the conv has 16 of "
        "them, each with its own 9 weights and 1 bias.",
        CONV: "that is the conv layer alone; add the Linear(3136, 10) after it.",
        CNN_LINEAR: "that is the Linear layer alone; add the conv layer's filters and biases.",
        CONV + linear_params(16 * 28 * 28, 10): "the Linear takes 3136 inputs, not 12,544: "
        "the pool halves 28x28 to 14x14 before Flatten, and 16 x 14 x 14 = 3136.",
    }
    if got in known:
        return Part(pid, False, f"{said} {known[got]}")
    return Part(
        pid,
        False,
        (
            f"{said} count each layer apart. Conv2d(1, 16, 3): 16 filters of 1 x 3 x 3 weights "
            "plus 16 biases. Linear(3136, 10): 3136 x 10 weights plus 10 biases."
        ),
    )


def _judge_mlp(got: int | None, problem: str) -> Part:
    pid = "mlp-params"
    if got is None:
        return Part(pid, False, problem)
    if got == MLP_TOTAL:
        return Part(
            pid,
            True,
            (
                f"mlp_params = {fmt_count(got)}: {fmt_count(MLP_FIRST)} in the first Linear and "
                f"{fmt_count(MLP_SECOND)} in the second."
            ),
        )
    first_w, second_w = linear_params(784, 100, bias=False), linear_params(100, 10, bias=False)
    said = f"mlp_params = {fmt_count(got)} is not the MLP's count:"
    known = {
        first_w + second_w: "you counted the weights but forgot the biases: one per output "
        "unit, 100 in the first Linear and 10 in the second.",
        first_w + MLP_SECOND: "the first Linear's 100 biases are missing.",
        MLP_FIRST + second_w: "the second Linear's 10 biases are missing.",
        MLP_FIRST: "that is the first Linear alone; add Linear(100, 10).",
        MLP_SECOND: "that is the second Linear alone; add Linear(784, 100).",
    }
    if got in known:
        return Part(pid, False, f"{said} {known[got]}")
    return Part(
        pid,
        False,
        (
            f"{said} count each Linear apart: n_in x n_out weights plus n_out biases, for "
            "Linear(784, 100) and Linear(100, 10)."
        ),
    )


def _judge_more(got: str | None, problem: str) -> Part:
    pid = "more-parameters"
    if got is None:
        return Part(pid, False, problem)
    if got == "mlp":
        return Part(
            pid,
            True,
            (
                f'more_parameters = "mlp": {fmt_count(MLP_TOTAL)} against {fmt_count(CNN_TOTAL)}, '
                "about two and a half times as many."
            ),
        )
    return Part(
        pid,
        False,
        (
            'more_parameters = "cnn" is not right: compare the two totals. The MLP\'s first '
            "layer alone joins all 784 pixels to each of 100 units, while a conv filter has only "
            "9 weights, reused at every position."
        ),
    )


def _judge_generalises(got: str | None, problem: str) -> Part:
    pid = "generalises-better"
    if got is None:
        return Part(pid, False, problem)
    if got == "cnn":
        return Part(
            pid,
            True,
            (
                'generalises_better = "cnn": it keeps neighbouring pixels together and shares each '
                "filter across the image, with fewer parameters to overfit."
            ),
        )
    return Part(
        pid,
        False,
        (
            'generalises_better = "mlp" is not what we expect: more parameters is not better '
            "here. The CNN knows that nearby pixels belong together and reuses one filter at "
            "every position, so a digit shifted by two pixels looks familiar to it (lesson 2)."
        ),
    )
