"""Report a value to cnn-tutor yourself: ``import cnntutor; cnntutor.report(loss)``.

Inside ``cnn-tutor run`` and ``check``, losses of loss modules such as
``nn.CrossEntropyLoss`` and of loss functions such as ``F.cross_entropy`` are captured on
their own. Use ``report`` for anything else you want plotted: a loss of your own, or
another value per step or per epoch::

    import cnntutor

    for epoch in range(10):
        for x, y in loader:
            loss = my_loss(model(x), y)
            ...
            cnntutor.report(loss)                 # a float or a one-element tensor
        cnntutor.report(accuracy, name="accuracy", epoch=epoch + 1)

``step`` defaults to counting the calls of that name from 1, and ``epoch`` to the pass
over the DataLoader that is feeding the training (None without a DataLoader). Once a
script reports ``"loss"`` itself, automatic loss capture stops, so no step is counted
twice. Each call is sent as a ``loss`` event (with ``"name"`` when it is not ``"loss"``),
at most about 50 a second, the first and the last always (a ``note`` says when steps
were thinned). Outside the tutor ``report``
does nothing, so the same script runs anywhere.

``result(name, data)`` sends any JSON-able value as one ``result`` event (the
playground's training harness reports progress, accuracy and filters this way).
"""

from __future__ import annotations

import numbers

import torch

from tutor import events
from tutor.sandbox import trace

__all__ = ["report", "result"]


def report(
    value: float | torch.Tensor,
    *,
    step: int | None = None,
    epoch: int | None = None,
    name: str = "loss",
) -> None:
    """Send one value (a number or a one-element tensor) to the tutor's loss plot."""
    tracer = trace.active()
    if tracer is None:
        return
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            shape = tuple(value.shape)
            raise ValueError(
                f"cnntutor.report() takes one number, but got a tensor of shape {shape}; "
                "report loss.mean() or one element of it"
            )
        number: float | torch.Tensor = value.detach().reshape(())
    elif isinstance(value, numbers.Real):
        number = float(value)
    else:
        raise TypeError(
            f"cnntutor.report() takes a number or a one-element tensor, not {type(value).__name__}"
        )
    tracer.record(str(name), number, step=step, epoch=epoch, root=tracer.last_root, explicit=True)


def result(name: str, data: object) -> None:
    """Send one named JSON-able value to the tutor as {"type": "result", "name", "data"}."""
    tracer = trace.active()
    if tracer is None:
        return
    tracer._send(events.Result(name=str(name), data=data))
