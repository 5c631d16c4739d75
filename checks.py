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
import contextlib
import copy
import inspect
import json
import math
import numbers
import os
import sysconfig
import textwrap
import traceback
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

COURSE_DIR = Path(__file__).resolve().parent
EXERCISES = {}  # name of the check -> Exercise, filled by @exercise below
# What an exercise cell may use without importing it (progress() runs the cells with this first).
PRELUDE = ("import math, random\nimport numpy as np\nimport torch\nfrom torch import nn\n"
           "from utils import *\n")


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
# Each notebook's checks live in its own section below; keep the sections in notebook order.

# ---------------------------------------------------------------- notebook 01

def _nb01_as_list(batch):
    "A batch as a plain list: a tensor's values, or the items of a list or tuple."
    return batch.tolist() if torch.is_tensor(batch) else list(batch)


@exercise("01", 1, "n_batches")
def check_n_batches(n_batches):
    "Exercise 01.1: how many batches a loader makes from n items; a batch size below 1 is refused."
    for n, bs, drop in [(15, 5, False), (16, 5, False), (16, 5, True), (3, 5, False), (3, 5, True),
                        (1000, 64, False), (1000, 64, True), (12396, 256, False)]:
        want = n // bs if drop else math.ceil(n / bs)
        got = as_number(call(n_batches, n, bs, drop), f"n_batches({n}, {bs}, drop_last={drop})",
                        whole=True)
        if got == want:
            continue
        if not drop and got == n // bs:
            raise Wrong(f"for n={n}, bs={bs} you return {got}, but the items left over "
                        f"({n % bs} of them) make a partial batch that counts too: {want} "
                        f"batches unless drop_last=True.")
        if drop and got == math.ceil(n / bs):
            raise Wrong(f"with drop_last=True the partial last batch is thrown away: n={n}, "
                        f"bs={bs} makes {want} batches, not {got}.")
        raise Wrong(f"for n={n}, bs={bs}, drop_last={drop} a loader makes {want} batches, "
                    f"but you return {got}.")
    for bs in (0, -3):
        try:
            got = call(n_batches, 15, bs, False)
        except ValueError:
            continue
        except ZeroDivisionError:
            raise Wrong(f"n_batches(15, {bs}) raises ZeroDivisionError, a message that does not "
                        f"name the problem: check the batch size first and raise ValueError, as "
                        f"PyTorch's DataLoader does.") from None
        raise Wrong(f"n_batches(15, {bs}) returns {got!r}: a batch size below 1 makes no sense; "
                    f"raise ValueError, as PyTorch's DataLoader does.")


