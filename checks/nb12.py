"Checks for the exercises of notebook 12, Data-parallel mini-batches."
import copy
import math

import numpy as np
import torch

from . import Exercise, Wrong, as_number, call, call_uncopied, exercise, expect_close, what_it_is

__all__ = ["check_effective_lr", "check_dp_speedup", "check_shard_indices", "check_accumulate_grads"]


@exercise("12", 1, "effective_lr")
def check_effective_lr(effective_lr):
    "Exercise 12.1: the learning rate for k ranks of b items (and accumulation), by linear scaling."
    cases = [  # base_lr, base_bs, per_rank_bs, world_size, accum_steps
        (0.1, 256, 64, 8, 1), (0.5, 64, 32, 4, 2), (0.1, 512, 16, 4, 1), (2.0, 128, 64, 2, 1),
        (0.05, 100, 25, 1, 8)]
    for base_lr, base_bs, b, k, acc in cases:
        what = f"for base_lr={base_lr} at batch {base_bs}, {k} ranks of {b}, accum_steps={acc}"
        got = as_number(call(effective_lr, base_lr, base_bs, b, k, acc),
                        f"the learning rate {what}")
        expected = base_lr * b * k * acc / base_bs
        if not math.isclose(got, expected, rel_tol=1e-6):
            if math.isclose(got, base_lr * b / base_bs, rel_tol=1e-6):
                raise Wrong(f"{what} you return {got:.4g}: you scaled by the per-rank batch only. "
                            f"SGD's batch is the ranks' batches together, {k} x {b} = {k * b}.")
            if math.isclose(got, base_lr * b * k / base_bs, rel_tol=1e-6):
                raise Wrong(f"{what} you return {got:.4g}: each step also sums {acc} accumulated "
                            f"micro-batches, so the batch is {b} x {k} x {acc} = {b * k * acc}.")
            if math.isclose(got, base_lr * math.sqrt(b * k * acc / base_bs), rel_tol=1e-6):
                raise Wrong(f"{what} you return {got:.4g}: that is square-root scaling; the linear "
                            f"rule multiplies the learning rate by the ratio of the batch sizes.")
        expect_close(got, expected, f"the learning rate {what}", atol=0, rtol=1e-6)


@exercise("12", 2, "dp_speedup")
def check_dp_speedup(dp_speedup):
    "Exercise 12.2: the speed-up of k ranks over one process, with an all-reduce every step."
    for one, comm, k in [(1.0, 0.0, 4), (0.001, 0.001, 2), (0.010, 0.001, 8), (2.0, 0.5, 1),
                         (0.3, 0.05, 3)]:
        what = f"for one_process_s={one}, all_reduce_s={comm}, world_size={k}"
        got = as_number(call(dp_speedup, one, comm, k), f"the speed-up {what}")
        expected = one / (one / k + comm)
        if not math.isclose(got, expected, rel_tol=1e-6):
            if math.isclose(got, k, rel_tol=1e-6):
                raise Wrong(f"{what} you return {got:.4g}: that leaves out the all-reduce, which "
                            f"every step pays however many ranks there are.")
            if math.isclose(got, one / ((one + comm) / k), rel_tol=1e-6):
                raise Wrong(f"{what} you return {got:.4g}: the compute is shared by the ranks, "
                            f"but the all-reduce is not: it does not get shorter with more ranks.")
            if math.isclose(got, 1 / expected, rel_tol=1e-6):
                raise Wrong(f"{what} you return {got:.4g}, DDP's time over one process's: the "
                            f"speed-up is one process's time divided by DDP's.")
        expect_close(got, expected, f"the speed-up {what}", atol=0, rtol=1e-6)


def _sampler_shard(n, world_size, rank, drop_last):
    from torch.utils.data import DistributedSampler
    return list(DistributedSampler(range(n), num_replicas=world_size, rank=rank, shuffle=False,
                                   drop_last=drop_last))


