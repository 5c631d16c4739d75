"Checks for the exercises of notebook 08, Inside the DataLoader."
import torch

from . import Exercise, Wrong, call, call_uncopied, describe, exercise, expect_tensor, naming

__all__ = ["check_collate_pairs", "check_gather_batches", "check_ShuffleLoader"]


def _nb08_data(n, seed, width=3):
    "n items: x rows whose first value is the item's index (so a batch shows its order), y labels."
    g = torch.Generator().manual_seed(seed)
    x = torch.cat([torch.arange(n, dtype=torch.float32).unsqueeze(1),
                   torch.rand(n, width - 1, generator=g)], 1)
    y = torch.arange(n).remainder(2).unsqueeze(1) * 10 + torch.arange(n).unsqueeze(1)
    return x, y


def _nb08_pair(batch, what):
    "A batch as (xb, yb), or Wrong with what it is instead."
    if not isinstance(batch, (tuple, list)) or len(batch) != 2 or not all(
            torch.is_tensor(t) for t in batch):
        raise Wrong(f"{what} each batch should be a pair (xb, yb) of tensors, but one is "
                    f"{type(batch).__name__}.")
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


def _nb08_torch_epochs(x, y, bs, drop, seed, epochs):
    "The batches of PyTorch's DataLoader over TensorDataset(x, y), epoch by epoch."
    from torch.utils.data import DataLoader, TensorDataset
    dl = DataLoader(TensorDataset(x, y), batch_size=bs, shuffle=True, drop_last=drop,
                    generator=torch.Generator().manual_seed(seed))
    return len(dl), [[(xb, yb) for xb, yb in dl] for _ in range(epochs)]


@exercise("08", 3, "ShuffleLoader")
def check_ShuffleLoader(ShuffleLoader):
    "Exercise 08.3: a loader that shuffles every epoch, as torch's DataLoader, batch for batch."
    epochs = 3
    for n, bs, drop, seed in ((10, 4, False, 0), (10, 4, True, 42), (12, 4, False, 1),
                              (7, 3, True, 2), (5, 8, False, 3)):
        x, y = _nb08_data(n, seed)
        want_len, want = _nb08_torch_epochs(x, y, bs, drop, seed, epochs)
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
            got = [[_nb08_pair(b, what) for b in dl] for _ in range(epochs)]
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
