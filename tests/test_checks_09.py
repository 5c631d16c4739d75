"Each check of notebook 09 accepts the reference solution and names what is wrong in mistakes."
import math

import numpy as np
import pytest
import torch

import checks
import noise
from checking import NUMBER_KINDS, assert_passes, rejects, returning, status


def grad_noise_mc(per_sample_grads, batch_size, draws=100, generator=None):
    "Monte-Carlo mean of the squared distance of `draws` random batch means from the full mean."
    return noise.grad_noise_draws(per_sample_grads, batch_size, draws, generator).mean().item()


# ---------------------------------------------------------------- 09.1 fp_factor

def fp_factor(n, b):
    if n < 2 or not 1 <= b <= n:
        raise ValueError(f"b must be between 1 and n={n}, got {b}")
    return (n - b) / (n - 1)


def test_fp_factor_reference_passes():
    assert status(checks.check_fp_factor, fp_factor).passed


def test_fp_factor_dividing_by_n():
    rejects(checks.check_fp_factor, lambda n, b: fp_factor(n, b) * (n - 1) / n, "Divide by n - 1")


def test_fp_factor_upside_down_or_b_over_n():
    rejects(checks.check_fp_factor, lambda n, b: b / n if 1 <= b <= n else 1 / 0,
            "at b = 1 must be 1")
    rejects(checks.check_fp_factor, lambda n, b: (n - b + 1) / n, "at b = n must be 0")


def test_fp_factor_without_the_value_error():
    rejects(checks.check_fp_factor, lambda n, b: (n - b) / (n - 1), "should raise a ValueError")


def test_fp_factor_at_one_sample():
    def only_b_checked(n, b):
        if not 1 <= b <= n:
            raise ValueError("b outside 1..n")
        return (n - b) / (n - 1)
    rejects(checks.check_fp_factor, only_b_checked, "fp_factor(1, 1) divides by zero", "n < 2")

    def one_for_one(n, b):
        if not 1 <= b <= n:
            raise ValueError("b outside 1..n")
        return 1.0 if n == 1 else (n - b) / (n - 1)
    rejects(checks.check_fp_factor, one_for_one, "fp_factor(1, 1) should raise a ValueError")


# ---------------------------------------------------------------- 09.2 measured_noise

def measured_noise(G, b, draws, generator):
    G = G.double()
    full = G.mean(0)
    total = 0.0
    for _ in range(draws):
        idx = torch.randperm(len(G), generator=generator)[:b]
        total += (G[idx].mean(0) - full).pow(2).sum().item()
    return total / draws


def test_measured_noise_reference_passes():
    assert status(checks.check_measured_noise, measured_noise).passed


