"""The simulated GPU (a mock of CUDA, which this machine lacks) words each device mix-up as
CUDA PyTorch does, so exercise 8 and lesson 12 show the learner the message they will meet."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).parents[2]

SCRIPT = textwrap.dedent(
    """
    import torch, torch.nn as nn
    from tutor.checks import accelerator
    accelerator.install()
    device = torch.device("cuda")
    conv, linear = nn.Conv2d(1, 4, 3).to(device), nn.Linear(4, 2).to(device)
    cases = {
        "cpu batch, cuda conv": lambda: conv(torch.zeros(2, 1, 8, 8)),
        "cuda batch, cpu conv": lambda: nn.Conv2d(1, 4, 3)(torch.zeros(2, 1, 8, 8).to(device)),
        "cpu batch, cuda linear": lambda: linear(torch.zeros(3, 4)),
        "labels left behind": lambda: nn.functional.cross_entropy(
            linear(torch.zeros(3, 4).to(device)), torch.zeros(3, dtype=torch.long)
        ),
    }
    for name, run in cases.items():
        try:
            run()
            print(name, "|", "no error")
        except RuntimeError as exc:
            print(name, "|", exc)
    """
)


def test_simulated_gpu_words_each_device_mix_up_as_cuda_does() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    said = dict(line.split(" | ", 1) for line in result.stdout.splitlines())
    assert said["cpu batch, cuda conv"] == (
        "Input type (torch.FloatTensor) and weight type (torch.cuda.FloatTensor) should be the"
        " same or input should be a MKLDNN tensor and weight is a dense tensor"
    )
    assert said["cuda batch, cpu conv"] == (
        "Input type (torch.cuda.FloatTensor) and weight type (torch.FloatTensor) should be the same"
    )
    same_device = (
        "Expected all tensors to be on the same device, but found at least two devices, "
        "cuda:0 and cpu! (when checking argument for argument {} in method {})"
    )
    assert said["cpu batch, cuda linear"] == same_device.format("mat1", "wrapper_CUDA_addmm")
    assert said["labels left behind"] == same_device.format(
        "target", "wrapper_CUDA_nll_loss_forward"
    )
