"""Every check passes a correct answer written differently from the reference solution: a loop for
a vectorised expression, NumPy or math for torch, another number type, an equivalent formula."""
import itertools
import math
import statistics

import numpy as np
import pytest
import torch

import checks
import utils
from checking import assert_passes
from test_checks_07 import ALTERNATIVES_07
from test_checks_10 import OTHER_WAYS as OTHER_WAYS_10
from test_checks_11 import OTHER_WAYS as OTHER_WAYS_11
from test_checks_12 import OTHER_WAYS as OTHER_WAYS_12


# ---------------------------------------------------------------- notebook 01

def n_batches(n, bs, drop_last=False):
    if bs < 1:
        raise ValueError(f"batch size must be at least 1, got {bs}")
    return np.int64(n // bs if drop_last else -(-n // bs))


def batch_sizes(n, bs, drop_last=False):
    sizes, start = [], 0
    while start < n:
        size = min(bs, n - start)
        if size < bs and drop_last:
            break
        sizes.append(size)
        start += bs
    return sizes


def batch_mean_accuracy(correct, bs):
    values = np.asarray(correct, dtype=np.float64)
    return np.mean([values[i:i + bs].mean() for i in range(0, len(values), bs)])


def shuffled_batches(items, bs, generator, drop_last=False):
    torch.empty((), dtype=torch.int64).random_(generator=generator)
    order = torch.randperm(len(items), generator=generator)
    batches = []
    for idx in order.split(bs):
        if drop_last and len(idx) < bs:
            break
        batches.append([items[int(i)] for i in idx])
    return batches


# ---------------------------------------------------------------- notebook 02

def pairs(xs, ys):
    if len(xs) != len(ys):
        raise ValueError(f"xs has {len(xs)} items but ys has {len(ys)}")
    return [(xs[i], ys[i]) for i in range(len(xs))]


class Squares:
    def __init__(self, n):
        self.items = range(n)

    def __getitem__(self, i):
        if i not in self.items:
            raise IndexError(f"no item {i}")
        return i, i ** 2

    def __len__(self):
        return len(self.items)


def collate(batch):
    def field(values):
        if torch.is_tensor(values[0]):
            return torch.stack(list(values))
        if isinstance(values[0], (int, float)):
            return torch.as_tensor(values)
        return tuple(values)
    return tuple(field(values) for values in zip(*batch))


# ---------------------------------------------------------------- notebook 03

def stack_images(images):
    arrays = np.stack([im.numpy() for im in images]).astype(np.float32)
    return torch.from_numpy(arrays / np.float32(255))


def mnist_distance(a, b):
    return (a - b).abs().sum((-1, -2)) / (a.shape[-1] * a.shape[-2])


def to_xy(threes, sevens):
    x = torch.cat([t.reshape(len(t), -1) for t in (threes, sevens)])
    y = torch.zeros(len(threes) + len(sevens), 1, dtype=torch.long)
    y[:len(threes)] = 1
    return x, y


def pixel_accuracy(threes, sevens, mean3, mean7):
    m3, m7 = mean3.numpy(), mean7.numpy()
    right = 0
    for images, is_three in ((threes, True), (sevens, False)):
        for image in images.numpy():
            right += (np.abs(image - m3).mean() < np.abs(image - m7).mean()) == is_three
    return np.float64(right) / (len(threes) + len(sevens))


# ---------------------------------------------------------------- notebook 04

def init_params(size, std=1.0):
    values = np.random.normal(0.0, std, size)
    return torch.tensor(values, dtype=torch.float32, requires_grad=True)


def linear(xb, weights, bias):
    return torch.stack([row @ weights for row in xb]) + bias


def mnist_loss(predictions, targets):
    s = 1 / (1 + torch.exp(-predictions))
    return (targets * (1 - s) + (1 - targets) * s).mean()


def gradient(loss_func, weights, xb, yb):
    w = weights.detach().requires_grad_()
    loss = loss_func(xb @ w, yb)
    if not loss.requires_grad:
        return torch.zeros_like(weights)
    (grad,) = torch.autograd.grad(loss, w)
    return grad


# ---------------------------------------------------------------- notebook 05

def sgd_update(params, lr):
    with torch.no_grad():
        for p in params:
            p.sub_(p.grad * lr)
            p.grad.fill_(0)


class SimpleOptim:
    def __init__(self, params, lr):
        self.params = [p for p in params]
        self.lr = lr

    def step(self):
        with torch.no_grad():
            for p in self.params:
                p.add_(p.grad, alpha=-self.lr)

    def zero_grad(self):
        for p in self.params:
            if p.grad is not None:
                p.grad.zero_()


def image_accuracy(model, dl):
    with torch.no_grad():
        preds, targets = zip(*[(model(xb) > 0, yb) for xb, yb in dl])
    return (torch.cat(preds) == torch.cat(targets)).float().mean()


def collapse_linear(w1, b1, w2, b2):
    return torch.einsum("ij,jk->ik", w1, w2), torch.einsum("...j,jk->...k", b1, w2) + b2


# ---------------------------------------------------------------- notebook 08

def collate_pairs(items):
    return torch.stack([x for x, _ in items]), torch.stack([y for _, y in items])


def gather_batches(x, y, order, bs, drop_last=False):
    batches, start = [], 0
    while start < len(order) and not (drop_last and start + bs > len(order)):
        idx = torch.as_tensor(order[start:start + bs])
        batches.append((x[idx], y[idx]))
        start += bs
    return batches


class ShuffleLoader:
    def __init__(self, x, y, bs, drop_last, generator):
        self.x, self.y, self.bs, self.drop_last, self.generator = x, y, bs, drop_last, generator

    def __len__(self):
        return len(self.x) // self.bs if self.drop_last else -(-len(self.x) // self.bs)

    def __iter__(self):
        n = len(self.x)
        torch.empty((), dtype=torch.int64).random_(generator=self.generator)
        order = torch.randperm(n, generator=self.generator)
        torch.randperm(n, generator=self.generator)
        for idx in itertools.islice(order.split(self.bs), len(self)):
            yield self.x[idx], self.y[idx]


# ---------------------------------------------------------------- notebook 09

def fp_factor(n, b):
    if n < 2 or b < 1 or b > n:
        raise ValueError(f"a batch holds from 1 to n={n} samples (n >= 2), got b={b}")
    return np.float64(1 - (b - 1) / (n - 1))


def measured_noise(G, b, draws, generator):
    g = G.double().numpy()
    full = g.mean(axis=0)
    batches = [torch.randperm(len(g), generator=generator)[:b].numpy() for _ in range(draws)]
    return np.mean([np.sum((g[idx].mean(axis=0) - full) ** 2) for idx in batches])


def b_simple(G):
    G = np.asarray(G, dtype=np.float64)
    mean = G.mean(axis=0)
    return G.var(axis=0).sum() / mean.dot(mean)


def mnist_loss_curvature(z, y):
    s = 1 / (1 + torch.exp(-z))
    return s * (1 - s) * (1 - 2 * s) * (1 - 2 * y)


def b_noise(G, H):
    G, H = np.asarray(G, dtype=np.float64), np.asarray(H, dtype=np.float64)
    mean = G.mean(axis=0)
    dev = G - mean
    curvature = mean @ H @ mean
    if curvature <= 0:
        return math.nan
    return np.trace(H @ (dev.T @ dev) / len(G)) / curvature


# ------------------------------------------------------------- notebooks 07, 10, 11 and 12
# Their answers written another way are in tests/test_checks_NN.py, imported above.

# ---------------------------------------------------------------- notebook 06

def make_loaders(x, y, valid_x, valid_y):
    from torch.utils.data import DataLoader
    bs = 100
    dl = DataLoader(list(zip(x, y)), batch_size=bs, shuffle=True, drop_last=True)
    valid_dl = DataLoader(list(zip(valid_x, valid_y)), batch_size=bs)
    return np.int64(bs), dl, valid_dl, np.int64(len(x) // bs)


def bs_experiment(x, y):
    "Two seeds each, the loop written out, and the conclusion computed by the tie rule."
    losses = {}
    for bs in (32, 512):
        for seed in (3, 4):
            model = utils.make_linear()
            opt = torch.optim.SGD(model.parameters(), lr=1.0)
            g = torch.Generator().manual_seed(seed)
            for step in range(60):
                if step % (len(x) // bs) == 0:
                    order = torch.randperm(len(x), generator=g)
                i = step % (len(x) // bs)
                idx = order[i * bs:(i + 1) * bs]
                opt.zero_grad()
                utils.mnist_loss(model(x[idx]), y[idx]).backward()
                opt.step()
            with torch.no_grad():
                losses.setdefault(bs, []).append(np.float32(utils.mnist_loss(model(x), y)))
    (a, la), (b, lb) = sorted(losses.items())
    diff = statistics.mean(la) - statistics.mean(lb)
    spread = max(max(la) - min(la), max(lb) - min(lb))
    return losses, "tie" if abs(diff) <= spread else ("smaller" if diff < 0 else "larger")


def steps_to_target(model, dl, lr, x, y, target, max_steps):
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    batches = (b for _ in range(max_steps) for b in dl)
    for step, (xb, yb) in zip(range(1, max_steps + 1), batches):
        opt.zero_grad()
        utils.mnist_loss(model(xb), yb).backward()
        opt.step()
        with torch.no_grad():
            if utils.mnist_loss(model(x), y) <= target:
                return torch.tensor(step)
    return None


# ---------------------------------------------------------------- the tests


def train_epoch(model, dl, opt):
    "A while loop over the batches, the loss written out, the gradients zeroed before backward."
    batches = iter(dl)
    while (batch := next(batches, None)) is not None:
        xb, yb = batch
        opt.zero_grad()
        s = torch.sigmoid(model(xb))
        (torch.where(yb == 1, 1 - s, s).sum() / len(yb)).backward()
        opt.step()


ALTERNATIVES = {
    "check_n_batches": n_batches,
    "check_batch_sizes": batch_sizes,
    "check_batch_mean_accuracy": batch_mean_accuracy,
    "check_shuffled_batches": shuffled_batches,
    "check_pairs": pairs,
    "check_squares": Squares,
    "check_collate": collate,
    "check_stack_images": stack_images,
    "check_mnist_distance": mnist_distance,
    "check_to_xy": to_xy,
    "check_pixel_accuracy": pixel_accuracy,
    "check_init_params": init_params,
    "check_linear": linear,
    "check_mnist_loss": mnist_loss,
    "check_gradient": gradient,
    "check_sgd_update": sgd_update,
    "check_SimpleOptim": SimpleOptim,
    "check_image_accuracy": image_accuracy,
    "check_collapse_linear": collapse_linear,
    "check_train_epoch": train_epoch,
    **ALTERNATIVES_07,
    **OTHER_WAYS_10,  # deep dives 10-12: their answers written another way, kept beside their tests
    **OTHER_WAYS_11,
    **OTHER_WAYS_12,
    "check_make_loaders": make_loaders,
    "check_bs_experiment": bs_experiment,
    "check_steps_to_target": steps_to_target,
    "check_collate_pairs": collate_pairs,
    "check_gather_batches": gather_batches,
    "check_ShuffleLoader": ShuffleLoader,
    "check_fp_factor": fp_factor,
    "check_measured_noise": measured_noise,
    "check_b_simple": b_simple,
    "check_mnist_loss_curvature": mnist_loss_curvature,
    "check_b_noise": b_noise,
}


@pytest.mark.parametrize("name", sorted(ALTERNATIVES))
def test_check_passes_an_answer_written_differently(name):
    assert_passes(getattr(checks, name), ALTERNATIVES[name])


def test_every_check_has_an_alternative_answer():
    names = {name for name in vars(checks) if name.startswith("check_")}
    assert names == set(ALTERNATIVES), f"without an alternative answer: {names - set(ALTERNATIVES)}"
