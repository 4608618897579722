"""The checking toolkit and every exercise's judge, on hand-made facts (no sandbox, no torch)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tutor import events
from tutor.checks import Part, Verdict, load_check, verdict_from_events, workspace_answer
from tutor.checks.values import describe_value
from tutor.course import find_exercise

ROOT = Path(__file__).resolve().parents[2]
DONE_OK = events.Done(status="ok", elapsed_s=0.1, device="cpu", exit_code=0)
DONE_ERROR = events.Done(status="error", elapsed_s=0.1, device="cpu", exit_code=1)


def judge(number: int, facts: dict[str, Any], referee: Any = "agrees") -> dict[str, Part]:
    """The parts of exercise `number`'s judge; where it has a referee, one whose findings
    agree with `facts` unless others are given (None: the referee found nothing)."""
    ex = find_exercise(str(number))
    if not ex.has_referee:
        return {p.id: p for p in load_check(ex).judge(facts)}
    found = agreeing(number, facts) if referee == "agrees" else referee
    return {p.id: p for p in load_check(ex).judge(facts, found)}


def agreeing(number: int, facts: dict[str, Any]) -> dict[str, Any]:
    """What the referee finds for an answer whose evidence matches `facts`."""
    if number == 2:
        found = {k: dict(v) if isinstance(v, dict) else v for k, v in facts.items()}
        found["loader"]["rows_match"] = True
        return {**found, "evidence": None}
    if number == 8:
        return {"evidence": None, "n": facts["n"], "X_t": facts["X_t"], "input_used": True}
    modes = {"eval": True, "eval_other": True, "train": True}
    params = facts.get("model", {}).get("params")
    return {
        "evidence": None,
        "seeded": True,
        "fits": None,
        "params": params,
        "same": modes,
        "input_used": True,
        "variant": None,
        "agrees": True,
    }


def plain(**values: Any) -> dict[str, Any]:
    """Facts as a numeric probe reports them, for the given answer values."""
    return {name: describe_value(value) for name, value in values.items()}


def failed(parts: dict[str, Part]) -> set[str]:
    return {pid for pid, part in parts.items() if not part.passed}


# -- verdicts --------------------------------------------------------------------------


def test_verdict_json_is_exactly_the_contract_object() -> None:
    verdict = Verdict(5, "module-class", False, 0.08321, [Part("flatten", False, "use it")])
    data = verdict.to_json()
    assert list(data) == ["exercise", "slug", "passed", "elapsed_s", "parts"]
    assert data["elapsed_s"] == 0.083
    assert data["parts"] == [{"id": "flatten", "passed": False, "message": "use it"}]
    assert json.loads(json.dumps(data)) == data


def test_facts_are_judged_and_pass_only_when_every_part_passes() -> None:
    ex = find_exercise("1")
    facts = plain(a=(16, 32, 32), b=(16, 28, 28), c=(16, 16, 16), d=(3, 16, 16))
    verdict = verdict_from_events(ex, [events.Facts(data=facts), DONE_OK], 0.1)
    assert verdict.passed and len(verdict.parts) == 4
    facts["d"] = describe_value((16, 16, 16))
    verdict = verdict_from_events(ex, [events.Facts(data=facts), DONE_OK], 0.1)
    assert not verdict.passed and [p.id for p in verdict.failed] == ["d-pooling"]


def test_facts_count_only_when_the_worker_says_the_job_ended_well() -> None:
    ex = find_exercise("1")
    facts = plain(a=(16, 32, 32), b=(16, 28, 28), c=(16, 16, 16), d=(3, 16, 16))
    for ending in ([], [DONE_ERROR]):
        verdict = verdict_from_events(ex, [events.Facts(data=facts), *ending], 0.1)
        assert not verdict.passed and [p.id for p in verdict.parts] == ["checker"]


@pytest.mark.parametrize(
    "facts",
    [{"a": "not a description"}, {"a": {"kind": "tuple", "items": 7}}, {"a": [1, 2]}, {"b": None}],
)
def test_facts_a_judge_cannot_read_are_a_failing_checker_part(facts: dict) -> None:
    verdict = verdict_from_events(find_exercise("1"), [events.Facts(data=facts), DONE_OK], 0.1)
    assert not verdict.passed and verdict.failed


def test_an_error_in_the_learners_code_is_a_failing_runs_part_with_the_explanation() -> None:
    ex = find_exercise("5")
    found: list[events.Event] = [
        events.error(
            "shape",
            "RuntimeError: mat1 and mat2 shapes cannot be multiplied",
            "The Linear layer fc expects 3136 inputs; fix in_features.",
            line=12,
            phase="learner",
        ),
        DONE_ERROR,
    ]
    verdict = verdict_from_events(ex, found, 0.2)
    assert not verdict.passed
    [part] = verdict.parts
    assert part.id == "runs" and "line 12" in part.message and "in_features" in part.message


@pytest.mark.parametrize(
    ("kind", "lead"),
    [("timeout", "ran out of time"), ("memory", "ran out of memory"), ("crash", "crashed")],
)
def test_a_stopped_run_says_which_limit_stopped_it(kind: events.ErrorKind, lead: str) -> None:
    event = events.error(kind, "", "x", phase="learner")
    verdict = verdict_from_events(find_exercise("2"), [event], 1.0)
    assert verdict.parts[0].id == "runs" and lead in verdict.parts[0].message


def test_a_syntax_error_event_is_the_parses_part() -> None:
    event = events.error(
        "exception",
        "SyntaxError: invalid syntax",
        "Python could not read it",
        line=3,
        phase="learner",
    )
    verdict = verdict_from_events(find_exercise("1"), [event], 0.0)
    assert [p.id for p in verdict.parts] == ["parses"] and "line 3" in verdict.parts[0].message


def test_a_checker_failure_is_not_blamed_on_the_learner() -> None:
    event = events.error("sandbox", "KeyError: 'x'", phase="probe")
    verdict = verdict_from_events(find_exercise("1"), [event], 0.0)
    assert verdict.parts[0].id == "checker" and "not your mistake" in verdict.parts[0].message
    verdict = verdict_from_events(find_exercise("1"), [DONE_OK], 0.0)
    assert verdict.parts[0].id == "checker" and not verdict.passed


def test_workspace_answer_starts_from_the_starter_and_is_never_overwritten(tmp_path: Path) -> None:
    ex = find_exercise("3")
    path = workspace_answer(tmp_path, ex)
    assert path == tmp_path / "workspace" / "03-count-parameters.py"
    assert path.read_text() == ex.starter
    path.write_text("cnn_params = 1\n")
    assert workspace_answer(tmp_path, ex).read_text() == "cnn_params = 1\n"


def test_checkers_load_under_names_of_their_own_without_torch_or_numpy() -> None:
    code = textwrap.dedent(
        """
        import sys
        from tutor.course import load_exercises
        from tutor.checks import load_check
        names = {load_check(ex).__name__ for ex in load_exercises()}
        assert len(names) == len(load_exercises()), names
        heavy = [m for m in ("torch", "numpy", "textual") if m in sys.modules]
        print(",".join(heavy))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


