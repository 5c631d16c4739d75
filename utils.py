"""Shared helpers for the SGD and mini-batches course (fastbook chapter 4).

Each helper is first derived in a notebook, then kept here because a later notebook reuses it.
Names follow the book; the book's globals (`dl`, `opt`, `weights`) become explicit arguments.
"""
import math
import os
import random
import shutil
import tarfile
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch

COURSE_DIR = Path(__file__).resolve().parent
DATA_DIR = COURSE_DIR / "data"
ARCHIVE_ENV = "MNIST_SAMPLE_TGZ"
DEVICE_ENV = "COURSE_DEVICE"  # the tests set it to cpu: the saved outputs are the CPU's
MNIST_PARTS = ("train/3", "train/7", "valid/3", "valid/7", "labels.csv")

# fastai 2.8.12 decorates a few of its functions with `torch.jit.script`, which torch 2.14
# deprecates with a FutureWarning when fastai is imported. It is about fastai's internals, not the
# course's code, so that one message is silenced here; import utils before fastai: it never shows.
warnings.filterwarnings("ignore", message=r"`torch\.jit\.script` is deprecated",
                        category=FutureWarning)


# -------------------------------------------------------------------------------------- environment

def set_seed(seed=42):
    "Seed Python's, NumPy's and torch's random generators so shuffles and inits repeat."
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return seed


def get_device():
    "The best device: CUDA, then Apple's MPS, then the CPU; $COURSE_DEVICE (e.g. cpu) overrides."
    if os.environ.get(DEVICE_ENV):
        return torch.device(os.environ[DEVICE_ENV])
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


# --------------------------------------------------------------------------------------------- data

def _is_mnist_sample(folder):
    return all((Path(folder) / part).exists() for part in MNIST_PARTS)


def _safe_extract(tar, folder):
    "Extract plain files and folders only, all inside `folder` (Python < 3.11.4 has no filter)."
    if hasattr(tarfile, "data_filter"):
        return tar.extractall(folder, filter="data")
    root = Path(folder).resolve()
    for member in tar.getmembers():
        target = (root / member.name).resolve()
        if not (member.isfile() or member.isdir()) or root not in [target, *target.parents]:
            raise tarfile.TarError(f"refusing to extract {member.name!r}")
    tar.extractall(folder)


def _extract_archive(archive, dest):
    "Extract `archive` into a temporary folder beside `dest`; move it into place once complete."
    archive = Path(archive)
    if not archive.is_file():
        raise FileNotFoundError(
            f"{ARCHIVE_ENV} points at {archive}, which is not a file. Point it at a copy of "
            f"mnist_sample.tgz, or unset it to download the data with fastai.")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".mnist_sample-", dir=dest.parent))
    try:
        try:
            with tarfile.open(archive) as tar:
                _safe_extract(tar, tmp)
        except (tarfile.TarError, EOFError, OSError) as e:
            raise RuntimeError(
                f"{archive} is not a readable .tgz archive ({e}). Fetch a fresh copy of "
                f"mnist_sample.tgz, or unset {ARCHIVE_ENV} to download the data with fastai."
            ) from e
        found = [p for p in [tmp, *tmp.iterdir()] if p.is_dir() and _is_mnist_sample(p)]
        if not found:
            raise RuntimeError(
                f"{archive} does not hold the MNIST sample (expected {', '.join(MNIST_PARTS)}). "
                f"Fetch a fresh copy of mnist_sample.tgz.")
        try:
            os.replace(found[0], dest)
        except OSError:
            if not _is_mnist_sample(dest):  # else another process finished the same extraction
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def mnist_sample_path(data_dir=None):
    "Folder of the MNIST 3s-and-7s sample: from $MNIST_SAMPLE_TGZ when set, else fastai's download."
    data_dir = Path(data_dir) if data_dir is not None else DATA_DIR
    dest = data_dir / "mnist_sample"
    if _is_mnist_sample(dest):
        return dest
    archive = os.environ.get(ARCHIVE_ENV)
    if archive:
        return _extract_archive(archive, dest)
    from fastai.data.external import URLs, untar_data
    try:
        return untar_data(URLs.MNIST_SAMPLE, data=data_dir, archive=data_dir / "archive")
    except Exception as e:
        raise RuntimeError(
            f"Could not download the MNIST sample ({type(e).__name__}: {e}). "
            f"Check your network, or work offline: "
            f"set {ARCHIVE_ENV}=/path/to/mnist_sample.tgz (see data/README.md)."
        ) from e