@exercise("12", 3, "shard_indices")
def check_shard_indices(shard_indices):
    "Exercise 12.3: rank r's indices, as DistributedSampler gives them without shuffling."
    cases = [(15, 2, r, False) for r in (0, 1)] + [(15, 2, r, True) for r in (0, 1)] + [
        (15, 3, 2, False), (16, 4, 1, False), (15, 4, 3, False), (15, 4, 3, True), (10, 3, 0, True),
        (2, 5, 4, False), (2, 5, 2, False), (7, 7, 6, False), (1, 1, 0, False)]
    for n, k, r, drop in cases:
        got = call(shard_indices, n, k, r, drop)
        expected = _sampler_shard(n, k, r, drop)
        what = f"for n={n}, world_size={k}, rank={r}, drop_last={drop}"
        if (torch.is_tensor(got) or isinstance(got, np.ndarray)) and got.ndim == 1:
            got = list(got)
        if not isinstance(got, (list, tuple, range)):
            raise Wrong(f"{what} you return {what_it_is(got)}: return the list of indices.")
        got = [as_number(i, f"{what} your index number {pos}", whole=True)
               for pos, i in enumerate(got)]
        if got == expected:
            continue
        if len(got) == len(expected) and got == list(range(r * len(got), (r + 1) * len(got))):
            raise Wrong(f"{what} you return a contiguous block {got}: DistributedSampler deals "
                        f"indices out like cards, one to each rank in turn: rank {r} gets "
                        f"{expected}.")
        if not drop and n % k and len(got) < len(expected):
            raise Wrong(f"{what} you return {len(got)} indices, but every rank gets "
                        f"ceil({n}/{k}) = {len(expected)}: the sampler pads the epoch to a "
                        f"multiple of world_size by repeating indices from the start (0, 1, ...).")
        if drop and len(got) > len(expected):
            raise Wrong(f"{what} you return {len(got)} indices: with drop_last=True the sampler "
                        f"trims the epoch to {n // k * k} indices instead of padding it, "
                        f"{len(expected)} a rank.")
        raise Wrong(f"{what} you return {got}, but DistributedSampler gives {expected}. (It pads "
                    f"with the first indices, 0, 1, ..., repeated as often as needed.)")


def _tiny_net(seed):
    g = torch.Generator().manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=g))
    return net


class _Recorder(torch.nn.Module):
    "A model that writes down how many items each forward pass gets."
    def __init__(self, net):
        super().__init__()
        self.net, self.sizes = net, []

    def forward(self, x):
        self.sizes.append(len(x))
        return self.net(x)


def _grads(model):
    return [None if p.grad is None else p.grad.detach().clone() for p in model.parameters()]


def _grad_of(net, pieces, weights):
    "The gradient of sum(weight * mnist_loss(piece)) over the pieces, on a copy of net."
    from utils import mnist_loss
    net = copy.deepcopy(net)
    for (x, y), w in zip(pieces, weights):
        (mnist_loss(net(x), y) * w).backward()
    return _grads(net)


def _same(a, b):
    return all(x is not None and torch.allclose(x, y, atol=1e-6, rtol=1e-5) for x, y in zip(a, b))


@exercise("12", 4, "accumulate_grads")
def check_accumulate_grads(accumulate_grads):
    "Exercise 12.4: the whole batch's gradient, computed micro_bs items at a time."
    for n, micro_bs, seed in [(10, 4, 0), (12, 4, 1), (10, 5, 2), (7, 3, 3), (6, 6, 4), (5, 2, 5)]:
        g = torch.Generator().manual_seed(seed)
        x, y = torch.randn(n, 6, generator=g), torch.randint(0, 2, (n, 1), generator=g)
        net = _tiny_net(seed)
        model = _Recorder(copy.deepcopy(net))  # the check's own objects, so it may look inside
        call_uncopied(accumulate_grads, model, x.clone(), y.clone(), micro_bs)
        got = _grads(model.net)
        what = f"for a batch of {n} in micro-batches of at most {micro_bs}"
        pieces = [(x[i:i + micro_bs], y[i:i + micro_bs]) for i in range(0, n, micro_bs)]
        sizes = [len(px) for px, _ in pieces]
        if any(t is None for t in got):
            raise Wrong(f"{what} the parameters have no gradient after your function: call "
                        f"backward on each micro-batch's loss (and do not zero them at the end).")
        if model.sizes and max(model.sizes) > micro_bs:
            raise Wrong(f"{what} your model got {max(model.sizes)} items in one forward pass: the "
                        f"point is to need only the memory of {micro_bs}, so compute at most "
                        f"micro_bs items at a time and let backward add up the gradients.")
        if _same(got, _grad_of(net, [(x, y)], [1.0])):
            continue
        if _same(got, _grad_of(net, pieces, [1.0 / len(pieces)] * len(pieces))):
            raise Wrong(f"{what} (sizes {sizes}) you weight every micro-batch's mean loss by "
                        f"1/{len(pieces)}: right only when they are the same size. Weight each by "
                        f"its share of the batch, len(micro-batch) / len(batch).")
        if _same(got, _grad_of(net, pieces, [1.0] * len(pieces))):
            raise Wrong(f"{what} your gradient is the sum of the {len(pieces)} micro-batches' mean "
                        f"gradients: scale each micro-batch's loss by its share of the batch.")
        if len(pieces) > 1 and _same(got, _grad_of(net, pieces[-1:], [sizes[-1] / n])):
            raise Wrong(f"{what} only the last micro-batch's gradient is left: do not zero the "
                        f"gradients between micro-batches; backward adds to .grad, let it.")
        raise Wrong(f"{what} your gradient is not the whole batch's mean-loss gradient.")
