"""Every exercise of the course, checked the way rustlings' `dev check` checks its own:
every exercise parses, every starter fails its check, every solution passes, every typical
mistake fails with the part it is named after, equivalent answers pass, and no stray files.

Answers run through the real sandbox, on one warm worker per kind for the whole module.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tutor.checks import Verdict
from tutor.checks.runner import check_answer
from tutor.course import Exercise, load_exercises, load_lessons, syntax_error
from tutor.events import Facts
from tutor.sandbox.client import JobSpec, Sandbox
from tutor.sandbox.warmup import WARM_GROUPS

FOLDER_FILES = {
    "exercise.toml",
    "README.md",
    "starter.py",
    "solution.py",
    "probe.py",
    "check.py",
    "hints.md",
}
# The exercises whose pass a referee decides, from evidence the probe hands over.
REFEREED = {"reshape-pipeline", "module-class", "batchnorm", "gpu-pipeline"}
# The exercises whose referee builds a reference model: their verdicts carry the reference diff.
REFERENCE_MODELS = {"module-class", "batchnorm"}
MISTAKE_NAME = re.compile(r"^([a-z0-9]+(?:-[a-z0-9]+)*)(?:--[a-z0-9-]+)?\.py$")
# Smaller training and data for speed; the checks are the same.
FAST = {
    "batchnorm": {"epochs": 1, "n_train": 96, "n_test": 64},
    "gpu-pipeline": {"n": 128, "train_n": 64, "predict_n": 32},
}

EXERCISES = {ex.slug: ex for ex in load_exercises()}


def answers(ex: Exercise) -> list[tuple[str, Path]]:
    """(label, path) of the starter, the solution and every mistake of `ex`."""
    found = [("starter", ex.folder / "starter.py"), ("solution", ex.folder / "solution.py")]
    found += [(f"mistakes/{p.stem}", p) for p in sorted((ex.folder / "mistakes").glob("*.py"))]
    return found


def cases(gpu: bool) -> list[Any]:
    return [
        pytest.param(ex.slug, label, path, id=f"{ex.folder.name}/{label}")
        for ex in EXERCISES.values()
        if (ex.slug == "gpu-pipeline") == gpu
        for label, path in answers(ex)
    ]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def boxes() -> AsyncIterator[dict[str, Sandbox]]:
    """One warm sandbox per kind: numeric exercises get a worker that never imports torch."""
    started = {"numeric": Sandbox(torch=False), "code": Sandbox(torch=True)}
    for box in started.values():
        await box.start()
    yield started
    for box in started.values():
        await box.close()


async def check(
    boxes: dict[str, Sandbox], slug: str, source: str, params: dict[str, Any] | None = None
) -> Verdict:
    ex = EXERCISES[slug]
    box = boxes["numeric" if ex.kind == "numeric" else "code"]
    chosen = dict(FAST.get(slug, {})) if params is None else params
    return await check_answer(box, ex, source, params=chosen)


def expect(verdict: Verdict, label: str, path: Path) -> None:
    """The solution passes; the starter fails; a mistake fails with its named part."""
    shown = "\n".join(f"  {p.id}: {p.passed} {p.message}" for p in verdict.parts)
    assert all(p.message.strip() for p in verdict.parts), shown
    if label == "solution":
        assert verdict.passed, f"the solution fails:\n{shown}"
        return
    assert not verdict.passed, f"{label} passes its check:\n{shown}"
    if label.startswith("mistakes/"):
        part_id = MISTAKE_NAME.match(path.name).group(1)  # type: ignore[union-attr]
        named = [p for p in verdict.parts if p.id == part_id]
        assert named, f"{path.name}: no part {part_id!r} in\n{shown}"
        assert not named[0].passed, f"{path.name}: part {part_id!r} passes:\n{shown}"


# -- the content, on disk ------------------------------------------------------------------


def test_the_exercises_parse_numbered_in_order() -> None:
    found = load_exercises()
    assert [ex.number for ex in found] == list(range(1, len(found) + 1))
    lessons = {lesson.number for lesson in load_lessons()}
    for ex in found:
        assert ex.kind in ("numeric", "code"), f"{ex.folder.name}: kind is {ex.kind!r}"
        assert ex.lesson in lessons, f"{ex.folder.name}: lesson {ex.lesson} does not exist"
        assert ex.folder.name == f"{ex.number:02d}-{ex.slug}"
        assert ex.limits.get("timeout_s", 0) > 0 and ex.limits.get("memory_mb", 0) >= 512
        unknown = set(ex.warm) - set(WARM_GROUPS)
        assert not unknown, f"{ex.folder.name}: warm names unknown groups {sorted(unknown)}"


def left_to_fill(starter: str) -> list[str]:
    """The names a starter assigns at the top level with a `# TODO`, in order."""
    names = re.findall(r"^([A-Za-z_]\w*)\s*=.*#\s*TODO", starter, re.M)
    return list(dict.fromkeys(names))


@pytest.mark.parametrize("slug", [s for s, e in EXERCISES.items() if e.kind == "numeric"])
def test_numeric_exercises_describe_their_answer_fields(slug: str) -> None:
    ex = EXERCISES[slug]
    assert [f["name"] for f in ex.fields] == left_to_fill(ex.starter)
    for field in ex.fields:
        assert field["label"] and field["type"] in ("shape", "int", "choice", "bool")
        if field["type"] == "choice":
            assert field["choices"]


@pytest.mark.parametrize("slug", list(EXERCISES))
def test_folder_holds_exactly_the_expected_files(slug: str) -> None:
    ex = EXERCISES[slug]
    names = {p.name for p in ex.folder.iterdir() if p.name != "__pycache__"}
    referee = {"referee.py"} if slug in REFEREED else set()
    assert names == FOLDER_FILES | referee | {"mistakes"}
    mistakes = [p for p in (ex.folder / "mistakes").iterdir() if p.name != "__pycache__"]
    assert mistakes, f"{slug} has no typical mistakes"
    for path in mistakes:
        assert path.is_file() and MISTAKE_NAME.match(path.name), f"stray file {path}"
    meta = tomllib.loads((ex.folder / "exercise.toml").read_text())
    assert meta["id"] == ex.number and meta["slug"] == slug


@pytest.mark.parametrize("slug", list(EXERCISES))
def test_statement_hints_and_starter_are_there(slug: str) -> None:
    ex = EXERCISES[slug]
    assert ex.statement.startswith(f"# Exercise {ex.number}")
    assert "## What to" in ex.statement
    headings = re.findall(r"^## Hint (\d+)\s*$", (ex.folder / "hints.md").read_text(), re.M)
    assert len(headings) >= 3 and headings == [str(i) for i in range(1, len(headings) + 1)]
    assert len(ex.hints) == len(headings) and all(ex.hints)
    assert "# TODO" in ex.starter
    for _, path in answers(ex):
        assert syntax_error(path.read_text(), path.name) is None, path


# -- through the sandbox ---------------------------------------------------------------------


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(("slug", "label", "path"), cases(gpu=False))
async def test_answer_gets_the_expected_verdict(
    boxes: dict[str, Sandbox], slug: str, label: str, path: Path
) -> None:
    verdict = await check(boxes, slug, path.read_text())
    expect(verdict, label, path)
    if slug in REFERENCE_MODELS and label == "solution":
        diff = verdict.reference_diff
        assert diff is not None and diff.rows, "no reference diff for a model exercise"
        assert diff.first_difference is None, diff.to_json()


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(("slug", "label", "path"), cases(gpu=True))
async def test_gpu_pipeline_answer_on_the_simulated_gpu_when_there_is_no_real_one(
    boxes: dict[str, Sandbox], slug: str, label: str, path: Path
) -> None:
    """On a machine without CUDA the checker pretends one exists (tutor.checks.accelerator)."""
    expect(await check(boxes, slug, path.read_text()), label, path)


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("slug", list(EXERCISES))
async def test_starter_and_solution_report_the_same_parts(
    boxes: dict[str, Sandbox], slug: str
) -> None:
    ex = EXERCISES[slug]
    starter = await check(boxes, slug, ex.starter)
    solution = await check(boxes, slug, ex.solution)
    assert [p.id for p in starter.parts] == [p.id for p in solution.parts]


@pytest.mark.parametrize("slug", list(EXERCISES))
def test_the_probe_holds_no_judge_and_the_judge_no_torch(slug: str) -> None:
    """Only probe.py goes into the job: the judge and the expected values stay out of it."""
    ex = EXERCISES[slug]
    probe = ex.probe_source
    assert "def probe(" in probe and "def judge(" not in probe
    for secret in ("PARAMS_WANTED", "Reference", "solution", "def referee("):
        assert secret not in probe, (slug, secret)
    check = ex.check_source
    assert "def judge(" in check and "def probe(" not in check and "import torch" not in check
    if slug in REFEREED:
        assert "def referee(" in (ex.referee_source or "")


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("slug", [s for s, e in EXERCISES.items() if e.kind == "numeric"])
async def test_numeric_checks_never_import_torch(boxes: dict[str, Sandbox], slug: str) -> None:
    ex = EXERCISES[slug]
    spy = (
        ex.probe_source
        + "\n\n_measured_probe = probe\n\n\ndef probe(ns, params):\n"
        + "    facts = _measured_probe(ns, params)\n    import sys\n"
        + "    facts['_heavy'] = [m for m in ('torch', 'numpy') if m in sys.modules]\n"
        + "    return facts\n"
    )
    spec = JobSpec(source=ex.solution, data=None, trace=False, probe_source=spy, timeout_s=30)
    found = [event async for event in boxes["numeric"].run(spec)]
    facts = next(e.data for e in found if isinstance(e, Facts))
    assert facts["_heavy"] == []


# -- equivalent answers pass ---------------------------------------------------------------

EX5_FUNCTIONAL = """
import torch
import torch.nn as nn
import torch.nn.functional as F


class SimpleCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
        )
        self.head = nn.Linear(1568, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.features(x)), 2)
        return self.head(torch.flatten(x, 1))
"""

EX6_FUNCTIONAL = """
import torch
import torch.nn as nn
import torch.nn.functional as F


class SimpleCNNBN(nn.Module):
    def __init__(self):
        super().__init__()
        self.block1 = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16))
        self.block2 = nn.Sequential(nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32))
        self.out = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        x = F.max_pool2d(torch.relu(self.block1(x)), 2)
        x = F.max_pool2d(self.block2(x).relu(), 2)
        return self.out(x.view(x.size(0), -1))
"""

EQUIVALENTS = [
    ("conv-arithmetic", [("(16, 32, 32)", "[16, 32, 32]"), ("(3, 16, 16)", "(3, 32 // 2, 16)")]),
    ("count-parameters", [('"mlp"', '"MLP"')]),
    (
        "reshape-pipeline",
        [
            (
                "X_t = torch.from_numpy(images / 255.0).float()",
                "X_t = torch.tensor(X, dtype=torch.float32).view(-1, 28, 28) / 255",
            ),
            ("torch.from_numpy(y).long()", "torch.tensor(y, dtype=torch.long)"),
            ("shuffle=True", "shuffle=False"),
        ],
    ),
    (
        "reshape-pipeline",
        [
            ("X.reshape(-1, 28, 28)", "np.reshape(X, (len(X), 28, 28))"),
            ("X_t = X_t.unsqueeze(1)", "X_t = X_t.reshape(-1, 1, 28, 28)"),
            ("torch.from_numpy(y).long()", "torch.as_tensor(y).to(torch.int64)"),
        ],
    ),
    ("module-class", [("x = torch.flatten(x, start_dim=1)", "x = x.flatten(1)")]),
    (
        "gpu-pipeline",
        [
            (
                "torch.from_numpy(np.transpose(X, (0, 3, 1, 2))).float() / 255.0",
                "torch.tensor(X, dtype=torch.float32).permute(0, 3, 1, 2) / 255",
            ),
            ("model = SmallNet().to(device)", "model = SmallNet()\nmodel.to(device)"),
            (".detach().cpu().numpy()", ".cpu().numpy()"),
        ],
    ),
]


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(
    ("slug", "edits"), EQUIVALENTS, ids=[f"{s}-{i}" for i, (s, _) in enumerate(EQUIVALENTS)]
)
async def test_an_equivalent_answer_passes(
    boxes: dict[str, Sandbox], slug: str, edits: list[tuple[str, str]]
) -> None:
    source = EXERCISES[slug].solution
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new)
    verdict = await check(boxes, slug, source)
    assert verdict.passed, [p for p in verdict.parts if not p.passed]


@pytest.mark.asyncio(loop_scope="module")
async def test_functional_relu_pooling_and_other_layer_names_pass(
    boxes: dict[str, Sandbox],
) -> None:
    for slug, source in (("module-class", EX5_FUNCTIONAL), ("batchnorm", EX6_FUNCTIONAL)):
        verdict = await check(boxes, slug, source)
        assert verdict.passed, (slug, [p for p in verdict.parts if not p.passed])


@pytest.mark.asyncio(loop_scope="module")
async def test_batchnorm_comparison_trains_both_models_the_same_number_of_epochs(
    boxes: dict[str, Sandbox],
) -> None:
    ex = EXERCISES["batchnorm"]
    verdict = await check(boxes, "batchnorm", ex.solution, params={})
    assert verdict.passed
    training = (verdict.facts or {})["training"]
    assert training["plain_from"] == "yours"
    for name in ("plain", "bn"):
        assert len(training[name]["loss"]) == len(training[name]["accuracy"]) == 3
    assert "observation" in (verdict.facts or {})
