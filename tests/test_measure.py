"Tests of the measurement helpers: CUDA-aware timer, gradient-noise estimators, noise scales, OOM."
import itertools
import math

import pytest
import torch

import noise
import hardware
import utils


def grad_noise_mc(per_sample_grads, batch_size, draws=100, generator=None):
    "Monte-Carlo mean of the squared distance of `draws` random batch means from the full mean."
    return noise.grad_noise_draws(per_sample_grads, batch_size, draws, generator).mean().item()


# ---------------------------------------------------------------- time_it

def scripted_clock(monkeypatch, times):
    "Make time.perf_counter return `times` in order."
    it = iter(times)
    monkeypatch.setattr(utils.time, "perf_counter", lambda: next(it))


def test_time_it_returns_median_of_repeats_after_warmup(monkeypatch):
    calls = []
    # three timed calls lasting 5, 1 and 3 seconds: the median is 3, not the mean or the last
    scripted_clock(monkeypatch, [0.0, 5.0, 10.0, 11.0, 20.0, 23.0])
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert utils.time_it(lambda: calls.append(1), warmup=2, repeats=3) == 3.0
    assert len(calls) == 5  # 2 warm-up calls + 3 timed ones


def test_time_it_even_repeats_median(monkeypatch):
    scripted_clock(monkeypatch, [0.0, 1.0, 0.0, 4.0, 0.0, 2.0, 0.0, 10.0])
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert utils.time_it(lambda: None, warmup=0, repeats=4) == 3.0


def test_time_it_synchronises_cuda_around_each_timed_call(monkeypatch):
    events = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "synchronize", lambda *a, **k: events.append("sync"))
    utils.time_it(lambda: events.append("fn"), warmup=1, repeats=3)
    assert events == ["fn"] + ["sync", "fn", "sync"] * 3


def test_time_it_synchronises_mps_around_each_timed_call(monkeypatch):
    events = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    monkeypatch.setattr(torch.mps, "synchronize", lambda *a, **k: events.append("sync"))
    utils.time_it(lambda: events.append("fn"), warmup=0, repeats=2)
    assert events == ["sync", "fn", "sync"] * 2


def test_time_it_does_not_synchronise_without_a_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    def boom(*a, **k):
        raise AssertionError("synchronize called without CUDA")
    monkeypatch.setattr(torch.cuda, "synchronize", boom)
    assert utils.time_it(lambda: None, warmup=0, repeats=2) >= 0


# ---------------------------------------------------------------- gradient noise

def enumerate_noise(g, b):
    "E|batch mean − full mean|² over ALL C(N, b) equally likely batches, by brute force."
    full = g.mean(0)
    d = [(g[list(s)].mean(0) - full).pow(2).sum() for s in itertools.combinations(range(len(g)), b)]
    return torch.stack(d).mean().item()


@pytest.fixture
def tiny():
    torch.manual_seed(0)
    return (torch.randn(7, 2, 3, dtype=torch.float64)
            * torch.tensor([1.0, 3.0, 0.5], dtype=torch.float64))


@pytest.mark.parametrize("b", range(1, 8))
def test_grad_noise_equals_enumeration_of_all_subsets(tiny, b):
    assert noise.grad_noise(tiny, b) == pytest.approx(enumerate_noise(tiny.flatten(1), b),
                                                  rel=1e-12)


def test_grad_noise_endpoints(tiny):
    g = tiny.flatten(1)
    population_var = (g - g.mean(0)).pow(2).sum(1).mean().item()
    assert noise.grad_noise(tiny, 1) == pytest.approx(population_var)  # one sample: tr(Σ)
    assert noise.grad_noise(tiny, 7) == pytest.approx(0.0, abs=1e-15)  # whole population: no noise


def test_grad_noise_closed_form_scalar_case():
    # N values ±1 half each: mean 0, variance 1; a batch of B has E[mean²] = (1/B)(N−B)/(N−1)
    g = torch.tensor([1.0, -1.0] * 5).unsqueeze(1)
    for b in (1, 2, 5, 9):
        assert noise.grad_noise(g, b) == pytest.approx((10 - b) / (b * 9))


