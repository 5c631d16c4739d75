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
# (checks of notebook 05)


# ---------------------------------------------------------------- notebook 06
# (checks of notebook 06)


# ---------------------------------------------------------------- notebook 07
# (checks of notebook 07)


# ---------------------------------------------------------------- notebook 08
# (checks of notebook 08)


# ---------------------------------------------------------------- notebook 09
# (checks of notebook 09)


# ---------------------------------------------------------------- notebook 10

@exercise("10", 1, "effective_lr")
def check_effective_lr(effective_lr):
    "Exercise 10.1: the learning rate for k ranks of b items (and accumulation), by linear scaling."
    cases = [  # base_lr, base_bs, per_rank_bs, world_size, accum_steps
        (0.1, 256, 64, 8, 1), (0.5, 64, 32, 4, 2), (0.1, 512, 16, 4, 1), (2.0, 128, 64, 2, 1),
        (0.05, 100, 25, 1, 8)]
    for base_lr, base_bs, b, k, acc in cases:
        got = call(effective_lr, base_lr, base_bs, b, k, acc)
        expected = base_lr * b * k * acc / base_bs
        if isinstance(got, (int, float)) and not isinstance(got, bool) and not math.isclose(
                got, expected, rel_tol=1e-6):
            what = f"for base_lr={base_lr} at batch {base_bs}, {k} ranks of {b}, accum_steps={acc}"
            if math.isclose(got, base_lr * b / base_bs, rel_tol=1e-6):
                raise Wrong(f"{what} you return {got:.4g}: you scaled by the per-rank batch only. "
                            f"SGD's batch is the ranks' batches together, {k} x {b} = {k * b}.")
            if math.isclose(got, base_lr * b * k / base_bs, rel_tol=1e-6):
                raise Wrong(f"{what} you return {got:.4g}: each step also sums {acc} accumulated "
                            f"micro-batches, so the batch is {b} x {k} x {acc} = {b * k * acc}.")
            if math.isclose(got, base_lr * math.sqrt(b * k * acc / base_bs), rel_tol=1e-6):
                raise Wrong(f"{what} you return {got:.4g}: that is square-root scaling; the linear "
                            f"rule multiplies the learning rate by the ratio of the batch sizes.")
        expect_close(got, expected, f"the learning rate for base_lr={base_lr} at batch {base_bs}, "
                                    f"{k} ranks of {b}, accum_steps={acc}", atol=0, rtol=1e-6)


@exercise("10", 2, "dp_speedup")
def check_dp_speedup(dp_speedup):
    "Exercise 10.2: the speed-up of k ranks over one process, with an all-reduce every step."
    for one, comm, k in [(1.0, 0.0, 4), (0.001, 0.001, 2), (0.010, 0.001, 8), (2.0, 0.5, 1),
                         (0.3, 0.05, 3)]:
        got = call(dp_speedup, one, comm, k)
        expected = one / (one / k + comm)
        what = f"for one_process_s={one}, all_reduce_s={comm}, world_size={k}"
        if isinstance(got, (int, float)) and not isinstance(got, bool) and not math.isclose(
                got, expected, rel_tol=1e-6):
            if math.isclose(got, k, rel_tol=1e-6):
                raise Wrong(f"{what} you return {got:.4g}: that leaves out the all-reduce, which "
                            f"every step pays however many ranks there are.")
            if math.isclose(got, one / ((one + comm) / k), rel_tol=1e-6):
                raise Wrong(f"{what} you return {got:.4g}: the compute is shared by the ranks, "
                            f"but the all-reduce is not: it does not get shorter with more ranks.")
            if math.isclose(got, 1 / expected, rel_tol=1e-6):
                raise Wrong(f"{what} you return {got:.4g}, DDP's time over one process's: the "
                            f"speed-up is one process's time divided by DDP's.")
        expect_close(got, expected, f"the speed-up {what}", atol=0, rtol=1e-6)


def _sampler_shard(n, world_size, rank, drop_last):
    from torch.utils.data import DistributedSampler
    return list(DistributedSampler(range(n), num_replicas=world_size, rank=rank, shuffle=False,
                                   drop_last=drop_last))