# -- exercise 1: conv arithmetic ---------------------------------------------------------

EX1 = {"a": (16, 32, 32), "b": (16, 28, 28), "c": (16, 16, 16), "d": (3, 16, 16)}


def ex1(**changes: Any) -> dict[str, Part]:
    return judge(1, plain(**{**EX1, **changes}))


def test_ex1_right_answers_pass_as_tuples_or_lists() -> None:
    assert not failed(ex1())
    assert not failed(ex1(a=[16, 32, 32], b=(16.0, 28, 28)))


def test_ex1_names_an_ignored_stride() -> None:
    part = ex1(c=(16, 32, 32))["c-stride"]
    assert not part.passed and "stride=2" in part.message and "left out" in part.message


def test_ex1_names_ignored_padding() -> None:
    part = ex1(a=(16, 30, 30))["a-same-padding"]
    assert not part.passed and "padding=1" in part.message


def test_ex1_names_channels_changed_by_pooling() -> None:
    part = ex1(d=(16, 16, 16))["d-pooling"]
    assert not part.passed and "pooling does not change the number of channels" in part.message


def test_ex1_names_channels_written_last_and_unset_values() -> None:
    assert "channels are written last" in ex1(a=(32, 32, 16))["a-same-padding"].message
    assert "still None" in ex1(b=None)["b-no-padding"].message
    assert "not a tuple" in ex1(c="16x16x16")["c-stride"].message
    assert "batch axis" in ex1(d=(1, 3, 16, 16))["d-pooling"].message


