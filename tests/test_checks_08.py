"""The checks of notebook 08 accept the reference solutions and name each plausible mistake."""
import math

import numpy as np
import pytest
import torch

import checks
from checking import assert_passes, assert_wrong, status


# ---------------------------------------------------------------- 08.1 collate_pairs

def collate_pairs(items):
    xs, ys = zip(*items)
    return torch.stack(xs), torch.stack(ys)


def test_collate_pairs_accepts_the_reference():
    assert status(checks.check_collate_pairs, collate_pairs).status == "passed"


def test_collate_pairs_catches_cat_instead_of_stack():
    def cat(items):
        xs, ys = zip(*items)
        return torch.cat(xs), torch.stack(ys)
    assert_wrong(checks.check_collate_pairs, cat, "torch.stack puts them under a new one")


def test_collate_pairs_catches_unstacked_fields_and_a_swap():
    assert_wrong(checks.check_collate_pairs, lambda items: tuple(zip(*items)), "torch.stack")

    def swapped(items):
        xs, ys = zip(*items)
        return torch.stack(ys), torch.stack(xs)
    assert_wrong(checks.check_collate_pairs, swapped, "swapped")


def test_collate_pairs_refuses_a_list_as_notebook_02s_collate_does():
    assert_wrong(checks.check_collate_pairs, lambda items: list(collate_pairs(items)),
                 "you return a list: return a tuple, not a list, (xb, yb)")


def test_collate_pairs_catches_the_items_unchanged():
    assert_wrong(checks.check_collate_pairs, lambda items: items, "return a pair (xb, yb)")


# ---------------------------------------------------------------- 08.2 gather_batches

def gather_batches(x, y, order, bs, drop_last=False):
    n = len(order)
    stop = n // bs * bs if drop_last else n
    return [(x[order[i:i + bs]], y[order[i:i + bs]]) for i in range(0, stop, bs)]


def test_gather_batches_accepts_the_reference():
    assert status(checks.check_gather_batches, gather_batches).status == "passed"


def test_gather_batches_catches_the_datasets_order():
    def in_order(x, y, order, bs, drop_last=False):
        n = len(x) // bs * bs if drop_last else len(x)
        return [(x[i:i + bs], y[i:i + bs]) for i in range(0, n, bs)]
    assert_wrong(checks.check_gather_batches, in_order, "dataset's order")


def test_gather_batches_catches_drop_last_ignored_or_always_applied():
    assert_wrong(checks.check_gather_batches,
                 lambda x, y, order, bs, drop_last=False: gather_batches(x, y, order, bs, False),
                 "drop_last=True throws it away")
    assert_wrong(checks.check_gather_batches,
                 lambda x, y, order, bs, drop_last=False: gather_batches(x, y, order, bs, True),
                 "you lose the short last batch")


def test_gather_batches_catches_labels_that_do_not_follow_the_images():
    def wrong_y(x, y, order, bs, drop_last=False):
        return [(xb, y[:len(xb)]) for xb, _ in gather_batches(x, y, order, bs, drop_last)]
    assert_wrong(checks.check_gather_batches, wrong_y, "yb does not go with xb")


def test_gather_batches_refuses_a_list_for_a_batch_as_08_1_does():
    def lists(x, y, order, bs, drop_last=False):
        return [list(b) for b in gather_batches(x, y, order, bs, drop_last)]
    assert_wrong(checks.check_gather_batches, lists, "the list [xb, yb]", "tuple (xb, yb)")


# ---------------------------------------------------------------- 08.3 ShuffleLoader

class ShuffleLoader:
    def __init__(self, x, y, bs, drop_last, generator):
        self.x, self.y, self.bs, self.drop_last, self.g = x, y, bs, drop_last, generator

    def __len__(self):
        n = len(self.x)
        return n // self.bs if self.drop_last else math.ceil(n / self.bs)

    def __iter__(self):
        order = torch.randperm(len(self.x), generator=self.g)
        for i in range(len(self)):
            idx = order[i * self.bs:(i + 1) * self.bs]
            yield self.x[idx], self.y[idx]


class LikeTorch(ShuffleLoader):
    "PyTorch's own draws (notebook 08's MiniLoader): a shuffle as good as any other."
    def __iter__(self):
        n = len(self.x)
        torch.empty((), dtype=torch.int64).random_(generator=self.g)
        order = torch.randperm(n, generator=self.g)
        torch.randperm(n, generator=self.g)
        for i in range(len(self)):
            idx = order[i * self.bs:(i + 1) * self.bs]
            yield self.x[idx], self.y[idx]


def test_shuffle_loader_accepts_the_reference_torchs_draws_and_utils_tensor_loader():
    import utils
    assert_passes(checks.check_ShuffleLoader, ShuffleLoader)
    assert_passes(checks.check_ShuffleLoader, LikeTorch)
    def tensor_loader(x, y, bs, drop, g):
        return utils.TensorLoader(x, y, bs, True, drop, g)
    assert_passes(checks.check_ShuffleLoader, tensor_loader)


def test_shuffle_loader_leaves_the_global_random_numbers_as_they_were():
    import random
    torch.manual_seed(5), random.seed(5), np.random.seed(5)
    expected = torch.rand(1), random.random(), np.random.rand()
    torch.manual_seed(5), random.seed(5), np.random.seed(5)
    assert_passes(checks.check_ShuffleLoader, ShuffleLoader)
    assert (torch.rand(1), random.random(), np.random.rand()) == expected


