"""Checks for the course's exercises: each one says *passed*, names what is wrong, or says *not
attempted yet*.

Every notebook ends with exercises: a function (or class) for you to write, then a check cell such
as `check_n_batches(n_batches)`. A check calls your code on inputs it makes itself (it never changes
your objects), compares the result with the reference, and prints one line in words. A stub that
still raises `NotImplementedError` counts as *not attempted*, so *Run All* never stops on it.
`progress()` runs the exercises saved in `notebooks/` and lists which pass.

Why a second module beside `utils.py`: `utils.py` holds what the lessons derive and reuse and stays
short enough to read in ten minutes; these checks are the course's answer key and are long.
"""
import copy
import json
import math
import traceback
from dataclasses import dataclass
from pathlib import Path

import torch

COURSE_DIR = Path(__file__).resolve().parent
EXERCISES = {}  # name of the check -> Exercise, filled by @exercise below
# What an exercise cell may use without importing it (progress() runs the cells with this first).
PRELUDE = "import math, random\nimport numpy as np\nimport torch\nfrom torch import nn\nfrom utils import *\n"


class Wrong(Exception):
    "A check raises this with a message for the learner when an answer is wrong."


@dataclass
class Result:
    "What a check found: `status` is 'passed', 'wrong' or 'not attempted'; `message` says why."
    status: str
    message: str

    @property
    def passed(self):
        return self.status == "passed"


@dataclass
class Exercise:
    "Exercise `number` of notebook `notebook` asks for `function`; `check` raises Wrong if it's wrong."
    notebook: str
    number: int
    function: str
    check: object

    @property
    def label(self):
        return f"Exercise {self.notebook}.{self.number} ({self.function})"


def evaluate(check, answer):
    "Run `check` on `answer` and return a Result instead of raising."
    if answer is None:
        return Result("not attempted", "there is nothing to check yet: define it and run its cell.")
    try:
        check(answer)
    except NotImplementedError:
        return Result("not attempted", "replace `raise NotImplementedError()` with your code, "
                                       "run that cell, then this one.")
    except Wrong as e:
        return Result("wrong", str(e))
    except Exception as e:  # raised by the learner's code, or by a result of an unexpected kind
        where = traceback.extract_tb(e.__traceback__)[-1]
        return Result("wrong", f"calling your code raised {type(e).__name__}: {e} "
                               f"(line {where.lineno}: {where.line!r}).")
    return Result("passed", "passed.")


def line(ex, result):
    "One line for the learner: a mark, the exercise, and what the check found."
    mark = {"passed": "✅", "wrong": "❌", "not attempted": "⏳"}[result.status]
    return f"{mark} {ex.label}: {result.message}"


def exercise(notebook, number, function):
    "Register the check below as exercise `number` of notebook `notebook`, which asks for `function`."
    def register(check):
        ex = Exercise(notebook, number, function, check)
        EXERCISES[check.__name__] = ex

        def run(answer):
            print(line(ex, evaluate(check, answer)))
        run.__name__, run.__doc__, run.exercise = check.__name__, check.__doc__, ex
        return run
    return register


# ---------------------------------------------------------------- tools the checks share

def call(fn, *args, **kwargs):
    "Call the learner's `fn` on deep copies, so nothing of the check's (or theirs) is changed."
    return fn(*copy.deepcopy(args), **copy.deepcopy(kwargs))


def expect_tensor(value, what, shape=None):
    "Raise Wrong unless `value` is a tensor (of `shape`, when given)."
    if not torch.is_tensor(value):
        raise Wrong(f"{what} should be a tensor, but it is {type(value).__name__}.")
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise Wrong(f"{what} should have shape {tuple(shape)}, but it has {tuple(value.shape)}.")


