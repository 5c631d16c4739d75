"Checks for the exercises of notebook 01, DataLoader basics."
import math

import torch

from . import Wrong, as_number, call, call_uncopied, exercise, expect_close

__all__ = [
    "check_n_batches", "check_batch_sizes", "check_batch_mean_accuracy", "check_shuffled_batches"]


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


def _nb01_epoch(shuffled_batches, items, bs, generator, drop, what):
    "The learner's epoch as a list of lists, or Wrong if it is not a list of batches."
    got = call(shuffled_batches, items, bs, generator, drop)
    if not isinstance(got, (list, tuple)) or not all(
            isinstance(b, (list, tuple)) or torch.is_tensor(b) for b in got):
        raise Wrong(f"{what} you return {type(got).__name__} {got!r:.60}: return a list of "
                    f"batches, each a list of items, e.g. [[3, 12, 8], [10, 2]].")
    return [_nb01_as_list(b) for b in got]


@exercise("01", 4, "shuffled_batches")
def check_shuffled_batches(shuffled_batches):
    "Exercise 01.4: one epoch of a shuffling loader, judged by what shuffling promises."
    letters = list("abcdefghijklm")
    cases = [(list(range(15)), 5, False), (letters, 4, False), (letters, 4, True),
             (list(range(10, 30)), 6, True), (list(range(10, 30)), 6, False)]
    for items, bs, drop in cases:
        what = f"for {len(items)} items, bs={bs}, drop_last={drop}:"
        sizes = [bs] * (len(items) // bs) + ([len(items) % bs] if len(items) % bs and not drop
                                             else [])
        epochs = [_nb01_epoch(shuffled_batches, items, bs, torch.Generator().manual_seed(seed),
                              drop, what) for seed in range(4)]
        got = epochs[0]
        flat = [x for b in got for x in b]
        if [len(b) for b in got] != sizes:
            if drop and len(got) == len(sizes) + 1:
                raise Wrong(f"{what} your last batch is a partial one ({len(got[-1])} of {bs}): "
                            f"with drop_last=True the partial last batch is thrown away.")
            if not drop and len(got) == len(sizes) - 1:
                raise Wrong(f"{what} you lose the items left over ({len(items) % bs} of them): "
                            f"keep the partial last batch unless drop_last=True.")
            raise Wrong(f"{what} the batch sizes should be {sizes}, but yours are "
                        f"{[len(b) for b in got]}.")
        if not all(x in items for x in flat):
            raise Wrong(f"{what} your batches hold {[x for x in flat if x not in items][:3]}, "
                        f"which are not items of the list: index the list with the shuffled "
                        f"positions, items[i].")
        if len(set(map(str, flat))) < len(flat) or (not drop and len(flat) != len(items)):
            raise Wrong(f"{what} your epoch does not hold every item exactly once: shuffle by "
                        f"permuting the positions (torch.randperm), never by drawing with "
                        f"replacement.")
        if all(e == items[:len(flat)] or [x for b in e for x in b] == items[:len(flat)]
               for e in epochs):
            raise Wrong(f"{what} your batches are in the list's order: shuffle, e.g. with "
                        f"torch.randperm(len(items), generator=generator).")
        again = _nb01_epoch(shuffled_batches, items, bs, torch.Generator().manual_seed(0), drop,
                            what)
        if again != got:
            raise Wrong(f"{what} two generators seeded alike gave different orders: draw every "
                        f"random number from the generator you are given (not from Python's "
                        f"random or torch's global generator), so a seed reproduces the epoch.")
        if all(e == got for e in epochs):
            raise Wrong(f"{what} generators with seeds 0, 1, 2 and 3 all give the same order: "
                        f"use the generator you are given (don't seed a new one).")
    g = torch.Generator().manual_seed(5)
    first, second = (call_uncopied(shuffled_batches, list(range(15)), 5, g, False)
                     for _ in range(2))
    if [_nb01_as_list(b) for b in first] == [_nb01_as_list(b) for b in second]:
        raise Wrong("two epochs with the same generator give the same order: draw from the "
                    "generator you are given (don't copy or reseed it), so each epoch is "
                    "shuffled anew.")