@exercise("01", 2, "batch_sizes")
def check_batch_sizes(batch_sizes):
    "Exercise 01.2: the size of each batch, in order."
    for n, bs, drop in [(15, 4, False), (15, 4, True), (15, 5, False), (15, 5, True), (3, 5, False),
                        (3, 5, True), (16, 5, False), (1, 1, False)]:
        want = [bs] * (n // bs) + ([n % bs] if n % bs and not drop else [])
        got = call(batch_sizes, n, bs, drop)
        if not isinstance(got, (list, tuple)):
            raise Wrong(f"batch_sizes({n}, {bs}, drop_last={drop}) should return a list of sizes "
                        f"such as {want}, but it returns {type(got).__name__} {got!r}.")
        got = list(got)
        if got == want:
            continue
        if 0 in got:
            raise Wrong(f"batch_sizes({n}, {bs}, drop_last={drop}) returns {got}: a batch is never "
                        f"empty; when bs divides n there is no partial batch.")
        if drop and got == want + [n % bs]:
            raise Wrong(f"with drop_last=True the partial batch of {n % bs} is thrown away: "
                        f"expected {want}, got {got}.")
        if not drop and got == want[:-1]:
            raise Wrong(f"the last {n % bs} items make a smaller, last batch: for n={n}, bs={bs} "
                        f"expected {want}, got {got}.")
        raise Wrong(f"for n={n}, bs={bs}, drop_last={drop} the batch sizes are {want}, "
                    f"but you return {got}.")


@exercise("01", 3, "batch_mean_accuracy")
def check_batch_mean_accuracy(batch_mean_accuracy):
    "Exercise 01.3: validate_epoch's number, the unweighted mean of the batch accuracies."
    g = torch.Generator().manual_seed(1)
    ten_of_fifteen = torch.tensor([1.] * 10 + [0.] * 5)
    cases = [(ten_of_fifteen, 4), (ten_of_fifteen.flip(0), 4), (ten_of_fifteen, 5),
             ((torch.rand(37, generator=g) < 0.7).float(), 8), (torch.tensor([0., 1., 1.]), 2)]
    for correct, bs in cases:
        batches = correct.split(bs)
        want = torch.stack([b.mean() for b in batches]).mean().item()
        what = f"batch_mean_accuracy of {len(correct)} items with bs={bs}"
        got = as_number(call(batch_mean_accuracy, correct, bs), what)
        full = [b for b in batches if len(b) == bs]
        if math.isclose(got, want, abs_tol=1e-6):
            continue
        if math.isclose(got, correct.mean().item(), abs_tol=1e-6):
            raise Wrong(f"{what}: you return {got:.4f}, the fraction of all items that are "
                        f"right; validate_epoch averages the batch accuracies, so the last, "
                        f"partial batch counts as much as a full one: {want:.4f}.")
        if full and math.isclose(got, torch.stack([b.mean() for b in full]).mean().item(),
                                 abs_tol=1e-6):
            raise Wrong(f"{what}: you return {got:.4f}, leaving out the last, partial batch; "
                        f"validate_epoch keeps it: {want:.4f}.")
        expect_close(got, want, what)


@exercise("01", 4, "shuffled_batches")
def check_shuffled_batches(shuffled_batches):
    "Exercise 01.4: one epoch of a shuffling loader, batch for batch torch's, same generator."
    from torch.utils.data import DataLoader
    letters = list("abcdefghijklm")
    cases = [(list(range(15)), 5, False, 42), (letters, 4, False, 0), (letters, 4, True, 1),
             (list(range(10, 30)), 6, True, 7), (list(range(10, 30)), 6, False, 3)]
    for items, bs, drop, seed in cases:
        g = torch.Generator().manual_seed(seed)
        want = [_nb01_as_list(b) for b in DataLoader(items, batch_size=bs, shuffle=True,
                                                     drop_last=drop, generator=g)]
        what = f"for {len(items)} items, bs={bs}, drop_last={drop}:"
        got = call(shuffled_batches, items, bs, torch.Generator().manual_seed(seed), drop)
        if not isinstance(got, (list, tuple)) or not all(
                isinstance(b, (list, tuple)) or torch.is_tensor(b) for b in got):
            raise Wrong(f"{what} you return {type(got).__name__} {got!r:.60}: return a list of "
                        f"batches, each a list of items, e.g. [[3, 12, 8], [10, 2]].")
        got = [_nb01_as_list(b) for b in got]
        if got == want:
            continue
        flat = [x for b in got for x in b]
        sizes = [len(b) for b in want]
        if [len(b) for b in got] != sizes:
            if drop and len(got) == len(want) + 1:
                raise Wrong(f"{what} your last batch is a partial one ({len(got[-1])} of {bs}): "
                            f"with drop_last=True the partial last batch is thrown away.")
            if not drop and len(got) == len(want) - 1:
                raise Wrong(f"{what} you lose the items left over ({len(items) % bs} of them): "
                            f"keep the partial last batch unless drop_last=True.")
            raise Wrong(f"{what} the batch sizes should be {sizes}, but yours are "
                        f"{[len(b) for b in got]}.")
        if flat == items[:len(flat)]:
            raise Wrong(f"{what} your batches are in the list's order: shuffle, with "
                        f"torch.randperm(len(items), generator=generator).")
        perm = torch.randperm(len(items), generator=torch.Generator().manual_seed(seed)).tolist()
        if flat == [items[i] for i in perm][:len(flat)]:
            raise Wrong(f"{what} your order is the permutation the generator gives first, but "
                        f"torch's DataLoader first takes one number from it for its worker "
                        f"processes: draw torch.empty((), dtype=torch.int64).random_("
                        f"generator=generator) before torch.randperm.")
        order = [items.index(x) if x in items else None for x in want[0]]
        if got[0] == order:
            raise Wrong(f"{what} you return positions in the list, not the items: index the "
                        f"list with the shuffled order.")
        if sorted(map(str, flat)) != sorted(map(str, [x for b in want for x in b])) and not drop:
            raise Wrong(f"{what} your epoch does not hold every item exactly once: shuffle by "
                        f"permuting (torch.randperm), never by drawing with replacement.")
        raise Wrong(f"{what} your first batch is {got[0]}, torch's DataLoader gives {want[0]}: "
                    f"use the generator you are given, one int64 draw, then torch.randperm.")
    g = torch.Generator().manual_seed(5)
    first, second = (call_uncopied(shuffled_batches, list(range(15)), 5, g, False)
                     for _ in range(2))
    if [_nb01_as_list(b) for b in first] == [_nb01_as_list(b) for b in second]:
        raise Wrong("two epochs with the same generator give the same order: draw from the "
                    "generator you are given (don't seed a new one), so each epoch is shuffled "
                    "anew.")


# ---------------------------------------------------------------- notebook 02

def _nb02_same(got, want):
    "True when `got` is `want`'s value: an equal tensor for a tensor, an equal value otherwise."
    if torch.is_tensor(want):
        return torch.is_tensor(got) and got.shape == want.shape and torch.equal(got, want)
    return not torch.is_tensor(got) and got == want


@exercise("02", 1, "pairs")
def check_pairs(pairs):
    "Exercise 02.1: a dataset of (x, y) tuples from two sequences of the same length."
    x, y = torch.arange(12.).view(4, 3), torch.tensor([1, 0, 0, 1]).unsqueeze(1)
    for xs, ys in [([1, 2, 3, 4], "abcd"), (x, y), ([], [])]:
        got = call(pairs, xs, ys)
        what = f"pairs({describe(xs)}, {describe(ys)})"
        if isinstance(got, zip):
            raise Wrong(f"{what} returns a zip object: it can be read only once and has no len or "
                        f"[i]; make it a list, list(zip(...)).")
        if not isinstance(got, list):
            raise Wrong(f"{what} should return a list of (x, y) tuples, but it returns "
                        f"{type(got).__name__}.")
        if len(got) != len(xs):
            raise Wrong(f"{what} returns {len(got)} items; it should pair each of the {len(xs)} "
                        f"x's with its y.")
        for i, item in enumerate(got):
            if not isinstance(item, tuple) or len(item) != 2:
                raise Wrong(f"item {i} of {what} is {item!r:.40}: each item should be a tuple "
                            f"(x, y), as zip makes.")
            if not (_nb02_same(item[0], xs[i]) and _nb02_same(item[1], ys[i])):
                if not torch.is_tensor(xs[i]) and item == (ys[i], xs[i]):
                    raise Wrong(f"item {i} of {what} is {item!r}: the x comes first, then its y.")
                raise Wrong(f"item {i} of {what} should be x[{i}] and y[{i}], not {item!r:.60}.")
    try:
        got = call(pairs, [1, 2, 3], "ab")
    except ValueError:
        return
    raise Wrong(f"pairs([1, 2, 3], 'ab') returns {got!r:.50}: zip stops at the shorter input and "
                f"silently drops the rest; check the lengths and raise ValueError when they "
                f"differ.")


@exercise("02", 2, "Squares")
def check_squares(Squares):
    "Exercise 02.2: a dataset that computes its items, (i, i*i), in __getitem__."
    from torch.utils.data import DataLoader
    for n in (10, 3, 0):
        ds = call(Squares, n)
        if not (hasattr(ds, "__getitem__") and hasattr(ds, "__len__")):
            raise Wrong(f"Squares({n}) is {type(ds).__name__}, not a dataset: a dataset has "
                        f"__getitem__ (ds[i]) and __len__ (len(ds)).")
        if len(ds) != n:
            items = f"one item per i from 0 to {n - 1}" if n else "no items at all"
            raise Wrong(f"len(Squares({n})) is {len(ds)}: it should be {n}, {items}.")
        for i in range(n):
            if not isinstance(ds[i], tuple) or ds[i] != (i, i * i):
                raise Wrong(f"Squares({n})[{i}] is {ds[i]!r}: it should be the tuple "
                            f"({i}, {i * i}), the number and its square.")
        try:
            past = ds[n]
        except IndexError:
            pass
        else:
            raise Wrong(f"Squares({n})[{n}] returns {past!r}: past its end a dataset raises "
                        f"IndexError, as a list does, so `for item in ds` knows where to stop.")
    got = [[t.tolist() for t in b] for b in DataLoader(call(Squares, 10), batch_size=4)]
    want = [[[0, 1, 2, 3], [0, 1, 4, 9]], [[4, 5, 6, 7], [16, 25, 36, 49]], [[8, 9], [64, 81]]]
    if got != want:
        raise Wrong(f"torch's DataLoader(Squares(10), batch_size=4) gives {got}, not {want}.")


@exercise("02", 3, "collate")
def check_collate(collate):
    "Exercise 02.3: collate a list of tuples field by field, as fastai's fa_collate does."
    from torch.utils.data import default_collate
    x, y = torch.arange(9.).view(3, 3), torch.tensor([[1], [0], [1]])
    rows = [(x[i], y[i]) for i in range(3)]
    for batch in ([(3, "d"), (0, "a"), (7, "h")], rows, [(1, 2, "x"), (3, 4, "y")]):
        want = tuple(default_collate(batch))
        got = call(collate, batch)
        what = f"collate of {len(batch)} items with {len(batch[0])} fields"
        if isinstance(got, list) and len(got) == len(want):
            raise Wrong(f"{what} returns a list: return a tuple, not a list, one entry per field, "
                        f"as fastai's fa_collate does (PyTorch's default_collate returns a list).")
        if not isinstance(got, tuple) or len(got) != len(want):
            raise Wrong(f"{what} should return a tuple of {len(want)} entries, one per field, but "
                        f"it returns {type(got).__name__} {got!r:.50}.")
        for k, (g, w) in enumerate(zip(got, want)):
            if torch.is_tensor(w):
                if not torch.is_tensor(g):
                    raise Wrong(f"{what}: field {k} should be one tensor of the batch's values "
                                f"(torch.tensor for numbers, torch.stack for tensors), not "
                                f"{type(g).__name__} {g!r:.40}.")
                if g.shape != w.shape:
                    hint = (" torch.cat joins the rows end to end; torch.stack piles them up, "
                            "adding the batch dimension." if g.numel() == w.numel() else "")
                    raise Wrong(f"{what}: field {k} has shape {tuple(g.shape)}, it should be "
                                f"{tuple(w.shape)}.{hint}")
                if g.tolist() != w.tolist():
                    raise Wrong(f"{what}: field {k} is {g.tolist()}, it should be {w.tolist()}.")
            elif not isinstance(g, tuple) or list(g) != list(w):
                raise Wrong(f"{what}: field {k} holds strings, which no tensor can: it should be "
                            f"the tuple {w!r}, not {g!r:.40}.")


# ---------------------------------------------------------------- notebook 03
@exercise("03", 1, "stack_images")
def check_stack_images(stack_images):
    "Exercise 03.1: a list of uint8 images -> one float32 tensor (n, rows, columns) in [0, 1]."
    g = torch.Generator().manual_seed(3)
    for n, rows, cols in [(3, 28, 28), (1, 4, 6)]:
        images = [torch.randint(0, 256, (rows, cols), dtype=torch.uint8, generator=g)
                  for _ in range(n)]
        images[0][0, :2] = torch.tensor([0, 255], dtype=torch.uint8)
        got = call(stack_images, images)
        expect_tensor(got, f"for {n} images of {rows}x{cols}, your result")
        if n > 1 and tuple(got.shape) == (n * rows, cols):
            raise Wrong(f"for {n} images of {rows}x{cols} you return shape {tuple(got.shape)}: "
                        f"torch.cat joins along an existing axis; torch.stack adds a new first "
                        f"axis.")
        expect_tensor(got, f"for {n} images of {rows}x{cols}, your result", (n, rows, cols))
        if got.dtype != torch.float32:
            raise Wrong(f"your tensor's type is {got.dtype}: make it float32 with .float(), "
                        f"the type of the model's weights.")
        if got.max() > 1 + 1e-6:
            raise Wrong(f"your values go up to {got.max().item():g}: divide by 255 to scale them "
                        f"to [0, 1].")
        expect_close(got, torch.stack(images).float() / 255, "your stack")


@exercise("03", 2, "mnist_distance")
def check_mnist_distance(mnist_distance):
    "Exercise 03.2: mean absolute difference over the last two axes, for one image or a stack."
    g = torch.Generator().manual_seed(4)
    stack, mean = torch.rand(5, 4, 4, generator=g), torch.rand(4, 4, generator=g)
    got = call(mnist_distance, stack, mean)
    expect_tensor(got, "for a stack of 5 images and a mean, your distance")
    if got.dim() == 0:
        raise Wrong("you return one number for a stack of 5 images: take the mean over the last "
                    "two axes only, .mean((-1, -2)), to get one distance per image.")
    if tuple(got.shape) == (5, 4, 4):
        raise Wrong("you return one number per pixel: take the mean over the last two axes, "
                    ".mean((-1, -2)), to get one distance per image.")
    expect_tensor(got, "for a stack of 5 images and a mean, your distance", (5,))
    diff = stack - mean
    if close_tensors(got, diff.mean((-1, -2))):
        raise Wrong("take the absolute value of the differences before the mean: without .abs() "
                    "the positive and negative differences cancel out.")
    if close_tensors(got, diff.pow(2).mean((-1, -2)).sqrt()):
        raise Wrong("that is the root mean squared difference (RMSE, L2); this exercise asks for "
                    "the mean absolute difference (L1): (a - b).abs().mean((-1, -2)).")
    expect_close(got, diff.abs().mean((-1, -2)), "your distances")
    one = call(mnist_distance, stack[2], mean)
    expect_tensor(one, "for one image and a mean, your distance", ())
    expect_close(one, diff[2].abs().mean(), "your distance for one image")


@exercise("03", 3, "to_xy")
def check_to_xy(to_xy):
    "Exercise 03.3: two stacks -> x of shape (n, 784), 3s first, and y a column, 1 for a 3."
    g = torch.Generator().manual_seed(5)
    threes, sevens = torch.rand(3, 28, 28, generator=g), torch.rand(2, 28, 28, generator=g)
    got = call(to_xy, threes, sevens)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Wrong(f"return a pair (x, y); you return {type(got).__name__}"
                    f"{' of length ' + str(len(got)) if isinstance(got, (tuple, list)) else ''}.")
    x, y = got
    expect_tensor(x, "x")
    if tuple(x.shape) == (5, 28, 28):
        raise Wrong("x has shape (5, 28, 28): flatten each image into a row of 784 numbers, "
                    "with .view(-1, 28*28).")
    expect_tensor(x, "for 3 threes and 2 sevens, x", (5, 784))
    if close_tensors(x, torch.cat([sevens, threes]).view(-1, 784)):
        raise Wrong("x starts with the 7s: put the 3s first, then the 7s, as train_x does.")
    expect_close(x, torch.cat([threes, sevens]).view(-1, 784), "x")
    expect_tensor(y, "y")
    if tuple(y.shape) == (5,):
        raise Wrong("y has shape (5,): make it a column of shape (5, 1) with .unsqueeze(1), "
                    "so that it lines up with the model's (n, 1) predictions.")
    expect_tensor(y, "for 3 threes and 2 sevens, y", (5, 1))
    labels = y.detach().double().flatten().tolist()
    if labels == [0, 0, 0, 1, 1]:
        raise Wrong("your labels are swapped: a 3 is labelled 1 and a 7 is labelled 0.")
    if labels != [1, 1, 1, 0, 0]:
        raise Wrong(f"y should hold 1 for each 3, then 0 for each 7: [1, 1, 1, 0, 0], "
                    f"not {labels}.")


def _pixel_data():
    "Synthetic 6x6 'digits': 5 threes (one looks like a 7) and 3 sevens (one looks like a 3)."
    g = torch.Generator().manual_seed(6)
    mean3, mean7 = torch.zeros(6, 6), torch.zeros(6, 6)
    mean3[:, 4] = 1.0  # a blocky 3: the right edge and three bars
    mean3[[0, 2, 5], 1:5] = 1.0
    mean7[0, :] = 1.0  # a blocky 7: the top bar and a diagonal
    mean7[torch.arange(1, 6), torch.arange(4, -1, -1)] = 1.0
    noise = lambda n: 0.15 * torch.rand(n, 6, 6, generator=g)  # noqa: E731
    threes = torch.cat([mean3.expand(4, 6, 6), mean7[None]]) + noise(5)
    sevens = torch.cat([mean7.expand(2, 6, 6), mean3[None]]) + noise(3)
    return threes, sevens, mean3, mean7


@exercise("03", 4, "pixel_accuracy")
def check_pixel_accuracy(pixel_accuracy):
    "Exercise 03.4: the fraction of all images that pixel similarity gets right."
    threes, sevens, mean3, mean7 = _pixel_data()
    got = as_number(call(pixel_accuracy, threes, sevens, mean3, mean7), "your accuracy")
    d = lambda x, m: (x - m).abs().mean((-1, -2))  # noqa: E731
    right3 = (d(threes, mean3) < d(threes, mean7)).float()
    right7 = (d(sevens, mean7) <= d(sevens, mean3)).float()
    overall = (right3.sum() + right7.sum()).item() / (len(threes) + len(sevens))
    if math.isclose(got, (right3.mean() + right7.mean()).item() / 2, abs_tol=1e-6):
        raise Wrong("you averaged the accuracy on the 3s and on the 7s; with 5 threes and "
                    "3 sevens each image should count once: divide the number right by all "
                    "8 images.")
    if math.isclose(got, (right3.sum() + (1 - right7).sum()).item() / 8, abs_tol=1e-6):
        raise Wrong("a 7 is right when it is NOT closer to the mean 3: count the 7s with ~is_3, "
                    "or 1 - is_3, as the notebook does.")
    if not math.isclose(got, overall, abs_tol=1e-6):
        raise Wrong(f"for 5 threes (4 look like a 3) and 3 sevens (2 look like a 7) you return "
                    f"{got:.4f}, but pixel similarity gets {overall:.4f} right.")


# ---------------------------------------------------------------- notebook 04
@exercise("04", 1, "init_params")
def check_init_params(init_params):
    "Exercise 04.1: N(0, std²) numbers of shape `size`, a leaf tensor that tracks its gradient."
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(4)
        for size in [(784, 1), 1]:
            got = call(init_params, size)
            shape = (size,) if isinstance(size, int) else size
            expect_tensor(got, f"init_params({size!r})", shape)
            if not got.requires_grad:
                raise Wrong("PyTorch does not track this tensor's gradient: "
                            "call .requires_grad_() on it.")
            if not got.is_leaf:
                made_by = type(got.grad_fn).__name__
                raise Wrong(f"your tensor is not a leaf: it was computed ({made_by}) from a tensor "
                            f"that tracks gradients, so backward() would fill that one's .grad, "
                            f"not yours. Multiply by std first, then call .requires_grad_().")
        got = call(init_params, (20_000,), std=0.1)
        expect_tensor(got, "init_params((20000,), std=0.1)", (20_000,))
        mean, sd = got.detach().double().mean().item(), got.detach().double().std().item()
        if abs(mean) > 0.01:
            raise Wrong(f"with std=0.1 the mean of your numbers is {mean:.3f}, not about 0: draw "
                        f"them from the normal distribution, torch.randn (torch.rand is uniform "
                        f"on [0, 1)).")
        if not 0.095 < sd < 0.105:
            raise Wrong(f"with std=0.1 your numbers have a standard deviation of {sd:.3f}: draw "
                        f"torch.randn(size), which has 1, and multiply by std.")
        again = call(init_params, (20_000,), std=0.1)
        if torch.equal(got.detach(), again.detach()):
            raise Wrong("two calls gave the same numbers: draw new random ones each time, "
                        "with torch.randn.")


@exercise("04", 2, "linear")
def check_linear(linear):
    "Exercise 04.2: xb @ weights + bias, one prediction per row, differentiable."
    g = torch.Generator().manual_seed(5)
    for n, pixels in [(5, 6), (3, 10)]:
        xb = torch.rand(n, pixels, generator=g)
        weights = torch.randn(pixels, 1, generator=g).requires_grad_()
        bias = torch.randn(1, generator=g).requires_grad_()
        got = call(linear, xb, weights, bias)
        expect_tensor(got, f"for {n} images, your predictions")
        if tuple(got.shape) != (n, 1):
            raise Wrong(f"for {n} images of {pixels} pixels your predictions have shape "
                        f"{tuple(got.shape)}, but there is one per image: ({n}, 1). xb @ weights "
                        f"multiplies each row by the weights and sums over the pixels.")
        if close_tensors(got, xb @ weights):
            raise Wrong("your predictions lack the bias: add it, xb @ weights + bias.")
        expect_close(got, xb @ weights + bias, "your predictions")
        if not got.requires_grad:
            raise Wrong("your predictions don't track gradients: no .detach(), no torch.no_grad() "
                        "in the model, or SGD cannot follow them.")


def _reference_mnist_loss(predictions, targets):
    predictions = predictions.sigmoid()
    return torch.where(targets == 1, 1 - predictions, predictions).mean()


@exercise("04", 3, "mnist_loss")
def check_mnist_loss(mnist_loss):
    "Exercise 04.3: sigmoid, then distance from the target, then the mean."
    preds = torch.tensor([[-3.0], [2.0], [0.5], [4.0], [-1.0], [5.0]])
    for targets in [torch.tensor([[1], [0], [1], [1], [0], [0]]),
                    torch.tensor([[0.0], [0.0], [1.0], [1.0], [1.0], [0.0]])]:
        got = call(mnist_loss, preds.clone().requires_grad_(), targets)
        if isinstance(got, float):
            raise Wrong("you return a Python float: return the tensor itself (no .item()), so that "
                        "backward() can follow it.")
        expect_tensor(got, "your loss")
        if got.dim() != 0:
            raise Wrong(f"your loss has shape {tuple(got.shape)}: it should be one number (a 0-d "
                        f"tensor), the mean over the batch.")
        s = preds.sigmoid()
        expected = _reference_mnist_loss(preds, targets)
        value = got.item()
        no_sigmoid = torch.where(targets == 1, 1 - preds, preds).mean().item()
        if math.isclose(value, no_sigmoid, abs_tol=1e-5):
            raise Wrong(f"your loss is {value:.4f}, not between 0 and 1: did you apply the sigmoid "
                        f"to the predictions first?")
        if math.isclose(value, torch.where(targets == 1, s, 1 - s).mean().item(), abs_tol=1e-5):
            raise Wrong("you swapped the two cases: for a 3 (target 1) the distance is "
                        "1 - sigmoid(prediction), for a 7 (target 0) it is sigmoid(prediction).")
        if math.isclose(value, expected.item() * len(preds), abs_tol=1e-4):
            raise Wrong("you summed the distances: take their mean, so the loss doesn't grow "
                        "with the batch size.")
        expect_close(got, expected, "your loss")
        if not got.requires_grad:
            raise Wrong("your loss doesn't track gradients: build it from the predictions with "
                        "tensor operations, no .detach() or .item().")


def _accuracy(predictions, targets):
    return ((predictions > 0).float() == targets).float().mean()


@exercise("04", 4, "gradient")
def check_gradient(gradient):
    "Exercise 04.4: autograd's gradient, fresh each call, and zeros for a loss that has none."
    g = torch.Generator().manual_seed(6)
    xb, w0 = torch.rand(8, 5, generator=g), torch.randn(5, 1, generator=g)
    yb = torch.tensor([[1], [0], [1], [1], [0], [0], [1], [0]])
    squared = lambda p, y: (p - y).pow(2).mean()  # noqa: E731
    for name, loss_func in [("mnist_loss", _reference_mnist_loss), ("a squared error", squared)]:
        w = w0.clone().requires_grad_()
        expected, = torch.autograd.grad(loss_func(xb @ w, yb), w)
        got = call(gradient, loss_func, w0.clone(), xb, yb)
        expect_tensor(got, f"for {name}, your gradient", (5, 1))
        if not got.detach().any():
            raise Wrong(f"for {name} your gradient is all zeros, but this loss has one. The "
                        f"weights the check passes do not track gradients (requires_grad is "
                        f"False): compute on a copy that does, "
                        f"weights.detach().clone().requires_grad_().")
        if close_tensors(got, -expected):
            raise Wrong(f"for {name} your gradient has the wrong sign: return weights.grad as "
                        f"backward() leaves it (SGD subtracts it later).")
        expect_close(got, expected, f"for {name}, your gradient", atol=1e-6)
        held = w0.clone().requires_grad_()
        held.grad = torch.ones_like(held)
        got = call(gradient, loss_func, held, xb, yb)
        expect_tensor(got, f"for weights whose .grad already holds ones, your gradient", (5, 1))
        if close_tensors(got, expected + 1):
            raise Wrong("for weights whose .grad already held ones, your gradient is 1 too big: "
                        "backward() adds to .grad. Start from weights.detach().clone() "
                        "(or zero .grad).")
        expect_close(got, expected, "for weights whose .grad already holds ones, your gradient",
                     atol=1e-6)
    try:
        got = call(gradient, _accuracy, w0.clone(), xb, yb)
    except RuntimeError as e:
        message = (f"for the accuracy your code raised RuntimeError ({str(e)[:60]}…): the "
                   f"accuracy has no gradient (its requires_grad is False), so return zeros.")
        raise Wrong(message) from None
    expect_tensor(got, "for the accuracy, your gradient", (5, 1))
    if not torch.equal(got.detach(), torch.zeros(5, 1)):
        raise Wrong("for the accuracy your gradient is not all zeros: a loss built with > is flat "
                    "almost everywhere, and autograd cannot differentiate it at all.")


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
                returned = call_uncopied(sgd_update, params, lr)
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
    opt = call_uncopied(SimpleOptim, params, lr)
    if not (callable(getattr(opt, "step", None)) and callable(getattr(opt, "zero_grad", None))):
        raise Wrong(f"SimpleOptim(params, lr) should make an object with .step() and "
                    f".zero_grad() methods, but it gives {type(opt).__name__}.")
    for step in range(1, steps + 1):
        _nb05_loss(model.x, model.y, model.w, model.b).backward()
        _nb05_loss(ref.x, ref.y, ref.w, ref.b).backward()
        before = [p.detach().clone() for p in (model.w, model.b)]
        grads = [p.grad.detach().clone() for p in (model.w, model.b)]
        call_uncopied(opt.step)
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
        call_uncopied(opt.zero_grad)
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
        got = as_number(call(image_accuracy, model, batches), f"{what} your accuracy")
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
        if not close_tensors(w, w1 @ w2):
            raise Wrong(f"{what} w is not w1 @ w2: x goes through w1, then through w2.")
        if close_tensors(b, b2):
            raise Wrong(f"{what} your bias is b2 alone, but b1 goes through the second layer too: "
                        f"it adds b1 @ w2.")
        if n_hidden == n_out and close_tensors(b, b1 + b2):
            raise Wrong(f"{what} your bias is b1 + b2, but b1 goes through the second layer: it "
                        f"is multiplied by w2 first.")
        if not close_tensors(b, b1 @ w2 + b2):
            raise Wrong(f"{what} b is off: expand (x @ w1 + b1) @ w2 + b2 and collect what does "
                        f"not multiply x.")
        x = torch.randn(4, n_in, generator=g)
        if not close_tensors(x.to(w.dtype) @ w + b, (x @ w1 + b1) @ w2 + b2, atol=1e-4):
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
        if isinstance(got, list):
            raise Wrong(f"{what} you return a list: return a tuple, not a list, (xb, yb), as "
                        f"fastai's fa_collate does; `return xb, yb` makes one.")
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
        if not hasattr(dl, "__len__") or call_uncopied(len, dl) != want_len:
            got_len = len(dl) if hasattr(dl, "__len__") else "no len()"
            raise Wrong(f"{what} len(loader) should be {want_len}, the number of batches, but "
                        f"it is {got_len}.")
        with naming(f"looping over your loader ShuffleLoader(x: {describe(x)}, y: {describe(y)}, "
                    f"bs: {bs}, drop_last: {drop}, generator)"):
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

def _nb07_close(a, b, rel=1e-6):
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))