def expect_close(value, expected, what, atol=1e-6, rtol=1e-5):
    "Raise Wrong unless `value` equals `expected` (a number or tensor) within tolerance."
    if torch.is_tensor(expected):
        expect_tensor(value, what, expected.shape)
        if not torch.allclose(value.detach().double(), expected.detach().double(), atol=atol, rtol=rtol):
            err = (value.detach().double() - expected.detach().double()).abs().max().item()
            raise Wrong(f"{what} is off from the reference by up to {err:.3g}.")
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not torch.is_tensor(value):
        raise Wrong(f"{what} should be a number, but it is {type(value).__name__}.")
    value = float(value)
    if not math.isclose(value, float(expected), abs_tol=atol, rel_tol=rtol):
        raise Wrong(f"{what} is {value:.6g}, but it should be {float(expected):.6g}.")


# ---------------------------------------------------------------- progress across notebooks

def exercise_cells(nb_path):
    "Sources of the code cells tagged `exercise` in a saved notebook, in order."
    nb = json.loads(Path(nb_path).read_text())
    return ["".join(c["source"]) for c in nb["cells"]
            if c["cell_type"] == "code" and "exercise" in c.get("metadata", {}).get("tags", [])]


def notebook_results(nb_path):
    "Run the exercise cells saved in one notebook and check each of its exercises: {Exercise: Result}."
    number = Path(nb_path).name[:2]
    namespace = {}
    exec(PRELUDE, namespace)
    failed = None
    for source in exercise_cells(nb_path):
        try:
            exec(compile(source, str(nb_path), "exec"), namespace)
        except NotImplementedError:
            pass
        except Exception as e:
            failed = f"an exercise cell raised {type(e).__name__}: {e}"
    results = {}
    for ex in sorted((e for e in EXERCISES.values() if e.notebook == number), key=lambda e: e.number):
        answer = namespace.get(ex.function)
        results[ex] = evaluate(ex.check, answer)
        if answer is None and failed:
            results[ex] = Result("wrong", failed)
    return results


def progress(folder=None):
    "Print, for every notebook in `folder` (default: notebooks/), which of its exercises pass now."
    folder = Path(folder) if folder is not None else COURSE_DIR / "notebooks"
    summary = {}
    for path in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
        results = notebook_results(path)
        if not results:
            continue
        done = sum(r.passed for r in results.values())
        marks = " ".join(line(ex, r)[0] + str(ex.number) for ex, r in results.items())
        print(f"{path.stem}: {done}/{len(results)} passed  {marks}")
        for ex, r in results.items():
            if r.status == "wrong":
                print(f"    {line(ex, r)}")
        summary[path.name[:2]] = {ex.number: r.status for ex, r in results.items()}
    return summary


# ================================================================ the checks, notebook by notebook
# Each notebook's checks live in its own section below; keep the sections in notebook order.

# ---------------------------------------------------------------- notebook 01
# (checks of notebook 01)


# ---------------------------------------------------------------- notebook 02
# (checks of notebook 02)


# ---------------------------------------------------------------- notebook 03
# (checks of notebook 03)


# ---------------------------------------------------------------- notebook 04
# (checks of notebook 04)


# ---------------------------------------------------------------- notebook 05

def _nb05_problem(seed, n=12, n_in=3):
    "A tiny problem of the book's kind: inputs, 0/1 targets, and a fresh (weights, bias)."
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, n_in, generator=g)
    y = (torch.rand(n, 1, generator=g) > 0.5).float()
    w = torch.randn(n_in, 1, generator=g).requires_grad_()
    b = torch.randn(1, generator=g).requires_grad_()
    return x, y, w, b


def _nb05_loss(x, y, w, b):
    "mnist_loss of the linear model x @ w + b."
    s = (x @ w + b).sigmoid()
    return torch.where(y == 1, 1 - s, s).mean()


def _nb05_cleared(p):
    return p.grad is None or not p.grad.abs().sum().item()


