"""The checks of notebook 12's exercises: each accepts the reference solution and rejects plausible
wrong answers with the message that names the mistake."""
import math

import numpy as np
import pytest
import torch

import checks
from utils import mnist_loss
from checking import COUNT_KINDS, NUMBER_KINDS, assert_passes, assert_wrong, returning


# ---------------------------------------------------------------- 12.1 shard_average_gap

def flat_grad(model, x, y):
    model.zero_grad()
    mnist_loss(model(x), y).backward()
    return torch.cat([p.grad.flatten() for p in model.parameters()]).clone()


def shard_average_gap(model, xb, yb, world_size):
    whole = flat_grad(model, xb, yb)
    shards = [flat_grad(model, x, y) for x, y in zip(xb.chunk(world_size), yb.chunk(world_size))]
    return (torch.stack(shards).mean(0) - whole).abs().max().item()


def test_shard_average_gap_reference_passes():
    assert_passes(checks.check_shard_average_gap, shard_average_gap)


def test_shard_average_gap_finds_batchnorm_and_not_a_linear_model():
    x, y = torch.randn(16, 6, generator=torch.Generator().manual_seed(0)), torch.ones(16, 1)
    assert shard_average_gap(torch.nn.Linear(6, 1), x, y, 2) < 1e-6
    bn = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.BatchNorm1d(5), torch.nn.Linear(5, 1))
    assert shard_average_gap(bn, x, y, 2) > 1e-3


def summed(model, xb, yb, k):
    whole = flat_grad(model, xb, yb)
    return (sum(flat_grad(model, x, y) for x, y in zip(xb.chunk(k), yb.chunk(k)))
            - whole).abs().max().item()


def never_zeroed(model, xb, yb, k):
    whole = flat_grad(model, xb, yb)
    model.zero_grad()
    grads = []
    for x, y in zip(xb.chunk(k), yb.chunk(k)):
        mnist_loss(model(x), y).backward()
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters()]).clone())
    return (torch.stack(grads).mean(0) - whole).abs().max().item()


def in_eval_mode(model, xb, yb, k):
    model.eval()
    return shard_average_gap(model, xb, yb, k)


@pytest.mark.parametrize("wrong,message", [
    (summed, "DDP's all-reduce averages them"),
    (never_zeroed, "zero them before each shard's backward"),
    (in_eval_mode, "eval mode"),
    (lambda model, xb, yb, k: 0.0, "the largest difference is"),
    (lambda model, xb, yb, k: "small", "should be a number"),
])
def test_shard_average_gap_rejects(wrong, message):
    assert_wrong(checks.check_shard_average_gap, wrong, message)


# ---------------------------------------------------------------- 12.2 per_image_cost

def per_image_cost(step_seconds, small, large, repeats=5):
    t_small = np.median([step_seconds(small) for _ in range(repeats)])
    t_large = np.median([step_seconds(large) for _ in range(repeats)])
    per_image = (t_large - t_small) / (large - small)
    return t_small - per_image * small, per_image


def test_per_image_cost_reference_passes():
    assert_passes(checks.check_per_image_cost, per_image_cost)


def average_per_image(step_seconds, small, large, repeats=5):
    t = np.median([step_seconds(large) for _ in range(repeats)])
    return 0.0, t / large


def with_the_mean(step_seconds, small, large, repeats=5):
    t_small = np.mean([step_seconds(small) for _ in range(repeats)])
    t_large = np.mean([step_seconds(large) for _ in range(repeats)])
    per_image = (t_large - t_small) / (large - small)
    return t_small - per_image * small, per_image


def one_call_each(step_seconds, small, large, repeats=5):
    step_seconds(small), step_seconds(large)  # warm-up, then one timed call each
    return per_image_cost(step_seconds, small, large, 1)


@pytest.mark.parametrize("wrong,message", [
    (average_per_image, "carries the fixed cost"),
    (with_the_mean, "Take the median"),
    (lambda t, s, big, r=5: per_image_cost(t, s, big, r)[::-1], "swapped"),
    (one_call_each, "Take the median"),
    (lambda t, s, big, r=5: 0.001, "return the pair"),
])
def test_per_image_cost_rejects(wrong, message):
    assert_wrong(checks.check_per_image_cost, wrong, message)


