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
        # The plain model's curve is the same on every check (same seed, data, torch and
        # model), so the tutor keeps it per machine and hands it back here.
        key = _plain_key(plain, settings)
        cached = (params.get("cache") or {}).get(key) if key else None
        known = {"plain": cached} if isinstance(cached, dict) else None
        training = train_compare({"plain": plain, "bn": ns[NAME]}, known=known, **settings)
        training["plain_from"] = origin
        training["plain_cached"] = known is not None
        if key and known is None and "error" not in training.get("plain", {}):
            facts["cache_put"] = {key: training["plain"]}
        facts["training"] = training
    return facts


def _plain_key(plain: Any, settings: dict[str, Any]) -> str | None:
    """What the plain run's curve depends on, hashed: torch, the settings, the data, the
    model's first weights and its first outputs on that data; None if it cannot be had."""
    import hashlib
    import json

    import torch

    from tutor.checks.probes import digits_tensors

    try:
        x_train, _, _, _ = digits_tensors(settings.get("n_train", 384), settings.get("n_test", 192))
        digest = hashlib.sha256(
            f"{torch.__version__}|{json.dumps(settings, sort_keys=True)}".encode()
        )
        digest.update(x_train.numpy().tobytes())
        torch.manual_seed(settings.get("seed", 0))
        model = plain()
        for name, value in model.state_dict().items():
            digest.update(name.encode())
            digest.update(value.detach().cpu().numpy().tobytes())
        with torch.no_grad():
            digest.update(model(x_train[:32]).numpy().round(5).tobytes())
    except Exception:
        return None
    return digest.hexdigest()[:32]
