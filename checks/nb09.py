"Checks for the exercises of notebook 09, Gradient noise."
import itertools
import math

import torch

from . import Wrong, as_number, call, exercise, expect_tensor, global_rngs

__all__ = ["check_fp_factor", "check_measured_noise", "check_b_simple",
           "check_mnist_loss_curvature", "check_b_noise"]


def _nb09_close(a, b, rel=1e-6):
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))


@exercise("09", 1, "fp_factor")
def check_fp_factor(fp_factor):
    "Exercise 09.1: (n - b)/(n - 1); ValueError for n < 2 or b outside 1..n."
    for n, b in [(2, 1), (12396, 1), (12396, 12396), (10, 5), (12396, 256), (100, 99), (7, 3)]:
        got = as_number(call(fp_factor, n, b), f"fp_factor({n}, {b})")
        want = (n - b) / (n - 1)
        if _nb09_close(got, want):
            continue
        if b == 1:
            raise Wrong(f"fp_factor({n}, 1) returns {got:.4g}: a batch of one sample is exactly "
                        "as noisy as "
                        "one sample, so the factor at b = 1 must be 1. Divide by n - 1, not by n.")
        if b == n:
            raise Wrong(f"fp_factor({n}, {n}) returns {got:.4g}: a batch of all n samples is "
                        "the full "
                        "set and has no noise, so the factor at b = n must be 0.")
        if _nb09_close(got, (n - b) / n):
            raise Wrong(f"fp_factor({n}, {b}) returns {got:.4g} = (n - b)/n: the denominator "
                        "is n - 1 "
                        "(check b = 1: the factor must be 1).")
        raise Wrong(f"fp_factor({n}, {b}) returns {got:.6g}, but (n - b)/(n - 1) is {want:.6g}.")
    for n, b in [(10, 0), (10, 11), (5, -1)]:
        try:
            call(fp_factor, n, b)
        except ValueError:
            continue
        raise Wrong(f"fp_factor({n}, {b}) should raise a ValueError: a batch holds from 1 "
                    "to n samples.")
    try:
        call(fp_factor, 1, 1)
    except ValueError:
        pass
    except ZeroDivisionError:
        raise Wrong("fp_factor(1, 1) divides by zero: with n = 1 the factor is 0/0 (one sample "
                    "has no noise to scale), so raise a ValueError when n < 2.") from None
    else:
        raise Wrong("fp_factor(1, 1) should raise a ValueError: with n = 1 the factor "
                    "(n - b)/(n - 1) is 0/0, so the factor is defined for n >= 2 only.")


def _nb09_batch_distances(g, b):
    "|mean of rows S - mean of all rows|² for every batch S of b rows (all subsets), float64."
    mean = g.mean(0)
    return torch.tensor([(g[list(idx)].mean(0) - mean).pow(2).sum().item()
                         for idx in itertools.combinations(range(len(g)), b)], dtype=torch.float64)


