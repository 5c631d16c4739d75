"""Checks of notebooks 01 and 02: each passes its reference solution and names what is wrong."""
import math
import time

import numpy as np
import pytest
import torch

import checks
from checking import COUNT_KINDS, NUMBER_KINDS, assert_passes, assert_wrong, returning


# ---------------------------------------------------------------- 01.1 n_batches

def n_batches(n, bs, drop_last=False):
    if bs < 1:
        raise ValueError(f"batch size must be at least 1, got {bs}")
    return n // bs if drop_last else math.ceil(n / bs)


def test_n_batches_accepts_the_reference():
    assert_passes(checks.check_n_batches, n_batches)


@pytest.mark.parametrize("kind", COUNT_KINDS)
def test_n_batches_takes_a_count_of_any_integer_kind(kind):
    assert_passes(checks.check_n_batches, returning(COUNT_KINDS[kind], n_batches))


@pytest.mark.parametrize("wrong,words", [
    (lambda n, bs, drop_last=False: n // bs, "partial batch that counts too"),
    (lambda n, bs, drop_last=False: math.ceil(n / bs), "the partial last batch is thrown away"),
    (lambda n, bs, drop_last=False: n // bs if drop_last else n / bs, "a whole number (an int)"),
    (lambda n, bs, drop_last=False: np.float64(n_batches(n, bs, drop_last)),
     "is NumPy's float64 3.0: it should be a whole number (an int)"),
    (lambda n, bs, drop_last=False: n // bs if drop_last else -(-n // bs),
     "raises ZeroDivisionError"),
    (lambda n, bs, drop_last=False: 0 if bs < 1 else n_batches(n, bs, drop_last), "below 1"),
])
def test_n_batches_rejects(wrong, words):
    assert_wrong(checks.check_n_batches, wrong, words)


# ---------------------------------------------------------------- 01.2 batch_sizes

def batch_sizes(n, bs, drop_last=False):
    sizes = [bs] * (n // bs)
    if n % bs and not drop_last:
        sizes.append(n % bs)
    return sizes


def test_batch_sizes_accepts_the_reference():
    assert_passes(checks.check_batch_sizes, batch_sizes)
    assert_passes(checks.check_batch_sizes,
                  lambda n, bs, drop_last=False: tuple(batch_sizes(n, bs, drop_last)))


@pytest.mark.parametrize("wrong,words", [
    (lambda n, bs, drop_last=False: [bs] * (n // bs) + [n % bs], "thrown away"),
    (lambda n, bs, drop_last=False: [bs] * (n // bs) + ([] if drop_last else [n % bs]),
     "never empty"),
    (lambda n, bs, drop_last=False: [bs] * (n // bs), "smaller, last batch"),
    (lambda n, bs, drop_last=False: len(batch_sizes(n, bs, drop_last)), "should return a list"),
])
def test_batch_sizes_rejects(wrong, words):
    assert_wrong(checks.check_batch_sizes, wrong, words)


# ---------------------------------------------------------------- 01.3 batch_mean_accuracy

def batch_mean_accuracy(correct, bs):
    return torch.stack([b.mean() for b in correct.split(bs)]).mean().item()


def test_batch_mean_accuracy_accepts_the_reference():
    assert_passes(checks.check_batch_mean_accuracy, batch_mean_accuracy)
    assert_passes(checks.check_batch_mean_accuracy,
                  lambda correct, bs: torch.stack([b.mean() for b in correct.split(bs)]).mean())


@pytest.mark.parametrize("kind", NUMBER_KINDS)
def test_batch_mean_accuracy_takes_any_kind_of_number(kind):
    assert_passes(checks.check_batch_mean_accuracy,
                  returning(NUMBER_KINDS[kind], batch_mean_accuracy))


@pytest.mark.parametrize("wrong,words", [
    (lambda correct, bs: correct.mean().item(), "the fraction of all items"),
    (lambda correct, bs: torch.stack([b.mean() for b in correct.split(bs) if len(b) == bs]).mean(),
     "leaving out the last, partial batch"),
    (lambda correct, bs: torch.stack([b.mean() for b in correct.split(bs)]),
     "should be one number, but it is a float32 tensor of shape (4,)"),
    (lambda correct, bs: correct.sum().item() / bs, "off from the reference"),
])
def test_batch_mean_accuracy_rejects(wrong, words):
    if words == "off from the reference":
        words = "but it should be"  # expect_close's message for a plain number
    assert_wrong(checks.check_batch_mean_accuracy, wrong, words)


# ---------------------------------------------------------------- 01.4 shuffled_batches

def shuffled_batches(items, bs, generator, drop_last=False):
    torch.empty((), dtype=torch.int64).random_(generator=generator)
    order = torch.randperm(len(items), generator=generator).tolist()
    stop = len(items) // bs * bs if drop_last else len(items)
    return [[items[i] for i in order[start:start + bs]] for start in range(0, stop, bs)]


def without_the_worker_draw(items, bs, generator, drop_last=False):
    order = torch.randperm(len(items), generator=generator).tolist()
    stop = len(items) // bs * bs if drop_last else len(items)
    return [[items[i] for i in order[start:start + bs]] for start in range(0, stop, bs)]


def keeps_the_partial_batch(items, bs, generator, drop_last=False):
    return shuffled_batches(items, bs, generator, False)


def positions_not_items(items, bs, generator, drop_last=False):
    return shuffled_batches(list(range(len(items))), bs, generator, drop_last)


def in_order(items, bs, generator, drop_last=False):
    stop = len(items) // bs * bs if drop_last else len(items)
    return [items[start:start + bs] for start in range(0, stop, bs)]


def own_generator(items, bs, generator, drop_last=False):
    return shuffled_batches(items, bs, torch.Generator().manual_seed(0), drop_last)


def never_advances(items, bs, generator, drop_last=False):
    copy = torch.Generator()
    copy.set_state(generator.get_state())
    return shuffled_batches(items, bs, copy, drop_last)


def test_shuffled_batches_accepts_the_reference():
    assert_passes(checks.check_shuffled_batches, shuffled_batches)
    as_tensors = lambda items, bs, g, drop_last=False: [
        torch.tensor(b) if isinstance(b[0], int) else tuple(b)
        for b in shuffled_batches(items, bs, g, drop_last)]
    assert_passes(checks.check_shuffled_batches, as_tensors)


def python_random(items, bs, generator, drop_last=False):
    import random
    order = random.sample(range(len(items)), len(items))
    stop = len(items) // bs * bs if drop_last else len(items)
    return [[items[i] for i in order[start:start + bs]] for start in range(0, stop, bs)]


def with_replacement(items, bs, generator, drop_last=False):
    order = torch.randint(len(items), (len(items),), generator=generator).tolist()
    stop = len(items) // bs * bs if drop_last else len(items)
    return [[items[i] for i in order[start:start + bs]] for start in range(0, stop, bs)]


def test_shuffled_batches_accepts_any_permutation_drawn_from_the_generator():
    "Not only torch's own draws: any shuffle that uses the generator is right."
    assert_passes(checks.check_shuffled_batches, without_the_worker_draw)

    def argsort_of_uniforms(items, bs, generator, drop_last=False):
        order = torch.rand(len(items), generator=generator).argsort()
        batches = [[items[int(i)] for i in chunk] for chunk in order.split(bs)]
        return batches[:-1] if drop_last and len(items) % bs else batches
    assert_passes(checks.check_shuffled_batches, argsort_of_uniforms)


@pytest.mark.parametrize("wrong,words", [
    (keeps_the_partial_batch, "the partial last batch is thrown away"),
    (positions_not_items, "not items of the list"),
    (in_order, "in the list's order"),
    (own_generator, "all give the same order"),
    (never_advances, "two epochs with the same generator give the same order"),
    (python_random, "seeded alike gave different orders"),
    (with_replacement, "every item exactly once"),
])
def test_shuffled_batches_rejects(wrong, words):
    assert_wrong(checks.check_shuffled_batches, wrong, words)


# ---------------------------------------------------------------- 02.1 pairs

def pairs(xs, ys):
    if len(xs) != len(ys):
        raise ValueError(f"xs has {len(xs)} items but ys has {len(ys)}")
    return list(zip(xs, ys))


def test_pairs_accepts_the_reference():
    assert_passes(checks.check_pairs, pairs)


@pytest.mark.parametrize("wrong,words", [
    (lambda xs, ys: list(zip(xs, ys)), "zip stops at the shorter input"),
    (lambda xs, ys: zip(xs, ys), "a zip object"),
    (lambda xs, ys: [[x, y] for x, y in pairs(xs, ys)], "each item should be a tuple"),
    (lambda xs, ys: [(y, x) for x, y in pairs(xs, ys)], "the x comes first"),
    (lambda xs, ys: pairs(xs, ys)[:-1], "it should pair each of the 4"),
])
def test_pairs_rejects(wrong, words):
    assert_wrong(checks.check_pairs, wrong, words)


# ---------------------------------------------------------------- 02.2 Squares

class Squares:
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(f"Squares({self.n}) has no item {i}")
        return (i, i * i)

    def __len__(self):
        return self.n


class NoEnd(Squares):
    def __getitem__(self, i):
        return (i, i * i)


class OneTooMany(Squares):
    def __len__(self):
        return self.n + 1


class Doubles(Squares):
    def __getitem__(self, i):
        super().__getitem__(i)
        return (i, 2 * i)


class AtLeastOne(Squares):
    def __len__(self):
        return max(self.n, 1)


class ListItems(Squares):
    def __getitem__(self, i):
        return list(super().__getitem__(i))


def test_squares_accepts_the_reference():
    assert_passes(checks.check_squares, Squares)


@pytest.mark.parametrize("wrong,words", [
    (NoEnd, "past its end a dataset raises IndexError"),
    (OneTooMany, "len(Squares(10)) is 11"),
    (Doubles, "should be the tuple (1, 1)"),
    (ListItems, "should be the tuple (0, 0)"),
    (AtLeastOne, "len(Squares(0)) is 1: it should be 0, no items at all"),
    (lambda n: [(i, i * i) for i in range(n)] + [(n, n * n)], "len(Squares(10)) is 11"),
])
def test_squares_rejects(wrong, words):
    assert_wrong(checks.check_squares, wrong, words)


def test_a_list_of_the_squares_is_a_dataset_too():
    assert_passes(checks.check_squares, lambda n: [(i, i * i) for i in range(n)])


# ---------------------------------------------------------------- 02.3 collate

def collate(batch):
    fields = []
    for values in zip(*batch):
        if torch.is_tensor(values[0]):
            fields.append(torch.stack(values))
        elif isinstance(values[0], (int, float)):
            fields.append(torch.tensor(values))
        else:
            fields.append(tuple(values))
    return tuple(fields)


def test_collate_accepts_the_reference():
    assert_passes(checks.check_collate, collate)


@pytest.mark.parametrize("wrong,words", [
    (lambda batch: list(collate(batch)), "returns a list: return a tuple, not a list"),
    (lambda batch: tuple(torch.cat(v) if torch.is_tensor(v[0]) else c
                         for v, c in zip(zip(*batch), collate(batch))), "torch.cat joins the rows"),
    (lambda batch: tuple(zip(*batch)), "should be one tensor"),
    (lambda batch: tuple(c if torch.is_tensor(c) else list(c) for c in collate(batch)),
     "holds strings"),
])
def test_collate_rejects(wrong, words):
    assert_wrong(checks.check_collate, wrong, words)


# ---------------------------------------------------------------- all of them

NAMES = ["check_n_batches", "check_batch_sizes", "check_batch_mean_accuracy",
         "check_shuffled_batches", "check_pairs", "check_squares", "check_collate"]
REFERENCES = [n_batches, batch_sizes, batch_mean_accuracy, shuffled_batches,
              pairs, Squares, collate]


@pytest.mark.parametrize("name,reference", list(zip(NAMES, REFERENCES)), ids=NAMES)
def test_each_check_takes_well_under_a_second(name, reference):
    check = checks.EXERCISES[name].check
    start = time.perf_counter()
    check(reference)
    assert time.perf_counter() - start < 0.5


def test_notebooks_01_and_02_register_exactly_these_checks():
    ours = sorted(n for n, ex in checks.EXERCISES.items() if ex.notebook in ("01", "02"))
    assert ours == sorted(NAMES)


# ---------------------------------------------------------------- correct, written another way

def n_batches_by_counting(n, bs, drop_last=False):
    if bs < 1:
        raise ValueError("bs must be at least 1")
    count, left = 0, n
    while left >= bs:
        count, left = count + 1, left - bs
    return count + (1 if left and not drop_last else 0)


def batch_sizes_in_a_loop(n, bs, drop_last=False):
    sizes = []
    for start in range(0, n, bs):
        size = min(bs, n - start)
        if size == bs or not drop_last:
            sizes.append(size)
    return sizes


def batch_mean_accuracy_in_numpy(correct, bs):
    values = correct.numpy()
    return np.mean([values[i:i + bs].mean() for i in range(0, len(values), bs)])  # np.float32


def shuffled_batches_of_tensors(items, bs, generator, drop_last=False):
    return [torch.tensor(b) if isinstance(b[0], int) else tuple(b)
            for b in shuffled_batches(items, bs, generator, drop_last)]


def pairs_by_index(xs, ys):
    if len(xs) != len(ys):
        raise ValueError("xs and ys differ in length")
    return [(xs[i], ys[i]) for i in range(len(xs))]


class SquaresOfARange(torch.utils.data.Dataset):
    def __init__(self, n):
        self.numbers = range(n)

    def __getitem__(self, i):
        k = self.numbers[i]  # a range raises IndexError past its end
        return k, k ** 2

    def __len__(self):
        return len(self.numbers)


def collate_by_field_number(batch):
    fields = []
    for k in range(len(batch[0])):
        column = [item[k] for item in batch]
        if isinstance(column[0], str):
            fields.append(tuple(column))
        elif torch.is_tensor(column[0]):
            fields.append(torch.cat([c.unsqueeze(0) for c in column]))
        else:
            fields.append(torch.from_numpy(np.array(column)))
    return tuple(fields)


OTHER_WAYS = {
    "check_n_batches": n_batches_by_counting,
    "check_batch_sizes": batch_sizes_in_a_loop,
    "check_batch_mean_accuracy": batch_mean_accuracy_in_numpy,
    "check_shuffled_batches": shuffled_batches_of_tensors,
    "check_pairs": pairs_by_index,
    "check_squares": SquaresOfARange,
    "check_collate": collate_by_field_number,
}


@pytest.mark.parametrize("name", sorted(OTHER_WAYS))
def test_a_correct_answer_written_another_way_passes(name):
    assert_passes(getattr(checks, name), OTHER_WAYS[name])


def test_every_check_of_01_and_02_gets_an_answer_written_another_way():
    assert sorted(OTHER_WAYS) == sorted(NAMES)
