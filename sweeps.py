"""Many training runs at once: the sweeps of notebook 06 and deep dive 10 (09 and 12 reuse them)."""
import math

import numpy as np
import torch

from utils import batch_accuracy, calc_grad, make_linear


# ------------------------------------------------ notebook 06: runs side by side, and the tie rule

def spread(values):
    "Seed-to-seed spread: the largest value minus the smallest (inf if a run never got there)."
    values = np.asarray(values, dtype=float)
    return float(values.max() - values.min()) if np.isfinite(values).all() else math.inf


def tie(a, b):
    "The tie rule: abs(difference of the means) <= the larger of the two spreads."
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return False  # a run that never got there ties with nothing
    return bool(abs(np.mean(a) - np.mean(b)) <= max(spread(a), spread(b)))


class LinearStack(torch.nn.Module):
    "`runs` × `lrs` copies of `make_linear(seed)`: `weight` (runs, lrs, 785), bias last."
    def __init__(self, runs, lrs, seed=42):
        super().__init__()
        one = make_linear(seed)
        w = torch.cat([one.weight.detach(), one.bias.detach()[:, None]], 1)  # (1, 785)
        self.weight = torch.nn.Parameter(w.expand(runs, lrs, -1).clone())

    def forward(self, x):
        "x: (B, 784), one batch for all copies, or `runs` batches (B, 784) -> (runs, B, lrs)."
        w, b = self.weight[..., :-1], self.weight[..., -1]
        if torch.is_tensor(x) and x.dim() == 2:  # one matmul for every copy, no copy of x per run
            out = x @ w.reshape(-1, w.shape[-1]).T + b.reshape(-1)
            return out.view(len(x), *b.shape).permute(1, 0, 2)
        if len(x) != len(w):
            raise ValueError(f"expected one batch per run ({len(w)}), got {len(x)}")
        # one matmul per run: torch's batched matmul has a slow backward for these shapes on the CPU
        return torch.stack([torch.nn.functional.linear(xr, wr, br) for xr, wr, br in zip(x, w, b)])


def stack_loss(preds, targets):
    "`mnist_loss` of every copy of a LinearStack: preds (runs, B, lrs) -> losses (runs, lrs)."
    preds = preds.sigmoid()
    return torch.where(targets == 1, 1 - preds, preds).mean(-2)


def stack_batches(loaders):
    "Batch i of every loader, epoch after epoch: (the x batches, their y stacked (runs, B, 1))."
    from itertools import zip_longest
    lengths = {len(dl) for dl in loaders}
    if len(lengths) != 1:
        raise ValueError(f"the loaders must make the same number of batches, got {sorted(lengths)}")
    while True:
        # zip_longest, not zip: zip stops at the first exhausted loader, and the others would skip
        # the random draws they make as an epoch ends: their next epoch would differ from a lone run
        for batches in zip_longest(*loaders):
            yield tuple(xb for xb, _ in batches), torch.stack([yb for _, yb in batches])


def stack_step(model, xb, yb, opt):
    "One `opt` step of every copy: the sum of the losses has, in each copy's weights, its gradient."
    losses = stack_loss(model(xb), yb)
    losses.sum().backward()
    opt.step()
    opt.zero_grad()
    return losses.detach()


def train_steps(model, dl, opt, steps):
    "Take `steps` SGD steps over `dl`, starting a new epoch whenever it runs out; return each loss."
    losses = []
    while len(losses) < steps:
        for xb, yb in dl:
            losses.append(calc_grad(xb, yb, model).item())
            opt.step()
            opt.zero_grad()
            if len(losses) == steps:
                break
    return losses


# -------------------------------------------------------------- deep dive 09: one run, step by step

def accuracy(model, x, y):
    "`batch_accuracy` of the whole of `x`, `y` as one batch, as a float (no gradients)."
    with torch.no_grad():
        return batch_accuracy(model(x), y).item()


# ------------------------------------------------------------ deep dive 10: the critical batch size

def fit_critical_batch(batch_sizes, steps):
    "McCandlish et al.'s S(B) = S_min(1 + B_crit/B), least squares (relative errors): S_min, B_crit"
    b, s = np.asarray(batch_sizes, dtype=float), np.asarray(steps, dtype=float)
    if b.ndim != 1 or b.shape != s.shape or len(b) < 2:
        raise ValueError(f"need two 1-d sequences of the same length >= 2, "
                         f"got shapes {b.shape}, {s.shape}")
    if not (np.isfinite(b).all() and np.isfinite(s).all() and (b > 0).all() and (s > 0).all()):
        raise ValueError("batch sizes and steps must be positive and finite")
    # S = S_min + S_min·B_crit/B, each row divided by S
    a = np.stack([np.ones_like(b), 1 / b], axis=1) / s[:, None]
    (s_min, s_min_b_crit), *_ = np.linalg.lstsq(a, np.ones_like(s), rcond=None)
    return float(s_min), float(s_min_b_crit / s_min)
