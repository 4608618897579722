"""The reference diff from recorded calls: lining up, the first difference, the JSON rows and
the text table (no sandbox: the calls are written as the probe and the referee record them)."""

from __future__ import annotations

import json
from typing import Any

from tutor import events
from tutor.checks.refdiff import diff_table, reference_diff
from tutor.checks.verdict import verdict_from_events
from tutor.course import find_exercise

B = 8


def conv(name: str, cin: int, cout: int, side: int) -> dict[str, Any]:
    out, params = [B, cout, side, side], cout * cin * 9 + cout
    return {"op": "module", "type": "Conv2d", "name": name, "out": out, "params": params}


def relu(c: int, side: int) -> dict[str, Any]:
    return {"op": "relu", "via": "function", "in": [B, c, side, side], "out": [B, c, side, side]}


def pool(c: int, side: int) -> dict[str, Any]:
    out = [B, c, side // 2, side // 2]
    return {"op": "max_pool2d", "via": "function", "in": [B, c, side, side], "out": out}


def flatten(shape_in: list[int], start_dim: int = 1) -> dict[str, Any]:
    out = [B, shape_in[1] * shape_in[2] * shape_in[3]] if start_dim == 1 else [B * 1568]
    return {"op": "flatten", "via": "function", "in": shape_in, "out": out, "start_dim": start_dim}


def linear(cin: int, out: list[int] | None = None) -> dict[str, Any]:
    call = {"op": "module", "type": "Linear", "name": "fc", "params": cin * 10 + 10}
    if out is not None:
        call["out"] = out
    return call


REFERENCE = [
    conv("conv1", 1, 16, 28),
    relu(16, 28),
    pool(16, 28),
    conv("conv2", 16, 32, 14),
    relu(32, 14),
    pool(32, 14),
    flatten([B, 32, 7, 7]),
    linear(1568, [B, 10]),
]


def facts(calls: list[dict[str, Any]], error: bool = False) -> dict[str, Any]:
    forward: dict[str, Any] = {"input": [B, 1, 28, 28], "calls": calls}
    if error:
        forward["error"] = {"type": "RuntimeError", "message": "mat1 and mat2 ..."}
    return {"model": {"params": 0, "layers": [], "forward": forward}}


def test_the_same_model_with_modules_for_functions_matches_row_by_row() -> None:
    modules = [
        conv("c1", 1, 16, 28),
        {"op": "module", "type": "ReLU", "name": "act", "out": [B, 16, 28, 28], "params": 0},
        {"op": "module", "type": "MaxPool2d", "name": "pool", "out": [B, 16, 14, 14], "params": 0},
        *REFERENCE[3:6],
        {"op": "view", "via": "method", "in": [B, 32, 7, 7], "out": [B, 1568]},
        linear(1568, [B, 10]),
    ]
    diff = reference_diff(facts(modules), {"reference_calls": REFERENCE})
    assert diff is not None and diff.first_difference is None
    rows = diff.to_json()
    assert len(rows) == 8 and not any(r["differs"] for r in rows)
    assert rows[2]["learner"] == {"layer": "MaxPool2d", "out": [B, 16, 14, 14], "params": 0}
    assert rows[6]["learner"]["layer"] == "Flatten"
    table = diff_table(diff, 80)
    assert table.marked is None and "matches the reference" in table.summary


def test_a_missing_pool_is_a_gap_on_the_learners_side_and_the_first_difference() -> None:
    mine = [*REFERENCE[:5], flatten([B, 32, 14, 14]), linear(6272, [B, 10])]
    diff = reference_diff(facts(mine), {"reference_calls": REFERENCE})
    assert diff is not None and diff.first_difference == 5
    rows = diff.to_json()
    assert rows[5]["learner"] is None and rows[5]["reference"]["layer"] == "MaxPool2d"
    assert rows[6]["learner"]["out"] == [B, 6272] and rows[6]["differs"]
    assert rows[7]["learner"]["params"] == 62_730 and rows[7]["reference"]["params"] == 15_690
    assert json.loads(json.dumps(rows)) == rows


def test_a_layer_that_raised_has_no_output_and_is_marked() -> None:
    mine = [*REFERENCE[:7], linear(6272)]  # Linear(6272, 10) on 1568 features: it raised
    diff = reference_diff(facts(mine, error=True), {"reference_calls": REFERENCE})
    assert diff is not None and diff.first_difference == 7
    row = diff.to_json()[7]
    assert row["learner"] == {"layer": "Linear", "out": None, "params": 62_730}
    table = diff_table(diff, 80, ">")
    marked = table.lines[table.marked]  # type: ignore[index]
    assert marked.startswith(">") and "raised" in marked and "62,730" in marked
    assert "Row 8" in table.summary


def test_the_table_fits_80_columns_and_keeps_its_columns_aligned() -> None:
    mine = [conv("conv1", 1, 16, 28), relu(16, 28), pool(16, 28), conv("conv2", 32, 32, 14)]
    diff = reference_diff(facts(mine, error=True), {"reference_calls": REFERENCE})
    assert diff is not None
    for width in (80, 60):
        table = diff_table(diff, width, "▶")
        assert all(len(line) <= width for line in table.lines), "\n".join(table.lines)
        bars = {line.index(" | ") for line in table.lines}
        assert len(bars) == 1, "\n".join(table.lines)


def test_no_reference_calls_no_diff_and_no_learner_model_is_all_gaps() -> None:
    assert reference_diff(facts(REFERENCE), None) is None
    assert reference_diff(facts(REFERENCE), {"reference_calls": "forged"}) is None
    diff = reference_diff({"class": {"kind": "missing"}}, {"reference_calls": REFERENCE})
    assert diff is not None and diff.first_difference == 0
    assert all(r["learner"] is None for r in diff.to_json())


def test_the_verdict_of_a_model_exercise_carries_the_diff_in_its_json() -> None:
    ex = find_exercise("5")
    mine = [*REFERENCE[:7], linear(6272)]
    stream: list[events.Event] = [
        events.Facts(data=facts(mine, error=True)),
        events.Done(status="ok", elapsed_s=0.1, device="cpu"),
    ]
    findings = {"agrees": False, "evidence": None, "reference_calls": REFERENCE}
    verdict = verdict_from_events(ex, stream, 0.2, referee={"findings": findings})
    data = verdict.to_json()
    assert list(data) == [
        "exercise",
        "slug",
        "passed",
        "elapsed_s",
        "parts",
        "reference_diff",
        "first_difference",
    ]
    assert data["first_difference"] == 7 and len(data["reference_diff"]) == 8
    assert set(data["reference_diff"][0]) == {"learner", "reference", "differs"}


def test_both_recorders_agree_on_a_renamed_model_with_functional_ops() -> None:
    """Real torch: the probe's recording of a correct model in other words (other names,
    nn.Sequential, `.relu()`, `reshape`) beside the referee's recording of the reference
    (taken even when there is no evidence) shows no difference."""
    from tests.unit.test_referee import Renamed  # exercise 5's model in other words
    from tutor.checks.probes import model_facts
    from tutor.checks.referee import check_model

    namespace: dict[str, Any] = {}
    exec(find_exercise("5").referee_source or "", namespace)
    reference = namespace["reference"]()
    findings = check_model(None, 1, reference, (B, 1, 28, 28))
    assert reference.training  # the recording left the reference in the mode it found it
    learner = {"model": model_facts(Renamed(), (B, 1, 28, 28))}
    diff = reference_diff(learner, findings)
    assert diff is not None and diff.first_difference is None, diff and diff.to_json()
    assert [r.learner.layer for r in diff.rows if r.learner] == [
        "Conv2d",
        "ReLU",
        "MaxPool2d",
        "Conv2d",
        "ReLU",
        "MaxPool2d",
        "Flatten",
        "Linear",
    ]
    assert sum(r.reference.params for r in diff.rows if r.reference) == 20_490
