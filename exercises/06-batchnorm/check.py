"""Checker for exercise 6: SimpleCNNBN, BatchNorm2d after each conv and before its ReLU.

The probe (probe.py, in the sandbox) records the layers, the order of the calls and a
short training comparison: that names the mistake. The referee (referee.py) decides: it
loads the weights the probe handed over, BatchNorm's scales, shifts and running statistics
all made non-trivial from the challenge seed, into the reference model and requires the
same outputs in train and in eval mode; it also counts the parameters itself.
"""

from __future__ import annotations

from typing import Any

from tutor.checks import Part
from tutor.checks.compare import conv_params, fmt_count, linear_params
from tutor.checks.models import (
    call_kind,
    class_part,
    convs_part,
    output_part,
    referee_input_part,
    referee_outputs_part,
    referee_params_part,
    skipped,
)

NAME = "SimpleCNNBN"
PLAIN = "SimpleCNN"
BATCH = (8, 1, 28, 28)
CONVS = [(1, 16), (16, 32)]
PARAMS_WANTED = (
    conv_params(1, 16, 3) + 2 * 16 + conv_params(16, 32, 3) + 2 * 32 + linear_params(32 * 7 * 7, 10)
)  # 20,586
PARAMS = {"epochs": 3, "n_train": 384, "n_test": 192, "lr": 0.05, "seed": 0}


# -- judging, in the tutor -------------------------------------------------------------


def judge(facts: dict[str, Any], referee: dict[str, Any] | None = None) -> list[Part]:
    built = class_part("class", NAME, facts)
    rest = [
        "layers",
        "batchnorm-layers",
        "bn-used",
        "order",
        "output-shape",
        "param-count",
        "comparison",
        "same-outputs",
        "input-used",
    ]
    if not built.passed or "model" not in facts:
        return [built, *skipped(rest, f"`{NAME}` could not be built (see the class part).")]
    model = facts["model"]
    layers = model.get("layers", [])
    forward = model.get("forward", {})
    return [
        built,
        convs_part("layers", NAME, layers, CONVS),
        _judge_bn_layers(layers),
        _judge_bn_used(layers, forward, referee),
        _judge_order(forward),
        output_part("output-shape", forward, (BATCH[0], 10)),
        _judge_params(int(model.get("params", 0)), layers, referee),
        _judge_comparison(facts.get("training"), forward),
        referee_outputs_part("same-outputs", NAME, referee),
        referee_input_part("input-used", NAME, referee),
    ]


def _judge_bn_layers(layers: list[dict[str, Any]]) -> Part:
    pid = "batchnorm-layers"
    convs = [layer for layer in layers if layer.get("type") == "Conv2d"]
    norms = [layer for layer in layers if layer.get("type", "").startswith("BatchNorm")]
    flat = [layer for layer in norms if layer.get("type") != "BatchNorm2d"]
    if flat:
        return Part(
            pid,
            False,
            (
                f"`{flat[0].get('name')}` is a {flat[0].get('type')}, which normalises flat "
                "features. After a conv, use nn.BatchNorm2d, which normalises each channel of a "
                "(B, C, H, W) map."
            ),
        )
    if not norms:
        return Part(
            pid,
            False,
            (
                f"`{NAME}` has no BatchNorm2d layers: create one per conv in __init__, for 16 "
                "and for 32 channels."
            ),
        )
    if len(norms) < len(convs):
        have = ", ".join(f"`{n.get('name')}` ({n.get('num_features')} channels)" for n in norms)
        return Part(
            pid,
            False,
            (
                f"BatchNorm is missing from one block: `{NAME}` has {len(convs)} convs but only "
                f"{have}. Each conv needs its own BatchNorm2d, sized to its out_channels."
            ),
        )
    for norm, conv in zip(norms, convs, strict=False):
        if norm.get("num_features") != conv.get("out_channels"):
            return Part(
                pid,
                False,
                (
                    f"`{norm.get('name')}` is BatchNorm2d({norm.get('num_features')}), "
                    f"but the conv it belongs to, `{conv.get('name')}`, gives "
                    f"{conv.get('out_channels')} channels: num_features must equal "
                    "that conv's out_channels."
                ),
            )
    if len(norms) > len(convs):
        return Part(
            pid,
            False,
            (
                f"`{NAME}` has {len(norms)} BatchNorm2d layers for {len(convs)} convs: one per "
                "conv is enough."
            ),
        )
    sizes = " and ".join(f"BatchNorm2d({n.get('num_features')})" for n in norms)
    return Part(pid, True, f"{sizes}: one per conv, each sized to its conv's channels.")


def _judge_bn_used(
    layers: list[dict[str, Any]], forward: dict[str, Any], referee: dict[str, Any] | None
) -> Part:
    pid = "bn-used"
    norms = [layer.get("name") for layer in layers if layer.get("type", "").startswith("BatchNorm")]
    if not norms:
        return Part(pid, False, "Not checked yet: there are no BatchNorm2d layers to call.")
    skipped_bn = (referee or {}).get("variant")
    if skipped_bn:
        return Part(
            pid,
            False,
            f"The BatchNorm output is not used: your model's outputs are those of the model "
            f"without {skipped_bn}. Computing bn(x) changes nothing unless the next layer "
            "gets its result: x = self.relu(bn(conv(x))).",
        )
    called = {
        call.get("name")
        for call in forward.get("calls", [])
        if call.get("op") == "module" and call_kind(call) == "bn"
    }
    unused = [name for name in norms if name not in called]
    if not unused:
        return Part(pid, True, "forward calls every BatchNorm2d layer it creates.")
    if forward.get("error"):
        return Part(
            pid,
            False,
            (
                "Not checked yet: the forward pass stopped before it reached "
                + ", ".join(f"`{u}`" for u in unused)
                + " (see the output part)."
            ),
        )
    listed = ", ".join(f"`{u}`" for u in unused)
    return Part(
        pid,
        False,
        (
            f"{listed} {'is' if len(unused) == 1 else 'are'} created in __init__ but never called "
            "in forward, so it changes nothing. Apply it to its conv's output, before the ReLU: "
            "x = self.relu(bn(conv(x)))."
        ),
    )


