"""Interactive explorers for the batch-size notebooks: ipywidgets and matplotlib only.

Each explorer is an ordinary function that trains and returns numbers (unit-tested, and called once
in the notebook without widgets so nbval compares its numbers), plus a small widget panel that
calls it when a learner moves a slider and presses *Train*.

- `train_run(data, bs, lr, steps)` trains the book's linear model (or `simple_net`) with
  `BasicOptim` on mini-batches from a `TensorLoader`; `batch_size_explorer(data)` is its panel.
- `sgd_path(bs, lr, steps)` walks SGD over a two-weight least-squares loss; `toy_explorer()` draws
  the path over the loss's contour lines.

The panels draw with matplotlib's `Figure` (no pyplot, so nothing is shown twice) into a PNG that an
`Output` widget displays: core ipywidgets only (7.7, Colab's, and 8), no front-end extension, so
they work in JupyterLab 4 and on Colab.
"""
import base64
import copy
import io
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from sweeps import accuracy
from utils import BasicOptim, TensorLoader, _positive_int, calc_grad, make_linear, synchronize

BATCH_SIZES = [2 ** i for i in range(11)]  # 1 ... 1024, the slider's log scale
LEARNING_RATES = [0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0]
STEP_COUNTS = [25, 50, 100, 200, 400, 800]  # with B <= 1024: Train answers within 3 s
MODELS = ("linear", "simple_net")
LOSS_TAIL = 10  # the "final loss" of a run is the mean of its last 10 mini-batch losses


# ---------------------------------------------------------------- argument checks

def _positive_float(name, value):
    ok = isinstance(value, (int, float, np.floating)) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def check_data(data):
    "`data` as the tuple `(train_x, train_y, valid_x, valid_y)`, or an error saying what is off."
    if not isinstance(data, (tuple, list)) or len(data) != 4:
        size = f" of length {len(data)}" if hasattr(data, "__len__") else ""
        raise TypeError("data must be the tuple (train_x, train_y, valid_x, valid_y), "
                        f"got {type(data).__name__}{size}")
    names = ("train_x", "train_y", "valid_x", "valid_y")
    for name, t in zip(names, data):
        if not torch.is_tensor(t):
            raise TypeError(f"{name} must be a tensor, got {type(t).__name__}")
    for x, y, split in ((data[0], data[1], "train"), (data[2], data[3], "valid")):
        if x.dim() != 2 or x.shape[1] != 28 * 28:
            raise ValueError(f"{split}_x must have shape (n, 784) (flattened 28x28 images), "
                             f"got {tuple(x.shape)}")
        if y.shape != (len(x), 1):
            raise ValueError(f"{split}_y must have shape ({len(x)}, 1) to match {split}_x, "
                             f"got {tuple(y.shape)}")
        if len(x) == 0:
            raise ValueError(f"{split}_x is empty")
    if len({t.device for t in data}) != 1:
        devices = [str(t.device) for t in data]
        raise ValueError(f"the four tensors must be on one device, got {devices}")
    return tuple(data)


# ------------------------------------------------------- training runs (the batch-size explorer)

def simple_net(seed=42, device=None):
    "The book's `simple_net` (784 -> 30 -> ReLU -> 1) from `seed`, the global RNG untouched."
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(28 * 28, 30), nn.ReLU(), nn.Linear(30, 1))
    return model.to(device)