@pytest.mark.parametrize("kind", NUMBER_KINDS)
def test_a_number_of_any_kind_passes(kind):
    assert_passes(checks.check_shard_average_gap, returning(NUMBER_KINDS[kind], shard_average_gap))
    assert_passes(checks.check_per_image_cost,
                  lambda *a: tuple(NUMBER_KINDS[kind](v) for v in per_image_cost(*a)))


# ---------------------------------------------------------------- 12.3 shard_indices

def shard_indices(n, world_size, rank, drop_last=False):
    if drop_last:
        total = n // world_size * world_size
        idx = list(range(total))
    else:
        total = math.ceil(n / world_size) * world_size
        idx = list(range(n))
        idx = (idx * math.ceil(total / n))[:total]
    return idx[rank:total:world_size]


def test_shard_indices_reference_passes():
    assert_passes(checks.check_shard_indices, shard_indices)


def test_shard_indices_as_a_tensor_passes_too():
    assert_passes(checks.check_shard_indices, lambda *a: torch.tensor(shard_indices(*a)))


@pytest.mark.parametrize("kind", COUNT_KINDS)
def test_shard_indices_takes_indices_of_any_integer_kind(kind):
    assert_passes(checks.check_shard_indices,
                  lambda *a: [COUNT_KINDS[kind](i) for i in shard_indices(*a)])


def test_shard_indices_refuses_indices_that_are_not_whole_numbers():
    assert_wrong(checks.check_shard_indices, lambda *a: [float(i) for i in shard_indices(*a)],
                 "your index number 0 is 0.0, a float: it should be a whole number (an int)")


def test_shard_indices_contiguous_blocks():
    def blocks(n, k, r, drop_last=False):
        m = n // k if drop_last else math.ceil(n / k)
        return list(range(r * m, (r + 1) * m))
    assert_wrong(checks.check_shard_indices, blocks, "contiguous block", "like cards",
                 "rank 0 gets [0, 2, 4, 6, 8, 10, 12, 14]")


def test_shard_indices_without_padding():
    assert_wrong(checks.check_shard_indices, lambda n, k, r, drop_last=False: list(range(r, n, k)),
                 "rank=1", "ceil(15/2) = 8", "pads the epoch")


def test_shard_indices_pads_even_with_drop_last():
    assert_wrong(checks.check_shard_indices,
                 lambda n, k, r, drop_last=False: shard_indices(n, k, r, False),
                 "with drop_last=True the sampler trims the epoch to 14 indices")


def test_shard_indices_pads_with_the_last_index():
    def pad_last(n, k, r, drop_last=False):
        if drop_last:
            return shard_indices(n, k, r, True)
        total = math.ceil(n / k) * k
        idx = list(range(n)) + [n - 1] * (total - n)
        return idx[r:total:k]
    assert_wrong(checks.check_shard_indices, pad_last, "DistributedSampler gives",
                 "pads with the first indices")


def test_shard_indices_returns_nothing_useful():
    assert_wrong(checks.check_shard_indices, lambda n, k, r, drop_last=False: n // k,
                 "you return 7, an int: return the list of indices")


# ---------------------------------------------------------------- 12.4 accumulate_grads

def accumulate_grads(model, xb, yb, micro_bs):
    n = len(xb)
    for i in range(0, n, micro_bs):
        xm, ym = xb[i:i + micro_bs], yb[i:i + micro_bs]
        (mnist_loss(model(xm), ym) * len(xm) / n).backward()


def test_accumulate_grads_reference_passes():
    assert_passes(checks.check_accumulate_grads, accumulate_grads)


def test_accumulate_grads_one_over_k():
    def one_over_k(model, xb, yb, micro_bs):
        starts = range(0, len(xb), micro_bs)
        for i in starts:
            (mnist_loss(model(xb[i:i + micro_bs]), yb[i:i + micro_bs]) / len(starts)).backward()
    assert_wrong(checks.check_accumulate_grads, one_over_k, "sizes [4, 4, 2]", "by 1/3",
                 "len(micro-batch) / len(batch)")