@exercise("05", 1, "sgd_update")
def check_sgd_update(sgd_update):
    "Exercise 05.1: one SGD step on every parameter, in place, then the gradients zeroed."
    for seed, lr in ((0, 0.5), (1, 2.0)):
        x, y, w, b = _nb05_problem(seed)
        params = (w, b)
        for step in (1, 2):
            _nb05_loss(x, y, w, b).backward()
            before = [p.detach().clone() for p in params]
            grads = [p.grad.detach().clone() for p in params]
            want = [p0 - lr * g for p0, g in zip(before, grads)]
            # the check's own tensors, passed as they are: an in-place update must reach them
            try:
                returned = sgd_update(params, lr)
            except RuntimeError as e:
                if "leaf Variable" not in str(e):
                    raise
                raise Wrong("PyTorch refuses `p -= ...` on a parameter that requires grad, as "
                            "autograd would record it: update p.data (p.data -= lr * p.grad), "
                            "or do it inside `with torch.no_grad():`.") from None
            now = [p.detach() for p in params]
            if all(torch.equal(p, p0) for p, p0 in zip(now, before)):
                if isinstance(returned, (list, tuple)) and len(returned) == 2 and all(
                        torch.is_tensor(r) and r.shape == wp.shape and torch.allclose(
                            r.detach(), wp, atol=1e-6) for r, wp in zip(returned, want)):
                    raise Wrong("you return new tensors p - lr * p.grad, but the parameters "
                                "themselves did not change, and the model only ever sees those. "
                                "Update each one in place: p.data -= lr * p.grad (or p -= ... "
                                "inside `with torch.no_grad():`).")
                raise Wrong("the parameters did not change: subtract lr * p.grad from each one, "
                            "in place (p.data -= lr * p.grad).")
            if all(torch.allclose(p, p0 + lr * g, atol=1e-6)
                   for p, p0, g in zip(now, before, grads)):
                raise Wrong("you step *up* the gradient (p + lr * p.grad), which makes the loss "
                            "grow: subtract it.")
            if all(torch.allclose(p, p0 - g, atol=1e-6) for p, p0, g in zip(now, before, grads)):
                raise Wrong(f"with lr={lr} your step is the bare gradient: multiply it by lr.")
            if not all(torch.allclose(p, wp, atol=1e-6) for p, wp in zip(now, want)):
                raise Wrong(f"after step {step} with lr={lr} a parameter is not p - lr * p.grad.")
            if not all(_nb05_cleared(p) for p in params):
                raise Wrong("the gradients are still there after your step: zero them "
                            "(p.grad.zero_() or p.grad = None), or the next backward() adds the "
                            "new gradient to the old one.")


class _Nb05Model:
    "A linear model whose two parameters the check can read: forward is x @ w + b."
    def __init__(self, seed):
        self.x, self.y, self.w, self.b = _nb05_problem(seed)

    def parameters(self):
        yield self.w
        yield self.b


def _nb05_optim_run(SimpleOptim, lr=0.7, steps=3, as_generator=True):
    "Three steps of the learner's optimiser against the reference; Wrong at the first difference."
    model, ref = _Nb05Model(3), _Nb05Model(3)
    params = model.parameters() if as_generator else list(model.parameters())
    opt = SimpleOptim(params, lr)
    if not (callable(getattr(opt, "step", None)) and callable(getattr(opt, "zero_grad", None))):
        raise Wrong(f"SimpleOptim(params, lr) should make an object with .step() and "
                    f".zero_grad() methods, but it gives {type(opt).__name__}.")
    for step in range(1, steps + 1):
        _nb05_loss(model.x, model.y, model.w, model.b).backward()
        _nb05_loss(ref.x, ref.y, ref.w, ref.b).backward()
        before = [p.detach().clone() for p in (model.w, model.b)]
        grads = [p.grad.detach().clone() for p in (model.w, model.b)]
        opt.step()
        with torch.no_grad():
            for p in (ref.w, ref.b):
                p -= lr * p.grad
                p.grad = None
        now = [model.w.detach(), model.b.detach()]
        if all(torch.equal(p, p0) for p, p0 in zip(now, before)):
            raise Wrong(f"step() did not change the parameters (step {step}): subtract "
                        f"lr * p.grad from each, in place.")
        if all(torch.allclose(p, p0 + lr * g, atol=1e-6) for p, p0, g in zip(now, before, grads)):
            raise Wrong("step() goes *up* the gradient (p + lr * p.grad): subtract it.")
        if not all(torch.allclose(p, q.detach(), atol=1e-6) for p, q in zip(now, (ref.w, ref.b))):
            if all(torch.allclose(p, p0 - g, atol=1e-6) for p, p0, g in zip(now, before, grads)):
                raise Wrong(f"step() ignores the learning rate: with lr={lr} it should move "
                            f"each parameter by lr * p.grad.")
            raise Wrong(f"after step {step} the parameters differ from p - lr * p.grad: does "
                        f"step() use self.lr and every parameter's own gradient?")
        opt.zero_grad()
        if not all(_nb05_cleared(p) for p in (model.w, model.b)):
            raise Wrong("after zero_grad() the gradients are still there: set each p.grad to None "
                        "(or zero it), or the next backward() adds to them.")


