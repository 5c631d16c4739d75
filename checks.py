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

def _n07_number(value, what):
    "A float from the learner's result, or Wrong if it is not one number."
    if isinstance(value, bool) or value is None:
        raise Wrong(f"{what} should be a number, but it is {type(value).__name__}.")
    if torch.is_tensor(value):
        if value.numel() != 1:
            raise Wrong(f"{what} should be one number, but it is a tensor of shape {tuple(value.shape)}.")
        return float(value.item())
    if not isinstance(value, (int, float)):
        raise Wrong(f"{what} should be a number, but it is {type(value).__name__}.")
    return float(value)


def _n07_close(a, b, rel=1e-6):
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))


@exercise("07", 1, "fp_factor")
def check_fp_factor(fp_factor):
    "Exercise 07.1: the finite-population factor (n - b)/(n - 1), and a ValueError for a b outside 1..n."
    for n, b in [(2, 1), (12396, 1), (12396, 12396), (10, 5), (12396, 256), (100, 99), (7, 3)]:
        got = _n07_number(call(fp_factor, n, b), f"fp_factor({n}, {b})")
        want = (n - b) / (n - 1)
        if _n07_close(got, want):
            continue
        if b == 1:
            raise Wrong(f"fp_factor({n}, 1) returns {got:.4g}: a batch of one sample is exactly as noisy as "
                        "one sample, so the factor at b = 1 must be 1. Divide by n - 1, not by n.")
        if b == n:
            raise Wrong(f"fp_factor({n}, {n}) returns {got:.4g}: a batch of all n samples is the full "
                        "set and has no noise, so the factor at b = n must be 0.")
        if _n07_close(got, (n - b) / n):
            raise Wrong(f"fp_factor({n}, {b}) returns {got:.4g} = (n - b)/n: the denominator is n - 1 "
                        "(check b = 1: the factor must be 1).")
        raise Wrong(f"fp_factor({n}, {b}) returns {got:.6g}, but (n - b)/(n - 1) is {want:.6g}.")
    for n, b in [(10, 0), (10, 11), (5, -1)]:
        try:
            call(fp_factor, n, b)
        except ValueError:
            continue
        raise Wrong(f"fp_factor({n}, {b}) should raise a ValueError: a batch holds from 1 to n samples.")


@exercise("07", 2, "predicted_noise")
def check_predicted_noise(predicted_noise):
    "Exercise 07.2: E|mini-batch gradient - full gradient|² = tr(Σ)/b · (n - b)/(n - 1)."
    for tr_sigma, n, b in [(4.776, 12396, 16), (4.776, 12396, 256), (2.0, 10, 5), (0.2079, 12396, 4096),
                           (3.0, 12396, 1), (1.5, 50, 50), (0.5, 9, 3)]:
        got = _n07_number(call(predicted_noise, tr_sigma, n, b), f"predicted_noise({tr_sigma}, {n}, {b})")
        want = tr_sigma / b * (n - b) / (n - 1)
        if _n07_close(got, want):
            continue
        where = f"predicted_noise({tr_sigma}, {n}, {b}) returns {got:.6g} but should return {want:.6g}"
        if _n07_close(got, tr_sigma / b):
            raise Wrong(f"{where}: you left out the finite-population factor (n - b)/(n - 1). A batch drawn "
                        "without replacement is less noisy than b independent draws; all n have no noise.")
        if _n07_close(got, tr_sigma / math.sqrt(b) * (n - b) / (n - 1)) or _n07_close(got, math.sqrt(want)):
            raise Wrong(f"{where}: the *squared* error falls as 1/b (its square root, the RMS error, "
                        "as 1/√b).")
        if _n07_close(got, tr_sigma / b * (n - b) / n):
            raise Wrong(f"{where}: divide by n - 1, not n, in the finite-population factor.")
        if _n07_close(got, tr_sigma * (n - b) / (n - 1)):
            raise Wrong(f"{where}: divide by the batch size b too: averaging b gradients divides the "
                        "variance by b.")
        raise Wrong(f"{where}.")


@exercise("07", 3, "b_simple")
def check_b_simple(b_simple):
    "Exercise 07.3: B_simple = tr(Σ)/|G|² from a tensor of per-sample gradients, Σ dividing by n."
    gen = torch.Generator().manual_seed(7)
    cases = [torch.tensor([[1.0, 0.0], [3.0, 0.0], [2.0, 2.0], [2.0, -2.0]]),
             torch.randn(6, 3, generator=gen, dtype=torch.float64) + 0.8,
             torch.randn(40, 5, generator=gen) * torch.tensor([1.0, 3.0, 0.1, 0.1, 2.0]) + 0.3]
    for g in cases:
        got = _n07_number(call(b_simple, g), f"b_simple of a {tuple(g.shape)} tensor")
        gd = g.double()
        mean = gd.mean(0)
        tr = (gd - mean).pow(2).sum(1).mean().item()
        g2 = mean.pow(2).sum().item()
        want, n = tr / g2, len(g)
        if _n07_close(got, want, rel=1e-5):
            continue
        where = f"for these {n} gradients (shape {tuple(g.shape)}) you return {got:.5g} instead of {want:.5g}"
        if _n07_close(got, want * n / (n - 1), rel=1e-5):
            raise Wrong(f"{where}: Σ here divides by n (the whole population of samples, as grad_noise "
                        "does), not by n - 1.")
        if _n07_close(got, want + 1, rel=1e-5):
            raise Wrong(f"{where}: tr(Σ) is the mean squared distance of each g_i from the mean "
                        "gradient G, not from zero: subtract G first.")
        if _n07_close(got, tr / math.sqrt(g2), rel=1e-5):
            raise Wrong(f"{where}: divide by |G|², the squared length of the mean gradient, not |G|.")
        if _n07_close(got, want * n, rel=1e-5):
            raise Wrong(f"{where}: average the squared distances over the n samples, don't sum them.")
        raise Wrong(f"{where}.")