# -- exercise 3: counting parameters -----------------------------------------------------

EX3 = {
    "cnn_params": 31530,
    "mlp_params": 79510,
    "more_parameters": "mlp",
    "generalises_better": "cnn",
}


def ex3(**changes: Any) -> dict[str, Part]:
    return judge(3, plain(**{**EX3, **changes}))


def test_ex3_right_answers_pass_in_any_case() -> None:
    assert not failed(ex3())
    assert not failed(ex3(more_parameters="MLP", generalises_better=" CNN "))


def test_ex3_names_forgotten_biases() -> None:
    assert "forgot the biases" in ex3(cnn_params=31504)["cnn-params"].message
    assert "forgot the biases" in ex3(mlp_params=79400)["mlp-params"].message
    assert "one 3x3 filter" in ex3(cnn_params=31380)["cnn-params"].message


def test_ex3_names_the_wrong_comparisons() -> None:
    assert failed(ex3(more_parameters="cnn")) == {"more-parameters"}
    assert (
        "more parameters is not better"
        in ex3(generalises_better="mlp")["generalises-better"].message
    )


# -- exercise 4: pooling depth -----------------------------------------------------------


def test_ex4_names_one_pool_too_many_or_too_few() -> None:
    assert not failed(judge(4, plain(max_pools=6, linear_in_features=8192)))
    many = judge(4, plain(max_pools=7, linear_in_features=2048))
    assert "one pool too many" in many["max-pools"].message
    assert "one pool too many" in many["linear-in-features"].message
    few = judge(4, plain(max_pools=5, linear_in_features=32768))
    assert "one pool too few" in few["max-pools"].message
    assert "one pool too few" in few["linear-in-features"].message
    assert (
        "channels are missing"
        in judge(4, plain(max_pools=6, linear_in_features=64))["linear-in-features"].message
    )


# -- exercise 7: receptive field ---------------------------------------------------------


def test_ex7_names_ignored_pools_and_a_wrong_cover() -> None:
    assert not failed(judge(7, plain(receptive_field=18, covers_whole_image=False)))
    parts = judge(7, plain(receptive_field=7, covers_whole_image=True))
    assert "leaves out the pools" in parts["receptive-field"].message
    assert not parts["covers-whole-image"].passed
    assert (
        "True or False"
        in judge(7, plain(receptive_field=18, covers_whole_image="no"))[
            "covers-whole-image"
        ].message
    )


# -- exercise 2: reshape pipeline --------------------------------------------------------

N = 300


def ex2_facts(**changes: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "n": N,
        "batch_size_wanted": 32,
        "images": {"kind": "ndarray", "shape": [N, 28, 28], "dtype": "int64", "match": "raw"},
        "X_t": {
            "kind": "tensor",
            "shape": [N, 1, 28, 28],
            "dtype": "float32",
            "device": "cpu",
            "min": 0.0,
            "max": 1.0,
            "match": "scaled",
        },
        "y_t": {"kind": "tensor", "shape": [N], "dtype": "int64", "device": "cpu", "equal": True},
        "loader": {
            "kind": "DataLoader",
            "batch_size": 32,
            "length": N,
            "batch": [
                {"shape": [32, 1, 28, 28], "dtype": "torch.float32"},
                {"shape": [32], "dtype": "torch.int64"},
            ],
        },
    }
    for key, value in changes.items():
        facts[key] = {**facts[key], **value}
    return facts


