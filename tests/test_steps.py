"Tests for notebook 10's helpers: LinearStack, its batches and training step, and the fit of S(B)."
import numpy as np
import pytest
import torch

import utils
import sweeps


@pytest.fixture
def data():
    g = torch.Generator().manual_seed(0)
    return torch.rand(40, 784, generator=g), (torch.rand(40, 1, generator=g) > 0.5).long()


def loaders(x, y, bs, seeds):
    return [utils.TensorLoader(x, y, batch_size=bs, shuffle=True, drop_last=True,
                               generator=torch.Generator().manual_seed(s)) for s in seeds]


def as_row(model):
    "A make_linear-style model's weights as one row (w, b), the layout of LinearStack.weight."
    return torch.cat([model.weight[0], model.bias]).detach()


def test_every_copy_starts_from_make_linear():
    stack = sweeps.LinearStack(3, 2, seed=7)
    assert stack.weight.shape == (3, 2, 785) and stack.weight.requires_grad
    assert [p.shape for p in stack.parameters()] == [(3, 2, 785)]
    for r in range(3):
        for k in range(2):
            assert torch.equal(stack.weight[r, k].detach(), as_row(utils.make_linear(seed=7)))


def test_forward_is_each_copys_linear_model_on_a_shared_or_a_per_run_batch(data):
    x, _ = data
    stack = sweeps.LinearStack(2, 3)
    with torch.no_grad():
        stack.weight.add_(torch.randn(2, 3, 785, generator=torch.Generator().manual_seed(1)) * 0.1)
    shared, per_run = stack(x), stack([x[:10], x[10:20]])
    assert shared.shape == (2, 40, 3) and per_run.shape == (2, 10, 3)
    for r in range(2):
        for k in range(3):
            w = stack.weight[r, k].detach()
            assert torch.allclose(shared[r, :, k], x @ w[:-1] + w[-1], atol=1e-5)
            xr = x[r * 10:(r + 1) * 10]
            assert torch.allclose(per_run[r, :, k], xr @ w[:-1] + w[-1], atol=1e-5)
    with pytest.raises(ValueError, match="one batch per run"):
        stack([x[:10]])


def test_stack_loss_is_mnist_loss_of_each_copy(data):
    x, y = data
    stack = sweeps.LinearStack(2, 2)
    with torch.no_grad():
        stack.weight.add_(torch.randn(2, 2, 785, generator=torch.Generator().manual_seed(2)) * 0.05)
    preds = stack(x)
    losses = sweeps.stack_loss(preds, y)
    assert losses.shape == (2, 2)
    for r in range(2):
        for k in range(2):
            one = preds[r, :, k:k + 1]
            assert torch.allclose(losses[r, k], utils.mnist_loss(one, y))


def test_stack_batches_hands_out_each_loaders_batches_epoch_after_epoch(data):
    x, y = data
    batches = sweeps.stack_batches(loaders(x, y, 16, [0, 1]))  # 2 batches an epoch
    got = [next(batches) for _ in range(6)]  # 3 epochs
    for r, dl in enumerate(loaders(x, y, 16, [0, 1])):
        alone = [b for _ in range(3) for b in dl]
        for (xs, ys), (xb, yb) in zip(got, alone):
            assert torch.equal(xs[r], xb) and torch.equal(ys[r], yb)
    with pytest.raises(ValueError, match="same number of batches"):
        next(sweeps.stack_batches(loaders(x, y, 16, [0]) + loaders(x, y, 8, [1])))


def test_a_stack_step_equals_separate_runs_of_basic_optim(data):
    x, y = data
    seeds, lrs = [0, 1, 2], [0.5, 4.0]
    stack = sweeps.LinearStack(len(seeds), len(lrs))
    opt = utils.BasicOptim(stack.parameters(), torch.tensor(lrs).view(1, -1, 1))
    batches = sweeps.stack_batches(loaders(x, y, 16, seeds))
    losses = [sweeps.stack_step(stack, *next(batches), opt) for _ in range(5)]  # 2 epoch ends
    assert stack.weight.grad is None and losses[0].shape == (3, 2) and not losses[0].requires_grad
    for r, seed in enumerate(seeds):
        for k, lr in enumerate(lrs):
            model = utils.make_linear()
            alone = sweeps.train_steps(model, loaders(x, y, 16, [seed])[0],
                                      utils.BasicOptim(model.parameters(), lr), 5)
            assert torch.allclose(stack.weight[r, k].detach(), as_row(model), atol=1e-6)
            assert [step[r, k].item() for step in losses] == pytest.approx(alone, abs=1e-6)


def test_fit_critical_batch_recovers_the_formula_and_weighs_relative_errors():
    sizes = np.array([1, 2, 4, 8, 16, 64, 256, 1024])
    s_min, b_crit = sweeps.fit_critical_batch(sizes, 12.0 * (1 + 20.0 / sizes))
    assert s_min == pytest.approx(12.0) and b_crit == pytest.approx(20.0)
    noisy = 12.0 * (1 + 20.0 / sizes) * np.where(np.arange(len(sizes)) % 2, 1.1, 0.9)
    s_min, b_crit = sweeps.fit_critical_batch(list(sizes), list(noisy))
    assert 10 < s_min < 14 and 15 < b_crit < 25
    # least squares on relative errors: scaling every count scales S_min and leaves B_crit alone
    assert sweeps.fit_critical_batch(sizes, 3 * noisy) == pytest.approx((3 * s_min, b_crit))

@pytest.mark.parametrize("sizes,steps,match", [
    ([1, 2], [10], "same length"), ([4], [10], "same length"),
    ([1, 2], [10, np.inf], "positive and finite"), ([0, 2], [10, 5], "positive and finite"),
    ([1, 2], [10, -1], "positive and finite")])
def test_fit_critical_batch_rejects_what_it_cannot_fit(sizes, steps, match):
    with pytest.raises(ValueError, match=match):
        sweeps.fit_critical_batch(sizes, steps)


def test_the_tie_rule_ties_within_the_larger_spread_and_never_with_a_run_that_did_not_arrive():
    assert sweeps.spread([10, 12, 14]) == 4 and sweeps.spread([1, float("inf")]) == float("inf")
    assert sweeps.tie([10, 12, 14], [13, 15, 16])  # means 12 and 14.67: 2.67 <= 4
    assert not sweeps.tie([10, 12, 14], [17, 18, 19])  # 6 > 4
    assert sweeps.tie([10, 10, 10], [14, 14, 14]) is False and sweeps.tie([1, 1], [1, 1])
    assert not sweeps.tie([10, 12, float("inf")], [10, 12, 14])