@exercise("07", 4, "mnist_loss_curvature")
def check_mnist_loss_curvature(mnist_loss_curvature):
    "Exercise 07.4: d²ℓ/dz² of mnist_loss for each sample, from its prediction z and target y."
    z = torch.linspace(-4, 4, 9).repeat(2).unsqueeze(1)
    y = torch.tensor([1] * 9 + [0] * 9).unsqueeze(1)
    gen = torch.Generator().manual_seed(3)
    z2, y2 = torch.randn(7, 1, generator=gen) * 2, torch.tensor([[1], [0], [0], [1], [1], [0], [1]])
    for zz, yy in [(z, y), (z2, y2)]:
        got = call(mnist_loss_curvature, zz, yy)
        expect_tensor(got, f"mnist_loss_curvature(z, y) for z of shape {tuple(zz.shape)}", zz.shape)
        s = zz.double().sigmoid()
        sign = torch.where(yy == 1, -1.0, 1.0).double()
        want = s * (1 - s) * (1 - 2 * s) * sign
        got = got.detach().double()
        if torch.allclose(got, want, atol=1e-6, rtol=1e-4):
            continue
        if torch.allclose(got, s * (1 - s) * sign, atol=1e-6) or torch.allclose(got, s * (1 - s), atol=1e-6):
            raise Wrong("that is the slope dℓ/dz = ∓σ(z)(1 - σ(z)); differentiate once more: "
                        "the derivative of σ(1 - σ) is σ(1 - σ)(1 - 2σ).")
        if torch.allclose(got, s * (1 - s) * (1 - 2 * s), atol=1e-6):
            raise Wrong("right for a 7 (target 0, loss σ(z)), but for a 3 (target 1) the loss is "
                        "1 - σ(z): its second derivative has the opposite sign.")
        if torch.allclose(got, -want, atol=1e-6):
            raise Wrong("the signs are flipped: for a 7 (loss σ(z)) the curvature is σ(1 - σ)(1 - 2σ), "
                        "positive where σ(z) < 0.5, i.e. where the 7 is classified correctly.")
        if torch.allclose(got * len(zz), want, atol=1e-6):
            raise Wrong("return each sample's own curvature, not divided by the number of samples.")
        err = (got - want).abs().max().item()
        raise Wrong(f"your curvatures are off by up to {err:.3g} (check z = 0: every curvature there is 0).")


@exercise("07", 5, "b_noise")
def check_b_noise(b_noise):
    "Exercise 07.5: B_noise = tr(HΣ)/(GᵀHG) from per-sample gradients and a Hessian; nan if GᵀHG <= 0."
    gen = torch.Generator().manual_seed(11)
    g = torch.randn(8, 3, generator=gen, dtype=torch.float64) + torch.tensor([1.0, 0.2, 0.0]).double()
    a = torch.randn(3, 3, generator=gen, dtype=torch.float64)
    cases = [(g, a @ a.T + 0.1 * torch.eye(3, dtype=torch.float64)),
             (g, torch.diag(torch.tensor([0.2, 5.0, 1.0], dtype=torch.float64))),
             (g.float(), 2.0 * torch.eye(3)),
             (g, torch.diag(torch.tensor([-1.0, 3.0, 2.0], dtype=torch.float64)))]
    for gg, h in cases:
        got = _n07_number(call(b_noise, gg, h), "b_noise(G, H)")
        gd, hd = gg.double(), h.double()
        n, mean = len(gd), gd.mean(0)
        dev = gd - mean
        sigma = dev.T @ dev / n
        ghg, g2 = (mean @ hd @ mean).item(), (mean @ mean).item()
        if ghg <= 0:
            if math.isnan(got):
                continue
            raise Wrong(f"here GᵀHG = {ghg:.3g} <= 0: the loss does not curve upwards along the "
                        f"gradient, so B_noise is undefined; return math.nan (you return {got:.4g}).")
        want = (torch.trace(hd @ sigma) / ghg).item()
        if _n07_close(got, want, rel=1e-5):
            continue
        where = f"you return {got:.5g} instead of {want:.5g}"
        if _n07_close(got, (torch.trace(sigma) / g2).item(), rel=1e-5):
            raise Wrong(f"{where}: that is B_simple = tr(Σ)/|G|², which assumes H is a multiple of the "
                        "identity; weight the noise and the gradient by H: tr(HΣ)/(GᵀHG).")
        if _n07_close(got, (torch.trace(hd) * torch.trace(sigma)).item() / ghg, rel=1e-5):
            raise Wrong(f"{where}: tr(HΣ) is the trace of the matrix product H @ Σ, not tr(H)·tr(Σ).")
        if _n07_close(got, want * n / (n - 1), rel=1e-5):
            raise Wrong(f"{where}: Σ divides by n (the population of samples), not n - 1.")
        raise Wrong(f"{where}.")


# ---------------------------------------------------------------- notebook 08
# (checks of notebook 08)


# ---------------------------------------------------------------- notebook 09
# (checks of notebook 09)


# ---------------------------------------------------------------- notebook 10
# (checks of notebook 10)
