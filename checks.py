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

import numbers  # noqa: E402  (numpy's and torch's scalars count as numbers too)


def _number(value, what):
    if torch.is_tensor(value) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise Wrong(f"{what} should be a number, but it is {type(value).__name__}.")
    return float(value)


def _median(values):
    v = sorted(values)
    return (v[(len(v) - 1) // 2] + v[len(v) // 2]) / 2


@exercise("09", 1, "throughput")
def check_throughput(throughput):
    "Exercise 09.1: samples per second from epoch timings whose first is the warm-up: n / median of the rest."
    cases = [(1000, [5.0, 2.0, 4.0, 8.0]), (4096, [0.9, 0.5, 0.25, 1.0, 2.0]), (12396, [0.4, 0.2])]
    for n, timings in cases:
        got = _number(call(throughput, n, timings), f"throughput({n}, {timings})")
        timed = sorted(timings[1:])
        want = n / _median(timed)
        if math.isclose(got, want, rel_tol=1e-9):
            continue
        hint = f"throughput({n}, {timings}) is {got:.6g}, but it should be {want:.6g}"
        if math.isclose(got * sum(timed) / len(timed), n, rel_tol=1e-6):
            raise Wrong(f"{hint}: you took the mean of the timed epochs. Take their median: one slow "
                        f"epoch (another program, a garbage collection) would drag the mean.")
        if math.isclose(got * _median(timings), n, rel_tol=1e-6):
            raise Wrong(f"{hint}: the first timing is the warm-up epoch; leave it out, as time_it does.")
        if math.isclose(got * timed[0], n, rel_tol=1e-6):
            raise Wrong(f"{hint}: you used the fastest epoch. Take the median of the timed epochs.")
        if math.isclose(got, _median(timed) / n, rel_tol=1e-6):
            raise Wrong(f"{hint}: samples per second is the number of samples divided by the seconds "
                        f"an epoch takes, not the other way round.")
        if math.isclose(got * timed[len(timed) // 2], n, rel_tol=1e-6):
            raise Wrong(f"{hint}: with an even number of timings the median is the mean of the two "
                        f"middle ones.")
        raise Wrong(f"{hint}: divide the number of samples by the median of timings[1:].")
    try:
        call(throughput, 100, [1.0])
    except ValueError:
        pass
    else:
        raise Wrong("throughput(100, [1.0]) should raise ValueError: with only the warm-up epoch timed "
                    "there is nothing to take the median of.")


def _kinds_of_batches(y, bs):
    y = torch.as_tensor(y).flatten()
    kinds = ["only 3s" if b.all() else "only 7s" if not b.any() else "mixed" for b in y.split(bs)]
    runs = []
    for kind in kinds:
        if runs and runs[-1][0] == kind:
            runs[-1] = (kind, runs[-1][1] + 1)
        else:
            runs.append((kind, 1))
    return kinds, runs


@exercise("09", 2, "label_runs")
def check_label_runs(label_runs):
    "Exercise 09.2: runs of consecutive batches of the same kind ('only 3s', 'only 7s', 'mixed')."
    cases = [(torch.tensor([1] * 10 + [0] * 7).unsqueeze(1), 4),  # (n, 1), like train_y
             (torch.tensor([1, 0] * 6), 3),
             (torch.tensor([0] * 5 + [1] * 3), 4),
             (torch.tensor([1] * 8).unsqueeze(1), 3)]
    for y, bs in cases:
        kinds, want = _kinds_of_batches(y, bs)
        got = call(label_runs, y, bs)
        label = f"label_runs(y={y.flatten().tolist()}, bs={bs})"
        if not isinstance(got, (list, tuple)) or not all(isinstance(r, (list, tuple)) and len(r) == 2
                                                         for r in got):
            raise Wrong(f"{label} should return a list of (kind, number of batches) pairs, "
                        f"but it returns {got!r}.")
        got = [(r[0], int(r[1])) for r in got]
        if got == want:
            continue
        if {k for k, _ in got} - {"only 3s", "only 7s", "mixed"}:
            raise Wrong(f"{label} returns {got}: name the kinds 'only 3s', 'only 7s' and 'mixed'.")
        if sum(c for _, c in got) == len(y) // bs and len(y) % bs:
            raise Wrong(f"{label} returns {got}, but it should be {want}: the last, partial batch "
                        f"counts too (a loader without drop_last yields it).")
        if len(got) == len(kinds) and len(want) < len(kinds):
            raise Wrong(f"{label} returns {got}, but it should be {want}: merge consecutive batches "
                        f"of the same kind into one run and count them.")
        if sum(c for _, c in got) == len(y):
            raise Wrong(f"{label} returns {got}, but it should be {want}: count batches of {bs} "
                        f"labels, not single labels.")
        raise Wrong(f"{label} returns {got}, but it should be {want}.")


@exercise("09", 3, "epoch_orders")
def check_epoch_orders(epoch_orders):
    "Exercise 09.3: the sample order of each epoch, reshuffled every epoch or shuffled once."
    for n, epochs in [(10, 4), (7, 3)]:
        for reshuffle in (True, False):
            label = f"epoch_orders({n}, {epochs}, reshuffle={reshuffle}, generator)"
            got = call(epoch_orders, n, epochs, reshuffle, torch.Generator().manual_seed(n))
            if not isinstance(got, (list, tuple)) or len(got) != epochs:
                size = f" of length {len(got)}" if hasattr(got, "__len__") else ""
                raise Wrong(f"{label} should return a list of {epochs} orders, one per epoch, but it "
                            f"returns {type(got).__name__}{size}.")
            orders = [torch.as_tensor(o).flatten() for o in got]
            if any(sorted(o.tolist()) != list(range(n)) for o in orders):
                raise Wrong(f"{label}: each order must hold every index 0..{n - 1} exactly once.")
            if all(o.tolist() == list(range(n)) for o in orders):
                raise Wrong(f"{label} returns 0..{n - 1} in order: that is not shuffled. Draw the order "
                            f"with torch.randperm(n, generator=generator).")
            same = all(torch.equal(o, orders[0]) for o in orders)
            if reshuffle and same:
                raise Wrong(f"{label}: your loader returns the same order every epoch. Reshuffling "
                            f"draws a new permutation for each epoch.")
            if not reshuffle and not same:
                raise Wrong(f"{label}: shuffled once means one random order, reused every epoch; "
                            f"yours changes between epochs.")
            g = torch.Generator().manual_seed(n)
            want = [torch.randperm(n, generator=g) for _ in range(epochs if reshuffle else 1)]
            if not all(torch.equal(o, want[i if reshuffle else 0]) for i, o in enumerate(orders)):
                raise Wrong(f"{label}: two generators seeded alike must give the same orders. Draw each "
                            f"epoch's order with torch.randperm(n, generator=generator), in epoch order "
                            f"(shuffled once: one draw), and nothing else from the generator.")


@exercise("09", 4, "tie_or_winner")
def check_tie_or_winner(tie_or_winner):
    "Exercise 09.4: 'a', 'b' or 'tie' from two settings' accuracies over seeds, the spread deciding."
    cases = [([0.97, 0.98, 0.975], [0.96, 0.961, 0.962], "a"),
             ([0.9779, 0.9789, 0.9784], [0.9784, 0.9794, 0.9789], "tie"),
             ([0.5, 0.5, 0.5], [0.9, 0.905, 0.91], "b"),
             ([0.90, 0.99, 0.95], [0.94, 0.95, 0.96], "tie"),
             ([0.95, 0.96, 0.95, 0.96], [0.97, 0.9702, 0.9704, 0.9706], "b")]
    for a, b, want in cases:
        got = call(tie_or_winner, a, b)
        label = f"tie_or_winner({a}, {b})"
        if got not in ("a", "b", "tie"):
            raise Wrong(f"{label} should return 'a', 'b' or 'tie', but it returns {got!r}.")
        if got == want:
            continue
        if want == "tie":
            raise Wrong(f"{label} returns {got!r}, but the means differ by less than the seed-to-seed "
                        f"spread (the larger max − min of the two lists): that is a tie.")
        if got == "tie":
            raise Wrong(f"{label} returns 'tie', but the means differ by more than the seed-to-seed "
                        f"spread (the larger max − min of the two lists), so {want!r} wins.")
        raise Wrong(f"{label} returns {got!r}, but {want!r} has the higher mean accuracy: higher wins.")


@exercise("09", 5, "saved_bytes_per_sample")
def check_saved_bytes_per_sample(saved_bytes_per_sample):
    "Exercise 09.5: bytes autograd saves per sample for Linear/ReLU layers of `sizes`, sigmoid and mnist_loss."
    for sizes in ([784, 30, 1], [784, 1], [784, 100, 50, 1], [20, 5, 1]):
        got = _number(call(saved_bytes_per_sample, sizes), f"saved_bytes_per_sample({sizes})")
        floats = sum(sizes[:-1]) + 1
        want = 4 * floats + 1
        if got == want:
            continue
        label = f"saved_bytes_per_sample({sizes}) is {got:g}, but it should be {want}"
        hidden = sum(sizes[1:-1])
        params = sum(a * b + b for a, b in zip(sizes, sizes[1:]))
        if got == 4 * floats:
            raise Wrong(f"{label}: torch.where in mnist_loss keeps its condition, one bool (1 byte) "
                        f"per sample.")
        if got == 8 * floats + 1 or got == 8 * floats:
            raise Wrong(f"{label}: the tensors are float32, 4 bytes each.")
        if got == want + 4 * hidden:
            raise Wrong(f"{label}: a ReLU's output is also the next Linear's input; it is one tensor, "
                        f"saved once.")
        if got == want - 4 * sizes[0]:
            raise Wrong(f"{label}: the first Linear keeps its input, the batch itself ({sizes[0]} "
                        f"floats a sample), to compute its weights' gradient.")
        if got == want - 4:
            raise Wrong(f"{label}: the sigmoid keeps its output (1 float a sample) for its backward.")
        if got in (want + 4 * params, want + params):
            raise Wrong(f"{label}: the parameters do not grow with the batch; leave them out.")
        raise Wrong(f"{label}: count each Linear's input (floats), the sigmoid's output and "
                    f"torch.where's bool, 4 bytes a float.")


# ---------------------------------------------------------------- notebook 10
# (checks of notebook 10)