def test_shuffle_loader_catches_the_same_order_every_epoch():
    class Once(ShuffleLoader):
        def __init__(self, *args):
            super().__init__(*args)
            self.order = torch.randperm(len(self.x), generator=self.g)

        def __iter__(self):
            for i in range(len(self)):
                idx = self.order[i * self.bs:(i + 1) * self.bs]
                yield self.x[idx], self.y[idx]
    assert_wrong(checks.check_ShuffleLoader, Once, "same order in two epochs", "__iter__")


def test_shuffle_loader_catches_global_random_numbers_and_an_ignored_seed():
    class Global(ShuffleLoader):
        def __iter__(self):
            order = torch.randperm(len(self.x))
            for i in range(len(self)):
                idx = order[i * self.bs:(i + 1) * self.bs]
                yield self.x[idx], self.y[idx]
    assert_wrong(checks.check_ShuffleLoader, Global, "seeded alike", "generator=generator")

    class NumPyGlobal(ShuffleLoader):
        def __iter__(self):
            order = torch.from_numpy(np.random.permutation(len(self.x)))
            for i in range(len(self)):
                idx = order[i * self.bs:(i + 1) * self.bs]
                yield self.x[idx], self.y[idx]
    assert_wrong(checks.check_ShuffleLoader, NumPyGlobal, "seeded alike")

    class OwnSeed(ShuffleLoader):
        def __init__(self, *args):
            super().__init__(*args)
            self.g = torch.Generator().manual_seed(0)
    assert_wrong(checks.check_ShuffleLoader, OwnSeed, "does not come from the generator")


def test_shuffle_loader_catches_drawing_with_replacement():
    class WithReplacement(ShuffleLoader):
        def __iter__(self):
            order = torch.randint(len(self.x), (len(self.x),), generator=self.g)
            for i in range(len(self)):
                idx = order[i * self.bs:(i + 1) * self.bs]
                yield self.x[idx], self.y[idx]
    assert_wrong(checks.check_ShuffleLoader, WithReplacement, "more than once",
                 "never draws with replacement")


def test_shuffle_loader_catches_drop_last_ignored_and_no_shuffle():
    class KeepsLast(ShuffleLoader):
        def __len__(self):
            return math.ceil(len(self.x) / self.bs)
    assert_wrong(checks.check_ShuffleLoader, KeepsLast, "len(loader) should be")

    class DropsInIterOnly(ShuffleLoader):
        def __iter__(self):
            batches = list(super().__iter__())
            yield from (batches[:-1] if len(self.x) % self.bs else batches)
    assert_wrong(checks.check_ShuffleLoader, DropsInIterOnly, "the short last batch counts")

    class InOrder(ShuffleLoader):
        def __iter__(self):
            for i in range(len(self)):
                yield self.x[i * self.bs:(i + 1) * self.bs], self.y[i * self.bs:(i + 1) * self.bs]
    assert_wrong(checks.check_ShuffleLoader, InOrder, "dataset's order")


def test_shuffle_loader_catches_labels_apart_and_a_list_for_a_batch():
    class LabelsInOrder(ShuffleLoader):
        def __iter__(self):
            for (xb, _), i in zip(super().__iter__(), range(len(self))):
                yield xb, self.y[i * self.bs:i * self.bs + len(xb)]
    assert_wrong(checks.check_ShuffleLoader, LabelsInOrder, "yb does not go with xb")

    class Lists(ShuffleLoader):
        def __iter__(self):
            for xb, yb in super().__iter__():
                yield [xb, yb]
    assert_wrong(checks.check_ShuffleLoader, Lists, "the list [xb, yb]", "tuple (xb, yb)")


@pytest.mark.parametrize("check", [checks.check_collate_pairs, checks.check_gather_batches,
                                   checks.check_ShuffleLoader])
def test_each_check_runs_well_under_a_second(check):
    import time
    refs = {"collate_pairs": collate_pairs, "gather_batches": gather_batches,
            "ShuffleLoader": ShuffleLoader}
    start = time.perf_counter()
    assert status(check, refs[check.exercise.function]).passed
    assert time.perf_counter() - start < 1.0  # each takes milliseconds; the margin is for a busy CI


# ---------------------------------------------------------------- correct, written another way

def collate_pairs_by_cat(items):
    xb = torch.cat([x.unsqueeze(0) for x, _ in items])
    yb = torch.cat([y[None] for _, y in items])
    return xb, yb


def gather_batches_by_split(x, y, order, bs, drop_last=False):
    return [(x[idx], y[idx]) for idx in order.split(bs) if len(idx) == bs or not drop_last]


class ShuffleLoaderInNumPy(ShuffleLoader):
    "Seeds a NumPy generator from the torch one, once: another shuffle from the same generator."
    def __init__(self, x, y, bs, drop_last, generator):
        super().__init__(x, y, bs, drop_last, generator)
        self.rng = np.random.default_rng(int(torch.randint(2**31, (1,), generator=generator)))

    def __iter__(self):
        chunks = np.array_split(self.rng.permutation(len(self.x)),
                                range(self.bs, len(self.x), self.bs))
        yield from ((self.x[idx], self.y[idx]) for idx in chunks[:len(self)])


OTHER_WAYS = {
    "check_collate_pairs": collate_pairs_by_cat,
    "check_gather_batches": gather_batches_by_split,
    "check_ShuffleLoader": ShuffleLoaderInNumPy,
}


@pytest.mark.parametrize("name", sorted(OTHER_WAYS))
def test_a_correct_answer_written_another_way_passes(name):
    assert_passes(getattr(checks, name), OTHER_WAYS[name])


def test_every_check_of_08_gets_an_answer_written_another_way():
    assert sorted(OTHER_WAYS) == sorted(n for n, ex in checks.EXERCISES.items()
                                        if ex.notebook == "08")