@exercise("07", 1, "fp_factor")
def check_fp_factor(fp_factor):
    "Exercise 07.1: the finite-population factor (n - b)/(n - 1); ValueError for b outside 1..n."
    for n, b in [(2, 1), (12396, 1), (12396, 12396), (10, 5), (12396, 256), (100, 99), (7, 3)]:
        got = as_number(call(fp_factor, n, b), f"fp_factor({n}, {b})")
        want = (n - b) / (n - 1)
        if _nb07_close(got, want):
            continue
        if b == 1:
            raise Wrong(f"fp_factor({n}, 1) returns {got:.4g}: a batch of one sample is exactly "
                        "as noisy as "
                        "one sample, so the factor at b = 1 must be 1. Divide by n - 1, not by n.")
        if b == n:
            raise Wrong(f"fp_factor({n}, {n}) returns {got:.4g}: a batch of all n samples is "
                        "the full "
                        "set and has no noise, so the factor at b = n must be 0.")
        if _nb07_close(got, (n - b) / n):
            raise Wrong(f"fp_factor({n}, {b}) returns {got:.4g} = (n - b)/n: the denominator "
                        "is n - 1 "
                        "(check b = 1: the factor must be 1).")
        raise Wrong(f"fp_factor({n}, {b}) returns {got:.6g}, but (n - b)/(n - 1) is {want:.6g}.")
    for n, b in [(10, 0), (10, 11), (5, -1)]:
        try:
            call(fp_factor, n, b)
        except ValueError:
            continue
        raise Wrong(f"fp_factor({n}, {b}) should raise a ValueError: a batch holds from 1 "
                    "to n samples.")


