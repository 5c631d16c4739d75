"""What the hardware gives: throughput and memory, the measurements of deep dive 11."""
import torch

from utils import calc_grad, time_it


# ----------------------- deep dive 11: samples per second, what a step keeps, running out of memory

def epoch_throughput(model, dl, opt, device=None, warmup=1, repeats=3):
    "Samples/s of whole training epochs over `dl` (median of `repeats` after `warmup`, `time_it`)."
    # The caller makes the model, loader and optimiser: only the epochs are timed. Each batch moves
    # to `device` inside the timer, as it must in training (a no-op for tensors already there).
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be a positive integer, got {repeats!r}")
    counts = []

    def epoch():
        n = 0
        for xb, yb in dl:
            if device is not None:
                xb, yb = xb.to(device), yb.to(device)
            calc_grad(xb, yb, model)
            opt.step()
            opt.zero_grad()
            n += len(xb)
        counts.append(n)

    seconds = time_it(epoch, warmup=warmup, repeats=repeats)
    if counts[-1] == 0:
        raise ValueError("the loader yielded no batch: there is no epoch to time")
    return counts[-1] / seconds


def saved_for_backward(fn, exclude=()):
    "The tensors autograd saves for the backward pass while `fn()` runs, each once, less `exclude`."
    # saved_tensors_hooks(pack, unpack) hands every tensor autograd stores to `pack`; we note it and
    # keep it unchanged. Tensors sharing memory with `exclude` (e.g. the parameters) are skipped.
    skip = {t.data_ptr() for t in exclude}
    saved = {}

    def pack(t):
        if t.data_ptr() not in skip:
            saved.setdefault((t.data_ptr(), t.numel(), t.dtype), t)
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn()
    return list(saved.values())


def sweep_until_oom(fn, sizes):
    "`fn(size)` per size until one runs out of memory: `({size: result}, failing size or None)`"
    results = {}
    for size in sizes:
        try:
            results[size] = fn(size)
            continue
        except RuntimeError as e:  # torch.cuda.OutOfMemoryError is a RuntimeError
            if not _is_oom(e):
                raise
        # outside the except block the traceback, and the tensors its frames held, are gone:
        # free the cache
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        return results, size
    return results, None


def _is_oom(e):
    "True for an out-of-memory error: torch.cuda.OutOfMemoryError, or a RuntimeError that says so."
    msg = str(e).lower()
    return isinstance(e, torch.cuda.OutOfMemoryError) or (
        isinstance(e, RuntimeError) and ("out of memory" in msg or "can't allocate memory" in msg))
