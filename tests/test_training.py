"""Unit tests of the model, loss and training helpers in utils.py (notebooks 03-05), and of the
MNIST loaders on the real sample (set MNIST_SAMPLE_TGZ to a local mnist_sample.tgz to run
offline)."""
import math
import os

import pytest
import torch
from torch import nn

import utils
from utils import (BasicOptim, TensorLoader, batch_accuracy, calc_grad, init_params, mnist_loss,
                   train_epoch, train_model, validate_epoch)


def logit(p):
    return torch.log(p / (1 - p))


# ---------------------------------------------------------------- init_params

def test_init_params_draws_scaled_normal_numbers_that_track_gradients():
    torch.manual_seed(0)
    p = init_params((784, 1), std=0.5)
    torch.manual_seed(0)
    expected = torch.randn(784, 1) * 0.5
    assert p.shape == (784, 1)
    assert p.requires_grad and p.is_leaf
    assert torch.equal(p.detach(), expected)


def test_init_params_std_is_the_spread_of_the_draws():
    torch.manual_seed(1)
    p = init_params(200_000, std=3.0)
    assert abs(p.std().item() - 3.0) < 0.03
    assert abs(p.mean().item()) < 0.03


def test_init_params_default_std_is_one_and_device_does_not_change_the_numbers():
    torch.manual_seed(2)
    a = init_params(10)
    torch.manual_seed(2)
    b = init_params(10, device=torch.device("cpu"))
    assert torch.equal(a, b)
    assert torch.equal(a.detach(), (torch.manual_seed(2), torch.randn(10))[1])


# ---------------------------------------------------------------- mnist_loss

def test_mnist_loss_matches_its_formula():
    torch.manual_seed(3)
    preds = torch.randn(50, 1) * 3
    targets = torch.randint(0, 2, (50, 1))
    by_hand = []
    for z, t in zip(preds.flatten().tolist(), targets.flatten().tolist()):
        s = 1 / (1 + math.exp(-z))
        by_hand.append(1 - s if t == 1 else s)
    assert mnist_loss(preds, targets).item() == pytest.approx(sum(by_hand) / len(by_hand), rel=1e-6)


def test_mnist_loss_reproduces_the_books_toy_example():
    trgts = torch.tensor([1, 0, 1])
    assert (mnist_loss(logit(torch.tensor([0.9, 0.4, 0.2])), trgts).item()
            == pytest.approx(0.4333, abs=1e-4))
    assert (mnist_loss(logit(torch.tensor([0.9, 0.4, 0.8])), trgts).item()
            == pytest.approx(0.2333, abs=1e-4))


def test_mnist_loss_falls_as_a_prediction_improves_and_has_a_gradient():
    targets = torch.tensor([[1], [0]])
    worse = mnist_loss(torch.tensor([[0.0], [0.0]]), targets)
    better = mnist_loss(torch.tensor([[2.0], [0.0]]), targets)
    assert better < worse
    z = torch.tensor([[0.0], [0.0]], requires_grad=True)
    mnist_loss(z, targets).backward()
    # d/dz of mean: (-σ'(0), +σ'(0)) / 2 with σ'(0) = 1/4
    assert torch.allclose(z.grad, torch.tensor([[-0.125], [0.125]]))


# ---------------------------------------------------------------- batch_accuracy

def test_batch_accuracy_on_a_hand_made_batch():
    preds = torch.tensor([[2.0], [-1.0], [0.5], [-3.0], [0.0]])
    targets = torch.tensor([[1], [1], [0], [0], [0]])
    # predicted 3, 7, 3, 7, 7 (sigmoid(0) = 0.5 is not above 0.5): right, wrong, wrong, right, right
    assert batch_accuracy(preds, targets).item() == pytest.approx(3 / 5)


def test_batch_accuracy_all_right_and_all_wrong():
    targets = torch.tensor([[1], [0], [1]])
    assert batch_accuracy(torch.tensor([[5.0], [-5.0], [1.0]]), targets).item() == 1.0
    assert batch_accuracy(torch.tensor([[-5.0], [5.0], [-1.0]]), targets).item() == 0.0


# ---------------------------------------------------------------- calc_grad

