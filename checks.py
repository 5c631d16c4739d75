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
import textwrap
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


@dataclass(eq=False)
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
        return Result("not attempted", "not attempted yet: nothing is defined to check.")
    try:
        check(answer)
    except NotImplementedError:
        return Result("not attempted", "not attempted yet: write your code in place of the stub.")
    except Wrong as e:
        return Result("wrong", str(e))
    except Exception as e:  # raised by the learner's code, or by a result of an unexpected kind
        where = traceback.extract_tb(e.__traceback__)[-1]
        return Result("wrong", f"calling your code raised {type(e).__name__}: {e} "
                               f"(line {where.lineno}: {where.line!r}).")
    return Result("passed", "passed.")


def line(ex, result):
    "What the learner reads: a mark, the exercise, and what the check found, in lines of <= 100."
    mark = {"passed": "✅", "wrong": "❌", "not attempted": "⏳"}[result.status]
    return textwrap.fill(f"{mark} {ex.label}: {result.message}", width=100, subsequent_indent="   ")


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
        marks = " ".join(line(ex, r)[0] + str(ex.number) for ex, r in results.items())  # ✅1 ⏳2
        print(f"{path.stem}: {done}/{len(results)} passed  {marks}")
        for ex, r in results.items():
            if r.status == "wrong":
                print(textwrap.indent(line(ex, r), "    "))
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
# (checks of notebook 10)
