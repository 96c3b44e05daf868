"""``run.watch(model)``: histograms of a PyTorch model's gradients and parameters.

Torch hooks, W&B's key names (``gradients/<name>``, ``parameters/<name>``),
every ``log_freq`` calls. The histograms are logged with ``commit=False``: they
join the row the training loop logs next. Torch is never imported here: a
model can only be a torch module if the user imported torch already.
"""

from __future__ import annotations

import sys

from ._errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

    from ._run import Run

LOGS = ("gradients", "parameters", "all", None)
BINS = 64


def _torch_modules(models: Any) -> list[Any]:
    models = list(models) if isinstance(models, (list, tuple)) else [models]
    torch = sys.modules.get("torch")
    module_type = getattr(getattr(torch, "nn", None), "Module", None)
    for model in models:
        if module_type is None or not isinstance(model, module_type):
            raise UsageError(f"watch() takes a torch.nn.Module (or a list of them), not {type(model).__name__}")
    return models


def _histogram(run: Run, tensor: Any) -> Any:
    """A ``Histogram`` of a tensor, binned by torch itself (no numpy needed)."""
    flat = tensor.detach().float().reshape(-1)
    flat = flat[flat.isfinite()]
    if flat.numel() == 0:
        return None
    lo, hi = float(flat.min()), float(flat.max())
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    counts = flat.cpu().histc(bins=BINS, min=lo, max=hi)
    step = (hi - lo) / BINS
    edges = [lo + i * step for i in range(BINS)] + [hi]
    return run._histogram(np_histogram=([int(c) for c in counts.tolist()], edges))


def watch(
    run: Run,
    models: Any,
    *,
    criterion: Any = None,
    log: Optional[str] = "gradients",
    log_freq: int = 1000,
    idx: Optional[int] = None,
    log_graph: bool = False,
) -> None:
    if log not in LOGS:
        raise UsageError(f"log must be one of gradients, parameters, all or None, not {log!r}")
    if isinstance(log_freq, bool) or not isinstance(log_freq, int) or log_freq < 1:
        raise UsageError(f"log_freq must be a positive integer, not {log_freq!r}")
    modules = _torch_modules(models)
    if log_graph:
        run._warn("watch", "watch(log_graph=True): Cairn does not draw model graphs yet; ignored")
    watched: dict[int, list[Any]] = run.__dict__.setdefault("_watched", {})
    for model in modules:
        if id(model) in watched:
            continue
        handles: list[Any] = []
        if log in ("parameters", "all"):
            handles.append(model.register_forward_hook(_parameters_hook(run, model, log_freq)))
        if log in ("gradients", "all"):
            for name, param in model.named_parameters():
                if param.requires_grad:
                    handles.append(param.register_hook(_gradient_hook(run, name, log_freq)))
        watched[id(model)] = handles


def _parameters_hook(run: Run, model: Any, log_freq: int) -> Any:
    calls = [0]

    def hook(module: Any, inputs: Any, outputs: Any) -> None:
        calls[0] += 1
        if (calls[0] - 1) % log_freq:
            return
        row = {}
        for name, param in model.named_parameters():
            hist = _histogram(run, param)
            if hist is not None:
                row[f"parameters/{name}"] = hist
        if row:
            run.log(row, commit=False)

    return hook


def _gradient_hook(run: Run, name: str, log_freq: int) -> Any:
    calls = [0]
    key = f"gradients/{name}"

    def hook(grad: Any) -> None:
        calls[0] += 1
        if (calls[0] - 1) % log_freq:
            return
        hist = _histogram(run, grad)
        if hist is not None:
            run.log({key: hist}, commit=False)

    return hook


def unwatch(run: Run, models: Any = None) -> None:
    watched: dict[int, list[Any]] = run.__dict__.get("_watched", {})
    if models is None:
        keys = list(watched)
    else:
        keys = [id(m) for m in (models if isinstance(models, (list, tuple)) else [models])]
    for key in keys:
        for handle in watched.pop(key, []):
            handle.remove()