def _linear_problem(seed=4, n=8, d=5):
    torch.manual_seed(seed)
    x, y = torch.randn(n, d), torch.randint(0, 2, (n, 1))
    w, b = init_params((d, 1)), init_params(1)
    return x, y, w, b, (lambda xb: xb @ w + b)


def test_calc_grad_gives_the_analytic_gradient_of_mnist_loss():
    x, y, w, b, model = _linear_problem()
    loss = calc_grad(x, y, model)
    s = torch.sigmoid(x @ w.detach() + b.detach())
    sign = torch.where(y == 1, -1.0, 1.0)
    dz = sign * s * (1 - s) / len(x)
    assert torch.allclose(w.grad, x.T @ dz, atol=1e-6)
    assert torch.allclose(b.grad, dz.sum(0), atol=1e-6)
    assert loss.item() == pytest.approx(mnist_loss(model(x), y).item())


def test_calc_grad_accumulates_gradients_across_two_calls_until_zeroed():
    x, y, w, b, model = _linear_problem()
    calc_grad(x, y, model)
    g_w, g_b = w.grad.clone(), b.grad.clone()
    assert g_w.abs().sum() > 0
    calc_grad(x, y, model)
    assert torch.allclose(w.grad, 2 * g_w) and torch.allclose(b.grad, 2 * g_b)
    w.grad.zero_()
    b.grad.zero_()
    calc_grad(x, y, model)
    assert torch.allclose(w.grad, g_w) and torch.allclose(b.grad, g_b)


# ---------------------------------------------------------------- BasicOptim

def test_basic_optim_step_is_p_minus_lr_times_grad():
    x, y, w, b, model = _linear_problem()
    opt = BasicOptim((w, b), lr=0.3)
    calc_grad(x, y, model)
    expected = [(p - 0.3 * p.grad).detach().clone() for p in (w, b)]
    opt.step()
    assert torch.allclose(w.detach(), expected[0]) and torch.allclose(b.detach(), expected[1])
    assert w.is_leaf and w.requires_grad


def test_basic_optim_zero_grad_clears_every_gradient_and_takes_a_generator():
    lin = nn.Linear(3, 1)
    opt = BasicOptim(lin.parameters(), lr=1.0)  # a generator: must be kept as a list
    lin(torch.ones(2, 3)).sum().backward()
    assert all(p.grad is not None for p in lin.parameters())
    opt.zero_grad()
    assert all(p.grad is None for p in lin.parameters())
    lin(torch.ones(2, 3)).sum().backward()
    before = [p.detach().clone() for p in lin.parameters()]
    opt.step()  # works a second time: the params were not a spent generator
    assert all(not torch.equal(p, q) for p, q in zip(lin.parameters(), before))


# ---------------------------------------------------- train_epoch, validate_epoch, train_model

class CountingOptim(BasicOptim):
    def __init__(self, params, lr):
        super().__init__(params, lr)
        self.steps = self.zeros = 0

    def step(self, *args, **kwargs):
        self.steps += 1
        super().step()

    def zero_grad(self, *args, **kwargs):
        self.zeros += 1
        super().zero_grad()


