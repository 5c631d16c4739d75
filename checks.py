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
    for ex in sorted((e for e in EXERCISES.values() if e.notebook == number), key=lambda e: e.number):
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
        got = call(n_batches, n, bs, drop)
        if isinstance(got, bool) or not isinstance(got, int):
            raise Wrong(f"n_batches({n}, {bs}, drop_last={drop}) returns {got!r}, a "
                        f"{type(got).__name__}: a number of batches is a whole number (an int); "
                        f"use // or math.ceil.")
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
        got = call(batch_mean_accuracy, correct, bs)
        what = f"batch_mean_accuracy of {len(correct)} items with bs={bs}"
        if torch.is_tensor(got) and got.numel() != 1:
            raise Wrong(f"{what} returns a tensor of {got.numel()} numbers: return one number, "
                        f"the mean of the batch accuracies.")
        if isinstance(got, (int, float)) or torch.is_tensor(got):
            got_f = float(got)
            full = [b for b in batches if len(b) == bs]
            if math.isclose(got_f, want, abs_tol=1e-6):
                continue
            if math.isclose(got_f, correct.mean().item(), abs_tol=1e-6):
                raise Wrong(f"{what}: you return {got_f:.4f}, the fraction of all items that are "
                            f"right; validate_epoch averages the batch accuracies, so the last, "
                            f"partial batch counts as much as a full one: {want:.4f}.")
            if full and math.isclose(got_f, torch.stack([b.mean() for b in full]).mean().item(),
                                     abs_tol=1e-6):
                raise Wrong(f"{what}: you return {got_f:.4f}, leaving out the last, partial batch; "
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
        got = shuffled_batches(copy.deepcopy(items), bs, torch.Generator().manual_seed(seed), drop)
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
    first, second = (shuffled_batches(list(range(15)), 5, g, False) for _ in range(2))
    if [_nb01_as_list(b) for b in first] == [_nb01_as_list(b) for b in second]:
        raise Wrong("two epochs with the same generator give the same order: draw from the "
                    "generator you are given (don't seed a new one), so each epoch is shuffled "
                    "anew.")


# ---------------------------------------------------------------- notebook 02

def _nb02_show(value):
    "An argument, briefly, for a message: a tensor by its shape, anything else by repr."
    return f"<a tensor of shape {tuple(value.shape)}>" if torch.is_tensor(value) else repr(value)


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
        what = f"pairs({_nb02_show(xs)}, {_nb02_show(ys)})"
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
            raise Wrong(f"len(Squares({n})) is {len(ds)}: it should be {n}, one item per i "
                        f"from 0 to {n - 1}.")
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
            raise Wrong(f"{what} returns a list; return a tuple, one entry per field, as fastai's "
                        f"fa_collate does (torch's default_collate returns a list).")
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