@dataclass
class Run:
    "What `train_run` measured: a loss per step, accuracy every few steps, training seconds so far."
    bs: int
    lr: float
    steps: int
    shuffle: bool
    model: str
    seed: int
    n_train: int
    losses: list = field(default_factory=list)        # mini-batch loss of step 1, 2, ...
    seconds: list = field(default_factory=list)       # training seconds at the end of step 1, 2...
    eval_steps: list = field(default_factory=list)    # steps where accuracy was measured (0 first)
    eval_seconds: list = field(default_factory=list)  # training seconds at those steps
    accs: list = field(default_factory=list)          # validation accuracy at those steps
    diverged: bool = False                            # stopped early: the loss was not a number

    @property
    def final_loss(self):
        "Mean of the last 10 mini-batch losses (one mini-batch loss is noisy)."
        tail = self.losses[-LOSS_TAIL:]
        return sum(tail) / len(tail) if tail else float("nan")

    @property
    def final_acc(self):
        return self.accs[-1]

    @property
    def epochs(self):
        "Epochs' worth of samples seen: steps x B / N."
        return len(self.losses) * self.bs / self.n_train

    @property
    def label(self):
        extra = "" if self.shuffle else " unshuffled"
        extra += "" if self.model == "linear" else f" {self.model}"
        return f"B={self.bs} lr={self.lr:g}{extra}"

    def summary(self, timing=True):
        "One line: B, lr, steps, final loss and accuracy, and (if `timing`) training seconds."
        if self.diverged:
            return f"{self.label}: diverged at step {len(self.losses)} (the loss is not a number)"
        line = (f"{self.label}: {len(self.losses)} steps ({self.epochs:.3g} epochs), "
                f"loss {self.final_loss:.4f}, val acc {self.final_acc:.4f}")
        return line + (f", {self.seconds[-1]:.2f} s" if timing else "")


def train_run(data, bs=64, lr=1.0, steps=200, shuffle=True, seed=0, model="linear", eval_every=10,
              init_seed=42, cpu_threads=1, progress=None):
    """Train the book's linear model (or `simple_net`) for `steps` SGD steps of batch size `bs`.

    `data` is `(train_x, train_y, valid_x, valid_y)`. Every run starts from the same weights
    (`init_seed`); `seed` seeds the shuffling. Returns a `Run`: the mini-batch loss of every step,
    the validation accuracy before training and every `eval_every` steps (and after the last), and
    the training seconds so far; evaluation is outside the clock. `progress(step, steps)`, if given,
    is called after each step, outside the clock too. On the CPU the run uses `cpu_threads` torch
    threads (None: as set), then restores the setting: one thread is as fast for these small
    matrices, and steady on a busy machine.
    """
    train_x, train_y, valid_x, valid_y = check_data(data)
    bs = _positive_int("bs (the batch size)", bs, most=len(train_x))
    lr = _positive_float("lr (the learning rate)", lr)
    steps = _positive_int("steps", steps)
    eval_every = _positive_int("eval_every", eval_every)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    device = train_x.device
    if device.type == "cpu" and cpu_threads is not None:
        threads = torch.get_num_threads()
        torch.set_num_threads(_positive_int("cpu_threads", cpu_threads))
        try:
            return train_run(data, bs, lr, steps, shuffle, seed, model, eval_every, init_seed,
                             None, progress)
        finally:
            torch.set_num_threads(threads)
    net = make_linear(init_seed, device) if model == "linear" else simple_net(init_seed, device)
    opt = BasicOptim(net.parameters(), lr)
    dl = TensorLoader(train_x, train_y, batch_size=bs, shuffle=shuffle,
                      generator=torch.Generator().manual_seed(seed))
    run = Run(bs, lr, steps, bool(shuffle), model, int(seed), len(train_x),
              eval_steps=[0], eval_seconds=[0.0], accs=[accuracy(net, valid_x, valid_y)])
    calc_grad(train_x[:bs], train_y[:bs], copy.deepcopy(net))  # an untimed warm-up on a copy
    clock, batches = 0.0, iter(dl)
    for step in range(1, steps + 1):
        synchronize()
        start = time.perf_counter()
        batch = next(batches, None)
        if batch is None:  # a new epoch: a new shuffle
            batches = iter(dl)
            batch = next(batches)
        loss = calc_grad(*batch, net)
        opt.step()
        opt.zero_grad()
        loss = loss.item()  # waits for the device, so the clock reads real time
        clock += time.perf_counter() - start
        run.losses.append(loss)
        run.seconds.append(clock)
        if not math.isfinite(loss):
            run.diverged = True
        if step % eval_every == 0 or step == steps or run.diverged:
            run.eval_steps.append(step)
            run.eval_seconds.append(clock)
            run.accs.append(accuracy(net, valid_x, valid_y))
        if progress is not None:
            progress(step, steps)
        if run.diverged:
            break
    return run