@exercise("09", 2, "measured_noise")
def check_measured_noise(measured_noise):
    "Exercise 09.2: the Monte-Carlo mean of |batch mean - full mean|² over seeded random batches."
    gen = torch.Generator().manual_seed(9)
    g8 = torch.randn(8, 3, generator=gen, dtype=torch.float64)
    g8 = g8 * torch.tensor([1.0, 2.0, 0.5]).double() + torch.tensor([0.4, -0.2, 0.1]).double()
    g7 = (torch.randn(7, 2, generator=gen) + 0.3).float()
    draws = 2000
    for g, b in [(g8, 1), (g8, 3), (g8, 6), (g7, 2), (g8, 8)]:
        n = len(g)
        what = f"measured_noise(G, b={b}, draws={draws}, generator) for G of shape {tuple(g.shape)}"
        with global_rngs(0):
            got = as_number(call(measured_noise, g, b, draws, torch.Generator().manual_seed(b)),
                            what)
        dist = _nb09_batch_distances(g.double(), b)
        want, spread = dist.mean().item(), dist.std(unbiased=False).item()
        tol = 6 * spread / math.sqrt(draws) + 1e-9 * (1 + want)
        if abs(got - want) <= tol:
            continue
        tr_sigma = (g.double() - g.double().mean(0)).pow(2).sum(1).mean().item()
        near = lambda v: abs(got - v) <= max(tol, 0.05 * abs(v))
        where = f"{what} returns {got:.4g}, but batches of {b} of these {n} rows give {want:.4g}"
        if b == n:
            raise Wrong(f"{what} returns {got:.4g}: a batch of all {n} rows is the full set and "
                        f"its mean is the full mean, so every draw gives 0. Draw without "
                        f"replacement: torch.randperm(n, generator=generator)[:b].")
        if near(tr_sigma / b):
            raise Wrong(f"{where} (on average): you draw with replacement, so a row can come "
                        f"twice in a batch. Draw without replacement: "
                        f"torch.randperm(n, generator=generator)[:b].")
        if near(dist.sqrt().mean().item()):
            raise Wrong(f"{where}: return the mean of the *squared* distances, not of the "
                        f"distances.")
        if near(want * b * b):
            raise Wrong(f"{where}: take the batch's mean gradient (divide its sum by b).")
        gd = g.double()
        if near((gd[:b].mean(0) - gd.mean(0)).pow(2).sum().item()):
            raise Wrong(f"{where}: you always take the first b rows; draw each batch at random, "
                        f"torch.randperm(n, generator=generator)[:b].")
        if near(want + g.double().mean(0).pow(2).sum().item()):
            raise Wrong(f"{where}: measure the distance from the full mean gradient (the mean of "
                        f"all rows), not from zero.")
        raise Wrong(f"{where}.")
    what = f"measured_noise(G, b=3, draws, generator) for G of shape {tuple(g8.shape)}"
    runs = []
    for global_seed in (1, 2):
        with global_rngs(global_seed):
            runs.append(as_number(call(measured_noise, g8, 3, 50, torch.Generator().manual_seed(5)),
                                  what))
    if runs[0] != runs[1]:
        raise Wrong(f"{what} gives {runs[0]:.6g} and then {runs[1]:.6g} from generators seeded "
                    f"alike: take every random number from the generator you were given "
                    f"(torch.randperm(n, generator=generator)), none from torch's, NumPy's or "
                    f"Python's global ones.")
    one = as_number(call(measured_noise, g8, 3, 1, torch.Generator().manual_seed(6)),
                    f"{what} with draws=1")
    if not any(math.isclose(one, d, rel_tol=1e-4, abs_tol=1e-9)
               for d in _nb09_batch_distances(g8, 3).tolist()):
        raise Wrong(f"{what} with draws=1 returns {one:.4g}, which is not the squared distance "
                    f"of any batch of 3 rows: with one draw, return that batch's distance.")
    firsts = {round(as_number(call(measured_noise, g8, 3, 1, torch.Generator().manual_seed(s)),
                              f"{what} with draws=1"), 9) for s in range(8)}
    if len(firsts) == 1:
        raise Wrong(f"{what} with draws=1 gives {firsts.pop():.4g} from generators seeded 0 to 7: "
                    f"draw each batch at random, torch.randperm(n, generator=generator)[:b].")


@exercise("09", 3, "b_simple")
def check_b_simple(b_simple):
    "Exercise 09.3: B_simple = tr(Σ)/|G|² from a tensor of per-sample gradients, Σ divided by n."
    gen = torch.Generator().manual_seed(7)
    cases = [torch.tensor([[1.0, 0.0], [3.0, 0.0], [2.0, 2.0], [2.0, -2.0]]),
             torch.randn(6, 3, generator=gen, dtype=torch.float64) + 0.8,
             torch.randn(40, 5, generator=gen) * torch.tensor([1.0, 3.0, 0.1, 0.1, 2.0]) + 0.3]
    for g in cases:
        got = as_number(call(b_simple, g), f"b_simple of a {tuple(g.shape)} tensor")
        gd = g.double()
        mean = gd.mean(0)
        tr = (gd - mean).pow(2).sum(1).mean().item()
        g2 = mean.pow(2).sum().item()
        want, n = tr / g2, len(g)
        if _nb09_close(got, want, rel=1e-5):
            continue
        where = (f"for these {n} gradients (shape {tuple(g.shape)}) you return {got:.5g} "
                 f"instead of {want:.5g}")
        if _nb09_close(got, want * n / (n - 1), rel=1e-5):
            raise Wrong(f"{where}: Σ here divides by n (the whole population of samples, "
                        "as grad_noise "
                        "does), not by n - 1.")
        if _nb09_close(got, want + 1, rel=1e-5):
            raise Wrong(f"{where}: tr(Σ) is the mean squared distance of each g_i from the mean "
                        "gradient G, not from zero: subtract G first.")
        if _nb09_close(got, tr / math.sqrt(g2), rel=1e-5):
            raise Wrong(f"{where}: divide by |G|², the squared length of the mean gradient, "
                        "not |G|.")
        if _nb09_close(got, want * n, rel=1e-5):
            raise Wrong(f"{where}: average the squared distances over the n samples, "
                        "don't sum them.")
        raise Wrong(f"{where}.")