def _judge_order(forward: dict[str, Any]) -> Part:
    pid = "order"
    calls = forward.get("calls", [])
    kinds = [call_kind(call) for call in calls]
    blocks = [i for i, kind in enumerate(kinds) if kind == "conv"]
    if not blocks:
        if forward.get("error"):
            return Part(
                pid, False, "Not checked yet: the forward pass stopped (see the output part)."
            )
        return Part(
            pid, False, "forward calls no conv layer; it should run conv -> BN -> ReLU twice."
        )
    for number, start in enumerate(blocks, 1):
        end = next(
            (j for j in range(start + 1, len(kinds)) if kinds[j] in ("conv", "flatten", "linear")),
            len(kinds),
        )
        after = kinds[start + 1 : end]
        conv_name = calls[start].get("name") or "the conv"
        label = f"block {number} (`{conv_name}`)"
        if forward.get("error") and end == len(kinds):
            return Part(
                pid, False, "Not checked yet: the forward pass stopped (see the output part)."
            )
        if "bn" not in after:
            return Part(
                pid,
                False,
                (
                    f"In forward, {label} has no BatchNorm between the conv and the ReLU: "
                    "run conv -> BatchNorm -> ReLU -> pool."
                ),
            )
        bn_at = after.index("bn")
        if "relu" in after[:bn_at]:
            return Part(
                pid,
                False,
                (
                    f"In forward, {label} applies BatchNorm after the ReLU. Normalise the conv's "
                    "output first, then the ReLU: relu(bn(conv(x))), not bn(relu(conv(x)))."
                ),
            )
        if bn_at != 0:
            return Part(
                pid,
                False,
                (
                    f"In forward, {label} runs {after[0]} between the conv and its BatchNorm; "
                    "BatchNorm comes right after the conv."
                ),
            )
        if "relu" not in after[bn_at:]:
            return Part(pid, False, f"In forward, {label} has no ReLU after its BatchNorm.")
    return Part(pid, True, "Each conv is followed by its BatchNorm2d, then the ReLU.")


def _judge_params(
    claimed: int, layers: list[dict[str, Any]], referee: dict[str, Any] | None
) -> Part:
    pid = "param-count"
    counted = (referee or {}).get("params")
    count = counted if isinstance(counted, int) else claimed
    part = referee_params_part(pid, NAME, referee, claimed, PARAMS_WANTED)
    norms = [layer for layer in layers if layer.get("type", "").startswith("BatchNorm")]
    if not part.passed and not norms and isinstance(counted, int):
        # Say the one cause the batchnorm-layers part names, not a second guess at it.
        return Part(
            pid,
            False,
            (
                f"`{NAME}` has {fmt_count(count)} parameters, the count without BatchNorm; "
                f"with a BatchNorm2d per conv it has {fmt_count(PARAMS_WANTED)} (each adds a "
                "gamma and a beta per channel)."
            ),
        )
    if not part.passed and count == PARAMS_WANTED - 2 * (16 + 32):
        return Part(
            pid,
            False,
            (
                f"`{NAME}` has {fmt_count(count)} parameters, as many as without BatchNorm: its "
                "BatchNorm layers learn no gamma and beta (affine=False?). Keep the default "
                "affine=True."
            ),
        )
    return part


def _last(values: Any) -> float | None:
    if isinstance(values, list) and values and isinstance(values[-1], (int, float)):
        return float(values[-1])
    return None


def _judge_comparison(training: dict[str, Any] | None, forward: dict[str, Any]) -> Part:
    pid = "comparison"
    if not training:
        return Part(
            pid,
            False,
            (
                "Not checked yet: the comparison runs once SimpleCNNBN gives (8, 10) and uses "
                "BatchNorm in forward."
            ),
        )
    for name in ("bn", "plain"):
        result = training.get(name, {})
        if "error" in result:
            who = NAME if name == "bn" else "SimpleCNN"
            error = result["error"]
            return Part(
                pid, False, (f"Training {who} raised {error.get('type')}: {error.get('message')}.")
            )
    bn, plain = training.get("bn", {}), training.get("plain", {})
    bn_loss, plain_loss = _last(bn.get("loss")), _last(plain.get("loss"))
    bn_acc, plain_acc = _last(bn.get("accuracy")), _last(plain.get("accuracy"))
    if None in (bn_loss, plain_loss, bn_acc, plain_acc):
        return Part(
            pid,
            False,
            (
                "The training loss stopped being a number (nan or inf): check that BatchNorm "
                "sits after each conv and that nothing else in forward changed."
            ),
        )
    epochs = training.get("epochs")
    return Part(
        pid,
        True,
        (
            f"Both models trained for {epochs} epochs with the same seed: final mean loss "
            f"{bn_loss:.3f} with BatchNorm against {plain_loss:.3f} without; test accuracy "
            f"{bn_acc:.0%} against {plain_acc:.0%}."
        ),
    )