def smooth(values, window=LOSS_TAIL):
    "Trailing moving average (the first points average what there is so far)."
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return values
    sums = np.cumsum(np.insert(values, 0, 0.0))
    idx = np.arange(1, len(values) + 1)
    lo = np.maximum(idx - window, 0)
    return (sums[idx] - sums[lo]) / (idx - lo)


def plot_runs(runs, figsize=(9, 5.6)):
    "A matplotlib Figure: loss and validation accuracy of `runs` against steps and against seconds."
    from matplotlib.figure import Figure
    fig = Figure(figsize=figsize)
    axs = fig.subplots(2, 2, sharey="row")
    for i, run in enumerate(runs):
        color = f"C{i % 10}"
        steps = np.arange(1, len(run.losses) + 1)
        for ax, xs in ((axs[0, 0], steps), (axs[0, 1], run.seconds)):
            ax.plot(xs, run.losses, color=color, alpha=0.2, lw=0.8)
            ax.plot(xs, smooth(run.losses), color=color, lw=1.5, label=run.label)
        axs[1, 0].plot(run.eval_steps, run.accs, color=color, marker=".", label=run.label)
        axs[1, 1].plot(run.eval_seconds, run.accs, color=color, marker=".", label=run.label)
    for ax in axs[0]:
        ax.set_yscale("log")
    axs[0, 0].set_ylabel("training loss")
    axs[1, 0].set_ylabel("validation accuracy")
    later = [a for run in runs for a in run.accs[1:] if math.isfinite(a)]  # after step 0
    axs[1, 0].set_ylim(min(later) - 0.02 if later else 0.45, 1.0)
    for row in axs:
        row[0].set_xlabel("steps")
        row[1].set_xlabel("training seconds (s)")
    axs[0, 0].set_title("loss against steps", fontsize=9)
    axs[0, 1].set_title("loss against time", fontsize=9)
    axs[1, 0].set_title("accuracy against steps", fontsize=9)
    axs[1, 1].set_title("accuracy against time", fontsize=9)
    if runs:
        axs[1, 1].legend(fontsize=7, loc="lower right")
    fig.suptitle("Mini-batch loss (faint; bold: mean of the last 10) and validation accuracy",
                 fontsize=10)
    fig.tight_layout()
    return fig


# ------------------------------------------------------- the two-weight toy (the SGD-path explorer)

@dataclass
class Toy:
    "Least squares with two weights: fit y ≈ w0 + w1·x by mean squared error on synthetic data."
    x: np.ndarray
    y: np.ndarray

    @property
    def features(self):
        return np.stack([np.ones_like(self.x), self.x], axis=1)

    def loss(self, w0, w1):
        "Mean squared error at weights (w0, w1); w0 and w1 may be arrays of one shape (a grid)."
        w0, w1 = np.asarray(w0, dtype=float), np.asarray(w1, dtype=float)
        r = w0[..., None] + w1[..., None] * self.x - self.y
        return (r ** 2).mean(-1)

    def grad(self, w, idx=None):
        "Gradient of the mean squared error of the samples `idx` (all of them if None) at `w`."
        X, y = (self.features, self.y) if idx is None else (self.features[idx], self.y[idx])
        return 2 * X.T @ (X @ w - y) / len(y)

    @property
    def minimum(self):
        "The weights with the least loss (the least-squares solution)."
        return np.linalg.lstsq(self.features, self.y, rcond=None)[0]

    @property
    def lr_max(self):
        "2 / the Hessian's largest eigenvalue: full-batch descent diverges for lr above it."
        X = self.features
        return 2 / np.linalg.eigvalsh(2 * X.T @ X / len(X)).max()


def toy_problem(n=256, seed=0):
    "The toy: `n` points x ~ N(1, 0.7²), y = 1 + 2x + N(0, 0.5²) noise, drawn from `seed`."
    n = _positive_int("n", n)
    rng = np.random.default_rng(seed)
    x = rng.normal(1.0, 0.7, n)
    return Toy(x, 1 + 2 * x + rng.normal(0.0, 0.5, n))