def test_grad_noise_mc_agrees_with_exact():
    gen = torch.Generator().manual_seed(1)
    g = torch.randn(200, 10, generator=gen, dtype=torch.float64)
    for b in (1, 10, 150):
        exact = noise.grad_noise(g, b)
        mc = grad_noise_mc(g, b, draws=4000, generator=torch.Generator().manual_seed(b))
        assert mc == pytest.approx(exact, rel=0.05)
    # and it is the without-replacement value: with replacement, tr(Σ)/B, 4x larger at B=150
    assert noise.grad_noise(g, 150) < 0.3 * noise.grad_noise(g, 1) / 150


def test_grad_noise_mc_is_reproducible_with_a_generator():
    g = torch.randn(50, 4)
    a = grad_noise_mc(g, 5, draws=20, generator=torch.Generator().manual_seed(3))
    b = grad_noise_mc(g, 5, draws=20, generator=torch.Generator().manual_seed(3))
    assert a == b


def test_noise_scale_is_trace_over_squared_norm():
    g = torch.tensor([[1.0, 0.0], [3.0, 0.0], [2.0, 2.0], [2.0, -2.0]])  # mean (2, 0), |G|² = 4
    # deviations: (-1,0), (1,0), (0,2), (0,-2): tr(Σ) = (1 + 1 + 4 + 4) / 4 = 2.5
    assert noise.noise_scale(g) == pytest.approx(2.5 / 4)