@exercise("07", 2, "predicted_noise")
def check_predicted_noise(predicted_noise):
    "Exercise 07.2: E|mini-batch gradient - full gradient|² = tr(Σ)/b · (n - b)/(n - 1)."
    for tr_sigma, n, b in [(4.776, 12396, 16), (4.776, 12396, 256), (2.0, 10, 5),
                           (0.2079, 12396, 4096),
                           (3.0, 12396, 1), (1.5, 50, 50), (0.5, 9, 3)]:
        got = as_number(call(predicted_noise, tr_sigma, n, b),
                           f"predicted_noise({tr_sigma}, {n}, {b})")
        want = tr_sigma / b * (n - b) / (n - 1)
        if _nb07_close(got, want):
            continue
        where = (f"predicted_noise({tr_sigma}, {n}, {b}) returns {got:.6g} "
                 f"but should return {want:.6g}")
        if _nb07_close(got, tr_sigma / b):
            raise Wrong(f"{where}: you left out the finite-population factor (n - b)/(n - 1). "
                        "A batch drawn "
                        "without replacement is less noisy than b independent draws; "
                        "all n have no noise.")
        if (_nb07_close(got, tr_sigma / math.sqrt(b) * (n - b) / (n - 1))
            or _nb07_close(got, math.sqrt(want))):
            raise Wrong(f"{where}: the *squared* error falls as 1/b (its square root, "
                        "the RMS error, "
                        "as 1/√b).")
        if _nb07_close(got, tr_sigma / b * (n - b) / n):
            raise Wrong(f"{where}: divide by n - 1, not n, in the finite-population factor.")
        if _nb07_close(got, tr_sigma * (n - b) / (n - 1)):
            raise Wrong(f"{where}: divide by the batch size b too: averaging b gradients "
                        "divides the "
                        "variance by b.")
        raise Wrong(f"{where}.")