def test_ex2_right_facts_pass() -> None:
    assert not failed(judge(2, ex2_facts()))


def test_ex2_without_the_referee_nothing_passes_on_the_probes_word() -> None:
    parts = judge(2, ex2_facts(), referee=None)
    assert {"images", "x-dtype", "channel-axis", "scaled", "labels", "batch-size"} <= failed(parts)
    assert "could not check" in parts["scaled"].message


def test_ex5_without_the_referee_the_model_parts_fail() -> None:
    parts = judge(5, ex5_facts(), referee=None)
    assert failed(parts) == {"param-count", "same-outputs", "input-used"}


def test_ex2_names_pixels_not_scaled() -> None:
    parts = judge(2, ex2_facts(X_t={"match": "raw", "max": 255.0}))
    assert failed(parts) == {"scaled"} and "not scaled to [0, 1]" in parts["scaled"].message


def test_ex2_names_a_missing_or_last_channel_axis() -> None:
    missing = judge(2, ex2_facts(X_t={"shape": [N, 28, 28]}))["channel-axis"]
    assert "channel axis is missing" in missing.message and "unsqueeze(1)" in missing.message
    last = judge(2, ex2_facts(X_t={"shape": [N, 28, 28, 1]}))["channel-axis"]
    assert "channel axis is last" in last.message


def test_ex2_names_float_labels_and_float64_images() -> None:
    labels = judge(2, ex2_facts(y_t={"dtype": "float32"}))["labels"]
    assert not labels.passed and "torch.long" in labels.message
    images = judge(2, ex2_facts(X_t={"dtype": "float64"}))["x-dtype"]
    assert not images.passed and ".float()" in images.message


def test_ex2_names_the_wrong_batch_size() -> None:
    part = judge(2, ex2_facts(loader={"batch_size": 64}))["batch-size"]
    assert not part.passed and "batch_size=64" in part.message and "32" in part.message


# -- exercises 5 and 6: nn.Module classes ------------------------------------------------


def conv(name: str, cin: int, cout: int) -> dict[str, Any]:
    return {
        "name": name,
        "type": "Conv2d",
        "in_channels": cin,
        "out_channels": cout,
        "kernel_size": [3, 3],
        "padding": [1, 1],
        "stride": [1, 1],
    }


def module(name: str, kind: str) -> dict[str, Any]:
    return {"op": "module", "type": kind, "name": name}


