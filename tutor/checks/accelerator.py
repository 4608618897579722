"""A simulated CUDA GPU, so device mistakes show up on machines that have none.

Runs inside the sandbox only (torch is imported by `install`, never at import time).
PyTorch's "meta" device plays the part of the GPU: tensors there have shapes and dtypes
but no data, and mixing them with CPU tensors in one operation raises the error a real
GPU gives there: a CPU batch into a CUDA convolution "Input type (torch.FloatTensor) and
weight type (torch.cuda.FloatTensor) should be the same ...", anything else (a Linear,
labels left behind in the loss) "Expected all tensors to be on the same device ...".
While installed:

- `torch.cuda.is_available()` is True, and `torch.device("cuda")` is accepted anywhere a
  device is (`.to(device)`, `.cuda()`, `device=` of factories, `model.to(device)`);
- an operation that mixes GPU and CPU tensors raises, as on CUDA (0-dim CPU scalars are
  allowed, as on CUDA);
- copying back with `.cpu()` or `.to("cpu")` gives zeros of the right shape and dtype
  (a simulated GPU keeps no values), `.item()` gives 0, and `.numpy()` on a GPU tensor
  raises the error CUDA gives, asking for `.cpu()` first.

The probe reads real values by running a second time on the CPU.
"""

from __future__ import annotations

import re
from typing import Any

SIMULATED_NAME = "simulated GPU (no CUDA device on this machine)"
_CUDA_TEXT = re.compile(r"^cuda(:\d+)?$")
# Functions that move or describe tensors rather than compute with them: mixing is fine.
_NO_MIX_CHECK = {
    "to",
    "cpu",
    "cuda",
    "copy_",
    "__get__",
    "__set__",
    "_has_compatible_shallow_copy_type",
    "__setitem__",
    "set_",
    "numpy",
    "item",
    "tolist",
    "__repr__",
    "__format__",
    "__str__",
    "size",
    "dim",
    "is_floating_point",
    "detach",
    "requires_grad_",
    "_parse_to",
    "device",
    "__reduce_ex__",
    "__deepcopy__",
    "data_ptr",
    "storage_offset",
    "stride",
    "numel",
    "_is_view",
    "is_contiguous",
    "element_size",
}
_LOSSES = {"cross_entropy", "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy"}
_CONVS = {
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
}
# Where CUDA PyTorch reports the mix-up for the commonest cases: (argument, method).
_WHERE = {
    ("linear", "input"): ("mat1", "wrapper_CUDA_addmm"),
    ("cross_entropy", "target"): ("target", "wrapper_CUDA_nll_loss_forward"),
    ("nll_loss", "target"): ("target", "wrapper_CUDA_nll_loss_forward"),
}
_TYPE_NAMES = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "float16": "HalfTensor",
    "bfloat16": "BFloat16Tensor",
    "int64": "LongTensor",
    "int32": "IntTensor",
    "int16": "ShortTensor",
    "int8": "CharTensor",
    "uint8": "ByteTensor",
    "bool": "BoolTensor",
}


def type_name(dtype: Any, on_gpu: bool) -> str:
    """A tensor type as PyTorch's messages print it: torch.FloatTensor, torch.cuda.FloatTensor."""
    name = _TYPE_NAMES.get(str(dtype).removeprefix("torch."), "Tensor")
    return f"torch.cuda.{name}" if on_gpu else f"torch.{name}"


def conv_mix_message(input_dtype: Any, input_on_gpu: bool, other: str, other_dtype: Any) -> str:
    """PyTorch's message for a convolution whose input and weight (or bias) devices differ.

    A CPU input goes to the CPU (MKLDNN) convolution, whose message adds a clause."""
    message = (
        f"Input type ({type_name(input_dtype, input_on_gpu)}) and {other} type "
        f"({type_name(other_dtype, not input_on_gpu)}) should be the same"
    )
    if not input_on_gpu:
        message += f" or input should be a MKLDNN tensor and {other} is a dense tensor"
    return message


_installed: dict[str, Any] = {}


def is_simulated(device: Any) -> bool:
    """Whether a tensor's device is the simulated GPU."""
    return getattr(device, "type", device) == "meta"


