"Checks for the exercises of notebook 01, DataLoader basics."
import math

import torch

from . import Exercise, Wrong, as_number, call, call_uncopied, exercise, expect_close

__all__ = ["check_n_batches", "check_batch_sizes", "check_batch_mean_accuracy", "check_shuffled_batches"]


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