TOY = toy_problem()
TOY_START = (-1.5, 4.5)
TOY_BATCH_SIZES = [2 ** i for i in range(9)]  # 1 ... 256 = the whole toy data set
TOY_LEARNING_RATES = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5]  # 0.5 is past lr_max (0.438)
TOY_STEP_COUNTS = [10, 25, 50, 100, 200]
BLOW_UP = 1e3  # a path whose weights leave this radius has diverged: it stops there


def sgd_path(bs, lr, steps=50, seed=0, start=TOY_START, toy=None):
    """Weights after each SGD step on the toy loss: an array (steps + 1, 2), the start first.

    Each epoch shuffles the samples (from `seed`) and takes consecutive batches of `bs` (a last
    batch smaller than `bs` is dropped, so every step averages `bs` gradients); `bs` equal to the
    number of samples is full-batch gradient descent. A path that blows up (|w| > 1000) stops there,
    so it has fewer rows.
    """
    toy = TOY if toy is None else toy
    n = len(toy.x)
    bs = _positive_int("bs (the batch size)", bs, most=n)
    lr = _positive_float("lr (the learning rate)", lr)
    steps = _positive_int("steps", steps)
    start = np.asarray(start, dtype=float)
    if start.shape != (2,) or not np.isfinite(start).all():
        raise ValueError(f"start must be two finite numbers (w0, w1), got {start!r}")
    rng = np.random.default_rng(seed)
    w, path, order, pos = start.copy(), [start.copy()], rng.permutation(n), 0
    for _ in range(steps):
        if pos + bs > n:
            order, pos = rng.permutation(n), 0
        w = w - lr * toy.grad(w, order[pos:pos + bs])
        pos += bs
        path.append(w.copy())
        if not np.abs(w).max() < BLOW_UP:
            break
    return np.array(path)


def path_noise(bs, lr, steps=50, seed=0, start=TOY_START, toy=None):
    "Mean distance between the SGD path of batch size `bs` and the full-batch one (same lr, steps)."
    toy = TOY if toy is None else toy
    sgd = sgd_path(bs, lr, steps, seed, start, toy)
    full = sgd_path(len(toy.x), lr, steps, seed, start, toy)
    k = min(len(sgd), len(full))
    return float(np.linalg.norm(sgd[:k] - full[:k], axis=1).mean())


def plot_path(bs, lr, steps=50, seed=0, toy=None, figsize=(6, 4.2)):
    "A matplotlib Figure: the toy loss's contours, the SGD path of `bs` and `lr`, the full batch's."
    from matplotlib.figure import Figure
    toy = TOY if toy is None else toy
    path = sgd_path(bs, lr, steps, seed, toy=toy)
    full = sgd_path(len(toy.x), lr, steps, seed, toy=toy)
    best = toy.minimum
    fig = Figure(figsize=figsize)
    ax = fig.subplots()
    g0, g1 = np.meshgrid(np.linspace(best[0] - 3, best[0] + 3, 121),
                         np.linspace(best[1] - 3, best[1] + 3, 121))
    levels = toy.loss(*best) + np.geomspace(0.02, 30, 12)
    ax.contour(g0, g1, toy.loss(g0, g1), levels=levels, cmap="viridis", linewidths=0.8)
    ax.plot(full[:, 0], full[:, 1], "--", color="grey", lw=1, label=f"full batch (B={len(toy.x)})")
    ax.plot(path[:, 0], path[:, 1], "o-", color="C3", ms=2.5, lw=1, label=f"SGD, B={bs}")
    ax.plot(*path[0], "ks", ms=5, label="start")
    ax.plot(*best, "k*", ms=10, label="minimum")
    ax.set_xlim(best[0] - 3, best[0] + 3)
    ax.set_ylim(best[1] - 3, best[1] + 3)
    ax.set_xlabel("w0 (intercept)")
    ax.set_ylabel("w1 (slope)")
    ax.set_title(f"{len(path) - 1} SGD steps, B={bs}, lr={lr:g} (diverges above {toy.lr_max:.3f})",
                 fontsize=9)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return fig