def test_train_epoch_steps_once_per_batch_and_equals_the_manual_loop():
    torch.manual_seed(5)
    x, y = torch.randn(70, 4), torch.randint(0, 2, (70, 1))
    dl = TensorLoader(x, y, batch_size=16)
    a, b = nn.Linear(4, 1), nn.Linear(4, 1)
    b.load_state_dict(a.state_dict())
    opt = CountingOptim(a.parameters(), lr=0.5)
    train_epoch(a, dl, opt)
    assert opt.steps == opt.zeros == len(dl) == 5
    for xb, yb in dl:  # the book's loop, by hand
        mnist_loss(b(xb), yb).backward()
        with torch.no_grad():
            for p in b.parameters():
                p -= 0.5 * p.grad
                p.grad = None
    assert all(torch.allclose(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_validate_epoch_is_the_unweighted_mean_of_batch_accuracies_rounded():
    model = nn.Identity()
    dl = [(torch.tensor([[1.0], [1.0], [1.0]]), torch.tensor([[1], [1], [0]])),  # 2/3 right
          (torch.tensor([[-1.0]]), torch.tensor([[0]]))]                        # 1/1 right
    assert validate_epoch(model, dl) == round((2 / 3 + 1) / 2, 4) == 0.8333  # per image it is 0.75


def test_validate_epoch_leaves_gradients_alone():
    lin = nn.Linear(2, 1)
    dl = TensorLoader(torch.randn(10, 2), torch.randint(0, 2, (10, 1)), batch_size=4)
    validate_epoch(lin, dl)
    assert all(p.grad is None for p in lin.parameters())


def _separable(n, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=g)
    y = (x[:, :1] > 0).long()
    x[:, 0] += torch.where(y[:, 0] == 1, 1.0, -1.0)  # a margin of 2 between the classes
    return x, y


def test_train_model_returns_one_accuracy_per_epoch_and_solves_a_separable_problem():
    x, y = _separable(128, seed=6)
    vx, vy = _separable(64, seed=7)
    torch.manual_seed(8)
    lin = nn.Linear(2, 1)
    accs = train_model(lin, TensorLoader(x, y, batch_size=16), TensorLoader(vx, vy, batch_size=16),
                       BasicOptim(lin.parameters(), lr=1.0), epochs=15)
    assert len(accs) == 15 and all(isinstance(a, float) and 0 <= a <= 1 for a in accs)
    assert accs[-1] == 1.0
    assert lin.weight[0, 0] > abs(lin.weight[0, 1])  # it learnt that the first coordinate decides


def test_train_model_is_reproducible_with_a_seed():
    x, y = _separable(64, seed=9)
    runs = []
    for _ in range(2):
        torch.manual_seed(10)
        lin = nn.Linear(2, 1)
        dl = TensorLoader(x, y, batch_size=8, shuffle=True,
                          generator=torch.Generator().manual_seed(11))
        runs.append(train_model(lin, dl, TensorLoader(x, y, batch_size=8),
                                BasicOptim(lin.parameters(), 0.1), 3))
    assert runs[0] == runs[1]


# ---------------------------------------------------------------- the real MNIST sample

@pytest.fixture(scope="module")
def mnist_path():
    if (not utils._is_mnist_sample(utils.DATA_DIR / "mnist_sample")
            and not os.environ.get(utils.ARCHIVE_ENV)):
        pytest.skip(f"no MNIST sample here and {utils.ARCHIVE_ENV} unset: tests do not download")
    return utils.mnist_sample_path()


@pytest.fixture(scope="module")
def tensors(mnist_path):
    return utils.mnist_tensors(mnist_path)


def test_mnist_tensors_shapes_and_ranges(tensors):
    train_x, train_y, valid_x, valid_y = tensors
    assert train_x.shape == (12396, 784) and train_y.shape == (12396, 1)
    assert valid_x.shape == (2038, 784) and valid_y.shape == (2038, 1)
    assert train_x.dtype == torch.float32 and train_x.min() == 0 and train_x.max() == 1


def test_mnist_tensors_labels_are_1_for_the_3s_then_0_for_the_7s(tensors):
    _, train_y, _, valid_y = tensors
    assert torch.equal(train_y[:6131], torch.ones(6131, 1, dtype=train_y.dtype))
    assert torch.equal(train_y[6131:], torch.zeros(6265, 1, dtype=train_y.dtype))
    assert valid_y[:1010].all() and not valid_y[1010:].any()


def test_load_digits_gives_the_books_pixel_similarity_baseline(mnist_path):
    mean3 = utils.load_digits(mnist_path / "train" / "3").mean(0)
    mean7 = utils.load_digits(mnist_path / "train" / "7").mean(0)
    v3, v7 = (utils.load_digits(mnist_path / "valid" / "3"),
              utils.load_digits(mnist_path / "valid" / "7"))
    assert v3.shape == (1010, 28, 28) and v7.shape == (1028, 28, 28)

    def is_3(x):
        return (x - mean3).abs().mean((-1, -2)) < (x - mean7).abs().mean((-1, -2))
    assert round(is_3(v3).float().mean().item(), 4) == 0.9168
    assert round(1 - is_3(v7).float().mean().item(), 4) == 0.9854


def test_load_digits_rejects_a_folder_without_images(tmp_path):
    with pytest.raises(FileNotFoundError, match="No PNG"):
        utils.load_digits(tmp_path)