def test_measured_noise_agrees_with_grad_noise_draws():
    G = torch.randn(50, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    ours = measured_noise(G, 10, 30, torch.Generator().manual_seed(3))
    theirs = grad_noise_mc(G, 10, 30, torch.Generator().manual_seed(3))
    assert math.isclose(ours, theirs, rel_tol=1e-9)


def test_measured_noise_mistakes():
    def with_replacement(G, b, draws, generator):
        G = G.double()
        return sum((G[torch.randint(len(G), (b,), generator=generator)].mean(0) - G.mean(0))
                   .pow(2).sum().item() for _ in range(draws)) / draws
    def distances(G, b, draws, generator):
        G = G.double()
        return sum((G[torch.randperm(len(G), generator=generator)[:b]].mean(0) - G.mean(0))
                   .norm().item() for _ in range(draws)) / draws
    def summed(G, b, draws, generator):
        G = G.double()
        return sum((G[torch.randperm(len(G), generator=generator)[:b]].sum(0) - b * G.mean(0))
                   .pow(2).sum().item() for _ in range(draws)) / draws
    def from_zero(G, b, draws, generator):
        G = G.double()
        return sum(G[torch.randperm(len(G), generator=generator)[:b]].mean(0).pow(2).sum().item()
                   for _ in range(draws)) / draws
    def global_rng(G, b, draws, generator):
        return measured_noise(G, b, draws, None)
    def first_rows(G, b, draws, generator):
        G = G.double()
        return (G[:b].mean(0) - G.mean(0)).pow(2).sum().item()
    def all_draws(G, b, draws, generator):
        G = G.double()
        return torch.stack([(G[torch.randperm(len(G), generator=generator)[:b]].mean(0)
                             - G.mean(0)).pow(2).sum() for _ in range(draws)])
    rejects(checks.check_measured_noise, with_replacement, "with replacement")
    rejects(checks.check_measured_noise, distances, "*squared* distances")
    rejects(checks.check_measured_noise, summed, "mean gradient (divide its sum by b)")
    rejects(checks.check_measured_noise, from_zero, "not from zero")
    rejects(checks.check_measured_noise, global_rng, "seeded alike")
    rejects(checks.check_measured_noise, first_rows, "random")
    rejects(checks.check_measured_noise, all_draws, "one number")


# ---------------------------------------------------------------- 09.3 b_simple

def b_simple(G):
    mean = G.double().mean(0)
    return ((G.double() - mean).pow(2).sum(1).mean() / mean.pow(2).sum()).item()


def test_b_simple_reference_passes():
    assert status(checks.check_b_simple, b_simple).passed


def test_b_simple_mistakes():
    def unbiased(G):
        return b_simple(G) * len(G) / (len(G) - 1)
    def uncentred(G):
        return (G.double().pow(2).sum(1).mean() / G.double().mean(0).pow(2).sum()).item()
    def by_length(G):
        return b_simple(G) * G.double().mean(0).norm().item()
    def summed(G):
        return b_simple(G) * len(G)
    rejects(checks.check_b_simple, unbiased, "not by n - 1")
    rejects(checks.check_b_simple, uncentred, "not from zero")
    rejects(checks.check_b_simple, by_length, "|G|²")
    rejects(checks.check_b_simple, summed, "don't sum")
    rejects(checks.check_b_simple, lambda G: G.double().mean(0), "one number")


def test_b_simple_check_keeps_its_own_copy():
    def mutating(G):  # right answer, then vandalises its argument: the check must not be affected
        value = b_simple(G)
        G.zero_()
        return value
    assert status(checks.check_b_simple, mutating).passed


# ---------------------------------------------------------------- 09.4 mnist_loss_curvature

def mnist_loss_curvature(z, y):
    s = z.sigmoid()
    return s * (1 - s) * (1 - 2 * s) * torch.where(y == 1, -1.0, 1.0)


def test_curvature_reference_passes_and_matches_autograd():
    assert status(checks.check_mnist_loss_curvature, mnist_loss_curvature).passed
    z = torch.linspace(-3, 3, 7, dtype=torch.float64)
    for target in (0, 1):
        def loss(zi):
            s = zi.sigmoid()
            return 1 - s if target == 1 else s
        second = torch.stack([torch.func.grad(torch.func.grad(loss))(zi) for zi in z])
        y = torch.full((7, 1), target)
        assert torch.allclose(mnist_loss_curvature(z[:, None], y).squeeze(1), second)


def test_curvature_mistakes():
    def slope(z, y):
        s = z.sigmoid()
        return s * (1 - s) * torch.where(y == 1, -1.0, 1.0)
    def no_sign(z, y):
        s = z.sigmoid()
        return s * (1 - s) * (1 - 2 * s)
    rejects(checks.check_mnist_loss_curvature, slope, "differentiate once more")
    rejects(checks.check_mnist_loss_curvature, no_sign, "opposite sign")
    rejects(checks.check_mnist_loss_curvature, lambda z, y: -mnist_loss_curvature(z, y),
            "signs are flipped")
    rejects(checks.check_mnist_loss_curvature, lambda z, y: mnist_loss_curvature(z, y) / len(z),
            "not divided by the number")
    rejects(checks.check_mnist_loss_curvature, lambda z, y: mnist_loss_curvature(z, y).mean(),
            "shape")


# ---------------------------------------------------------------- 09.5 b_noise

def b_noise(G, H):
    G, H = G.double(), H.double()
    mean = G.mean(0)
    dev = G - mean
    curvature = mean @ H @ mean
    if curvature <= 0:
        return math.nan
    return (((dev @ H) * dev).sum(1).mean() / curvature).item()


def test_b_noise_reference_passes_and_the_check_has_a_downward_case():
    assert status(checks.check_b_noise, b_noise).passed
    # the check's last case must really have GᵀHG < 0, or the nan branch would go untested
    def spy(G, H):
        spy.calls.append((G.double().mean(0) @ H.double() @ G.double().mean(0)).item())
        return b_noise(G, H)
    spy.calls = []
    status(checks.check_b_noise, spy)
    assert spy.calls[-1] < 0 and all(c > 0 for c in spy.calls[:-1])


def test_b_noise_mistakes():
    def without_nan(G, H):
        G, H = G.double(), H.double()
        mean = G.mean(0)
        dev = G - mean
        return (((dev @ H) * dev).sum(1).mean() / (mean @ H @ mean)).item()
    def simple(G, H):
        mean = G.double().mean(0)
        return ((G.double() - mean).pow(2).sum(1).mean() / mean.pow(2).sum()).item()
    def product_of_traces(G, H):
        G, H = G.double(), H.double()
        mean = G.mean(0)
        tr_sigma = (G - mean).pow(2).sum(1).mean()
        return (torch.trace(H) * tr_sigma / (mean @ H @ mean)).item()
    def unbiased(G, H):
        value = b_noise(G, H)
        return value * len(G) / (len(G) - 1)
    rejects(checks.check_b_noise, without_nan, "return math.nan")
    rejects(checks.check_b_noise, simple, "B_simple")
    rejects(checks.check_b_noise, product_of_traces, "not tr(H)·tr(Σ)")
    rejects(checks.check_b_noise, unbiased, "not n - 1")


@pytest.mark.parametrize("kind", NUMBER_KINDS)
@pytest.mark.parametrize("check,reference", [
    (checks.check_fp_factor, fp_factor), (checks.check_measured_noise, measured_noise),
    (checks.check_b_simple, b_simple), (checks.check_b_noise, b_noise)],
    ids=["fp_factor", "measured_noise", "b_simple", "b_noise"])
def test_a_number_of_any_kind_passes(check, reference, kind):
    assert_passes(check, returning(NUMBER_KINDS[kind], reference))


@pytest.mark.parametrize("check", [checks.check_fp_factor, checks.check_measured_noise,
                                   checks.check_b_simple,
                                   checks.check_mnist_loss_curvature, checks.check_b_noise])
def test_registered_as_notebook_09(check):
    assert check.exercise.notebook == "09" and checks.EXERCISES[check.__name__] is check.exercise


# ---------------------------------------------------------------- correct, written another way

def fp_factor_in_float32(n, b):
    if n < 2 or b < 1 or b > n:
        raise ValueError("b outside 1..n")
    return np.float32(n - b) / np.float32(n - 1)


def measured_noise_by_multinomial(G, b, draws, generator):
    "Batches drawn by torch.multinomial, all draws in one tensor, float32 kept: a 0-d tensor."
    full = G.mean(0)
    means = torch.stack([G[torch.multinomial(torch.ones(len(G)), b, replacement=False,
                                             generator=generator)].mean(0) for _ in range(draws)])
    return (means - full).pow(2).sum(1).mean()


def b_simple_in_numpy(G):
    g = G.numpy()  # float32 or float64, as G is: the result is np.float32 or np.float64
    mean = g.mean(0)
    return ((g - mean) ** 2).sum(1).mean() / (mean ** 2).sum()


def curvature_sample_by_sample(z, y):
    def one(zi, yi):
        s = 1 / (1 + math.exp(-zi))
        return s * (1 - s) * (1 - 2 * s) * (-1 if yi == 1 else 1)
    return torch.tensor([[one(zi, yi)] for zi, yi in zip(z.flatten().tolist(),
                                                          y.flatten().tolist())])


def b_noise_in_numpy(G, H):
    g, h = G.numpy(), H.numpy()
    mean = g.mean(0)
    dev = g - mean
    sigma = dev.T @ dev / len(g)
    curvature = mean @ h @ mean
    return math.nan if curvature <= 0 else np.trace(h @ sigma) / curvature


OTHER_WAYS = {
    "check_fp_factor": fp_factor_in_float32,
    "check_measured_noise": measured_noise_by_multinomial,
    "check_b_simple": b_simple_in_numpy,
    "check_mnist_loss_curvature": curvature_sample_by_sample,
    "check_b_noise": b_noise_in_numpy,
}


@pytest.mark.parametrize("name", sorted(OTHER_WAYS))
def test_a_correct_answer_written_another_way_passes(name):
    assert_passes(getattr(checks, name), OTHER_WAYS[name])


def test_every_check_of_09_gets_an_answer_written_another_way():
    assert sorted(OTHER_WAYS) == sorted(n for n, ex in checks.EXERCISES.items()
                                        if ex.notebook == "09")