def path_summary(bs, lr, steps=50, seed=0, toy=None):
    "One line about a toy path: its loss at the end against the minimum, and its noise."
    toy = TOY if toy is None else toy
    path = sgd_path(bs, lr, steps, seed, toy=toy)
    if len(path) < steps + 1:
        return f"B={bs} lr={lr:g}: diverged after {len(path) - 1} steps (lr above {toy.lr_max:.3f})"
    noise = path_noise(bs, lr, steps, seed, toy=toy)
    return (f"B={bs} lr={lr:g}: loss after {steps} steps {toy.loss(*path[-1]):.4f} "
            f"(minimum {toy.loss(*toy.minimum):.4f}), mean distance from the full-batch path "
            f"{noise:.4f}")


# ---------------------------------------------------------------- the widget panels

def png_output(fig):
    "The figure as an output record an `Output` widget displays (a PNG, like the inline backend's)."
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": base64.b64encode(buf.getvalue()).decode("ascii"),
                     "text/plain": f"<Figure with {len(fig.axes)} Axes>"}}


def text_output(text, name="stdout"):
    return {"output_type": "stream", "name": name, "text": text}


def _slider(widgets, options, value, description, name):
    if value not in options:
        raise ValueError(f"{name} must be one of {list(options)}, got {value!r}")
    return widgets.SelectionSlider(options=options, value=value, description=description,
                                   continuous_update=False, style={"description_width": "90px"},
                                   layout={"width": "420px"})


def _panel_bundle(widget, name, **kwargs):
    "An explorer displays as its panel; where widgets can't show (a static view), as one line."
    if hasattr(widget, "_repr_mimebundle_"):  # ipywidgets 8
        bundle = widget._repr_mimebundle_(**kwargs)
    else:  # ipywidgets 7 (Colab's) displays a widget from _ipython_display_, with this view record
        bundle = {"application/vnd.jupyter.widget-view+json": {
            "version_major": 2, "version_minor": 0, "model_id": widget.model_id}}
    bundle["text/plain"] = f"{name}: its sliders need a running notebook (JupyterLab, Colab)"
    return bundle


def _widgets():
    import ipywidgets
    return ipywidgets


class BatchSizeExplorer:
    """The batch-size explorer: set B, lr, steps, shuffling, model; *Train* adds a run to the plot.

    `widget` is the panel (the explorer displays as it). `runs` holds every `Run` on the plot;
    `plot` and `summary` are `Output` widgets. `train_fn` is `train_run` unless a test replaces it.
    """
    def __init__(self, data, bs=64, lr=1.0, steps=200, shuffle=True, model="linear", seed=0,
                 train_now=True, train_fn=None):
        widgets = _widgets()
        self.data = check_data(data)
        self.seed, self.train_fn, self.runs = seed, train_fn or train_run, []
        self.bs = _slider(widgets, BATCH_SIZES, bs, "batch size B", "bs")
        self.lr = _slider(widgets, LEARNING_RATES, lr, "learning rate", "lr")
        self.steps = _slider(widgets, STEP_COUNTS, steps, "steps", "steps")
        if model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}, got {model!r}")
        self.shuffle = widgets.Checkbox(value=bool(shuffle), description="shuffle every epoch",
                                        indent=False)
        self.model = widgets.Dropdown(options=MODELS, value=model, description="model",
                                      style={"description_width": "90px"},
                                      layout={"width": "250px"})
        self.train_button = widgets.Button(description="Train", button_style="primary", icon="play",
                                           tooltip="train with these settings; earlier runs stay")
        self.clear_button = widgets.Button(description="Clear", icon="trash",
                                           tooltip="remove every run from the plot")
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="progress",
                                            style={"description_width": "90px"})
        self.status = widgets.Label("")
        self.plot = widgets.Output()
        self.summary = widgets.Output()
        self.train_button.on_click(self.train)
        self.clear_button.on_click(self.clear)
        controls = widgets.VBox([
            widgets.HBox([self.bs, self.model]), widgets.HBox([self.lr, self.shuffle]), self.steps,
            widgets.HBox([self.train_button, self.clear_button, self.progress, self.status])])
        self.widget = widgets.VBox([controls, self.plot, self.summary])
        for w, name in ((self.widget, "bs-explorer"), (self.bs, "explorer-bs"),
                        (self.plot, "explorer-plot"), (self.summary, "explorer-summary")):
            w.add_class(name)  # names for the browser test and for styling
        self.redraw()
        if train_now:
            self.train()

    def _repr_mimebundle_(self, **kwargs):
        return _panel_bundle(self.widget, "Batch-size explorer", **kwargs)

    def _progress(self, step, steps):
        now = time.perf_counter()
        if step == steps or now - self._last_update > 0.1:  # at most ten updates a second
            self.progress.max, self.progress.value = steps, step
            self.status.value = f"step {step} / {steps}"
            self._last_update = now

    def train(self, _button=None):
        "Train with the panel's settings, add the run to the plot and print its summary line."
        self.train_button.disabled = True
        self.progress.value, self._last_update = 0, 0.0
        self.status.value = "training…"
        try:
            run = self.train_fn(self.data, bs=self.bs.value, lr=self.lr.value,
                                steps=self.steps.value, shuffle=self.shuffle.value, seed=self.seed,
                                model=self.model.value, progress=self._progress)
            self.runs.append(run)
            self.redraw()
            self.summary.outputs += (text_output(run.summary() + "\n"),)
            self.status.value = "done"
            return run
        except Exception as e:  # shown in the panel: a callback's error would go to the log console
            self.summary.outputs += (text_output(f"{type(e).__name__}: {e}\n", "stderr"),)
            self.status.value = "failed"
        finally:
            self.train_button.disabled = False

    def clear(self, _button=None):
        "Remove every run from the plot and the summary."
        self.runs = []
        self.summary.outputs = ()
        self.progress.value, self.status.value = 0, ""
        self.redraw()

    def redraw(self):
        if self.runs:
            self.plot.outputs = (png_output(plot_runs(self.runs)),)
        else:
            self.plot.outputs = (text_output("No runs yet: choose B and lr, then press Train.\n"),)