@exercise("07", 3, "b_simple")
def check_b_simple(b_simple):
    "Exercise 07.3: B_simple = tr(Σ)/|G|² from a tensor of per-sample gradients, Σ divided by n."
    gen = torch.Generator().manual_seed(7)
    cases = [torch.tensor([[1.0, 0.0], [3.0, 0.0], [2.0, 2.0], [2.0, -2.0]]),
             torch.randn(6, 3, generator=gen, dtype=torch.float64) + 0.8,
             torch.randn(40, 5, generator=gen) * torch.tensor([1.0, 3.0, 0.1, 0.1, 2.0]) + 0.3]
    for g in cases:
        got = as_number(call(b_simple, g), f"b_simple of a {tuple(g.shape)} tensor")
        gd = g.double()
        mean = gd.mean(0)
        tr = (gd - mean).pow(2).sum(1).mean().item()
        g2 = mean.pow(2).sum().item()
        want, n = tr / g2, len(g)
        if _nb07_close(got, want, rel=1e-5):
            continue
        where = (f"for these {n} gradients (shape {tuple(g.shape)}) you return {got:.5g} "
                 f"instead of {want:.5g}")
        if _nb07_close(got, want * n / (n - 1), rel=1e-5):
            raise Wrong(f"{where}: Σ here divides by n (the whole population of samples, "
                        "as grad_noise "
                        "does), not by n - 1.")
        if _nb07_close(got, want + 1, rel=1e-5):
            raise Wrong(f"{where}: tr(Σ) is the mean squared distance of each g_i from the mean "
                        "gradient G, not from zero: subtract G first.")
        if _nb07_close(got, tr / math.sqrt(g2), rel=1e-5):
            raise Wrong(f"{where}: divide by |G|², the squared length of the mean gradient, "
                        "not |G|.")
        if _nb07_close(got, want * n, rel=1e-5):
            raise Wrong(f"{where}: average the squared distances over the n samples, "
                        "don't sum them.")
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
        if (torch.allclose(got, s * (1 - s) * sign, atol=1e-6)
            or torch.allclose(got, s * (1 - s), atol=1e-6)):
            raise Wrong("that is the slope dℓ/dz = ∓σ(z)(1 - σ(z)); differentiate once more: "
                        "the derivative of σ(1 - σ) is σ(1 - σ)(1 - 2σ).")
        if torch.allclose(got, s * (1 - s) * (1 - 2 * s), atol=1e-6):
            raise Wrong("right for a 7 (target 0, loss σ(z)), but for a 3 (target 1) the loss is "
                        "1 - σ(z): its second derivative has the opposite sign.")
        if torch.allclose(got, -want, atol=1e-6):
            raise Wrong("the signs are flipped: for a 7 (loss σ(z)) the curvature is "
                        "σ(1 - σ)(1 - 2σ), "
                        "positive where σ(z) < 0.5, i.e. where the 7 is classified correctly.")
        if torch.allclose(got * len(zz), want, atol=1e-6):
            raise Wrong("return each sample's own curvature, not divided by the number of samples.")
        err = (got - want).abs().max().item()
        raise Wrong(f"your curvatures are off by up to {err:.3g} "
                    "(check z = 0: every curvature there is 0).")