@exercise("10", 3, "shard_indices")
def check_shard_indices(shard_indices):
    "Exercise 10.3: rank r's indices, as DistributedSampler gives them without shuffling."
    cases = [(15, 2, r, False) for r in (0, 1)] + [(15, 2, r, True) for r in (0, 1)] + [
        (15, 3, 2, False), (16, 4, 1, False), (15, 4, 3, False), (15, 4, 3, True), (10, 3, 0, True),
        (2, 5, 4, False), (2, 5, 2, False), (7, 7, 6, False), (1, 1, 0, False)]
    for n, k, r, drop in cases:
        got = call(shard_indices, n, k, r, drop)
        expected = _sampler_shard(n, k, r, drop)
        what = f"for n={n}, world_size={k}, rank={r}, drop_last={drop}"
        if torch.is_tensor(got):
            got = got.tolist()
        if not isinstance(got, (list, tuple, range)):
            raise Wrong(f"{what} you return a {type(got).__name__}: return the list of indices.")
        got = [int(i) for i in got]
        if got == expected:
            continue
        if len(got) == len(expected) and got == list(range(r * len(got), (r + 1) * len(got))):
            raise Wrong(f"{what} you return a contiguous block {got}: DistributedSampler deals "
                        f"indices out like cards, one to each rank in turn: rank {r} gets "
                        f"{expected}.")
        if not drop and n % k and len(got) < len(expected):
            raise Wrong(f"{what} you return {len(got)} indices, but every rank gets "
                        f"ceil({n}/{k}) = {len(expected)}: the sampler pads the epoch to a "
                        f"multiple of world_size by repeating indices from the start (0, 1, ...).")
        if drop and len(got) > len(expected):
            raise Wrong(f"{what} you return {len(got)} indices: with drop_last=True the sampler "
                        f"trims the epoch to {n // k * k} indices instead of padding it, "
                        f"{len(expected)} a rank.")
        raise Wrong(f"{what} you return {got}, but DistributedSampler gives {expected}. (It pads "
                    f"with the first indices, 0, 1, ..., repeated as often as needed.)")


def _tiny_net(seed):
    g = torch.Generator().manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=g))
    return net


class _Recorder(torch.nn.Module):
    "A model that writes down how many items each forward pass gets."
    def __init__(self, net):
        super().__init__()
        self.net, self.sizes = net, []

    def forward(self, x):
        self.sizes.append(len(x))
        return self.net(x)


def _grads(model):
    return [None if p.grad is None else p.grad.detach().clone() for p in model.parameters()]


def _grad_of(net, pieces, weights):
    "The gradient of sum(weight * mnist_loss(piece)) over the pieces, on a copy of net."
    from utils import mnist_loss
    net = copy.deepcopy(net)
    for (x, y), w in zip(pieces, weights):
        (mnist_loss(net(x), y) * w).backward()
    return _grads(net)


def _same(a, b):
    return all(x is not None and torch.allclose(x, y, atol=1e-6, rtol=1e-5) for x, y in zip(a, b))


@exercise("10", 4, "accumulate_grads")
def check_accumulate_grads(accumulate_grads):
    "Exercise 10.4: the whole batch's gradient, computed micro_bs items at a time."
    for n, micro_bs, seed in [(10, 4, 0), (12, 4, 1), (10, 5, 2), (7, 3, 3), (6, 6, 4), (5, 2, 5)]:
        g = torch.Generator().manual_seed(seed)
        x, y = torch.randn(n, 6, generator=g), torch.randint(0, 2, (n, 1), generator=g)
        net = _tiny_net(seed)
        model = _Recorder(copy.deepcopy(net))  # the check's own objects, so it may look inside
        accumulate_grads(model, x.clone(), y.clone(), micro_bs)
        got = _grads(model.net)
        what = f"for a batch of {n} in micro-batches of at most {micro_bs}"
        pieces = [(x[i:i + micro_bs], y[i:i + micro_bs]) for i in range(0, n, micro_bs)]
        sizes = [len(px) for px, _ in pieces]
        if any(t is None for t in got):
            raise Wrong(f"{what} the parameters have no gradient after your function: call "
                        f"backward on each micro-batch's loss (and do not zero them at the end).")
        if model.sizes and max(model.sizes) > micro_bs:
            raise Wrong(f"{what} your model got {max(model.sizes)} items in one forward pass: the "
                        f"point is to need only the memory of {micro_bs}, so compute at most "
                        f"micro_bs items at a time and let backward add up the gradients.")
        if _same(got, _grad_of(net, [(x, y)], [1.0])):
            continue
        if _same(got, _grad_of(net, pieces, [1.0 / len(pieces)] * len(pieces))):
            raise Wrong(f"{what} (sizes {sizes}) you weight every micro-batch's mean loss by "
                        f"1/{len(pieces)}: right only when they are the same size. Weight each by "
                        f"its share of the batch, len(micro-batch) / len(batch).")
        if _same(got, _grad_of(net, pieces, [1.0] * len(pieces))):
            raise Wrong(f"{what} your gradient is the sum of the {len(pieces)} micro-batches' mean "
                        f"gradients: scale each micro-batch's loss by its share of the batch.")
        if len(pieces) > 1 and _same(got, _grad_of(net, pieces[-1:], [sizes[-1] / n])):
            raise Wrong(f"{what} only the last micro-batch's gradient is left: do not zero the "
                        f"gradients between micro-batches; backward adds to .grad, let it.")
        raise Wrong(f"{what} your gradient is not the whole batch's mean-loss gradient.")