def test_grad_noise_draws_are_the_monte_carlo_samples():
    g = torch.randn(30, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    d = noise.grad_noise_draws(g, 6, draws=25, generator=torch.Generator().manual_seed(5))
    assert d.shape == (25,) and d.dtype == torch.float64 and (d >= 0).all()
    mc = grad_noise_mc(g, 6, draws=25, generator=torch.Generator().manual_seed(5))
    # the same batches, the same generator draws
    assert mc == pytest.approx(d.mean().item(), rel=1e-12)
    # the first draw by hand: the first 6 of a permutation drawn from the same generator
    first = torch.randperm(30, generator=torch.Generator().manual_seed(5))[:6]
    assert d[0].item() == pytest.approx((g[first].mean(0) - g.mean(0)).pow(2).sum().item())


# gathered rows (small b) and the matrix product (large b)
@pytest.mark.parametrize("b", [1, 3, 40, 64])
def test_grad_noise_draws_is_the_same_computation_for_small_and_large_batches(b):
    g = torch.randn(64, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    d = noise.grad_noise_draws(g, b, draws=10, generator=torch.Generator().manual_seed(6))
    gen = torch.Generator().manual_seed(6)
    by_hand = [(g[torch.randperm(64, generator=gen)[:b]].mean(0) - g.mean(0)).pow(2).sum()
               for _ in range(10)]
    assert torch.allclose(d, torch.stack(by_hand), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("draws", [0, -3, 2.5, True])
def test_grad_noise_draws_rejects_bad_draws(tiny, draws):
    with pytest.raises(ValueError, match="draws"):
        noise.grad_noise_draws(tiny, 2, draws=draws)


def covariance_parts(g):
    "G, Σ (population covariance) the long way, for checking the noise scales."
    mean = g.mean(0)
    dev = g - mean
    return mean, dev.T @ dev / len(g)


def test_noise_scales_match_their_definitions():
    gen = torch.Generator().manual_seed(0)
    g = (torch.randn(50, 5, dtype=torch.float64, generator=gen)
         + torch.tensor([1.0, 0, 0, 0, 2.0]).double())
    a = torch.randn(5, 5, dtype=torch.float64, generator=gen)
    h = a @ a.T + torch.eye(5, dtype=torch.float64)  # positive definite
    mean, sigma = covariance_parts(g)
    b_simple, b_noise = noise.noise_scales(g, h)
    assert b_simple == pytest.approx((torch.trace(sigma) / (mean @ mean)).item(), rel=1e-12)
    assert b_simple == pytest.approx(noise.noise_scale(g), rel=1e-12)
    assert b_noise == pytest.approx((torch.trace(h @ sigma) / (mean @ h @ mean)).item(), rel=1e-12)


def test_noise_scales_are_equal_when_the_hessian_is_a_multiple_of_the_identity():
    g = torch.randn(20, 3, 2, generator=torch.Generator().manual_seed(1))  # 6 components flat
    b_simple, b_noise = noise.noise_scales(g, 3.5 * torch.eye(6))
    assert b_noise == pytest.approx(b_simple, rel=1e-12)


def test_b_noise_weights_directions_by_their_curvature():
    # G along e1, all the noise along e2: with curvature only along e2, B_noise grows with it
    g = torch.tensor([[1.0, 1.0], [1.0, -1.0]])  # G = (1, 0), Σ = diag(0, 1)
    assert noise.noise_scales(g, torch.diag(torch.tensor([1.0, 1.0]))) == pytest.approx((1.0, 1.0))
    assert (noise.noise_scales(g, torch.diag(torch.tensor([1.0, 10.0])))
            == pytest.approx((1.0, 10.0)))
    assert noise.noise_scales(g, torch.diag(torch.tensor([4.0, 1.0]))) == pytest.approx((1.0, 0.25))


@pytest.mark.parametrize("curvature", [0.0, -2.0])
def test_b_noise_is_nan_where_the_loss_does_not_curve_up_along_the_gradient(curvature):
    g = torch.tensor([[1.0, 1.0], [1.0, -1.0]])
    b_simple, b_noise = noise.noise_scales(g, torch.diag(torch.tensor([curvature, 1.0])))
    assert b_simple == pytest.approx(1.0) and math.isnan(b_noise)


@pytest.mark.parametrize("h", [torch.eye(3), torch.ones(2), "H"])
def test_noise_scales_reject_a_hessian_of_the_wrong_shape(h):
    with pytest.raises(ValueError, match="hessian"):
        noise.noise_scales(torch.randn(4, 2), h)


@pytest.mark.parametrize("b", [0, 8, -1, 2.0, True])
def test_grad_noise_rejects_bad_batch_sizes(tiny, b):
    with pytest.raises(ValueError):
        noise.grad_noise(tiny, b)
    with pytest.raises(ValueError):
        grad_noise_mc(tiny, b)


# ---------------------------------------------------------------- sweep_until_oom

def fake_run(limit, error=None):
    "A run that 'needs' `size` units of memory and fails above `limit`, the way the GPU would."
    def fn(size):
        if size > limit:
            raise error if error is not None else torch.cuda.OutOfMemoryError(
                f"CUDA out of memory. Tried to allocate {size} GiB")
        return size * 10
    return fn


def test_sweep_keeps_results_and_reports_first_failing_size():
    results, failed = hardware.sweep_until_oom(fake_run(4), [1, 2, 4, 8, 16])
    assert results == {1: 10, 2: 20, 4: 40}
    assert failed == 8
    assert max(results) == 4  # the largest batch that fits


def test_sweep_stops_at_the_first_failure():
    seen = []
    def fn(size):
        seen.append(size)
        return fake_run(2)(size)
    hardware.sweep_until_oom(fn, [1, 2, 4, 8])
    assert seen == [1, 2, 4]


def test_sweep_without_failure():
    assert hardware.sweep_until_oom(fake_run(100), [1, 2]) == ({1: 10, 2: 20}, None)


@pytest.mark.parametrize("msg", ["CUDA out of memory. Tried to allocate 2.00 GiB",
                                 "MPS backend out of memory",
                                 "[enforce fail at alloc_cpu.cpp:114] "
                                 "DefaultCPUAllocator: can't allocate memory"])
def test_sweep_catches_runtime_errors_that_say_out_of_memory(msg):
    assert hardware.sweep_until_oom(fake_run(1, RuntimeError(msg)), [1, 2]) == ({1: 10}, 2)


@pytest.mark.parametrize("error", [RuntimeError("mat1 and mat2 shapes cannot be multiplied"),
                                   ValueError("out of memory"), KeyError(3)])
def test_sweep_propagates_other_errors(error):
    with pytest.raises(type(error)):
        hardware.sweep_until_oom(fake_run(1, error), [1, 2])


def test_sweep_empties_the_cuda_cache_after_an_oom(monkeypatch):
    emptied = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: emptied.append(1))
    hardware.sweep_until_oom(fake_run(1), [1, 2])
    assert emptied == [1]


def test_is_oom():
    assert hardware._is_oom(torch.cuda.OutOfMemoryError("whatever"))
    assert hardware._is_oom(RuntimeError("CUDA error: out of memory"))
    assert not hardware._is_oom(RuntimeError("size mismatch"))
    assert not hardware._is_oom(MemoryError("out of memory"))