@exercise("09", 4, "mnist_loss_curvature")
def check_mnist_loss_curvature(mnist_loss_curvature):
    "Exercise 09.4: d²ℓ/dz² of mnist_loss for each sample, from its prediction z and target y."
    z = torch.linspace(-4, 4, 9).repeat(2).unsqueeze(1)
    y = torch.tensor([1] * 9 + [0] * 9).unsqueeze(1)
    gen = torch.Generator().manual_seed(3)
    z2, y2 = torch.randn(7, 1, generator=gen) * 2, torch.tensor([[1], [0], [0], [1], [1], [0], [1]])
    for zz, yy in [(z, y), (z2, y2)]:
        got = call(mnist_loss_curvature, zz, yy)
        expect_tensor(got, f"mnist_loss_curvature(z, y) for z of shape {tuple(zz.shape)}", zz.shape)
        s = zz.double().sigmoid()
        sign = torch.where(yy == 1, -1.0, 1.0).double()
        want = s * (1 - s) * (1 - 2 * s) * sign
        got = got.detach().double()
        if torch.allclose(got, want, atol=1e-6, rtol=1e-4):
            continue
        if (torch.allclose(got, s * (1 - s) * sign, atol=1e-6)
            or torch.allclose(got, s * (1 - s), atol=1e-6)):
            raise Wrong("that is the slope dℓ/dz = ∓σ(z)(1 - σ(z)); differentiate once more: "
                        "the derivative of σ(1 - σ) is σ(1 - σ)(1 - 2σ).")
        if torch.allclose(got, s * (1 - s) * (1 - 2 * s), atol=1e-6):
            raise Wrong("right for a 7 (target 0, loss σ(z)), but for a 3 (target 1) the loss is "
                        "1 - σ(z): its second derivative has the opposite sign.")
        if torch.allclose(got, -want, atol=1e-6):
            raise Wrong("the signs are flipped: for a 7 (loss σ(z)) the curvature is "
                        "σ(1 - σ)(1 - 2σ), "
                        "positive where σ(z) < 0.5, i.e. where the 7 is classified correctly.")
        if torch.allclose(got * len(zz), want, atol=1e-6):
            raise Wrong("return each sample's own curvature, not divided by the number of samples.")
        err = (got - want).abs().max().item()
        raise Wrong(f"your curvatures are off by up to {err:.3g} "
                    "(check z = 0: every curvature there is 0).")


@exercise("09", 5, "b_noise")
def check_b_noise(b_noise):
    "Exercise 09.5: B_noise = tr(HΣ)/(GᵀHG) from per-sample gradients, Hessian; nan if GᵀHG <= 0."
    gen = torch.Generator().manual_seed(11)
    g = (torch.randn(8, 3, generator=gen, dtype=torch.float64)
         + torch.tensor([1.0, 0.2, 0.0]).double())
    a = torch.randn(3, 3, generator=gen, dtype=torch.float64)
    cases = [(g, a @ a.T + 0.1 * torch.eye(3, dtype=torch.float64)),
             (g, torch.diag(torch.tensor([0.2, 5.0, 1.0], dtype=torch.float64))),
             (g.float(), 2.0 * torch.eye(3)),
             (g, torch.diag(torch.tensor([-1.0, 3.0, 2.0], dtype=torch.float64)))]
    for gg, h in cases:
        got = as_number(call(b_noise, gg, h), "b_noise(G, H)")
        gd, hd = gg.double(), h.double()
        n, mean = len(gd), gd.mean(0)
        dev = gd - mean
        sigma = dev.T @ dev / n
        ghg, g2 = (mean @ hd @ mean).item(), (mean @ mean).item()
        if ghg <= 0:
            if math.isnan(got):
                continue
            raise Wrong(f"here GᵀHG = {ghg:.3g} <= 0: the loss does not curve upwards along the "
                        f"gradient, so B_noise is undefined; "
                        f"return math.nan (you return {got:.4g}).")
        want = (torch.trace(hd @ sigma) / ghg).item()
        if _nb09_close(got, want, rel=1e-5):
            continue
        where = f"you return {got:.5g} instead of {want:.5g}"
        if _nb09_close(got, (torch.trace(sigma) / g2).item(), rel=1e-5):
            raise Wrong(f"{where}: that is B_simple = tr(Σ)/|G|², which assumes H is a multiple "
                        "of the "
                        "identity; weight the noise and the gradient by H: tr(HΣ)/(GᵀHG).")
        if _nb09_close(got, (torch.trace(hd) * torch.trace(sigma)).item() / ghg, rel=1e-5):
            raise Wrong(f"{where}: tr(HΣ) is the trace of the matrix product H @ Σ, "
                        "not tr(H)·tr(Σ).")
        if _nb09_close(got, want * n / (n - 1), rel=1e-5):
            raise Wrong(f"{where}: Σ divides by n (the population of samples), not n - 1.")
        raise Wrong(f"{where}.")
