"""Checks for the course's exercises: each one says *passed*, names what is wrong, or says *not
attempted yet*.

Every notebook ends with exercises: a function (or class) for you to write, then a check cell such
as `check_n_batches(n_batches)`. A check calls your code on inputs it makes itself (it never changes
your objects), compares the result with the reference, and prints one line in words. A stub that
still raises `NotImplementedError` counts as *not attempted*, so *Run All* never stops on it.
`progress()` runs the exercises saved in `notebooks/` and lists which pass.

This package holds the framework and `progress()`; each notebook's checks live in their own
module, `checks/nbNN.py`, and a notebook imports from its own (`from checks.nb01 import ...`).
Why a package beside `utils.py`: `utils.py` holds what the lessons derive and reuse and stays
short enough to read in ten minutes; these checks are the course's answer key and are long.
"""
import contextlib
import copy
import inspect
import json
import math
import numbers
import os
import random
import sysconfig
import textwrap
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

COURSE_DIR = Path(__file__).resolve().parent.parent
EXERCISES = {}  # name of the check -> Exercise, filled by @exercise below
# What an exercise cell may use without importing it (progress() runs the cells with this first).
PRELUDE = ("import math, random\nimport numpy as np\nimport torch\nfrom torch import nn\n"
           "from utils import *\nfrom sweeps import *\n")


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
    "Exercise `number` of notebook `notebook` asks for `function`; `check` raises Wrong if wrong."
    notebook: str
    number: int
    function: str
    check: object

    @property
    def label(self):
        return f"Exercise {self.notebook}.{self.number} ({self.function})"


def _learner_frame(error):
    "Where `error` was raised in the learner's code: its traceback's last line outside libraries."
    frames = traceback.extract_tb(error.__traceback__)
    libraries = tuple(os.path.realpath(sysconfig.get_paths()[k]) + os.sep
                      for k in ("stdlib", "purelib", "platlib"))
    here = os.path.realpath(__file__)
    theirs = [f for f in frames if os.path.realpath(f.filename) != here
              and not os.path.realpath(f.filename).startswith(libraries)]
    return (theirs or frames)[-1]


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
        where = _learner_frame(e)
        said = f": {e}" if str(e) else ""
        source = f": {where.line!r}" if where.line else ""
        return Result("wrong", f"{getattr(e, 'learner_call', 'calling your code')} raised "
                               f"{type(e).__name__}{said} (line {where.lineno}{source}).")
    return Result("passed", "passed.")


def line(ex, result):
    "What the learner reads: a mark, the exercise, and what the check found, in lines of <= 100."
    mark = {"passed": "✅", "wrong": "❌", "not attempted": "⏳"}[result.status]
    return textwrap.fill(f"{mark} {ex.label}: {result.message}", width=100, subsequent_indent="   ")


def exercise(notebook, number, function):
    "Register the check below as exercise `number` of notebook `notebook`, asking for `function`."
    def register(check):
        ex = Exercise(notebook, number, function, check)
        EXERCISES[check.__name__] = ex

        def run(answer):
            print(line(ex, evaluate(check, answer)))
        run.__name__, run.__doc__, run.exercise = check.__name__, check.__doc__, ex
        return run
    return register


# ---------------------------------------------------------------- tools the checks share

def _a(word):
    "The article for `word`: 'an int64', 'a float32'."
    return "an" if word[:1].lower() in "aeio" else "a"


def describe(value):
    "A value in a few words, for a message: a tensor or array by its type and shape, else as is."
    if torch.is_tensor(value):
        dtype = str(value.dtype).removeprefix("torch.")
        return f"{_a(dtype)} {dtype} tensor of shape {tuple(value.shape)}"
    if isinstance(value, np.ndarray):
        return f"a NumPy array of shape {value.shape} ({value.dtype})"
    if isinstance(value, np.generic):
        return f"NumPy's {type(value).__name__} {value.item()!r}"
    plain = (int, float, str, type(None))
    if isinstance(value, (list, tuple)) and value and not (
            all(isinstance(v, plain) for v in value) and len(repr(value)) <= 60):
        parts = [describe(v) for v in value[:3]]
        name = type(value).__name__
        if len(value) > 3 or len(", ".join(parts)) > 80:
            return f"{_a(name)} {name} of {len(value)} items, the first {parts[0]}"
        inside = ", ".join(parts) + ("," * (len(value) == 1 and name == "tuple"))
        return f"[{inside}]" if name == "list" else f"{_a(name)} {name} ({inside})"
    if callable(value) and hasattr(value, "__name__"):
        return f"the {'class' if isinstance(value, type) else 'function'} {value.__name__}"
    text = repr(value)
    if "\n" in text or " at 0x" in text:
        name = type(value).__name__
        return f"{_a(name)} {name}"
    return text if len(text) <= 60 else text[:57] + "..."