@exercise("07", 5, "b_noise")
def check_b_noise(b_noise):
    "Exercise 07.5: B_noise = tr(HΣ)/(GᵀHG) from per-sample gradients, Hessian; nan if GᵀHG <= 0."
    gen = torch.Generator().manual_seed(11)
    g = (torch.randn(8, 3, generator=gen, dtype=torch.float64)
         + torch.tensor([1.0, 0.2, 0.0]).double())
    a = torch.randn(3, 3, generator=gen, dtype=torch.float64)
    cases = [(g, a @ a.T + 0.1 * torch.eye(3, dtype=torch.float64)),
             (g, torch.diag(torch.tensor([0.2, 5.0, 1.0], dtype=torch.float64))),
             (g.float(), 2.0 * torch.eye(3)),
             (g, torch.diag(torch.tensor([-1.0, 3.0, 2.0], dtype=torch.float64)))]
    for gg, h in cases:
        got = as_number(call(b_noise, gg, h), "b_noise(G, H)")
        gd, hd = gg.double(), h.double()
        n, mean = len(gd), gd.mean(0)
        dev = gd - mean
        sigma = dev.T @ dev / n
        ghg, g2 = (mean @ hd @ mean).item(), (mean @ mean).item()
        if ghg <= 0:
            if math.isnan(got):
                continue
            raise Wrong(f"here GᵀHG = {ghg:.3g} <= 0: the loss does not curve upwards along the "
                        f"gradient, so B_noise is undefined; "
                        f"return math.nan (you return {got:.4g}).")
        want = (torch.trace(hd @ sigma) / ghg).item()
        if _nb07_close(got, want, rel=1e-5):
            continue
        where = f"you return {got:.5g} instead of {want:.5g}"
        if _nb07_close(got, (torch.trace(sigma) / g2).item(), rel=1e-5):
            raise Wrong(f"{where}: that is B_simple = tr(Σ)/|G|², which assumes H is a multiple "
                        "of the "
                        "identity; weight the noise and the gradient by H: tr(HΣ)/(GᵀHG).")
        if _nb07_close(got, (torch.trace(hd) * torch.trace(sigma)).item() / ghg, rel=1e-5):
            raise Wrong(f"{where}: tr(HΣ) is the trace of the matrix product H @ Σ, "
                        "not tr(H)·tr(Σ).")
        if _nb07_close(got, want * n / (n - 1), rel=1e-5):
            raise Wrong(f"{where}: Σ divides by n (the population of samples), not n - 1.")
        raise Wrong(f"{where}.")