def batch_size_explorer(data, **settings):
    "The batch-size explorer on `data` = (train_x, train_y, valid_x, valid_y): a BatchSizeExplorer."
    return BatchSizeExplorer(data, **settings)


class ToyExplorer:
    "The SGD-path explorer on the two-weight toy: moving a slider redraws `plot` and `summary`."
    def __init__(self, bs=8, lr=0.1, steps=50, seed=0):
        widgets = _widgets()
        self.bs = _slider(widgets, TOY_BATCH_SIZES, bs, "batch size B", "bs")
        self.lr = _slider(widgets, TOY_LEARNING_RATES, lr, "learning rate", "lr")
        self.steps = _slider(widgets, TOY_STEP_COUNTS, steps, "steps", "steps")
        self.seed = widgets.IntSlider(value=seed, min=0, max=9, description="shuffle seed",
                                      continuous_update=False, style={"description_width": "90px"})
        self.plot, self.summary = widgets.Output(), widgets.Output()
        for w in (self.bs, self.lr, self.steps, self.seed):
            w.observe(self.redraw, names="value")
        self.widget = widgets.VBox([widgets.HBox([self.bs, self.lr]),
                                    widgets.HBox([self.steps, self.seed]), self.plot, self.summary])
        for w, name in ((self.widget, "toy-explorer"), (self.bs, "explorer-bs"),
                        (self.plot, "explorer-plot"), (self.summary, "explorer-summary")):
            w.add_class(name)
        self.redraw()

    def _repr_mimebundle_(self, **kwargs):
        return _panel_bundle(self.widget, "SGD-path explorer", **kwargs)

    @property
    def path(self):
        return sgd_path(self.bs.value, self.lr.value, self.steps.value, self.seed.value)

    def redraw(self, _change=None):
        args = self.bs.value, self.lr.value, self.steps.value, self.seed.value
        self.plot.outputs = (png_output(plot_path(*args)),)
        self.summary.outputs = (text_output(path_summary(*args) + "\n"),)


def toy_explorer(**settings):
    "The SGD-path explorer panel on the two-weight toy loss; see ToyExplorer."
    return ToyExplorer(**settings)
