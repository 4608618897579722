"""Probe for exercise 6, run beside the answer in the sandbox (it holds no expected value).

It builds the learner's class, records the order in which its layers run in one forward
pass (to name a mistake), hands the referee a fresh instance's weights filled from the
challenge seed and its outputs on the challenge inputs, and (when the model runs and uses
BatchNorm) trains it and a plain SimpleCNN for the same few epochs with the same seed,
returning both loss curves and both test accuracies. The learner's `observation` is kept,
not graded.
"""

from __future__ import annotations

from typing import Any

NAME = "SimpleCNNBN"
PLAIN = "SimpleCNN"
BATCH = (8, 1, 28, 28)


def _without_batchnorm(cls: Any) -> Any:
    """A builder of the learner's own SimpleCNNBN with every BatchNorm taken out.

    The plain baseline when the learner's SimpleCNN does not run: the same model without
    BatchNorm, so the comparison needs no model of the tutor's inside the sandbox.
    """
    import torch.nn as nn

    def build() -> Any:
        model = cls()
        for module in list(model.modules()):
            for name, child in list(module.named_children()):
                if isinstance(child, nn.modules.batchnorm._BatchNorm):
                    setattr(module, name, nn.Identity())
        return model

    return build


def _plain_class(ns: dict[str, Any]) -> tuple[Any, str]:
    """The learner's SimpleCNN if it builds and gives (8, 10); else SimpleCNNBN without BN."""
    from tutor.checks.probes import class_facts, construct, forward_facts

    if class_facts(ns, PLAIN)["kind"] == "module":
        model, error = construct(ns[PLAIN])
        if model is not None and forward_facts(model, BATCH).get("output") == [BATCH[0], 10]:
            return ns[PLAIN], "yours"
    return _without_batchnorm(ns[NAME]), "reference"


def probe(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    from tutor.checks import evidence
    from tutor.checks.models import call_kind
    from tutor.checks.probes import class_facts, construct, model_facts, train_compare

    note = ns.get("observation")
    facts: dict[str, Any] = {
        "class": class_facts(ns, NAME),
        "observation": note[:1000] if isinstance(note, str) else None,
    }
    if facts["class"]["kind"] != "module":
        return facts
    model, error = construct(ns[NAME])
    if error:
        facts["construct_error"] = error
        return facts
    facts["model"] = model_facts(model, BATCH)
    fresh, _ = construct(ns[NAME])
    if fresh is not None:
        evidence.save(evidence.model_evidence(fresh, evidence.challenge(), BATCH))
    forward = facts["model"]["forward"]
    uses_bn = any(call_kind(call) == "bn" for call in forward.get("calls", []))
    if forward.get("output") == [BATCH[0], 10] and uses_bn:
        plain, origin = _plain_class(ns)
        settings = {
            k: params[k] for k in ("epochs", "n_train", "n_test", "lr", "seed") if k in params
        }
        facts["training"] = train_compare({"plain": plain, "bn": ns[NAME]}, **settings)
        facts["training"]["plain_from"] = origin
    return facts