def install() -> None:
    """Pretend a CUDA GPU exists, for the rest of this process (idempotent)."""
    if _installed:
        return
    import torch
    from torch.overrides import TorchFunctionMode

    meta = torch.device("meta")
    cuda_view = torch.device("cuda", 0)

    def translate(value: Any) -> Any:
        if isinstance(value, torch.device) and value.type == "cuda":
            return meta
        if isinstance(value, str) and _CUDA_TEXT.match(value):
            return meta
        return value

    def tensors_in(args: Any, kwargs: dict[str, Any]) -> list[tuple[Any, Any]]:
        found = []
        for key, value in [*enumerate(args), *kwargs.items()]:
            if isinstance(value, torch.Tensor):
                found.append((key, value))
            elif isinstance(value, (list, tuple)):
                found.extend((key, v) for v in value if isinstance(v, torch.Tensor))
        return found

    def conv_mixed(args: Any, kwargs: dict[str, Any]) -> str | None:
        values = [*args, None, None, None][:3]
        x = kwargs.get("input", values[0])
        for other, tensor in (
            ("weight", kwargs.get("weight", values[1])),
            ("bias", kwargs.get("bias", values[2])),
        ):
            if not isinstance(x, torch.Tensor) or not isinstance(tensor, torch.Tensor):
                continue
            x_gpu, other_gpu = x.device.type == "meta", tensor.device.type == "meta"
            if x_gpu != other_gpu:
                return conv_mix_message(x.dtype, x_gpu, other, tensor.dtype)
        return None

    def mixed(name: str, args: Any, kwargs: dict[str, Any]) -> str | None:
        if name in _CONVS:
            return conv_mixed(args, kwargs)
        found = tensors_in(args, kwargs)
        on_gpu = [key for key, t in found if t.device.type == "meta"]
        on_cpu = [key for key, t in found if t.device.type == "cpu" and t.dim() > 0]
        if not on_gpu or not on_cpu:
            return None
        where = on_cpu[0]
        if name in _LOSSES:
            role = "input" if where in (0, "input") else "target"
        else:
            role = "input" if where in (0, "input") else "weight"
        role, method = _WHERE.get((name, role), (role, name))
        return (
            "Expected all tensors to be on the same device, but found at least two devices, "
            f"cuda:0 and cpu! (when checking argument for argument {role} in method {method})"
        )

    class SimulatedCuda(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
            kwargs = dict(kwargs or {})
            name = getattr(func, "__name__", "")
            owner = getattr(getattr(func, "__self__", None), "__name__", None)
            if name == "__get__" and owner in ("device", "is_cuda") and args:
                tensor = args[0]
                if isinstance(tensor, torch.Tensor) and tensor.device.type == "meta":
                    return cuda_view if owner == "device" else True
            if "device" in kwargs:
                kwargs["device"] = translate(kwargs["device"])
            first = args[0] if args else None
            on_gpu = isinstance(first, torch.Tensor) and first.device.type == "meta"
            if name in ("to", "_parse_to"):
                args = tuple(translate(a) for a in args)
                target = next((a for a in args[1:] if isinstance(a, (torch.device, str))), None)
                target = kwargs.get("device", target)
                if on_gpu and target is not None and torch.device(target).type == "cpu":
                    return _zeros_like_on_cpu(torch, first, args, kwargs)
            elif name == "cuda" and isinstance(first, torch.Tensor):
                return first.to(meta)
            elif on_gpu and name == "cpu":
                return _zeros_like_on_cpu(torch, first, (), {})
            elif on_gpu and name in ("item", "__float__", "__int__", "__index__"):
                zero = 0.0 if first.is_floating_point() else 0
                return {"__float__": 0.0, "__int__": 0, "__index__": 0}.get(name, zero)
            elif on_gpu and name == "__bool__":
                return False
            elif on_gpu and name == "tolist":
                return torch.zeros(first.shape, dtype=first.dtype).tolist()
            elif on_gpu and name == "numpy":
                raise TypeError(
                    "can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to "
                    "copy the tensor to host memory first."
                )
            elif on_gpu and name in ("__repr__", "__str__", "__format__"):
                text = func(*args, **kwargs)
                return text.replace("device='meta'", "device='cuda:0'")
            if name not in _NO_MIX_CHECK:
                problem = mixed(name, args, kwargs)
                if problem:
                    raise RuntimeError(problem)
            return func(*args, **kwargs)

    saved = {
        name: getattr(torch.cuda, name)
        for name in (
            "is_available",
            "device_count",
            "get_device_name",
            "current_device",
            "synchronize",
            "empty_cache",
        )
    }
    torch.cuda.is_available = lambda: True
    torch.cuda.device_count = lambda: 1
    torch.cuda.get_device_name = lambda device=None: SIMULATED_NAME
    torch.cuda.current_device = lambda: 0
    torch.cuda.synchronize = lambda device=None: None
    torch.cuda.empty_cache = lambda: None
    mode = SimulatedCuda()
    mode.__enter__()
    _installed.update(saved=saved, mode=mode)


def uninstall() -> None:
    """Undo `install`: the real torch.cuda again, and no device translation."""
    if not _installed:
        return
    import torch

    _installed["mode"].__exit__(None, None, None)
    for name, value in _installed["saved"].items():
        setattr(torch.cuda, name, value)
    _installed.clear()


def _zeros_like_on_cpu(torch: Any, tensor: Any, args: Any, kwargs: dict[str, Any]) -> Any:
    """What `.cpu()` of a simulated GPU tensor gives: zeros, shaped and typed alike."""
    dtype = kwargs.get("dtype") or next(
        (a for a in args[1:] if isinstance(a, torch.dtype)), tensor.dtype
    )
    return torch.zeros(tensor.shape, dtype=dtype)
