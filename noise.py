"""Gradient noise and the noise scales of deep dive 09 (deep dives 10 and 12 reuse them)."""
import math

import torch


# -------------------------------- deep dive 09: gradients per sample, their noise, the noise scales

def per_sample_grads(model, x, y):
    "Gradient of `mnist_loss` for each sample of a linear model in closed form: (n, 785) float64."
    with torch.no_grad():
        s = model(x).double().sigmoid()
        dz = s * (1 - s) * torch.where(y == 1, -1.0, 1.0).double()
        return torch.cat([dz * x.double(), dz], dim=1)


def mnist_hessian(model, x, y):
    "Exact Hessian of the mean `mnist_loss` of a linear model in (weights, bias): (785, 785) f64."
    with torch.no_grad():
        s = model(x).double().sigmoid()
        d2z = s * (1 - s) * (1 - 2 * s) * torch.where(y == 1, -1.0, 1.0).double()
        xa = torch.cat([x.double(), torch.ones(len(x), 1, dtype=torch.float64, device=x.device)], 1)
        return (xa * d2z).T @ xa / len(x)


def _flat_grads(per_sample_grads, batch_size):
    g = per_sample_grads.flatten(1).double()
    if (isinstance(batch_size, bool) or not isinstance(batch_size, int)
            or not 1 <= batch_size <= len(g)):
        raise ValueError(f"batch_size must be an integer from 1 to {len(g)}, got {batch_size!r}")
    return g


def grad_noise(per_sample_grads, batch_size):
    "Exact E|mean of a without-replacement batch − full mean|² = tr(Σ)/B·(N−B)/(N−1)."
    g = _flat_grads(per_sample_grads, batch_size)
    n = len(g)
    if n == 1:
        return 0.0
    tr_sigma = (g - g.mean(0)).pow(2).sum(1).mean()  # tr(Σ), Σ the population covariance (÷ N)
    return (tr_sigma / batch_size * (n - batch_size) / (n - 1)).item()


def grad_noise_draws(per_sample_grads, batch_size, draws=100, generator=None):
    "|mean of a random without-replacement batch − full mean|² of `draws` batches: (draws,) float64"
    g = _flat_grads(per_sample_grads, batch_size)
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
        raise ValueError(f"draws must be a positive integer, got {draws!r}")
    n = len(g)
    batches = [torch.randperm(n, generator=generator)[:batch_size].to(g.device)
               for _ in range(draws)]
    if batch_size * 32 <= n:  # small batches: gather their rows
        means = torch.stack([g[idx].mean(0) for idx in batches])
    else:  # large ones: one product with a (draws, n) matrix of weights 1/B, faster than gathers
        weights = torch.zeros(draws, n, dtype=g.dtype, device=g.device)
        means = weights.scatter_(1, torch.stack(batches), 1.0 / batch_size) @ g
    return (means - g.mean(0)).pow(2).sum(1)


def noise_scale(per_sample_grads):
    "McCandlish et al.'s simple gradient noise scale B_simple = tr(Σ)/|G|² (Σ divides by N)."
    g = per_sample_grads.flatten(1).double()
    return ((g - g.mean(0)).pow(2).sum(1).mean() / g.mean(0).pow(2).sum()).item()


def noise_scales(per_sample_grads, hessian):
    """McCandlish et al.'s two noise scales `(B_simple, B_noise)`, defined in notebook 09.

    B_simple = tr(Σ)/|G|² and B_noise = tr(HΣ)/(GᵀHG): G is the mean of the per-sample gradients
    (rows of `per_sample_grads`), Σ their covariance (dividing by N), H the loss's Hessian. If H is
    a multiple of the identity the two are equal. B_noise is nan where GᵀHG <= 0: there the loss
    does not curve upwards along G, and the quadratic model that defines B_noise has no best step.
    """
    g = per_sample_grads.flatten(1).double()
    if not torch.is_tensor(hessian) or hessian.shape != (g.shape[1], g.shape[1]):
        shape = tuple(hessian.shape) if torch.is_tensor(hessian) else type(hessian).__name__
        raise ValueError(f"hessian must be a ({g.shape[1]}, {g.shape[1]}) tensor, "
                         f"one row per gradient component, got {shape}")
    h = hessian.to(g.device).double()
    mean = g.mean(0)
    dev = g - mean
    b_simple = (dev.pow(2).sum(1).mean() / mean.pow(2).sum()).item()
    curvature_along_g = mean @ h @ mean
    if curvature_along_g <= 0:
        return b_simple, math.nan
    return b_simple, (((dev @ h) * dev).sum(1).mean() / curvature_along_g).item()