def what_it_is(value):
    "`describe`, with the type of a plain value too: '0.1', a str; [0.5], a list; None."
    plain = not (torch.is_tensor(value) or isinstance(value, (np.ndarray, np.generic))
                 or value is None or describe(value) != repr(value))
    return describe(value) + (f", {_a(type(value).__name__)} {type(value).__name__}" * plain)


def as_number(value, what, whole=False):
    """The learner's `value` as one Python number, or Wrong that says what it is instead.

    One number is a Python int or float, a NumPy scalar (np.float32, np.int64...), or a tensor or
    NumPy array that holds exactly one value (a 0-d tensor, or one of shape (1,) or (1, 1)), of
    any integer or float dtype. A bool is a truth value, not a number, and a complex number is
    not one either. It returns a float; with `whole`, where a count is asked for, an int, and a
    number of a float type (3.0, np.float64, a float tensor) is refused.
    """
    sized = torch.is_tensor(value) or isinstance(value, (np.ndarray, np.generic))
    if sized and (value.numel() if torch.is_tensor(value) else value.size) != 1:
        raise Wrong(f"{what} should be one number, but it is {describe(value)}.")
    one = value.item() if sized else value
    shown = what_it_is(value)
    if isinstance(one, bool):
        raise Wrong(f"{what} is {shown}: True and False are truth values, not numbers.")
    if not isinstance(one, numbers.Real):
        many = isinstance(value, (list, tuple, dict, set, range))
        raise Wrong(f"{what} should be {'one' if many else 'a'} number, but it is {shown}.")
    if whole and not isinstance(one, numbers.Integral):
        raise Wrong(f"{what} is {shown}: it should be a whole number (an int); // and math.ceil "
                    f"give one, / gives a float.")
    return int(one) if whole else float(one)


def _call_text(fn, args, kwargs):
    "The learner's call in words: the function's name and each argument by name, type and shape."
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or describe(fn)
    name = name.rsplit(".<locals>.", 1)[-1]
    try:
        signature = inspect.signature(fn)
        bound = signature.bind(*args, **kwargs)
    except (TypeError, ValueError):  # arguments its signature refuses, or a builtin without one
        parts = [describe(a) for a in args] + [f"{k}={describe(v)}" for k, v in kwargs.items()]
    else:
        parts = []
        for param, value in bound.arguments.items():
            kind = signature.parameters[param].kind
            if kind is inspect.Parameter.VAR_POSITIONAL:
                parts += [describe(v) for v in value]
            elif kind is inspect.Parameter.VAR_KEYWORD:
                parts += [f"{k}={describe(v)}" for k, v in value.items()]
            else:
                parts.append(f"{param}: {describe(value)}")
    return f"calling {name}({', '.join(parts)})"


@contextlib.contextmanager
def naming(what):
    "Name `what` (a call in words, or a function that makes it) in what the learner's code raises."
    try:
        yield
    except (Wrong, NotImplementedError):
        raise
    except Exception as e:
        if not hasattr(e, "learner_call"):  # the innermost name wins
            try:
                e.learner_call = what() if callable(what) else what
            except Exception:  # noqa: BLE001  (an odd argument must not hide the learner's error)
                pass
        raise


def call(fn, *args, **kwargs):
    "Call the learner's `fn` on deep copies, so nothing of the check's (or theirs) is changed."
    with naming(lambda: _call_text(fn, args, kwargs)):
        return fn(*copy.deepcopy(args), **copy.deepcopy(kwargs))