# ---------------------------------------------------------------- notebook 08
@exercise("08", 1, "epochs_for")
def check_epochs_for(epochs_for):
    "Exercise 08.1: how many epochs a number of optimizer steps makes."
    cases = [(30, 12396, 32, True), (30, 12396, 4096, True), (30, 12396, 4096, False),
             (6, 10, 4, True), (6, 10, 4, False), (45, 100, 10, False), (0, 100, 10, True)]
    for steps, n, bs, drop in cases:
        per_epoch = n // bs if drop else math.ceil(n / bs)
        expected = steps / per_epoch
        got = as_number(call(epochs_for, steps, n, bs, drop),
                           f"epochs_for({steps}, {n}, {bs}, {drop})")
        if math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-12):
            continue
        where = f"for steps={steps}, n={n}, bs={bs}, drop_last={drop} you return {got:.4g}"
        if math.isclose(got, steps * bs / n, rel_tol=1e-9):
            raise Wrong(f"{where}, the samples seen divided by n. An epoch is a number of steps: "
                        f"{per_epoch} here, so the answer is {expected:.4g} epochs.")
        if math.isclose(got, steps // per_epoch):
            raise Wrong(f"{where}: return a float. {steps} steps are {expected:.4g} epochs, "
                        f"not a whole number of them.")
        if drop and math.isclose(got, steps / math.ceil(n / bs), rel_tol=1e-9):
            raise Wrong(f"{where}. With drop_last=True the partial last batch is dropped: an "
                        f"epoch is n // bs = {per_epoch} steps.")
        if not drop and math.isclose(got, steps / (n // bs), rel_tol=1e-9):
            raise Wrong(f"{where}. With drop_last=False the partial last batch is a step too: an "
                        f"epoch is ceil(n / bs) = {per_epoch} steps.")
        raise Wrong(f"{where}, but it should be {expected:.4g} (an epoch is {per_epoch} steps).")


@exercise("08", 2, "eps_opt")
def check_eps_opt(eps_opt):
    "Exercise 08.2: McCandlish et al.'s best learning rate for a batch size."
    cases = [(1, 4.0, 16.0), (16, 4.0, 16.0), (1024, 4.0, 16.0), (8, 8.4, 16.1), (3, 0.5, 100.0)]
    for bs, eps_max, b_noise in cases:
        expected = eps_max / (1 + b_noise / bs)
        got = as_number(call(eps_opt, bs, eps_max, b_noise),
                           f"eps_opt({bs}, {eps_max}, {b_noise})")
        if math.isclose(got, expected, rel_tol=1e-6):
            continue
        where = f"for B={bs}, eps_max={eps_max}, B_noise={b_noise} you return {got:.4g}"
        if math.isclose(got, eps_max / (1 + bs / b_noise), rel_tol=1e-6):
            raise Wrong(f"{where}: your learning rate falls as B grows. It should rise towards "
                        f"eps_max: the noise term is B_noise / B, not B / B_noise.")
        if math.isclose(got, eps_max * bs / b_noise, rel_tol=1e-6):
            raise Wrong(f"{where}. That is linear scaling, only the small-B limit: for B much "
                        f"larger than B_noise the best rate levels off at eps_max (here "
                        f"{eps_max:.4g}); at B={bs} it is {expected:.4g}.")
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
        got = as_number(call(scaled_lr, step, base_lr, base_bs, bs, warmup),
                      f"scaled_lr({step}, {base_lr}, {base_bs}, {bs}, {warmup})")
        if math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-12):
            continue
        where = (f"at step {step} of a {warmup}-step warm-up from base_lr={base_lr} "
                 f"(batch {base_bs}) to batch {bs} you return {got:.4g}")
        if step < warmup and math.isclose(got, lr, rel_tol=1e-9):
            raise Wrong(f"{where}, already the scaled rate: during the warm-up the rate grows "
                        f"linearly from base_lr to base_lr · bs / base_bs "
                        f"(expected {expected:.4g}).")
        if step < warmup and math.isclose(got, lr * step / warmup, rel_tol=1e-9, abs_tol=1e-12):
            raise Wrong(f"{where}: your warm-up starts at 0. Goyal et al.'s starts at base_lr, the "
                        f"small batch's rate (expected {expected:.4g}).")
        if step >= warmup and math.isclose(got, base_lr, rel_tol=1e-9):
            raise Wrong(f"{where}: after the warm-up the rate is scaled with the batch, "
                        f"base_lr · bs / base_bs = {expected:.4g}.")
        if warmup > 1 and step < warmup and math.isclose(
                got, base_lr + (lr - base_lr) * min(1, step / (warmup - 1)), rel_tol=1e-9):
            raise Wrong(f"{where}: your warm-up ends one step early. The rate at step "
                        f"s < warmup_steps is base_lr + (scaled − base_lr) · s / warmup_steps "
                        f"(expected {expected:.4g}).")
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
    "Exercise 08.4: the learning rate that reaches a target in the fewest steps within a budget."
    cases = [(0, [0.3, 3.0, 30.0], 8, 0.95, 60), (0, [0.3, 3.0, 10.0, 30.0], 32, 0.9, 60),
             (1, [0.3, 0.9], 32, 0.95, 40), (0, [0.1, 30.0], 8, 0.95, 30)]
    for seed, lrs, bs, target, budget in cases:
        make_model, x, y = _nb08_pick_problem(seed)
        steps = {lr: _nb08_steps_to_target(make_model, x, y, lr, bs, target, budget, seed)
                 for lr in lrs}
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
            raise Wrong(f"{where} your step count is one less than ours ({expected[1]}): count a "
                        f"step after opt.step(), so the first step is step 1.")
        shared, found = make_model(), []  # the mistake of training every lr on one model, in turn
        for each in lrs:
            n_shared = _nb08_steps_to_target(make_model, x, y, each, bs, target, budget, seed,
                                             model=shared)
            found += [(n_shared, each)] if n_shared is not None else []
        if found and (lr, n) == tuple(reversed(min(found))):
            raise Wrong(f"{where} your learning rates share one model, each starting where the "
                        f"last stopped: start every lr from a fresh make_model() (expected "
                        f"{expected}).")
        if lr == best:
            raise Wrong(f"{where} you pick the right lr, {best}, but report {n} steps where it "
                        f"takes {expected[1]}: start every lr from a fresh make_model() and a "
                        f"loader seeded with `seed`, keep going epoch after epoch, and check the "
                        f"accuracy after each step.")
        if lr in steps and steps[lr] is not None and steps[lr] == steps[best] and lr > best:
            raise Wrong(f"{where} lrs {best} and {lr} both take {steps[best]} steps: on a tie, "
                        f"pick the smaller learning rate.")
        raise Wrong(f"{where} you pick lr {lr}, but lr {best} reaches {target} in fewer steps: "
                    f"{expected[1]} (steps per lr: {steps}).")


# ---------------------------------------------------------------- notebook 09

def _nb09_median(values):
    v = sorted(values)
    return (v[(len(v) - 1) // 2] + v[len(v) // 2]) / 2


@exercise("09", 1, "throughput")
def check_throughput(throughput):
    "Exercise 09.1: samples per second from epoch timings, the first a warm-up: n / median of rest."
    cases = [(1000, [5.0, 2.0, 4.0, 8.0]), (4096, [0.9, 0.5, 0.25, 1.0, 2.0]), (12396, [0.4, 0.2])]
    for n, timings in cases:
        got = as_number(call(throughput, n, timings), f"throughput({n}, {timings})")
        timed = sorted(timings[1:])
        want = n / _nb09_median(timed)
        if math.isclose(got, want, rel_tol=1e-6):
            continue
        hint = f"throughput({n}, {timings}) is {got:.6g}, but it should be {want:.6g}"
        if math.isclose(got * sum(timed) / len(timed), n, rel_tol=1e-6):
            raise Wrong(f"{hint}: you took the mean of the timed epochs. Take their median: "
                        "one slow "
                        f"epoch (another program, a garbage collection) would drag the mean.")
        if math.isclose(got * _nb09_median(timings), n, rel_tol=1e-6):
            raise Wrong(f"{hint}: the first timing is the warm-up epoch; leave it out, "
                        "as time_it does.")
        if math.isclose(got * timed[0], n, rel_tol=1e-6):
            raise Wrong(f"{hint}: you used the fastest epoch. Take the median of the timed epochs.")
        if math.isclose(got, _nb09_median(timed) / n, rel_tol=1e-6):
            raise Wrong(f"{hint}: samples per second is the number of samples divided by "
                        "the seconds "
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
        raise Wrong("throughput(100, [1.0]) should raise ValueError: with only the warm-up "
                    "epoch timed "
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
             (torch.tensor([1] * 8).unsqueeze(1), 3),
             (torch.tensor([1, 1, 0, 0, 1, 1]), 2),  # a kind comes back: a new run
             (torch.tensor([1] * 4 + [0] * 8 + [1] * 4 + [0, 1]).unsqueeze(1), 4)]
    for y, bs in cases:
        kinds, want = _kinds_of_batches(y, bs)
        got = call(label_runs, y, bs)
        label = f"label_runs(y={y.flatten().tolist()}, bs={bs})"
        if not isinstance(got, (list, tuple)) or not all(
                isinstance(r, (list, tuple)) and len(r) == 2
                for r in got):
            raise Wrong(f"{label} should return a list of (kind, number of batches) pairs, "
                        f"but it returns {got!r}.")
        if not all(isinstance(kind, str) for kind, _ in got):
            raise Wrong(f"{label} returns {got!r:.80}: name the kinds with the strings 'only 3s', "
                        f"'only 7s' and 'mixed'.")
        got = [(kind, as_number(count, f"the number of batches of {label}'s run {i}",
                                whole=True)) for i, (kind, count) in enumerate(got)]
        if got == want:
            continue
        if {k for k, _ in got} - {"only 3s", "only 7s", "mixed"}:
            raise Wrong(f"{label} returns {got}: name the kinds 'only 3s', 'only 7s' and 'mixed'.")
        totals = Counter(kinds)
        if len(got) == len(totals) and dict(got) == totals:
            raise Wrong(f"{label} returns {got}, the number of batches of each kind, but it "
                        f"should be {want}: count runs, not kinds. A run is a stretch of "
                        f"consecutive batches of one kind, so a kind that comes back after another "
                        f"starts a new run.")
        if sum(c for _, c in got) == len(y) // bs and len(y) % bs:
            raise Wrong(f"{label} returns {got}, but it should be {want}: the last, partial batch "
                        f"counts too (a loader without drop_last yields it).")
        if len(got) == len(kinds) and len(want) < len(kinds):
            raise Wrong(f"{label} returns {got}, but it should be {want}: merge consecutive "
                        "batches "
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
                raise Wrong(f"{label} should return a list of {epochs} orders, one per epoch, "
                            "but it "
                            f"returns {type(got).__name__}{size}.")
            orders = [torch.as_tensor(o).flatten() for o in got]
            if any(sorted(o.tolist()) != list(range(n)) for o in orders):
                raise Wrong(f"{label}: each order must hold every index 0..{n - 1} exactly once.")
            if all(o.tolist() == list(range(n)) for o in orders):
                raise Wrong(f"{label} returns 0..{n - 1} in order: that is not shuffled. "
                            "Draw the order "
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
                raise Wrong(f"{label}: two generators seeded alike must give the same orders. "
                            "Draw each "
                            f"epoch's order with torch.randperm(n, generator=generator), "
                            "in epoch order "
                            f"(shuffled once: one draw), and nothing else from the generator.")


@exercise("09", 4, "tie_or_winner")
def check_tie_or_winner(tie_or_winner):
    "Exercise 09.4: 'a', 'b' or 'tie' from two settings' accuracies over seeds; spread decides."
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
            raise Wrong(f"{label} returns {got!r}, but the means differ by less than the "
                        "seed-to-seed "
                        f"spread (the larger max − min of the two lists): that is a tie.")
        if got == "tie":
            raise Wrong(f"{label} returns 'tie', but the means differ by more than the "
                        "seed-to-seed "
                        f"spread (the larger max − min of the two lists), so {want!r} wins.")
        raise Wrong(f"{label} returns {got!r}, but {want!r} has the higher mean accuracy: "
                    "higher wins.")


@exercise("09", 5, "saved_bytes_per_sample")
def check_saved_bytes_per_sample(saved_bytes_per_sample):
    "Exercise 09.5: bytes autograd saves a sample for Linear/ReLU `sizes`, sigmoid and mnist_loss."
    for sizes in ([784, 30, 1], [784, 1], [784, 100, 50, 1], [20, 5, 1]):
        got = as_number(call(saved_bytes_per_sample, sizes), f"saved_bytes_per_sample({sizes})")
        floats = sum(sizes[:-1]) + 1
        want = 4 * floats + 1
        if got == want:
            continue
        label = f"saved_bytes_per_sample({sizes}) is {got:g}, but it should be {want}"
        hidden = sum(sizes[1:-1])
        params = sum(a * b + b for a, b in zip(sizes, sizes[1:]))
        if got == 4 * floats:
            raise Wrong(f"{label}: torch.where in mnist_loss keeps its condition, "
                        "one bool (1 byte) "
                        f"per sample.")
        if got == 8 * floats + 1 or got == 8 * floats:
            raise Wrong(f"{label}: the tensors are float32, 4 bytes each.")
        if got == want + 4 * hidden:
            raise Wrong(f"{label}: a ReLU's output is also the next Linear's input; "
                        "it is one tensor, "
                        f"saved once.")
        if got == want - 4 * sizes[0]:
            raise Wrong(f"{label}: the first Linear keeps its input, the batch itself ({sizes[0]} "
                        f"floats a sample), to compute its weights' gradient.")
        if got == want - 4:
            raise Wrong(f"{label}: the sigmoid keeps its output (1 float a sample) "
                        "for its backward.")
        if got in (want + 4 * params, want + params):
            raise Wrong(f"{label}: the parameters do not grow with the batch; leave them out.")
        raise Wrong(f"{label}: count each Linear's input (floats), the sigmoid's output and "
                    f"torch.where's bool, 4 bytes a float.")


# ---------------------------------------------------------------- notebook 10

@exercise("10", 1, "effective_lr")
def check_effective_lr(effective_lr):
    "Exercise 10.1: the learning rate for k ranks of b items (and accumulation), by linear scaling."
    cases = [  # base_lr, base_bs, per_rank_bs, world_size, accum_steps
        (0.1, 256, 64, 8, 1), (0.5, 64, 32, 4, 2), (0.1, 512, 16, 4, 1), (2.0, 128, 64, 2, 1),
        (0.05, 100, 25, 1, 8)]
    for base_lr, base_bs, b, k, acc in cases:
        what = f"for base_lr={base_lr} at batch {base_bs}, {k} ranks of {b}, accum_steps={acc}"
        got = as_number(call(effective_lr, base_lr, base_bs, b, k, acc),
                        f"the learning rate {what}")
        expected = base_lr * b * k * acc / base_bs
        if not math.isclose(got, expected, rel_tol=1e-6):
            if math.isclose(got, base_lr * b / base_bs, rel_tol=1e-6):
                raise Wrong(f"{what} you return {got:.4g}: you scaled by the per-rank batch only. "
                            f"SGD's batch is the ranks' batches together, {k} x {b} = {k * b}.")
            if math.isclose(got, base_lr * b * k / base_bs, rel_tol=1e-6):
                raise Wrong(f"{what} you return {got:.4g}: each step also sums {acc} accumulated "
                            f"micro-batches, so the batch is {b} x {k} x {acc} = {b * k * acc}.")
            if math.isclose(got, base_lr * math.sqrt(b * k * acc / base_bs), rel_tol=1e-6):
                raise Wrong(f"{what} you return {got:.4g}: that is square-root scaling; the linear "
                            f"rule multiplies the learning rate by the ratio of the batch sizes.")
        expect_close(got, expected, f"the learning rate {what}", atol=0, rtol=1e-6)


@exercise("10", 2, "dp_speedup")
def check_dp_speedup(dp_speedup):
    "Exercise 10.2: the speed-up of k ranks over one process, with an all-reduce every step."
    for one, comm, k in [(1.0, 0.0, 4), (0.001, 0.001, 2), (0.010, 0.001, 8), (2.0, 0.5, 1),
                         (0.3, 0.05, 3)]:
        what = f"for one_process_s={one}, all_reduce_s={comm}, world_size={k}"
        got = as_number(call(dp_speedup, one, comm, k), f"the speed-up {what}")
        expected = one / (one / k + comm)
        if not math.isclose(got, expected, rel_tol=1e-6):
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
        if (torch.is_tensor(got) or isinstance(got, np.ndarray)) and got.ndim == 1:
            got = list(got)
        if not isinstance(got, (list, tuple, range)):
            raise Wrong(f"{what} you return {what_it_is(got)}: return the list of indices.")
        got = [as_number(i, f"{what} your index number {pos}", whole=True)
               for pos, i in enumerate(got)]
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
        call_uncopied(accumulate_grads, model, x.clone(), y.clone(), micro_bs)
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
