"Checks for the exercises of notebook 08, Inside the DataLoader."
import math

import torch

from . import (Wrong, call, call_uncopied, describe, exercise, expect_tensor, global_rngs,
               naming)

__all__ = ["check_collate_pairs", "check_gather_batches", "check_ShuffleLoader"]


def _nb08_data(n, seed, width=3):
    "n items: x rows whose first value is the item's index (so a batch shows its order), y labels."
    g = torch.Generator().manual_seed(seed)
    x = torch.cat([torch.arange(n, dtype=torch.float32).unsqueeze(1),
                   torch.rand(n, width - 1, generator=g)], 1)
    y = torch.arange(n).remainder(2).unsqueeze(1) * 10 + torch.arange(n).unsqueeze(1)
    return x, y


def _nb08_pair(batch, what):
    "A batch as the tuple (xb, yb), or Wrong with what it is instead (one rule: a tuple)."
    pair_of_tensors = (isinstance(batch, (tuple, list)) and len(batch) == 2
                       and all(torch.is_tensor(t) for t in batch))
    if not pair_of_tensors:
        raise Wrong(f"{what} each batch should be a pair (xb, yb) of tensors, but one is "
                    f"{type(batch).__name__}.")
    if isinstance(batch, list):
        raise Wrong(f"{what} a batch is the list [xb, yb]: make it the tuple (xb, yb), as "
                    f"fastai's batches are (`return xb, yb` or `yield x[idx], y[idx]` makes one).")
    return batch


@exercise("08", 1, "collate_pairs")
def check_collate_pairs(collate_pairs):
    "Exercise 08.1: a list of (x, y) pairs collated into (xb, yb)."
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


@exercise("08", 2, "gather_batches")
def check_gather_batches(gather_batches):
    "Exercise 08.2: one epoch of (x[idx], y[idx]) batches in a given order, honouring drop_last."
    for n, bs, drop, seed in ((10, 4, False, 0), (10, 4, True, 1), (10, 5, True, 2),
                              (9, 4, False, 3), (3, 5, False, 4)):
        x, y = _nb08_data(n, seed)
        order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
        chunks = [c for c in order.split(bs) if len(c) == bs or not drop]
        what = f"for n={n}, bs={bs}, drop_last={drop}"
        got = call(gather_batches, x, y, order, bs, drop)
        if got is None or torch.is_tensor(got) or not hasattr(got, "__iter__"):
            raise Wrong(f"{what} return the list of batches [(xb, yb), ...], but you return "
                        f"{type(got).__name__}.")
        got = [_nb08_pair(b, what) for b in got]
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


def _nb08_epochs(ShuffleLoader, x, y, bs, drop, seed, epochs, what, global_seed):
    "Three epochs of the learner's loader, each as a list of (xb, yb), and its len()."
    with global_rngs(global_seed):
        dl = call(ShuffleLoader, x, y, bs, drop, torch.Generator().manual_seed(seed))
        if dl is None or torch.is_tensor(dl) or not hasattr(dl, "__iter__"):
            raise Wrong(f"ShuffleLoader(x, y, bs, drop_last, generator) should make a loader "
                        f"you can loop over, but it gives {type(dl).__name__}.")
        length = call_uncopied(len, dl) if hasattr(dl, "__len__") else "no len()"
        with naming(f"looping over your loader ShuffleLoader(x: {describe(x)}, y: "
                    f"{describe(y)}, bs: {bs}, drop_last: {drop}, generator)"):
            got = [[_nb08_pair(b, what) for b in dl] for _ in range(epochs)]
    return length, got


@exercise("08", 3, "ShuffleLoader")
def check_ShuffleLoader(ShuffleLoader):
    "Exercise 08.3: a loader that shuffles every epoch, judged by what shuffling must do."
    epochs = 3
    for n, bs, drop, seed in ((10, 4, False, 0), (10, 4, True, 42), (12, 4, False, 1),
                              (11, 3, True, 2), (9, 16, False, 3)):
        x, y = _nb08_data(n, seed)
        what = f"for n={n}, bs={bs}, drop_last={drop}"
        want_len = n // bs if drop else math.ceil(n / bs)
        want_sizes = [bs] * (n // bs) + ([n % bs] if n % bs and not drop else [])
        length, got = _nb08_epochs(ShuffleLoader, x, y, bs, drop, seed, epochs, what, 0)
        if length != want_len:
            raise Wrong(f"{what} len(loader) should be {want_len}, the number of batches, but "
                        f"it is {length}.")
        orders = []
        for e, batches in enumerate(got, 1):
            sizes = [len(xb) for xb, _ in batches]
            if sizes != want_sizes:
                hint = (" drop_last=True throws the short last batch away." if drop else
                        " the short last batch counts unless drop_last=True.")
                raise Wrong(f"{what} epoch {e} has batches of {sizes}, it should have "
                            f"{want_sizes}:{hint}")
            if any(not torch.equal(yb, y[xb[:, 0].long()]) for xb, yb in batches):
                raise Wrong(f"{what} yb does not go with xb: gather both with the same idx.")
            order = [int(i) for xb, _ in batches for i in xb[:, 0].tolist()]
            if len(set(order)) < len(order):
                twice = sorted({i for i in order if order.count(i) > 1})
                raise Wrong(f"{what} epoch {e} visits the items {twice} more than once: a "
                            f"shuffle puts the items in a new order, each once "
                            f"(torch.randperm), it never draws with replacement.")
            if order == list(range(len(order))):
                raise Wrong(f"{what} epoch {e} comes in the dataset's order: shuffle, with "
                            f"torch.randperm(n, generator=generator).")
            orders.append(order)
        if any(orders[i] == orders[j] for i in range(epochs) for j in range(i)):
            raise Wrong(f"{what} your loader gives the same order in two epochs: draw a new "
                        f"order in __iter__ (each epoch), not once in __init__.")
        _, again = _nb08_epochs(ShuffleLoader, x, y, bs, drop, seed, epochs, what, 1)
        if [[xb[:, 0].long().tolist() for xb, _ in e] for e in again] != [
                [xb[:, 0].long().tolist() for xb, _ in e] for e in got]:
            raise Wrong(f"{what} two loaders whose generators were seeded alike ({seed}) gave "
                        f"different epochs: draw the order from the generator you were given, "
                        f"torch.randperm(n, generator=generator), not from torch's, NumPy's or "
                        f"Python's global random numbers.")
        _, other = _nb08_epochs(ShuffleLoader, x, y, bs, drop, seed + 100, 1, what, 0)
        if [int(i) for xb, _ in other[0] for i in xb[:, 0].tolist()] == orders[0]:
            raise Wrong(f"{what} generators seeded {seed} and {seed + 100} give the same first "
                        f"epoch: your order does not come from the generator; draw it with "
                        f"torch.randperm(n, generator=generator).")
