"Checks for the exercises of notebook 02, Datasets of tuples."

import torch

from . import Wrong, call, describe, exercise

__all__ = ["check_pairs", "check_squares", "check_collate"]


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
