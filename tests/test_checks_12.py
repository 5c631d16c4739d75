"""The checks of notebook 12's exercises: each accepts the reference solution and rejects plausible
wrong answers with the message that names the mistake."""
import math

import numpy as np
import pytest
import torch

import checks
from utils import mnist_loss
from checking import COUNT_KINDS, NUMBER_KINDS, assert_passes, assert_wrong, returning


# ---------------------------------------------------------------- 12.1 effective_lr

def effective_lr(base_lr, base_bs, per_rank_bs, world_size, accum_steps=1):
    return base_lr * per_rank_bs * world_size * accum_steps / base_bs


def test_effective_lr_reference_passes():
    assert_passes(checks.check_effective_lr, effective_lr)


def test_effective_lr_per_rank_batch_only():
    assert_wrong(checks.check_effective_lr, lambda lr, bs, b, k, acc=1: lr * b / bs,
                 "you scaled by the per-rank batch only", "8 x 64 = 512")


def test_effective_lr_forgets_accumulation():
    assert_wrong(checks.check_effective_lr, lambda lr, bs, b, k, acc=1: lr * b * k / bs,
                 "accumulated micro-batches", "32 x 4 x 2 = 256")


def test_effective_lr_square_root_scaling():
    assert_wrong(checks.check_effective_lr,
                 lambda lr, bs, b, k, acc=1: lr * math.sqrt(b * k * acc / bs),
                 "square-root scaling")


def test_effective_lr_inverted():
    assert_wrong(checks.check_effective_lr, lambda lr, bs, b, k, acc=1: lr * bs / (b * k * acc),
                 "the learning rate for base_lr=0.1 at batch 256, 8 ranks of 64", "should be 0.2")


# ---------------------------------------------------------------- 12.2 dp_speedup

def dp_speedup(one_process_s, all_reduce_s, world_size):
    return one_process_s / (one_process_s / world_size + all_reduce_s)


def test_dp_speedup_reference_passes():
    assert_passes(checks.check_dp_speedup, dp_speedup)


def test_dp_speedup_without_the_all_reduce():
    assert_wrong(checks.check_dp_speedup, lambda t, a, k: t / (t / k + a) if a == 0 else float(k),
                 "leaves out the all-reduce")


def test_dp_speedup_all_reduce_shared_by_the_ranks():
    assert_wrong(checks.check_dp_speedup, lambda t, a, k: t / ((t + a) / k),
                 "does not get shorter with more ranks")


def test_dp_speedup_upside_down():
    assert_wrong(checks.check_dp_speedup, lambda t, a, k: (t / k + a) / t,
                 "DDP's time over one process's")


@pytest.mark.parametrize("kind", NUMBER_KINDS)
@pytest.mark.parametrize("check,reference", [
    (checks.check_effective_lr, effective_lr), (checks.check_dp_speedup, dp_speedup)],
    ids=["effective_lr", "dp_speedup"])
def test_a_number_of_any_kind_passes(check, reference, kind):
    assert_passes(check, returning(NUMBER_KINDS[kind], reference))


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


@pytest.mark.parametrize("name", ["check_effective_lr", "check_dp_speedup", "check_shard_indices",
                                  "check_accumulate_grads"])
def test_notebook_10_checks_are_registered_in_order(name):
    ex = checks.EXERCISES[name]
    assert ex.notebook == "12"
    assert [e.function for e in sorted((e for e in checks.EXERCISES.values() if e.notebook == "12"),
                                       key=lambda e: e.number)] == [
        "effective_lr", "dp_speedup", "shard_indices", "accumulate_grads"]


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


OTHER_WAYS = {
    "check_effective_lr": lambda lr, bs, b, k, acc=1: np.float32(lr * (b * k * acc / bs)),
    "check_dp_speedup": lambda t, a, k: torch.tensor(t, dtype=torch.float64) / (
        torch.tensor(t, dtype=torch.float64) / k + a),
    "check_shard_indices": shard_indices_in_numpy,
    "check_accumulate_grads": accumulate_then_divide,
}


@pytest.mark.parametrize("name", sorted(OTHER_WAYS))
def test_a_correct_answer_written_another_way_passes(name):
    assert_passes(getattr(checks, name), OTHER_WAYS[name])


def test_every_check_of_10_gets_an_answer_written_another_way():
    assert sorted(OTHER_WAYS) == sorted(n for n, ex in checks.EXERCISES.items()
                                        if ex.notebook == "12")