@exercise("05", 2, "SimpleOptim")
def check_SimpleOptim(SimpleOptim):
    "Exercise 05.2: an optimiser class with step() and zero_grad(), for many steps."
    _nb05_optim_run(SimpleOptim, as_generator=False)
    try:
        _nb05_optim_run(SimpleOptim, as_generator=True)
    except Wrong:
        raise Wrong("your optimiser works when given a list of parameters, but not when given "
                    "model.parameters(), a generator that is used up after one pass: keep a "
                    "list, self.params = list(params).") from None


def _nb05_linear(weight, bias):
    "An nn.Linear(1, 1) with the given weight and bias: its output is weight * x + bias."
    model = torch.nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(weight)
        model.bias.fill_(bias)
    return model


@exercise("05", 3, "image_accuracy")
def check_image_accuracy(image_accuracy):
    "Exercise 05.3: accuracy over all the images of a loader, each image counting once."
    # outputs 0.2 and 0.3 are a "3" (sigmoid above 0.5) though below 0.5: they test the threshold
    cases = [
        ([-0.2, 2.0, 2.0, 1.5, 1.5, 0.2, 0.2, 2.0, 1.5, 2.0], [1, 1, 0, 1, 1, 0, 0, 1, 0, 0], 4),
        ([2.0, -1.0, -1.0, 0.3, -0.2, 0.3, 2.0], [1, 1, 1, 1, 0, 1, 0], 3),
    ]
    for outputs, targets, bs in cases:
        x = torch.tensor(outputs).unsqueeze(1)
        y = torch.tensor(targets).unsqueeze(1)
        batches = list(zip(x.split(bs), y.split(bs)))
        model = _nb05_linear(1.0, 0.0)
        right = ((x.sigmoid() > 0.5) == y).float()
        want = right.mean().item()
        unweighted = torch.stack([r.mean() for r in right.split(bs)]).mean().item()
        no_sigmoid = ((x > 0.5) == y).float().mean().item()
        what = f"for {len(x)} images in batches of {bs} (the last of {len(x) % bs})"
        got = call(image_accuracy, model, batches)
        if torch.is_tensor(got) and got.numel() == 1:
            got = got.item()
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            raise Wrong(f"{what} you return {type(got).__name__}: return one number, the "
                        f"fraction of the images classified right.")
        if math.isclose(got, want, abs_tol=1e-4):
            continue
        if math.isclose(got, unweighted, abs_tol=1e-4):
            raise Wrong(f"{what} you return {got:.4f}, the mean of the batch accuracies: the "
                        f"short last batch counts as much as a full one. Count the right "
                        f"predictions over all images and divide by the number of images: "
                        f"{want:.4f}.")
        if math.isclose(got, no_sigmoid, abs_tol=1e-4):
            raise Wrong(f"{what} you return {got:.4f}: a prediction is a 3 when the *sigmoid* of "
                        f"the output is above 0.5 (the output above 0); you compare the raw "
                        f"output with 0.5.")
        raise Wrong(f"{what} the accuracy over all images is {want:.4f}, but you return "
                    f"{got:.4f}.")


