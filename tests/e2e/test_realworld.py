"""Real-world CNN code in the sandbox: it runs, its trace carries the size arithmetic and the
receptive field, its losses are caught however they are computed, its errors are explained
with the learner's own numbers, and the training-loop doctor flags each bug and only bugs.

One warm sandbox serves the module; the scripts are in ``tests/e2e/realworld.py``.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import pytest_asyncio

from tests.e2e import realworld
from tutor.course import load_lessons
from tutor.events import to_json
from tutor.sandbox.client import JobSpec, Sandbox

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def box():
    # A recogniser that raises must fail these tests, not fall back quietly.
    saved = os.environ.get("CNN_TUTOR_STRICT_EXPLAIN")
    os.environ["CNN_TUTOR_STRICT_EXPLAIN"] = "1"
    try:
        async with Sandbox(torch=True) as sandbox:
            yield sandbox
    finally:
        if saved is None:
            os.environ.pop("CNN_TUTOR_STRICT_EXPLAIN", None)
        else:
            os.environ["CNN_TUTOR_STRICT_EXPLAIN"] = saved


async def run(box: Sandbox, body: str, data: str | None = None) -> list[dict[str, Any]]:
    spec = JobSpec(source=realworld.HEAD + body, filename="train.py", data=data, timeout_s=120)
    return [to_json(event) async for event in box.run(spec)]  # the contract's JSON objects


def of(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


def ran_ok(events: list[dict[str, Any]]) -> None:
    assert events[-1]["type"] == "done", events[-3:]
    assert events[-1]["status"] == "ok", of(events, "error") or of(events, "stderr")


def rows(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The first shape row of each module name."""
    found: dict[str, dict[str, Any]] = {}
    for event in of(events, "shape"):
        found.setdefault(event["module"], event)
    return found


# -- real-world patterns run, traced and charted -----------------------------------------------


async def test_mnist_example_with_functional_nll_loss(box: Sandbox) -> None:
    events = await run(box, realworld.MNIST_EXAMPLE, data="digits")
    ran_ok(events)
    losses = of(events, "loss")
    assert losses and all(e["root"] == "Net" for e in losses)  # F.nll_loss is charted
    assert [e["epoch"] for e in of(events, "epoch")] == [1, 2]
    assert all(e["steps"] == 8 for e in of(events, "epoch"))
    conv2 = rows(events)["Net.conv2"]
    assert conv2["formula"] == "⌊(26 − 3 + 2·0)/1⌋ + 1 = 24" and conv2["rf"] == 5
    assert not of(events, "warning")  # evaluation under model.eval(): nothing to flag


async def test_cifar_tutorial_as_published_with_worker_processes(box: Sandbox) -> None:
    events = await run(box, realworld.CIFAR_TUTORIAL)
    ran_ok(events)  # num_workers=2 loads batches in worker processes inside the sandbox
    assert "Finished Training" in "".join(e["text"] for e in of(events, "stdout"))
    assert [e["steps"] for e in of(events, "epoch")] == [16, 16]
    assert rows(events)["Net.conv2"]["rf"] == 14  # 5, a 2×2 pool: 6, then 6 + 4·2
    assert not of(events, "warning")


async def test_d2l_lenet_layer_loop_and_functional_cross_entropy(box: Sandbox) -> None:
    events = await run(box, realworld.D2L_LENET)
    ran_ok(events)
    first = of(events, "shape")[0]
    # `for layer in net: X = layer(X)` is traced as the net's own layers, in call order
    assert first["module"] == "Sequential.0" and first["root"] == "Sequential"
    assert first["formula"] == "⌊(28 − 5 + 2·2)/1⌋ + 1 = 28" and first["rf"] == 5
    assert rows(events)["Sequential.3"]["rf"] == 14
    assert of(events, "loss") and len(of(events, "epoch")) == 2  # F.cross_entropy
    assert not of(events, "warning")


async def test_resnet_block_receptive_field_follows_the_shortcut(box: Sandbox) -> None:
    events = await run(box, realworld.RESNET)
    ran_ok(events)
    found = rows(events)
    assert found["ResNet.conv1"]["formula"] == "⌊(32 − 7 + 2·3)/2⌋ + 1 = 16"
    assert found["ResNet.maxpool"]["rf"] == 11
    assert found["ResNet.layer1.1.conv2"]["rf"] == 43
    assert found["ResNet.layer2.0.conv2"]["rf"] == 67
    # the 1x1 shortcut sees the block's input (43 pixels), not the main path's 67
    assert found["ResNet.layer2.0.downsample.0"]["rf"] == 43
    assert found["ResNet.layer2.1.conv1"]["rf"] == 83
    assert "rf" not in found["ResNet.avgpool"]  # adaptive: no window of its own
    assert not of(events, "warning")