def test_accumulate_grads_unscaled_sum():
    def unscaled(model, xb, yb, micro_bs):
        for i in range(0, len(xb), micro_bs):
            mnist_loss(model(xb[i:i + micro_bs]), yb[i:i + micro_bs]).backward()
    assert_wrong(checks.check_accumulate_grads, unscaled, "the sum of the 3 micro-batches")


def test_accumulate_grads_whole_batch_at_once():
    def whole(model, xb, yb, micro_bs):
        mnist_loss(model(xb), yb).backward()
    assert_wrong(checks.check_accumulate_grads, whole, "got 10 items in one forward pass")


def test_accumulate_grads_zeroes_between_micro_batches():
    def zeroes(model, xb, yb, micro_bs):
        n = len(xb)
        for i in range(0, n, micro_bs):
            model.zero_grad()
            xm, ym = xb[i:i + micro_bs], yb[i:i + micro_bs]
            (mnist_loss(model(xm), ym) * len(xm) / n).backward()
    assert_wrong(checks.check_accumulate_grads, zeroes, "only the last micro-batch's gradient")


def test_accumulate_grads_does_nothing():
    assert_wrong(checks.check_accumulate_grads, lambda model, xb, yb, micro_bs: None,
                 "the parameters have no gradient")


@pytest.mark.parametrize("name", ["check_shard_average_gap", "check_per_image_cost",
                                  "check_shard_indices", "check_accumulate_grads"])
def test_notebook_12_checks_are_registered_in_order(name):
    ex = checks.EXERCISES[name]
    assert ex.notebook == "12"
    assert [e.function for e in sorted((e for e in checks.EXERCISES.values() if e.notebook == "12"),
                                       key=lambda e: e.number)] == [
        "shard_average_gap", "per_image_cost", "shard_indices", "accumulate_grads"]


# ---------------------------------------------------------------- correct, written another way

def shard_indices_in_numpy(n, world_size, rank, drop_last=False):
    per_rank = n // world_size if drop_last else -(-n // world_size)
    order = np.resize(np.arange(n), per_rank * world_size)  # np.resize repeats from the start
    return order[rank::world_size]


def accumulate_then_divide(model, xb, yb, micro_bs):
    for i in range(0, len(xb), micro_bs):
        xm, ym = xb[i:i + micro_bs], yb[i:i + micro_bs]
        (mnist_loss(model(xm), ym) * len(xm)).backward()  # the sum of the losses
    for p in model.parameters():
        p.grad /= len(xb)


def shard_average_gap_looped(model, xb, yb, world_size):
    "Each shard by index arithmetic, the average kept as a running sum, the gap as a 0-d tensor."
    n = len(xb) // world_size
    total = None
    for r in range(world_size):
        g = flat_grad(model, xb[r * n:(r + 1) * n], yb[r * n:(r + 1) * n])
        total = g if total is None else total + g
    return (total / world_size - flat_grad(model, xb, yb)).abs().max()


def per_image_cost_sorted(step_seconds, small, large, repeats=5):
    "Medians by sorting, as a list [fixed, per image] of NumPy floats."
    def median(bs):
        t = sorted(step_seconds(bs) for _ in range(repeats))
        return (t[(repeats - 1) // 2] + t[repeats // 2]) / 2
    a, b = median(small), median(large)
    slope = (b - a) / (large - small)
    return [np.float64(a - slope * small), np.float64(slope)]


OTHER_WAYS = {
    "check_shard_average_gap": shard_average_gap_looped,
    "check_per_image_cost": per_image_cost_sorted,
    "check_shard_indices": shard_indices_in_numpy,
    "check_accumulate_grads": accumulate_then_divide,
}


@pytest.mark.parametrize("name", sorted(OTHER_WAYS))
def test_a_correct_answer_written_another_way_passes(name):
    assert_passes(getattr(checks, name), OTHER_WAYS[name])


def test_every_check_of_12_gets_an_answer_written_another_way():
    assert sorted(OTHER_WAYS) == sorted(n for n, ex in checks.EXERCISES.items()
                                        if ex.notebook == "12")