@exercise("05", 4, "collapse_linear")
def check_collapse_linear(collapse_linear):
    "Exercise 05.4: the one linear layer that two linear layers without a ReLU amount to."
    g = torch.Generator().manual_seed(5)
    for n_in, n_hidden, n_out in ((3, 2, 2), (5, 4, 2), (6, 3, 1)):
        w1, b1 = torch.randn(n_in, n_hidden, generator=g), torch.randn(n_hidden, generator=g)
        w2, b2 = torch.randn(n_hidden, n_out, generator=g), torch.randn(n_out, generator=g)
        what = f"for w1 {n_in}x{n_hidden} and w2 {n_hidden}x{n_out}"
        got = call(collapse_linear, w1, b1, w2, b2)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise Wrong(f"{what} return a pair (w, b), the weight and bias of one linear layer; "
                        f"you return {type(got).__name__}.")
        w, b = got
        expect_tensor(w, f"{what} w", (n_in, n_out))
        expect_tensor(b, f"{what} b", (n_out,))
        if not torch.allclose(w, w1 @ w2, atol=1e-5):
            raise Wrong(f"{what} w is not w1 @ w2: x goes through w1, then through w2.")
        if torch.allclose(b, b2, atol=1e-5):
            raise Wrong(f"{what} your bias is b2 alone, but b1 goes through the second layer too: "
                        f"it adds b1 @ w2.")
        if n_hidden == n_out and torch.allclose(b, b1 + b2, atol=1e-5):
            raise Wrong(f"{what} your bias is b1 + b2, but b1 goes through the second layer: it "
                        f"is multiplied by w2 first.")
        if not torch.allclose(b, b1 @ w2 + b2, atol=1e-5):
            raise Wrong(f"{what} b is off: expand (x @ w1 + b1) @ w2 + b2 and collect what does "
                        f"not multiply x.")
        x = torch.randn(4, n_in, generator=g)
        if not torch.allclose(x @ w + b, (x @ w1 + b1) @ w2 + b2, atol=1e-4):
            raise Wrong(f"{what} x @ w + b does not equal the two layers' output.")


# ---------------------------------------------------------------- notebook 06

def _nb06_data(n, seed, width=3):
    "n items: x rows whose first value is the item's index (so a batch shows its order), y labels."
    g = torch.Generator().manual_seed(seed)
    x = torch.cat([torch.arange(n, dtype=torch.float32).unsqueeze(1),
                   torch.rand(n, width - 1, generator=g)], 1)
    y = torch.arange(n).remainder(2).unsqueeze(1) * 10 + torch.arange(n).unsqueeze(1)
    return x, y


def _nb06_pair(batch, what):
    "A batch as (xb, yb), or Wrong with what it is instead."
    if not isinstance(batch, (tuple, list)) or len(batch) != 2 or not all(
            torch.is_tensor(t) for t in batch):
        raise Wrong(f"{what} each batch should be a pair (xb, yb) of tensors, but one is "
                    f"{type(batch).__name__}.")
    return batch


