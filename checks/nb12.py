"Checks for the exercises of notebook 12, Deep dive: data parallelism."
import copy
import math

import numpy as np
import torch

from . import Wrong, as_number, call, call_uncopied, exercise, what_it_is

__all__ = ["check_shard_average_gap", "check_per_image_cost", "check_shard_indices",
           "check_accumulate_grads"]


def _bn_net(seed):
    "A tiny net with BatchNorm, its weights drawn from `seed`."
    g = torch.Generator().manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.BatchNorm1d(5), torch.nn.ReLU(),
                              torch.nn.Linear(5, 1))
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=g))
    return net


def _lin_net(seed):
    g = torch.Generator().manual_seed(seed)
    net = torch.nn.Linear(6, 1)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=g))
    return net


def _flat_grad(net, x, y, weight=1.0):
    from utils import mnist_loss
    net.zero_grad()
    (mnist_loss(net(x), y) * weight).backward()
    return torch.cat([p.grad.flatten() for p in net.parameters()]).clone()


def _gaps(net, x, y, k):
    "The reference gap, and what some plausible mistakes would return instead."
    net = copy.deepcopy(net)
    net.train()
    whole = _flat_grad(net, x, y)
    shards = [_flat_grad(net, xs, ys) for xs, ys in zip(x.chunk(k), y.chunk(k))]
    gap = lambda g: (g - whole).abs().max().item()
    out = {"right": gap(sum(shards) / k), "summed": gap(sum(shards)),
           "last shard": gap(shards[-1]), "accumulated": gap(sum(
               sum(shards[:i + 1]) for i in range(k)) / k)}
    net.eval()
    whole_eval = _flat_grad(net, x, y)
    out["eval"] = (sum(_flat_grad(net, xs, ys) for xs, ys in zip(x.chunk(k), y.chunk(k))) / k
                   - whole_eval).abs().max().item()
    return out


@exercise("12", 1, "shard_average_gap")
def check_shard_average_gap(shard_average_gap):
    "Exercise 12.1: how far the average of k shards' gradients is from the whole batch's."
    cases = [(_lin_net, 12, 2, 0), (_bn_net, 12, 2, 1), (_bn_net, 16, 4, 2), (_lin_net, 8, 4, 3),
             (_bn_net, 8, 2, 4)]
    for make, n, k, seed in cases:
        g = torch.Generator().manual_seed(100 + seed)
        x, y = torch.randn(n, 6, generator=g), torch.randint(0, 2, (n, 1), generator=g)
        net = make(seed)
        kind = "with BatchNorm" if make is _bn_net else "linear"
        what = f"for a {kind} model, a batch of {n} and world_size={k}"
        got = as_number(call(shard_average_gap, net, x, y, k), f"the gap {what}")
        ref = _gaps(net, x, y, k)
        if math.isclose(got, ref["right"], rel_tol=1e-3, abs_tol=1e-6):
            continue
        hint = f"{what} you return {got:.4g}, but the largest difference is {ref['right']:.4g}"
        for name, message in [
                ("summed", "you added the shards' gradients: DDP's all-reduce averages them "
                           "(divide by world_size)."),
                ("accumulated", "the gradients piled up from shard to shard: zero them before "
                                "each shard's backward, as each rank starts from its own."),
                ("last shard", "that is the last shard's gradient alone: keep each shard's "
                               "gradient (a copy) and average them."),
                ("eval", "the model was in eval mode, where BatchNorm uses its running "
                         "statistics: a rank trains in train mode, normalising by its own "
                         "shard's mean and variance.")]:
            if math.isclose(got, ref[name], rel_tol=1e-3, abs_tol=1e-6) and not math.isclose(
                    ref[name], ref["right"], rel_tol=1e-3, abs_tol=1e-6):
                raise Wrong(f"{hint}: {message}")
        raise Wrong(f"{hint}. Split with xb.chunk(world_size), take each shard's gradient of "
                    f"mnist_loss, average them, and compare with the whole batch's gradient.")


class _Timer:
    "A fake step timer: `fixed + per_image·bs` seconds, a slow first call at each size, a spike."
    def __init__(self, fixed, per_image, spike_every=4):
        self.fixed, self.per_image, self.spike_every, self.calls = fixed, per_image, spike_every, []

    def __call__(self, bs):
        bs = as_number(bs, "the batch size you timed", whole=True)
        self.calls.append(bs)
        t = self.fixed + self.per_image * bs
        first = self.calls.count(bs) == 1
        spike = len(self.calls) % self.spike_every == 0
        return t * (10 if first else 3 if spike else 1)


def _medians(fixed, per, small, large, repeats):
    timer = _Timer(fixed, per)
    ms = [float(np.median([timer(bs) for _ in range(repeats)])) for bs in (small, large)]
    slope = (ms[1] - ms[0]) / (large - small)
    return ms, slope, ms[0] - slope * small


@exercise("12", 2, "per_image_cost")
def check_per_image_cost(per_image_cost):
    "Exercise 12.2: a step's fixed cost and cost per image, from median times at two batch sizes."
    for fixed, per, small, large, repeats in [(3e-4, 2e-7, 64, 512, 5), (1e-3, 1e-6, 32, 256, 7),
                                              (2e-4, 5e-8, 128, 1024, 5)]:
        timer = _Timer(fixed, per)
        what = (f"for a step of {fixed:g} s + {per:g} s an image (small={small}, large={large}, "
                f"repeats={repeats})")
        got = call_uncopied(per_image_cost, timer, small, large, repeats)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise Wrong(f"{what} you return {what_it_is(got)}: return the pair "
                        f"(fixed seconds a step, seconds an image).")
        f_got = as_number(got[0], f"the fixed seconds a step {what}")
        c_got = as_number(got[1], f"the seconds an image {what}")
        ms, slope, intercept = _medians(fixed, per, small, large, repeats)
        if math.isclose(c_got, slope, rel_tol=1e-6) and math.isclose(f_got, intercept,
                                                                      rel_tol=1e-6):
            counts = {bs: timer.calls.count(bs) for bs in (small, large)}
            if min(counts.values()) < repeats:
                raise Wrong(f"{what}: call step_seconds {repeats} times at each size "
                            f"(you called it {counts}).")
            continue
        if math.isclose(f_got, slope, rel_tol=1e-6) and math.isclose(c_got, intercept,
                                                                      rel_tol=1e-6):
            raise Wrong(f"{what} you return them swapped: first the fixed seconds a step, "
                        f"then the seconds an image.")
        if any(math.isclose(c_got, m / bs, rel_tol=1e-6) for m, bs in zip(ms, (small, large))):
            raise Wrong(f"{what} your cost an image is a step's time divided by its batch: that "
                        f"average carries the fixed cost of the step. The cost of one more image "
                        f"is the slope: (time at large - time at small) / (large - small).")
        if not math.isclose(c_got, slope, rel_tol=0.05):
            raise Wrong(f"{what} your cost an image is {c_got:.4g} s, but the medians give "
                        f"{slope:.4g}. Take the median of the {repeats} timings at each size "
                        f"(the first is a warm-up and others may be disturbed: a mean would "
                        f"carry them).")
        raise Wrong(f"{what} your fixed seconds a step are {f_got:.4g}, but the line through "
                    f"the two medians gives {intercept:.4g}: time at small - slope x small.")


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