def call_uncopied(fn, *args, **kwargs):
    "Call the learner's `fn` on the check's own objects: for what must change them, in place."
    with naming(lambda: _call_text(fn, args, kwargs)):
        return fn(*args, **kwargs)


def expect_tensor(value, what, shape=None):
    "Raise Wrong unless `value` is a tensor (of `shape`, when given)."
    if not torch.is_tensor(value):
        hint = ": torch.from_numpy makes one from it" if isinstance(value, np.ndarray) else ""
        raise Wrong(f"{what} should be a tensor, but it is {what_it_is(value)}{hint}.")
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise Wrong(f"{what} should have shape {tuple(shape)}, but it has {tuple(value.shape)}.")


@contextlib.contextmanager
def global_rngs(seed):
    "Torch's, NumPy's and Python's global random numbers set from `seed`, restored afterwards."
    state = random.getstate(), np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        random.seed(seed)
        np.random.seed(seed)
        try:
            yield
        finally:
            random.setstate(state[0])
            np.random.set_state(state[1])


def close_tensors(a, b, atol=1e-5, rtol=1e-4):
    "Whether `a` and `b` are tensors of one shape and the same values, whatever their dtypes."
    return (torch.is_tensor(a) and torch.is_tensor(b) and a.shape == b.shape
            and torch.allclose(a.detach().double(), b.detach().double(), atol=atol, rtol=rtol))


def expect_close(value, expected, what, atol=1e-6, rtol=1e-5):
    "Raise Wrong unless `value` equals `expected` (a number or tensor) within tolerance."
    if torch.is_tensor(expected):
        expect_tensor(value, what, expected.shape)
        if not close_tensors(value, expected, atol=atol, rtol=rtol):
            err = (value.detach().double() - expected.detach().double()).abs().max().item()
            raise Wrong(f"{what} is off from the reference by up to {err:.3g}.")
        return
    value = as_number(value, what)
    if not math.isclose(value, float(expected), abs_tol=atol, rel_tol=rtol):
        raise Wrong(f"{what} is {value:.6g}, but it should be {float(expected):.6g}.")


# ---------------------------------------------------------------- progress across notebooks

def exercise_cells(nb_path):
    "Sources of the code cells tagged `exercise` in a saved notebook, in order."
    nb = json.loads(Path(nb_path).read_text())
    return ["".join(c["source"]) for c in nb["cells"]
            if c["cell_type"] == "code" and "exercise" in c.get("metadata", {}).get("tags", [])]


def notebook_results(nb_path):
    "Run the exercise cells saved in one notebook, check each of its exercises: {Exercise: Result}."
    number = Path(nb_path).name[:2]
    namespace = {}
    exec(PRELUDE, namespace)
    given = dict(namespace)  # a name the cells do not define must not pass as the learner's answer
    failed = None
    for source in exercise_cells(nb_path):
        try:
            exec(compile(source, str(nb_path), "exec"), namespace)
        except NotImplementedError:
            pass
        except Exception as e:
            failed = f"an exercise cell raised {type(e).__name__}: {e}"
    results = {}
    for ex in sorted((e for e in EXERCISES.values() if e.notebook == number),
                    key=lambda e: e.number):
        answer = namespace.get(ex.function)
        if answer is not None and answer is given.get(ex.function):
            answer = None
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
# One module per notebook (checks/nbNN.py); each registers its checks with @exercise above.
# They import the framework from here, so they are imported last.
from .nb01 import *  # noqa: E402,F403  (after the framework they use)
from .nb02 import *  # noqa: E402,F403  (after the framework they use)
from .nb03 import *  # noqa: E402,F403  (after the framework they use)
from .nb04 import *  # noqa: E402,F403  (after the framework they use)
from .nb05 import *  # noqa: E402,F403  (after the framework they use)
from .nb06 import *  # noqa: E402,F403  (after the framework they use)
from .nb07 import *  # noqa: E402,F403  (after the framework they use)
from .nb08 import *  # noqa: E402,F403  (after the framework they use)
from .nb09 import *  # noqa: E402,F403  (after the framework they use)
from .nb10 import *  # noqa: E402,F403  (after the framework they use)
from .nb11 import *  # noqa: E402,F403  (after the framework they use)
from .nb12 import *  # noqa: E402,F403  (after the framework they use)