async def test_unet_module_lists_and_binary_loss(box: Sandbox) -> None:
    events = await run(box, realworld.UNET.replace("SIDE", "32"))
    ran_ok(events)
    found = rows(events)
    assert found["UNet.down.1.0"]["out"] == [8, 16, 16, 16]
    assert found["UNet.dec.0.0"]["in"] == [[8, 16, 32, 32]]
    # F.binary_cross_entropy_with_logits, four steps: each one charted, or the thinning said
    losses = of(events, "loss")
    assert losses and losses[0]["step"] == 1 and losses[-1]["step"] == 4
    if len(losses) < 4:
        notes = [e["text"] for e in of(events, "note")]
        assert any(f"at {len(losses)} of its 4 steps" in text for text in notes), notes


async def test_lazy_layers_are_shown_after_they_take_shape(box: Sandbox) -> None:
    events = await run(box, realworld.LAZY)
    ran_ok(events)
    found = rows(events)
    assert found["Sequential.0"]["layer"].startswith("Conv2d(1, 8, kernel_size=(3, 3)")
    assert found["Sequential.0"]["params"] == 80
    assert found["Sequential.7"]["layer"].startswith("Linear(in_features=784, out_features=10")
    assert not any("Lazy" in e["layer"] for e in of(events, "shape"))


async def test_a_sub_model_called_from_its_parents_method_belongs_to_it(box: Sandbox) -> None:
    events = await run(box, realworld.SUBMODEL)
    ran_ok(events)
    shapes = of(events, "shape")
    assert shapes[0]["module"] == "Classifier.encoder" and shapes[0]["root"] == "Classifier"
    assert {e["root"] for e in shapes} == {"Classifier"}  # no unnamed extra model


async def test_layer_by_layer_calls_keep_the_receptive_field_going(box: Sandbox) -> None:
    events = await run(box, realworld.LAYER_BY_LAYER)
    ran_ok(events)
    assert [(e["module"], e.get("rf")) for e in of(events, "shape")] == [
        ("Sequential.0", 3),
        ("Sequential.1", None),
        ("Sequential.2", 5),
        ("Sequential.3", 7),
    ]


async def test_thinned_steps_are_noted_and_epoch_means_stay_exact(box: Sandbox) -> None:
    events = await run(
        box,
        "w = torch.ones(2, requires_grad=True)\n"
        "loader = DataLoader(TensorDataset(torch.rand(4000, 2)), batch_size=1)\n"
        "values = []\n"
        "for (x,) in loader:\n"
        "    loss = F.mse_loss(w * x[0], torch.zeros(2))\n"
        "    values.append(loss.item())\n"
        "print(repr(sum(values) / len(values)))\n",
    )
    ran_ok(events)
    losses = of(events, "loss")
    assert len(losses) < 4000 and losses[-1]["step"] == 4000
    (note,) = of(events, "note")
    assert f"charted at {len(losses)} of its 4000 steps" in note["text"]
    (epoch,) = of(events, "epoch")
    printed = float("".join(e["text"] for e in of(events, "stdout")))
    assert epoch["steps"] == 4000 and epoch["mean_loss"] == pytest.approx(printed, rel=1e-6)


# -- the errors people ask about, explained with their own numbers ----------------------------


@pytest.mark.parametrize("name", list(realworld.ERRORS))
async def test_error_is_explained_with_its_cause(box: Sandbox, name: str) -> None:
    script, words = realworld.ERRORS[name]
    events = await run(box, script)
    assert events[-1]["status"] == "error"
    (error,) = of(events, "error")
    missing = [w for w in words if w not in error["explanation"]]
    assert not missing, f"{name}: {missing} not in {error['explanation']!r}"
    assert "explanation rules failed" not in error["explanation"]


# -- the training-loop doctor -------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(realworld.DOCTOR))
async def test_doctor_flags_the_bug_and_not_its_fixed_twin(box: Sandbox, kind: str) -> None:
    bug, twin, words = realworld.DOCTOR[kind]
    events = await run(box, bug)
    ran_ok(events)
    warnings = [e for e in of(events, "warning") if e["kind"] == kind]
    assert warnings, f"no {kind} warning: {of(events, 'warning')}"
    missing = [w for w in words if w not in warnings[0]["message"]]
    assert not missing, f"{missing} not in {warnings[0]['message']!r}"
    if kind != "flat-loss":  # found at the end of an epoch, not at a line
        assert isinstance(warnings[0]["line"], int)
    fixed = await run(box, twin)
    ran_ok(fixed)
    assert not of(fixed, "warning")


@pytest.mark.slow
async def test_no_warnings_on_the_lessons_examples(box: Sandbox) -> None:
    flagged = []
    for lesson in load_lessons():
        for number, source in enumerate(lesson.examples, start=1):
            spec = JobSpec(source=source, filename="lesson.py", data="digits", timeout_s=300)
            events = [to_json(event) async for event in box.run(spec)]
            ran_ok(events)
            flagged += [(lesson.key, number, e["message"]) for e in of(events, "warning")]
    assert not flagged