def load_digits(folder):
    "Every PNG in `folder`, in sorted order, as one float tensor (n, 28, 28) scaled to [0, 1]."
    from PIL import Image
    files = sorted(Path(folder).glob("*.png"))
    if not files:
        raise FileNotFoundError(f"No PNG images in {folder}: is the MNIST sample complete?")
    pixels = np.stack([np.asarray(Image.open(f)) for f in files])
    return torch.from_numpy(pixels).float() / 255


def mnist_tensors(path):
    "The book's `train_x, train_y, valid_x, valid_y`: x (n, 784) in [0, 1], y (n, 1), 1 for a 3."
    out = []
    for split in ("train", "valid"):
        threes = load_digits(Path(path) / split / "3")
        sevens = load_digits(Path(path) / split / "7")
        out.append(torch.cat([threes, sevens]).view(-1, 28 * 28))
        out.append(torch.tensor([1] * len(threes) + [0] * len(sevens)).unsqueeze(1))
    return tuple(out)


# ------------------------------------------------------- model, loss and training (notebooks 04-05)

def init_params(size, std=1.0, device=None):
    "Parameters of shape `size` from N(0, std²), drawn on the CPU (same on any device), with grads."
    return (torch.randn(size) * std).to(device).requires_grad_()


def mnist_loss(predictions, targets):
    "Mean distance of sigmoid(predictions) from the targets (1 for a 3, 0 for a 7)."
    predictions = predictions.sigmoid()
    return torch.where(targets == 1, 1 - predictions, predictions).mean()


def batch_accuracy(xb, yb):
    "Fraction of a batch whose prediction (sigmoid > 0.5) matches its 0/1 target."
    preds = xb.sigmoid()
    correct = (preds > 0.5) == yb
    return correct.float().mean()


def calc_grad(xb, yb, model):
    "Add the gradient of `mnist_loss` on one batch to the parameters' `.grad`."
    loss = mnist_loss(model(xb), yb)
    loss.backward()
    return loss


def train_epoch(model, dl, opt):
    "One pass over `dl`: a gradient step after every mini-batch."
    for xb, yb in dl:
        calc_grad(xb, yb, model)
        opt.step()
        opt.zero_grad()


def validate_epoch(model, dl):
    "Mean of the batch accuracies over `dl`, rounded to 4 places as the book prints it."
    with torch.no_grad():
        accs = [batch_accuracy(model(xb), yb) for xb, yb in dl]
    return round(torch.stack(accs).mean().item(), 4)


class BasicOptim:
    "The book's optimiser: `step` does p -= lr * p.grad, `zero_grad` clears the gradients."
    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    def step(self, *args, **kwargs):
        for p in self.params:
            p.data -= p.grad.data * self.lr

    def zero_grad(self, *args, **kwargs):
        for p in self.params:
            p.grad = None


def train_model(model, train_dl, valid_dl, opt, epochs):
    "Train for `epochs` epochs; return the validation accuracy after each one."
    accs = []
    for _ in range(epochs):
        train_epoch(model, train_dl, opt)
        accs.append(validate_epoch(model, valid_dl))
    return accs


# ------------------------------------------------------------- the fast tensor loader (notebook 08)