@exercise("06", 1, "collate_pairs")
def check_collate_pairs(collate_pairs):
    "Exercise 06.1: a list of (x, y) pairs collated into (xb, yb)."
    g = torch.Generator().manual_seed(6)
    for n, shape in ((5, (3,)), (4, (2, 2)), (1, (784,))):
        items = [(torch.rand(*shape, generator=g), torch.tensor([i % 2])) for i in range(n)]
        xs, ys = torch.stack([x for x, _ in items]), torch.stack([y for _, y in items])
        what = f"for {n} pairs whose x has shape {shape}"
        got = call(collate_pairs, items)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise Wrong(f"{what} return a pair (xb, yb), but you return {type(got).__name__}"
                        f"{' of length ' + str(len(got)) if isinstance(got, (tuple, list)) else ''}"
                        f": split the pairs into the x's and the y's (zip(*items)), then stack "
                        f"each.")
        xb, yb = got
        if isinstance(xb, (tuple, list)):
            raise Wrong(f"{what} xb is a {type(xb).__name__} of tensors: stack them into one "
                        f"tensor with torch.stack.")
        expect_tensor(xb, f"{what} xb")
        expect_tensor(yb, f"{what} yb")
        if xb.shape == torch.cat([x for x, _ in items]).shape and xb.shape != xs.shape:
            raise Wrong(f"{what} xb has shape {tuple(xb.shape)}: torch.cat joins the x's along "
                        f"their first dimension; torch.stack puts them under a new one, "
                        f"{tuple(xs.shape)}.")
        if xb.shape == ys.shape and yb.shape == xs.shape and xb.shape != yb.shape:
            raise Wrong(f"{what} xb and yb are swapped: return (xb, yb), the x's first.")
        expect_tensor(xb, f"{what} xb", xs.shape)
        expect_tensor(yb, f"{what} yb", ys.shape)
        if not (torch.equal(xb, xs) and torch.equal(yb, ys)):
            raise Wrong(f"{what} the batch should keep the pairs' order and values: row i of xb "
                        f"and of yb come from pair i.")


@exercise("06", 2, "gather_batches")
def check_gather_batches(gather_batches):
    "Exercise 06.2: one epoch of (x[idx], y[idx]) batches in a given order, honouring drop_last."
    for n, bs, drop, seed in ((10, 4, False, 0), (10, 4, True, 1), (10, 5, True, 2),
                              (9, 4, False, 3), (3, 5, False, 4)):
        x, y = _nb06_data(n, seed)
        order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
        chunks = [c for c in order.split(bs) if len(c) == bs or not drop]
        what = f"for n={n}, bs={bs}, drop_last={drop}"
        got = call(gather_batches, x, y, order, bs, drop)
        if got is None or torch.is_tensor(got) or not hasattr(got, "__iter__"):
            raise Wrong(f"{what} return the list of batches [(xb, yb), ...], but you return "
                        f"{type(got).__name__}.")
        got = [_nb06_pair(b, what) for b in got]
        sizes, want_sizes = [len(xb) for xb, _ in got], [len(c) for c in chunks]
        if sizes != want_sizes:
            if drop and sizes == want_sizes + [n % bs]:
                raise Wrong(f"{what} you keep the short last batch of {n % bs}: drop_last=True "
                            f"throws it away.")
            if not drop and sizes == want_sizes[:-1]:
                raise Wrong(f"{what} you lose the short last batch of {n % bs}: keep it unless "
                            f"drop_last=True.")
            raise Wrong(f"{what} the batch sizes should be {want_sizes}, but yours are {sizes}.")
        for (xb, yb), idx in zip(got, chunks):
            if torch.equal(xb[:, 0].long(), idx):
                if not torch.equal(yb, y[idx]):
                    raise Wrong(f"{what} yb does not go with xb: gather both with the same "
                                f"indices, y[idx].")
                continue
            first = got[0][0][:, 0].long()
            if torch.equal(first, torch.arange(len(first))):
                raise Wrong(f"{what} your batches come in the dataset's order: take the indices "
                            f"from `order`, idx = order[i:i + bs], and gather x[idx].")
            raise Wrong(f"{what} a batch should be x[idx] for the next bs indices of `order`; "
                        f"your batch holds the items {xb[:, 0].long().tolist()}, not "
                        f"{idx.tolist()}.")


def _nb06_torch_epochs(x, y, bs, drop, seed, epochs):
    "The batches of PyTorch's DataLoader over TensorDataset(x, y), epoch by epoch."
    from torch.utils.data import DataLoader, TensorDataset
    dl = DataLoader(TensorDataset(x, y), batch_size=bs, shuffle=True, drop_last=drop,
                    generator=torch.Generator().manual_seed(seed))
    return len(dl), [[(xb, yb) for xb, yb in dl] for _ in range(epochs)]


