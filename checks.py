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
def _nb08_number(value, what):
    "The learner's result as a float, or Wrong if it is not a number."
    if torch.is_tensor(value) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise Wrong(f"{what} should be a number, but it is {type(value).__name__}.")
    return float(value)


@exercise("08", 1, "epochs_for")
def check_epochs_for(epochs_for):
    "Exercise 08.1: how many epochs a number of optimizer steps makes."
    cases = [(30, 12396, 32, True), (30, 12396, 4096, True), (30, 12396, 4096, False),
             (6, 10, 4, True), (6, 10, 4, False), (45, 100, 10, False), (0, 100, 10, True)]
    for steps, n, bs, drop in cases:
        per_epoch = n // bs if drop else math.ceil(n / bs)
        expected = steps / per_epoch
        got = _nb08_number(call(epochs_for, steps, n, bs, drop), f"epochs_for({steps}, {n}, {bs}, {drop})")
        if math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12):
            continue
        where = f"for steps={steps}, n={n}, bs={bs}, drop_last={drop} you return {got:.4g}"
        if math.isclose(got, steps * bs / n, rel_tol=1e-9):
            raise Wrong(f"{where}, the samples seen divided by n. An epoch is a number of steps: "
                        f"{per_epoch} here, so the answer is {expected:.4g} epochs.")
        if math.isclose(got, steps // per_epoch):
            raise Wrong(f"{where}: return a float. {steps} steps are {expected:.4g} epochs, "
                        f"not a whole number of them.")
        if drop and math.isclose(got, steps / math.ceil(n / bs), rel_tol=1e-9):
            raise Wrong(f"{where}. With drop_last=True the partial last batch is dropped: an epoch is "
                        f"n // bs = {per_epoch} steps.")
        if not drop and math.isclose(got, steps / (n // bs), rel_tol=1e-9):
            raise Wrong(f"{where}. With drop_last=False the partial last batch is a step too: an epoch "
                        f"is ceil(n / bs) = {per_epoch} steps.")
        raise Wrong(f"{where}, but it should be {expected:.4g} (an epoch is {per_epoch} steps).")


@exercise("08", 2, "eps_opt")
def check_eps_opt(eps_opt):
    "Exercise 08.2: McCandlish et al.'s best learning rate for a batch size."
    cases = [(1, 4.0, 16.0), (16, 4.0, 16.0), (1024, 4.0, 16.0), (8, 8.4, 16.1), (3, 0.5, 100.0)]
    for bs, eps_max, b_noise in cases:
        expected = eps_max / (1 + b_noise / bs)
        got = _nb08_number(call(eps_opt, bs, eps_max, b_noise), f"eps_opt({bs}, {eps_max}, {b_noise})")
        if math.isclose(got, expected, rel_tol=1e-6):
            continue
        where = f"for B={bs}, eps_max={eps_max}, B_noise={b_noise} you return {got:.4g}"
        if math.isclose(got, eps_max / (1 + bs / b_noise), rel_tol=1e-6):
            raise Wrong(f"{where}: your learning rate falls as B grows. It should rise towards eps_max: "
                        f"the noise term is B_noise / B, not B / B_noise.")
        if math.isclose(got, eps_max * bs / b_noise, rel_tol=1e-6):
            raise Wrong(f"{where}. That is linear scaling, only the small-B limit: for B much larger "
                        f"than B_noise the best rate levels off at eps_max (here {expected:.4g}).")
        raise Wrong(f"{where}, but eps_max / (1 + B_noise/B) is {expected:.4g}.")


@exercise("08", 3, "scaled_lr")
def check_scaled_lr(scaled_lr):
    "Exercise 08.3: linear scaling of the learning rate with a gradual warm-up."
    cases = [(0, 0.1, 256, 1024, 10), (5, 0.1, 256, 1024, 10), (9, 0.1, 256, 1024, 10),
             (10, 0.1, 256, 1024, 10), (100, 0.1, 256, 1024, 10), (3, 1.0, 64, 4096, 0),
             (2, 0.5, 64, 64, 5), (1, 2.0, 256, 64, 4)]
    for step, base_lr, base_bs, bs, warmup in cases:
        lr = base_lr * bs / base_bs
        expected = lr if step >= warmup else base_lr + (lr - base_lr) * step / warmup
        got = _nb08_number(call(scaled_lr, step, base_lr, base_bs, bs, warmup),
                      f"scaled_lr({step}, {base_lr}, {base_bs}, {bs}, {warmup})")
        if math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12):
            continue
        where = (f"at step {step} of a {warmup}-step warm-up from base_lr={base_lr} (batch {base_bs}) "
                 f"to batch {bs} you return {got:.4g}")
        if step < warmup and math.isclose(got, lr, rel_tol=1e-9):
            raise Wrong(f"{where}, already the scaled rate: during the warm-up the rate grows linearly "
                        f"from base_lr to base_lr · bs / base_bs (expected {expected:.4g}).")
        if step < warmup and math.isclose(got, lr * step / warmup, rel_tol=1e-9, abs_tol=1e-12):
            raise Wrong(f"{where}: your warm-up starts at 0. Goyal et al.'s starts at base_lr, the "
                        f"small batch's rate (expected {expected:.4g}).")
        if step >= warmup and math.isclose(got, base_lr, rel_tol=1e-9):
            raise Wrong(f"{where}: after the warm-up the rate is scaled with the batch, "
                        f"base_lr · bs / base_bs = {expected:.4g}.")
        if warmup > 1 and step < warmup and math.isclose(
                got, base_lr + (lr - base_lr) * min(1, step / (warmup - 1)), rel_tol=1e-9):
            raise Wrong(f"{where}: your warm-up ends one step early. The rate at step s < warmup_steps "
                        f"is base_lr + (scaled − base_lr) · s / warmup_steps (expected {expected:.4g}).")
        raise Wrong(f"{where}, but it should be {expected:.4g}.")


def _nb08_pick_problem(seed, n=256, d=10):
    "A tiny, nearly separable problem: x (n, d), 0/1 targets y (n, 1), and a seeded model maker."
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g)
    y = ((x @ torch.randn(d, 1, generator=g) + 0.3 * torch.randn(n, 1, generator=g)) > 0).long()

    def make_model():
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return torch.nn.Linear(d, 1)
    return make_model, x, y


def _nb08_steps_to_target(make_model, x, y, lr, bs, target, budget, seed, model=None):
    "Steps until accuracy(model, x, y) >= target, or None if not within budget (the reference)."
    import utils
    model = make_model() if model is None else model  # a model passed in: the shared-model mistake
    dl = utils.TensorLoader(x, y, batch_size=bs, shuffle=True, drop_last=True,
                            generator=torch.Generator().manual_seed(seed))
    opt, step = utils.BasicOptim(model.parameters(), lr), 0
    while step < budget:
        for xb, yb in dl:
            utils.calc_grad(xb, yb, model)
            opt.step()
            opt.zero_grad()
            step += 1
            if utils.accuracy(model, x, y) >= target:
                return step
            if step == budget:
                return None
    return None


@exercise("08", 4, "pick_lr")
def check_pick_lr(pick_lr):
    "Exercise 08.4: pick the learning rate that reaches a target in the fewest steps within a budget."
    cases = [(0, [0.3, 3.0, 30.0], 8, 0.95, 60), (0, [0.3, 3.0, 10.0, 30.0], 32, 0.9, 60),
             (1, [0.3, 0.9], 32, 0.95, 40), (0, [0.1, 30.0], 8, 0.95, 30)]
    for seed, lrs, bs, target, budget in cases:
        make_model, x, y = _nb08_pick_problem(seed)
        steps = {lr: _nb08_steps_to_target(make_model, x, y, lr, bs, target, budget, seed) for lr in lrs}
        reached = [lr for lr in lrs if steps[lr] is not None]
        best = min(reached, key=lambda lr: (steps[lr], lr)) if reached else None
        expected = (best, steps[best]) if reached else (None, None)
        got = call(pick_lr, make_model, x, y, lrs, bs, target, budget, seed)
        where = f"with lrs={lrs}, bs={bs}, target={target}, budget={budget}"
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise Wrong(f"return a pair (lr, steps), or (None, None); you return {got!r}.")
        lr, n = got
        if (lr, n) == expected:
            continue
        if not reached:
            raise Wrong(f"{where} no learning rate reaches the target within the budget "
                        f"({steps}): return (None, None), you return {got!r}.")
        if lr == best and n == expected[1] - 1:
            raise Wrong(f"{where} your step count is one less than ours ({expected[1]}): count a step "
                        f"after opt.step(), so the first step is step 1.")
        shared, found = make_model(), []  # the mistake of training every lr on one model, in turn
        for each in lrs:
            n_shared = _nb08_steps_to_target(make_model, x, y, each, bs, target, budget, seed, model=shared)
            found += [(n_shared, each)] if n_shared is not None else []
        if found and (lr, n) == tuple(reversed(min(found))):
            raise Wrong(f"{where} your learning rates share one model, each starting where the last "
                        f"stopped: start every lr from a fresh make_model() (expected {expected}).")
        if lr == best:
            raise Wrong(f"{where} you pick the right lr, {best}, but report {n} steps where it takes "
                        f"{expected[1]}: start every lr from a fresh make_model() and a loader seeded "
                        f"with `seed`, keep going epoch after epoch, and check accuracy after each step.")
        if lr in steps and steps[lr] is not None and steps[lr] == steps[best] and lr > best:
            raise Wrong(f"{where} lrs {best} and {lr} both take {steps[best]} steps: on a tie, "
                        f"pick the smaller learning rate.")
        raise Wrong(f"{where} you pick lr {lr}, but lr {best} reaches {target} in fewer steps: "
                    f"{expected[1]} (steps per lr: {steps}).")


# ---------------------------------------------------------------- notebook 09
# (checks of notebook 09)


# ---------------------------------------------------------------- notebook 10
# (checks of notebook 10)
