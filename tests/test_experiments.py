"Tests for the batch-size experiment helpers of notebooks 09-11: model, accuracy, steps, Hessian."
import pytest
import torch
from torch.func import functional_call, grad, hessian, vmap

import utils
import sweeps
import noise


@pytest.fixture
def data():
    g = torch.Generator().manual_seed(0)
    return torch.rand(40, 784, generator=g), (torch.rand(40, 1, generator=g) > 0.5).long()


def test_make_linear_repeats_and_leaves_the_global_rng_alone():
    torch.manual_seed(1)
    before = torch.rand(1)
    torch.manual_seed(1)
    a, b = utils.make_linear(), utils.make_linear()
    assert torch.equal(torch.rand(1), before)
    assert (torch.equal(a.weight, b.weight)
            and not torch.equal(a.weight, utils.make_linear(seed=1).weight))
    torch.manual_seed(42)
    assert torch.equal(a.weight, torch.nn.Linear(28 * 28, 1).weight)  # the book's set_seed(42) init


def test_accuracy_is_batch_accuracy_of_the_whole_set(data):
    x, y = data
    model = utils.make_linear()
    assert sweeps.accuracy(model, x, y) == pytest.approx(utils.batch_accuracy(model(x), y).item())


def test_train_steps_crosses_epochs_and_returns_one_loss_per_step(data):
    x, y = data
    model = utils.make_linear()
    dl = utils.TensorLoader(x, y, batch_size=16)  # 3 batches an epoch
    losses = sweeps.train_steps(model, dl, utils.BasicOptim(model.parameters(), 1.0), 7)
    assert len(losses) == 7 and all(isinstance(v, float) for v in losses)
    ref = utils.make_linear()
    opt = utils.BasicOptim(ref.parameters(), 1.0)
    for xb, yb in [b for _ in range(3) for b in dl][:7]:
        utils.calc_grad(xb, yb, ref)
        opt.step()
        opt.zero_grad()
    assert torch.equal(model.weight, ref.weight)


def autograd_parts(model, x, y):
    params = {k: v.detach() for k, v in model.named_parameters()}
    def one(p, xi, yi):
        return utils.mnist_loss(functional_call(model, p, (xi[None],)), yi[None])
    g = vmap(grad(one), in_dims=(None, 0, 0))(params, x, y)
    h = hessian(lambda p: utils.mnist_loss(functional_call(model, p, (x,)), y))(params)
    w, wb, bb = (h["weight"]["weight"].reshape(784, 784), h["weight"]["bias"].reshape(784, 1),
                 h["bias"]["bias"])
    H = torch.cat([torch.cat([w, wb], 1), torch.cat([wb.T, bb.reshape(1, 1)], 1)])
    return torch.cat([g["weight"].flatten(1), g["bias"]], 1).double(), H.double()


def test_per_sample_grads_and_hessian_match_autograd(data):
    x, y = data
    model = utils.make_linear()
    G, H = autograd_parts(model, x, y)
    assert torch.allclose(noise.per_sample_grads(model, x, y), G, atol=1e-6)
    assert torch.allclose(noise.mnist_hessian(model, x, y), H, atol=1e-7)
    assert noise.mnist_hessian(model, x, y).dtype == torch.float64