class TensorLoader:
    "Batches `(x[idx], y[idx])` gathered on the tensors' own device; same as torch's DataLoader."
    def __init__(self, x, y, batch_size=1, shuffle=False, drop_last=False, generator=None):
        if (isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer))
                or batch_size < 1):
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        if not (torch.is_tensor(x) and torch.is_tensor(y)):
            raise TypeError(f"x and y must be tensors, "
                            f"got {type(x).__name__} and {type(y).__name__}")
        if x.dim() == 0 or y.dim() == 0:
            raise ValueError("x and y must have a first (batch) dimension, got a 0-d tensor")
        if len(x) != len(y):
            raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
        if len(x) == 0:
            raise ValueError("the dataset is empty: there is nothing to batch")
        if x.device != y.device:
            raise ValueError(f"x and y must be on the same device, got {x.device} and {y.device}")
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
        self.x, self.y, self.bs = x, y, int(batch_size)
        self.shuffle, self.drop_last, self.generator = bool(shuffle), bool(drop_last), generator

    def __len__(self):
        n = len(self.x)
        return n // self.bs if self.drop_last else math.ceil(n / self.bs)

    def __iter__(self):
        # Like torch's DataLoader iterator: one int64 drawn for worker seeds as each epoch starts,
        # shuffled or not
        torch.empty((), dtype=torch.int64).random_(generator=self.generator)
        return self._batches()

    def _batches(self):
        n, bs, g = len(self.x), self.bs, self.generator
        if self.shuffle:
            if g is None:  # RandomSampler then seeds a fresh generator from torch's global one
                seed = int(torch.empty((), dtype=torch.int64).random_().item())
                g = torch.Generator().manual_seed(seed)
            order = torch.randperm(n, generator=g).to(self.x.device)  # the only host-to-device copy
        else:
            order = torch.arange(n, device=self.x.device)
        for i in range(n // bs):
            idx = order[i * bs:(i + 1) * bs]
            yield self.x[idx], self.y[idx]
        if self.shuffle:  # RandomSampler's second (empty) tail permutation, as its items run out
            torch.randperm(n, generator=g)
        if n % bs and not self.drop_last:
            idx = order[n // bs * bs:]
            yield self.x[idx], self.y[idx]


# --------------------------------------------------------- batch-size experiments (notebooks 09-11)

def make_linear(seed=42, device=None):
    "A fresh nn.Linear(28*28, 1) initialised from `seed` (global RNG untouched): same every run."
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = torch.nn.Linear(28 * 28, 1)
    return model.to(device)


def accuracy(model, x, y):
    "`batch_accuracy` of the whole of `x`, `y` as one batch, as a float (no gradients)."
    with torch.no_grad():
        return batch_accuracy(model(x), y).item()


def train_steps(model, dl, opt, steps):
    "Take `steps` SGD steps over `dl`, starting a new epoch whenever it runs out; return each loss."
    losses = []
    while len(losses) < steps:
        for xb, yb in dl:
            losses.append(calc_grad(xb, yb, model).item())
            opt.step()
            opt.zero_grad()
            if len(losses) == steps:
                break
    return losses


def per_sample_grads(model, x, y):
    "Gradient of `mnist_loss` for each sample of a linear model in closed form: (n, 785) float64."
    with torch.no_grad():
        s = model(x).double().sigmoid()
        dz = s * (1 - s) * torch.where(y == 1, -1.0, 1.0).double()
        return torch.cat([dz * x.double(), dz], dim=1)


def mnist_hessian(model, x, y):
    "Exact Hessian of the mean `mnist_loss` of a linear model in (weights, bias): (785, 785) f64."
    with torch.no_grad():
        s = model(x).double().sigmoid()
        d2z = s * (1 - s) * (1 - 2 * s) * torch.where(y == 1, -1.0, 1.0).double()
        xa = torch.cat([x.double(), torch.ones(len(x), 1, dtype=torch.float64, device=x.device)], 1)
        return (xa * d2z).T @ xa / len(x)


# ------------------------------------------------------------ steps and learning rate (notebook 10)

class LinearStack(torch.nn.Module):
    "`runs` × `lrs` copies of `make_linear(seed)`: `weight` (runs, lrs, 785), bias last."
    def __init__(self, runs, lrs, seed=42):
        super().__init__()
        one = make_linear(seed)
        w = torch.cat([one.weight.detach(), one.bias.detach()[:, None]], 1)  # (1, 785)
        self.weight = torch.nn.Parameter(w.expand(runs, lrs, -1).clone())

    def forward(self, x):
        "x: (B, 784), one batch for all copies, or `runs` batches (B, 784) -> (runs, B, lrs)."
        w, b = self.weight[..., :-1], self.weight[..., -1]
        if torch.is_tensor(x) and x.dim() == 2:  # one matmul for every copy, no copy of x per run
            out = x @ w.reshape(-1, w.shape[-1]).T + b.reshape(-1)
            return out.view(len(x), *b.shape).permute(1, 0, 2)
        if len(x) != len(w):
            raise ValueError(f"expected one batch per run ({len(w)}), got {len(x)}")
        # one matmul per run: torch's batched matmul has a slow backward for these shapes on the CPU
        return torch.stack([torch.nn.functional.linear(xr, wr, br) for xr, wr, br in zip(x, w, b)])


def stack_loss(preds, targets):
    "`mnist_loss` of every copy of a LinearStack: preds (runs, B, lrs) -> losses (runs, lrs)."
    preds = preds.sigmoid()
    return torch.where(targets == 1, 1 - preds, preds).mean(-2)


def stack_accuracy(model, x, y):
    "`batch_accuracy` of every copy of a LinearStack on all of `x`, `y`: (runs, lrs), no gradients."
    with torch.no_grad():
        return ((model(x).sigmoid() > 0.5) == y).float().mean(-2)


def stack_batches(loaders):
    "Batch i of every loader, epoch after epoch: (the x batches, their y stacked (runs, B, 1))."
    from itertools import zip_longest
    lengths = {len(dl) for dl in loaders}
    if len(lengths) != 1:
        raise ValueError(f"the loaders must make the same number of batches, got {sorted(lengths)}")
    while True:
        # zip_longest, not zip: zip stops at the first exhausted loader, and the others would skip
        # the random draws they make as an epoch ends: their next epoch would differ from a lone run
        for batches in zip_longest(*loaders):
            yield tuple(xb for xb, _ in batches), torch.stack([yb for _, yb in batches])


def stack_step(model, xb, yb, opt):
    "One `opt` step of every copy: the sum of the losses has, in each copy's weights, its gradient."
    losses = stack_loss(model(xb), yb)
    losses.sum().backward()
    opt.step()
    opt.zero_grad()
    return losses.detach()


def fit_critical_batch(batch_sizes, steps):
    "McCandlish et al.'s S(B) = S_min(1 + B_crit/B), least squares (relative errors): S_min, B_crit"
    b, s = np.asarray(batch_sizes, dtype=float), np.asarray(steps, dtype=float)
    if b.ndim != 1 or b.shape != s.shape or len(b) < 2:
        raise ValueError(f"need two 1-d sequences of the same length >= 2, "
                         f"got shapes {b.shape}, {s.shape}")
    if not (np.isfinite(b).all() and np.isfinite(s).all() and (b > 0).all() and (s > 0).all()):
        raise ValueError("batch sizes and steps must be positive and finite")
    # S = S_min + S_min·B_crit/B, each row divided by S
    a = np.stack([np.ones_like(b), 1 / b], axis=1) / s[:, None]
    (s_min, s_min_b_crit), *_ = np.linalg.lstsq(a, np.ones_like(s), rcond=None)
    return float(s_min), float(s_min_b_crit / s_min)



# --------------------------------------------------- throughput, memory and shuffling (notebook 11)

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


# ------------------------------------------------------------------------ measurement (notebook 09)

def synchronize():
    "Wait for the GPU work queued so far (CUDA or MPS) to finish, so a clock reads real time."
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        torch.mps.synchronize()


def time_it(fn, warmup=1, repeats=5):
    "Median seconds of `repeats` calls of `fn()` after `warmup` untimed ones; synchronised on GPUs."
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        synchronize()
        start = time.perf_counter()
        fn()
        synchronize()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def peak_memory(fn):
    "Peak bytes of the tensors `fn()` makes, and `(bytes, shape, dtype, op)` of those alive then."
    # Every operation PyTorch runs inside fn, backward included, passes through a dispatch mode that
    # adds each new result's bytes and takes off those of results freed since. A view or an
    # in-place result shares memory it already counted (or that existed before fn: parameters, the
    # data) and adds nothing. It counts tensors, not the allocator's rounding and caches: the same
    # bytes on every machine and device.
    from torch.multiprocessing.reductions import StorageWeakRef
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_leaves
    live, state = {}, {"now": 0, "peak": 0, "at_peak": []}

    class Count(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            for ref in [r for r in live if r.expired()]:  # freed since the last operation
                state["now"] -= live.pop(ref)[0]
            seen = {StorageWeakRef(t.untyped_storage())
                    for t in tree_leaves((args, kwargs)) if torch.is_tensor(t)}
            for t in tree_leaves(out):
                ref = StorageWeakRef(t.untyped_storage()) if torch.is_tensor(t) else None
                if ref is not None and ref not in live and ref not in seen:
                    live[ref] = (t.untyped_storage().nbytes(), tuple(t.shape), t.dtype,
                                 func.overloadpacket.__name__)
                    state["now"] += live[ref][0]
            if state["now"] > state["peak"]:
                state["peak"], state["at_peak"] = state["now"], list(live.values())
            return out

    with Count():
        fn()
    return state["peak"], state["at_peak"]


def _flat_grads(per_sample_grads, batch_size):
    g = per_sample_grads.flatten(1).double()
    if (isinstance(batch_size, bool) or not isinstance(batch_size, int)
            or not 1 <= batch_size <= len(g)):
        raise ValueError(f"batch_size must be an integer from 1 to {len(g)}, got {batch_size!r}")
    return g


def grad_noise(per_sample_grads, batch_size):
    "Exact E|mean of a without-replacement batch − full mean|² = tr(Σ)/B·(N−B)/(N−1)."
    g = _flat_grads(per_sample_grads, batch_size)
    n = len(g)
    if n == 1:
        return 0.0
    tr_sigma = (g - g.mean(0)).pow(2).sum(1).mean()  # tr(Σ), Σ the population covariance (÷ N)
    return (tr_sigma / batch_size * (n - batch_size) / (n - 1)).item()


def grad_noise_draws(per_sample_grads, batch_size, draws=100, generator=None):
    "|mean of a random without-replacement batch − full mean|² of `draws` batches: (draws,) float64"
    g = _flat_grads(per_sample_grads, batch_size)
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
        raise ValueError(f"draws must be a positive integer, got {draws!r}")
    n = len(g)
    batches = [torch.randperm(n, generator=generator)[:batch_size].to(g.device)
               for _ in range(draws)]
    if batch_size * 32 <= n:  # small batches: gather their rows
        means = torch.stack([g[idx].mean(0) for idx in batches])
    else:  # large ones: one product with a (draws, n) matrix of weights 1/B, faster than gathers
        weights = torch.zeros(draws, n, dtype=g.dtype, device=g.device)
        means = weights.scatter_(1, torch.stack(batches), 1.0 / batch_size) @ g
    return (means - g.mean(0)).pow(2).sum(1)


def grad_noise_mc(per_sample_grads, batch_size, draws=100, generator=None):
    "Monte-Carlo mean of |mean of a random without-replacement batch − full mean|² over `draws`."
    return grad_noise_draws(per_sample_grads, batch_size, draws, generator).mean().item()


def noise_scale(per_sample_grads):
    "McCandlish et al.'s simple gradient noise scale B_simple = tr(Σ)/|G|² (Σ divides by N)."
    g = per_sample_grads.flatten(1).double()
    return ((g - g.mean(0)).pow(2).sum(1).mean() / g.mean(0).pow(2).sum()).item()


def noise_scales(per_sample_grads, hessian):
    """McCandlish et al.'s two noise scales `(B_simple, B_noise)`, defined in notebook 09.

    B_simple = tr(Σ)/|G|² and B_noise = tr(HΣ)/(GᵀHG): G is the mean of the per-sample gradients
    (rows of `per_sample_grads`), Σ their covariance (dividing by N), H the loss's Hessian. If H is
    a multiple of the identity the two are equal. B_noise is nan where GᵀHG <= 0: there the loss
    does not curve upwards along G, and the quadratic model that defines B_noise has no best step.
    """
    g = per_sample_grads.flatten(1).double()
    if not torch.is_tensor(hessian) or hessian.shape != (g.shape[1], g.shape[1]):
        shape = tuple(hessian.shape) if torch.is_tensor(hessian) else type(hessian).__name__
        raise ValueError(f"hessian must be a ({g.shape[1]}, {g.shape[1]}) tensor, "
                         f"one row per gradient component, got {shape}")
    h = hessian.to(g.device).double()
    mean = g.mean(0)
    dev = g - mean
    b_simple = (dev.pow(2).sum(1).mean() / mean.pow(2).sum()).item()
    curvature_along_g = mean @ h @ mean
    if curvature_along_g <= 0:
        return b_simple, math.nan
    return b_simple, (((dev @ h) * dev).sum(1).mean() / curvature_along_g).item()


def is_oom(e):
    "True for an out-of-memory error: torch.cuda.OutOfMemoryError, or a RuntimeError that says so."
    msg = str(e).lower()
    return isinstance(e, torch.cuda.OutOfMemoryError) or (
        isinstance(e, RuntimeError) and ("out of memory" in msg or "can't allocate memory" in msg))


def sweep_until_oom(fn, sizes):
    "`fn(size)` per size until one runs out of memory: `({size: result}, failing size or None)`"
    results = {}
    for size in sizes:
        try:
            results[size] = fn(size)
            continue
        except RuntimeError as e:  # torch.cuda.OutOfMemoryError is a RuntimeError
            if not is_oom(e):
                raise
        # outside the except block the traceback, and the tensors its frames held, are gone:
        # free the cache
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        return results, size
    return results, None


# ------------------------------------------------------------------- data parallelism (notebook 12)
# Imports used only by this section (the top of the module belongs to the sections above).
import contextlib  # noqa: E402
import copy  # noqa: E402
import datetime  # noqa: E402
import errno  # noqa: E402
import itertools  # noqa: E402
import multiprocessing.connection  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import traceback  # noqa: E402

import torch.distributed as dist  # noqa: E402


def _positive_int(name, value):
    "Raise a ValueError naming `name` unless `value` is an integer >= 1."
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def free_port():
    "A TCP port that nothing on this machine listens on right now (the OS picks it)."
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def _check_port(port):
    "`port` if nothing listens on it, else an OSError that names it and offers a free one."
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError(f"port must be an integer from 1 to 65535, or None, got {port!r}")
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("", port))
        except OSError as e:
            if e.errno != errno.EADDRINUSE:
                raise OSError(f"cannot use port {port} ({e}); pass port=None") from None
            raise OSError(f"port {port} is taken: another program listens on it. Pass port=None to "
                          f"let launch pick a free one (port {free_port()} is free now).") from None
    return port


def _check_backend(backend, world_size):
    "Raise a clear error unless this machine can run `world_size` processes on `backend`."
    if backend == "gloo":
        if not dist.is_gloo_available():
            raise RuntimeError("this PyTorch was built without the gloo backend (CPU processes)")
    elif backend == "nccl":
        gpus = torch.cuda.device_count() if dist.is_nccl_available() else 0
        if gpus < world_size:
            raise RuntimeError(f"backend 'nccl' needs one CUDA GPU per process: {world_size} "
                               f"processes, {gpus} GPUs here. Use backend='gloo' (CPU processes).")
    else:
        raise ValueError(f"backend must be 'gloo' (CPU processes) or 'nccl' (one GPU each), "
                         f"got {backend!r}")


@contextlib.contextmanager
def process_group(backend="gloo", rank=None, world_size=None, port=None, timeout=120):
    "Join a process group for the `with` block, destroyed however it ends; port=None: torchrun's."
    where = {} if port is None else dict(init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                                         world_size=world_size)
    dist.init_process_group(backend, timeout=datetime.timedelta(seconds=timeout), **where)
    try:
        yield
    finally:
        dist.destroy_process_group()


def _note_failure(folder, rank):
    "Save this rank's traceback; the first rank to fail also claims the file `first`."
    (folder / f"rank{rank}.err").write_text(traceback.format_exc())
    with contextlib.suppress(FileExistsError), open(folder / "first", "x") as first:  # x: atomic
        first.write(str(rank))


def _run_rank(rank, world_size, backend, port, folder, timeout):
    "What each spawned process runs: output to a log, the job inside a group, its result to a file."
    folder = Path(folder)
    log = open(folder / f"rank{rank}.log", "w")
    os.dup2(log.fileno(), 1)  # what a worker prints never reaches the notebook: outputs repeat
    os.dup2(log.fileno(), 2)
    try:
        fn, args = torch.load(folder / "job.pt", weights_only=False)
        with process_group(backend, rank, world_size, port, timeout):
            try:
                result = fn(*args)
            except BaseException:  # noted before the group goes, so before the errors it causes
                _note_failure(folder, rank)
                raise
        torch.save(result, folder / f"rank{rank}.pt")
    except BaseException:
        if not (folder / f"rank{rank}.err").exists():
            _note_failure(folder, rank)
        raise


def _failure(folder, procs, failed, seen):
    "The error launch raises: the rank that failed first, with its traceback or how it died."
    first = int((folder / "first").read_text()) if (folder / "first").exists() else None

    def cause(r):  # a death on its own without a traceback (a signal...), else the first traceback
        traced = (folder / f"rank{r}.err").exists()
        return traced or r not in seen, r != first, not traced
    r = min(failed, key=cause)
    err, log, code = folder / f"rank{r}.err", folder / f"rank{r}.log", procs[r].exitcode
    if err.exists():
        detail = f"its traceback:\n{err.read_text()}"
    else:
        how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
        tail = log.read_text()[-2000:] if log.exists() else ""
        detail = f"it stopped ({how}) without a Python traceback; the end of its output:\n{tail}"
    return RuntimeError(f"rank {r} of {len(procs)} failed; {detail}")


def launch(fn, *args, world_size=2, backend="gloo", port=None, timeout=120):
    "Run `fn(*args)` in `world_size` spawned processes joined in a group: each rank's result."
    module, name = getattr(fn, "__module__", "__main__"), getattr(fn, "__qualname__", "<")
    if module == "__main__" or "<" in name:
        raise ValueError(f"launch starts fresh Python processes that import {fn!r} by name: define "
                         f"it at the top of a module (as utils.ddp_worker is), not in a notebook")
    _positive_int("world_size", world_size)
    _check_backend(backend, world_size)
    port = free_port() if port is None else _check_port(port)
    with tempfile.TemporaryDirectory(prefix="launch-") as tmp:
        folder = Path(tmp)
        torch.save((fn, args), folder / "job.pt")
        spawned = torch.multiprocessing.spawn(_run_rank, (world_size, backend, port, tmp, timeout),
                                              nprocs=world_size, join=False)
        procs = spawned.processes
        seen = set()  # the ranks that stopped by themselves (launch stops the others)
        try:  # wait until all have stopped, or one has failed
            deadline = time.monotonic() + timeout
            while len(seen) < world_size and not any(procs[r].exitcode for r in seen):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the {world_size} processes did not finish within "
                                       f"{timeout} s and were stopped; pass a larger timeout=")
                running = [p for r, p in enumerate(procs) if r not in seen]
                multiprocessing.connection.wait([p.sentinel for p in running], timeout=1)
                seen.update(r for r, p in enumerate(procs) if p.exitcode is not None)
        finally:  # an error, a timeout, an interrupt: no process outlives this call
            for p in procs:
                if p.is_alive():
                    p.kill()
            for p in procs:
                p.join()
        failed = [r for r in range(world_size)
                  if procs[r].exitcode or not (folder / f"rank{r}.pt").exists()]
        for f in spawned.error_files:  # torch's copies of the tracebacks, outside our folder
            if os.path.exists(f):
                os.remove(f)
        if failed:
            raise _failure(folder, procs, failed, seen)
        return [torch.load(folder / f"rank{r}.pt", weights_only=False) for r in range(world_size)]


def _flat(tensors):
    "The tensors as one flat CPU vector (parameters or their gradients)."
    return torch.cat([t.detach().flatten() for t in tensors]).cpu()


def _step_times(ddp, xb, yb, warmup=5, repeats=25):
    "Median seconds of a forward+backward alone, of all-reducing as many floats alone, of both."
    flat = torch.zeros(sum(p.numel() for p in ddp.parameters()), device=xb.device)

    def compute():
        with ddp.no_sync():  # DDP's way to skip the all-reduce
            calc_grad(xb, yb, ddp)
        ddp.zero_grad()

    def step():
        calc_grad(xb, yb, ddp)
        ddp.zero_grad()
    return {"compute": time_it(compute, warmup, repeats),
            "all_reduce": time_it(lambda: dist.all_reduce(flat), warmup, repeats),
            "step": time_it(step, warmup, repeats)}


def ddp_worker(x, y, model, bs, steps, lr, seed=42):
    "One rank of DDP training: `bs` items of each step's batch, gradients averaged over the ranks."
    from torch.nn.parallel import DistributedDataParallel
    from torch.utils.data import DataLoader, DistributedSampler
    rank, k = dist.get_rank(), dist.get_world_size()
    torch.set_num_threads(1)  # one core per process
    device = torch.device("cpu")
    if dist.get_backend() == "nccl":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", rank)))
        torch.cuda.set_device(device)
    net = copy.deepcopy(model).to(device)
    ddp = DistributedDataParallel(net)  # copies rank 0's weights to all; averages grads in backward
    opt = BasicOptim(ddp.parameters(), lr)
    sampler = DistributedSampler(range(len(x)), num_replicas=k, rank=rank, shuffle=True, seed=seed)

    def batches():  # epoch after epoch, each in a new order
        for epoch in itertools.count():
            sampler.set_epoch(epoch)
            yield from DataLoader(range(len(x)), batch_size=bs, sampler=sampler)
    out = {"idx": [], "losses": []}
    for idx in itertools.islice(batches(), steps):
        xb, yb = x[idx].to(device), y[idx].to(device)
        if not out["idx"]:  # the first step: this rank's own gradient, before the all-reduce
            with ddp.no_sync():
                calc_grad(xb, yb, ddp)
            out["local_grad"] = _flat(p.grad for p in net.parameters())
            opt.zero_grad()
        out["losses"].append(calc_grad(xb, yb, ddp).item())
        if not out["idx"]:  # and after it
            out["grad"] = _flat(p.grad for p in net.parameters())
        out["idx"].append(idx)
        opt.step()
        opt.zero_grad()
    out["weights"] = _flat(net.parameters())
    out["times"] = _step_times(ddp, x[:bs].to(device), y[:bs].to(device))
    return out


def ddp_train(x, y, model, bs, steps, lr, seed=42, world_size=2, **launch_args):
    "Train copies of `model` with DDP in `world_size` processes, `bs` items each per step."
    _positive_int("world_size", world_size)
    _positive_int("the per-rank batch size bs", bs)
    _positive_int("steps", steps)
    if world_size > len(x):
        raise ValueError(f"world size {world_size} is larger than the dataset ({len(x)} items): "
                         f"some ranks would get only copies of others' items; use at most {len(x)}")
    return launch(ddp_worker, x, y, model, bs, steps, lr, seed, world_size=world_size,
                  **launch_args)


def _torchrun(argv=None):
    "torchrun's entry point (notebook 12): DDP on the linear model, then rank 0 checks one process."
    import argparse
    p = argparse.ArgumentParser(prog="torchrun --standalone --nproc-per-node=2 -m utils")
    p.add_argument("--bs", type=int, default=64, help="items per process and step")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--lr", type=float, default=1.0)
    p.add_argument("--backend", default="gloo", choices=["gloo", "nccl"])
    a = p.parse_args(argv)
    _positive_int("--bs", a.bs)
    _positive_int("--steps", a.steps)
    _check_backend(a.backend, int(os.environ.get("LOCAL_WORLD_SIZE", 1)))
    if a.backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    with process_group(a.backend):  # RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT: set by torchrun
        rank, k = dist.get_rank(), dist.get_world_size()
        if rank == 0:
            mnist_sample_path()  # one process extracts the data if needed; the others wait
        dist.barrier()
        x, y, _, _ = mnist_tensors(mnist_sample_path())
        out = ddp_worker(x, y, make_linear(42), a.bs, a.steps, a.lr)
        every = [None] * k
        dist.all_gather_object(every, out["idx"])
    if rank == 0:
        model = make_linear(42)
        batches = [(x[i], y[i]) for i in (torch.cat(b) for b in zip(*every))]
        train_steps(model, batches, BasicOptim(model.parameters(), a.lr), a.steps)
        diff = (_flat(model.parameters()) - out["weights"]).abs().max().item()
        print(f"{k} processes ({a.backend}), {a.steps} steps of {k}x{a.bs} = {k * a.bs} items: "
              f"largest weight difference from one process on the same batches {diff:.1e}")


if __name__ == "__main__":  # torchrun --standalone --nproc-per-node=2 -m utils
    _torchrun()
