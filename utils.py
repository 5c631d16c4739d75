"""What the core path (notebooks 01-07) derives and reuses, each section under the notebook that
first uses it; names follow the book. The deep dives' apparatus has modules named for their subject:
sweeps.py (06, 10), noise.py (09), hardware.py (11), ddp.py (12). Appendix: data, argument checks.
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

# fastai 2.8.12 uses `torch.jit.script`, which torch 2.14 deprecates with a FutureWarning at import:
# fastai's internals, not the course's code. Import utils before fastai and it never shows.
warnings.filterwarnings("ignore", message=r"`torch\.jit\.script` is deprecated",
                        category=FutureWarning)


# --------------------------------------------------------------- notebook 01: reproducible shuffles

def set_seed(seed=42):
    "Seed Python's, NumPy's and torch's random generators so shuffles and inits repeat."
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return seed


# ---------------------------------------------------------------------------- notebook 03: the data

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


# --------------------------------------------------- notebook 04: the model, its loss and gradients

def get_device():
    "The best device: CUDA, then Apple's MPS, then the CPU; $COURSE_DEVICE (e.g. cpu) overrides."
    if os.environ.get(DEVICE_ENV):
        return torch.device(os.environ[DEVICE_ENV])
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def init_params(size, std=1.0, device=None):
    "Parameters of shape `size` from N(0, std²), drawn on the CPU (same on any device), with grads."
    return (torch.randn(size) * std).to(device).requires_grad_()


def mnist_loss(predictions, targets):
    "Mean distance of sigmoid(predictions) from the targets (1 for a 3, 0 for a 7)."
    predictions = predictions.sigmoid()
    return torch.where(targets == 1, 1 - predictions, predictions).mean()


def calc_grad(xb, yb, model):
    "Add the gradient of `mnist_loss` on one batch to the parameters' `.grad`."
    loss = mnist_loss(model(xb), yb)
    loss.backward()
    return loss


# ------------------------------------------------------------------- notebook 05: the training loop

def batch_accuracy(xb, yb):
    "Fraction of a batch whose prediction (sigmoid > 0.5) matches its 0/1 target."
    preds = xb.sigmoid()
    correct = (preds > 0.5) == yb
    return correct.float().mean()


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


# -------------------------------------- notebook 06: batches gathered from tensors, one fixed start

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


def make_linear(seed=42, device=None):
    "A fresh nn.Linear(28*28, 1) initialised from `seed` (global RNG untouched): same every run."
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = torch.nn.Linear(28 * 28, 1)
    return model.to(device)


# --------------------------------------------------------------------- notebook 07: time and memory

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
    # Every operation in fn, backward included, passes a dispatch mode that adds each new result's
    # bytes and takes off those freed since; views and in-place results add nothing. Tensors, not
    # the allocator's rounding and caches: the same bytes on every machine and device.
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


# ------------------------------------------------------ appendix: data download and argument checks

MOVED = dict.fromkeys("accuracy train_steps LinearStack stack_loss stack_batches stack_step "
                      "fit_critical_batch".split(), "sweeps")  # where moved names went
MOVED |= dict.fromkeys("per_sample_grads mnist_hessian grad_noise grad_noise_draws noise_scale "
                       "noise_scales".split(), "noise")
MOVED |= dict.fromkeys("epoch_throughput saved_for_backward sweep_until_oom".split(), "hardware")
MOVED |= dict.fromkeys("process_group launch ddp_worker ddp_train".split(), "ddp")


def __getattr__(name):  # a saved notebook that imports a moved name learns where it went
    if name in MOVED:
        raise ImportError(f"{name} moved from utils to {MOVED[name]}.py: "
                          f"use `from {MOVED[name]} import {name}`")
    raise AttributeError(f"module 'utils' has no attribute {name!r}")


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


def _positive_int(name, value, most=None):
    "`value` as an int, or a ValueError naming `name` unless it is an integer from 1 (to `most`)."
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1
    if not ok or (most is not None and value > most):
        upto = f" from 1 to {most}" if most is not None else " (1 or more)"
        raise ValueError(f"{name} must be an integer{upto}, got {value!r}")
    return int(value)