def ex5_facts(
    layers: list[dict[str, Any]] | None = None,
    calls: list[dict[str, Any]] | None = None,
    params: int = 20490,
    output: list[int] | None = None,
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    flatten = {
        "op": "flatten",
        "via": "function",
        "start_dim": 1,
        "in": [8, 32, 7, 7],
        "out": [8, 1568],
    }
    forward: dict[str, Any] = {
        "input": [8, 1, 28, 28],
        "calls": calls
        if calls is not None
        else [
            module("conv1", "Conv2d"),
            module("relu", "ReLU"),
            module("pool", "MaxPool2d"),
            module("conv2", "Conv2d"),
            module("relu", "ReLU"),
            module("pool", "MaxPool2d"),
            flatten,
            module("fc", "Linear"),
        ],
    }
    if error:
        forward["error"] = error
    else:
        forward["output"] = output or [8, 10]
    return {
        "class": {"kind": "module"},
        "model": {
            "params": params,
            "layers": layers
            or [
                conv("conv1", 1, 16),
                conv("conv2", 16, 32),
                {"name": "relu", "type": "ReLU"},
                {"name": "pool", "type": "MaxPool2d"},
                {"name": "fc", "type": "Linear", "in_features": 1568, "out_features": 10},
            ],
            "forward": forward,
        },
    }


def test_ex5_right_facts_pass() -> None:
    assert not failed(judge(5, ex5_facts()))


def test_ex5_names_a_missing_super_init() -> None:
    facts = {
        "class": {"kind": "module"},
        "construct_error": {
            "type": "AttributeError",
            "message": "cannot assign module before Module.__init__() call",
            "super_missing": True,
        },
    }
    parts = judge(5, facts)
    assert "super().__init__()" in parts["class"].message
    assert failed(parts) == set(parts)  # the rest are reported as not checked


def test_ex5_names_a_stale_in_channels() -> None:
    facts = ex5_facts(
        layers=[
            conv("conv1", 1, 16),
            conv("conv2", 1, 32),
            {"name": "fc", "type": "Linear", "in_features": 1568, "out_features": 10},
        ],
        error={
            "type": "RuntimeError",
            "message": "Given groups=1, weight of size "
            "[32, 1, 3, 3], expected input[8, 16, 14, 14] to have 1 channels, "
            "but got 16 channels instead",
        },
    )
    parts = judge(5, facts)
    assert "stale in_channels" in parts["layers"].message
    assert "in_channels must equal" in parts["output-shape"].message


def test_ex5_names_a_wrong_in_features() -> None:
    facts = ex5_facts(
        error={
            "type": "RuntimeError",
            "message": "mat1 and mat2 shapes cannot be multiplied (8x1568 and 3136x10)",
        }
    )
    facts["model"]["layers"][-1]["in_features"] = 3136
    parts = judge(5, facts)
    assert "wrong in_features" in parts["in-features"].message
    assert "in_features=3136" in parts["output-shape"].message


def test_ex5_names_nn_flatten_but_passes_equivalent_flattens() -> None:
    calls = ex5_facts()["model"]["forward"]["calls"]
    with_layer = [c if c.get("op") != "flatten" else module("flatten", "Flatten") for c in calls]
    part = judge(5, ex5_facts(calls=with_layer))["flatten"]
    assert not part.passed and "nn.Flatten" in part.message and "torch.flatten" in part.message
    method = [dict(c, via="method") if c.get("op") == "flatten" else c for c in calls]
    assert judge(5, ex5_facts(calls=method))["flatten"].passed
    view = [
        {"op": "view", "via": "method", "in": [8, 32, 7, 7], "out": [8, 1568]}
        if c.get("op") == "flatten"
        else c
        for c in calls
    ]
    assert judge(5, ex5_facts(calls=view))["flatten"].passed
    zero = [dict(c, start_dim=0, out=[12544]) if c.get("op") == "flatten" else c for c in calls]
    assert "batch axis" in judge(5, ex5_facts(calls=zero))["flatten"].message


def ex6_facts(
    calls: list[dict[str, Any]], layers: list[dict[str, Any]] | None = None, params: int = 20586
) -> dict[str, Any]:
    facts = ex5_facts(calls=calls, params=params)
    facts["model"]["layers"] = layers or [
        conv("conv1", 1, 16),
        {"name": "bn1", "type": "BatchNorm2d", "num_features": 16},
        conv("conv2", 16, 32),
        {"name": "bn2", "type": "BatchNorm2d", "num_features": 32},
        {"name": "fc", "type": "Linear", "in_features": 1568, "out_features": 10},
    ]
    facts["training"] = {
        "epochs": 3,
        "lr": 0.05,
        "plain_from": "yours",
        "plain": {"loss": [2.3, 2.2, 2.1], "accuracy": [0.2, 0.3, 0.4]},
        "bn": {"loss": [1.5, 0.6, 0.3], "accuracy": [0.6, 0.8, 0.9]},
    }
    return facts


def block(conv_name: str, *rest: tuple[str, str]) -> list[dict[str, Any]]:
    return [module(conv_name, "Conv2d"), *(module(n, k) for n, k in rest)]


FLAT = [
    {"op": "flatten", "via": "function", "start_dim": 1, "in": [8, 32, 7, 7], "out": [8, 1568]},
    module("fc", "Linear"),
]


def test_ex6_right_order_passes_with_functional_relu() -> None:
    relu = {"op": "relu", "via": "function"}
    calls = [
        *block("conv1", ("bn1", "BatchNorm2d")),
        relu,
        module("pool", "MaxPool2d"),
        *block("conv2", ("bn2", "BatchNorm2d")),
        relu,
        module("pool", "MaxPool2d"),
        *FLAT,
    ]
    assert not failed(judge(6, ex6_facts(calls)))


def test_ex6_names_batchnorm_after_the_relu() -> None:
    calls = [
        *block("conv1", ("relu", "ReLU"), ("bn1", "BatchNorm2d"), ("pool", "MaxPool2d")),
        *block("conv2", ("relu", "ReLU"), ("bn2", "BatchNorm2d"), ("pool", "MaxPool2d")),
        *FLAT,
    ]
    parts = judge(6, ex6_facts(calls))
    assert failed(parts) == {"order"} and "after the ReLU" in parts["order"].message


def test_ex6_names_a_block_without_batchnorm() -> None:
    calls = [
        *block("conv1", ("bn1", "BatchNorm2d"), ("relu", "ReLU"), ("pool", "MaxPool2d")),
        *block("conv2", ("relu", "ReLU"), ("pool", "MaxPool2d")),
        *FLAT,
    ]
    layers = [
        conv("conv1", 1, 16),
        {"name": "bn1", "type": "BatchNorm2d", "num_features": 16},
        conv("conv2", 16, 32),
    ]
    parts = judge(6, ex6_facts(calls, layers=layers, params=20522))
    assert "missing from one block" in parts["batchnorm-layers"].message
    assert "block 2" in parts["order"].message


def test_ex6_names_a_batchnorm_declared_but_never_called() -> None:
    calls = [
        *block("conv1", ("bn1", "BatchNorm2d"), ("relu", "ReLU"), ("pool", "MaxPool2d")),
        *block("conv2", ("relu", "ReLU"), ("pool", "MaxPool2d")),
        *FLAT,
    ]
    parts = judge(6, ex6_facts(calls))
    assert "`bn2` is created in __init__ but never called" in parts["bn-used"].message
    assert parts["batchnorm-layers"].passed


# -- exercise 8: the GPU pipeline --------------------------------------------------------


def ex8_facts(**changes: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "n": 256,
        "accelerator": "simulated",
        "device": {"kind": "device", "type": "cuda"},
        "X_t": {
            "kind": "tensor",
            "shape": [256, 3, 32, 32],
            "dtype": "float32",
            "device": "cpu",
            "min": 0.0,
            "max": 1.0,
            "match": "scaled",
        },
        "model": {
            "kind": "module",
            "devices": ["cuda"],
            "params": 20954,
            "output": {"shape": [4, 10]},
        },
        "train": {"ok": True, "returned": "float", "value": 0.0},
        "predict": {"ok": True, "returned": "ndarray", "shape": [64], "dtype": "int64"},
        "train_cpu": {"ok": True, "returned": "float", "value": 2.3, "changed": True},
        "predict_cpu": {
            "ok": True,
            "returned": "ndarray",
            "shape": [64],
            "dtype": "int64",
            "equal": True,
        },
    }
    facts.update(changes)
    return facts


MISMATCH = (
    "Expected all tensors to be on the same device, but found at least two devices, "
    "cuda:0 and cpu! (when checking argument for argument {} in method {})"
)


def test_ex8_right_facts_pass() -> None:
    assert not failed(judge(8, ex8_facts()))


def test_ex8_names_pixels_scrambled_by_a_reshape() -> None:
    x_t = {**ex8_facts()["X_t"], "match": "reshaped"}
    part = judge(8, ex8_facts(X_t=x_t))["x-layout"]
    assert not part.passed and "scrambled" in part.message and "transpose" in part.message


def test_ex8_names_a_model_left_on_the_cpu() -> None:
    model = {**ex8_facts()["model"], "devices": ["cpu"]}
    part = judge(8, ex8_facts(model=model))["model-device"]
    assert not part.passed and "never moved" in part.message and ".to(device)" in part.message


def test_ex8_names_a_batch_left_on_the_cpu() -> None:
    images = {
        "ok": False,
        "error": {"type": "RuntimeError", "message": MISMATCH.format("input", "conv2d")},
    }
    part = judge(8, ex8_facts(train=images, train_cpu=None))["batch-device"]
    assert not part.passed and "images" in part.message and "xb.to(device)" in part.message
    labels = {
        "ok": False,
        "error": {"type": "RuntimeError", "message": MISMATCH.format("target", "cross_entropy")},
    }
    assert "labels stay on the CPU" in judge(8, ex8_facts(train=labels))["batch-device"].message
    real_gpu = {
        "ok": False,
        "error": {
            "type": "RuntimeError",
            "message": "Input type "
            "(torch.FloatTensor) and weight type (torch.cuda.FloatTensor) should be the same",
        },
    }
    assert "images" in judge(8, ex8_facts(train=real_gpu))["batch-device"].message


def test_ex8_names_predictions_returned_as_a_tensor_or_numpy_without_cpu() -> None:
    tensor = {"ok": True, "returned": "Tensor", "shape": [64], "dtype": "int64"}
    part = judge(8, ex8_facts(predict=tensor))["predict"]
    assert not part.passed and ".cpu().numpy()" in part.message
    error = {
        "ok": False,
        "error": {
            "type": "TypeError",
            "message": "can't convert cuda:0 device "
            "type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first.",
        },
    }
    assert "still on the GPU" in judge(8, ex8_facts(predict=error))["predict"].message


def test_ex8_names_a_device_that_ignores_the_gpu() -> None:
    part = judge(8, ex8_facts(device={"kind": "device", "type": "cpu"}))["device"]
    assert not part.passed and "torch.cuda.is_available()" in part.message


# -- the simulated GPU (runs in a subprocess: it changes torch for the whole process) -----

SIMULATED = textwrap.dedent(
    """
    import torch, torch.nn as nn
    from tutor.checks import accelerator
    accelerator.install()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = nn.Linear(4, 2).to(device)
    x, y = torch.zeros(3, 4), torch.zeros(3, dtype=torch.long)
    print(device, next(model.parameters()).device)
    loss = nn.functional.cross_entropy(model(x.to(device)), y.to(device))
    loss.backward()
    print("moved ok", type(loss.item()).__name__)
    for name, run in [("batch", lambda: model(x)), ("labels", lambda: nn.functional.cross_entropy(
            model(x.to(device)), y)), ("numpy", lambda: model(x.to(device)).numpy())]:
        try:
            run()
            print(name, "no error")
        except Exception as exc:
            print(name, type(exc).__name__, str(exc)[:60])
    print("back", model(x.to(device)).argmax(1).cpu().numpy().shape)
    """
)


def test_simulated_gpu_catches_what_a_real_gpu_would() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SIMULATED], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "cuda cuda:0"
    assert lines[1] == "moved ok float"
    assert lines[2].startswith("batch RuntimeError Expected all tensors to be on the same dev")
    assert lines[3].startswith("labels RuntimeError Expected all tensors to be on the same de")
    assert lines[4].startswith("numpy TypeError can't convert cuda:0 device type tensor")
    assert lines[5] == "back (3,)"