@exercise("06", 3, "ShuffleLoader")
def check_ShuffleLoader(ShuffleLoader):
    "Exercise 06.3: a loader that shuffles every epoch, as torch's DataLoader, batch for batch."
    epochs = 3
    for n, bs, drop, seed in ((10, 4, False, 0), (10, 4, True, 42), (12, 4, False, 1),
                              (7, 3, True, 2), (5, 8, False, 3)):
        x, y = _nb06_data(n, seed)
        want_len, want = _nb06_torch_epochs(x, y, bs, drop, seed, epochs)
        what = f"for n={n}, bs={bs}, drop_last={drop}"
        dl = call(ShuffleLoader, x, y, bs, drop, torch.Generator().manual_seed(seed))
        if dl is None or torch.is_tensor(dl) or not hasattr(dl, "__iter__"):
            raise Wrong(f"ShuffleLoader(x, y, bs, drop_last, generator) should make a loader "
                        f"you can loop over, but it gives {type(dl).__name__}.")
        if not hasattr(dl, "__len__") or len(dl) != want_len:
            got_len = len(dl) if hasattr(dl, "__len__") else "no len()"
            raise Wrong(f"{what} len(loader) should be {want_len}, the number of batches, but "
                        f"it is {got_len}.")
        got = [[_nb06_pair(b, what) for b in dl] for _ in range(epochs)]
        orders = [[int(i) for xb, _ in e for i in xb[:, 0].tolist()] for e in got]
        for e, (mine, theirs) in enumerate(zip(got, want), 1):
            sizes, want_sizes = [len(xb) for xb, _ in mine], [len(xb) for xb, _ in theirs]
            if sizes != want_sizes:
                hint = (" drop_last=True throws the short last batch away." if drop else
                        " the short last batch counts unless drop_last=True.")
                raise Wrong(f"{what} epoch {e} has batches of {sizes}, PyTorch's "
                            f"{want_sizes}:{hint}")
            if all(torch.equal(a, c) and torch.equal(b, d) for (a, b), (c, d) in zip(mine, theirs)):
                continue
            order = orders[e - 1]
            if any(not torch.equal(yb, y[xb[:, 0].long()]) for xb, yb in mine):
                raise Wrong(f"{what} yb does not go with xb: gather both with the same idx.")
            if order == list(range(len(order))):
                raise Wrong(f"{what} epoch {e} comes in the dataset's order: shuffle, with "
                            f"torch.randperm(n, generator=...).")
            if e > 1 and order == orders[0]:
                raise Wrong(f"{what} your loader gives the same order every epoch: draw a new "
                            f"order in __iter__ (each epoch), not once in __init__.")
            g = torch.Generator().manual_seed(seed)
            plain = torch.randperm(n, generator=g).tolist()
            if e == 1 and order == plain[:len(order)]:
                raise Wrong(f"{what} your first epoch is the generator's first randperm, but "
                            f"PyTorch first draws one int64 from it: "
                            f"torch.empty((), dtype=torch.int64).random_(generator=g), then "
                            f"randperm.")
            if e > 1:
                raise Wrong(f"{what} epoch 1 matches PyTorch but epoch {e} does not: after each "
                            f"epoch's order, PyTorch draws a second randperm(n) that it throws "
                            f"away; make every draw, every epoch, in PyTorch's order.")
            raise Wrong(f"{what} epoch 1 differs from PyTorch's: per epoch draw one int64, then "
                        f"the order randperm(n), then a randperm(n) you throw away, all from the "
                        f"generator you were given.")


# ---------------------------------------------------------------- notebook 07
# (checks of notebook 07)


# ---------------------------------------------------------------- notebook 08
# (checks of notebook 08)


# ---------------------------------------------------------------- notebook 09
# (checks of notebook 09)


# ---------------------------------------------------------------- notebook 10
# (checks of notebook 10)
