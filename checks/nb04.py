"Checks for the exercises of notebook 04, init_params, a linear model and its loss."
import math

import torch

from . import Wrong, call, close_tensors, exercise, expect_close, expect_tensor

__all__ = ["check_init_params", "check_linear", "check_mnist_loss", "check_gradient"]


@exercise("04", 1, "init_params")
def check_init_params(init_params):
    "Exercise 04.1: N(0, std²) numbers of shape `size`, a leaf tensor that tracks its gradient."
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(4)
        for size in [(784, 1), 1]:
            got = call(init_params, size)
            shape = (size,) if isinstance(size, int) else size
            expect_tensor(got, f"init_params({size!r})", shape)
            if not got.requires_grad:
                raise Wrong("PyTorch does not track this tensor's gradient: "
                            "call .requires_grad_() on it.")
            if not got.is_leaf:
                made_by = type(got.grad_fn).__name__
                raise Wrong(f"your tensor is not a leaf: it was computed ({made_by}) from a tensor "
                            f"that tracks gradients, so backward() would fill that one's .grad, "
                            f"not yours. Multiply by std first, then call .requires_grad_().")
        got = call(init_params, (20_000,), std=0.1)
        expect_tensor(got, "init_params((20000,), std=0.1)", (20_000,))
        mean, sd = got.detach().double().mean().item(), got.detach().double().std().item()
        if abs(mean) > 0.01:
            raise Wrong(f"with std=0.1 the mean of your numbers is {mean:.3f}, not about 0: draw "
                        f"them from the normal distribution, torch.randn (torch.rand is uniform "
                        f"on [0, 1)).")
        if not 0.095 < sd < 0.105:
            raise Wrong(f"with std=0.1 your numbers have a standard deviation of {sd:.3f}: draw "
                        f"torch.randn(size), which has 1, and multiply by std.")
        again = call(init_params, (20_000,), std=0.1)
        if torch.equal(got.detach(), again.detach()):
            raise Wrong("two calls gave the same numbers: draw new random ones each time, "
                        "with torch.randn.")


@exercise("04", 2, "linear")
def check_linear(linear):
    "Exercise 04.2: xb @ weights + bias, one prediction per row, differentiable."
    g = torch.Generator().manual_seed(5)
    for n, pixels in [(5, 6), (3, 10)]:
        xb = torch.rand(n, pixels, generator=g)
        weights = torch.randn(pixels, 1, generator=g).requires_grad_()
        bias = torch.randn(1, generator=g).requires_grad_()
        got = call(linear, xb, weights, bias)
        expect_tensor(got, f"for {n} images, your predictions")
        if tuple(got.shape) != (n, 1):
            raise Wrong(f"for {n} images of {pixels} pixels your predictions have shape "
                        f"{tuple(got.shape)}, but there is one per image: ({n}, 1). xb @ weights "
                        f"multiplies each row by the weights and sums over the pixels.")
        if close_tensors(got, xb @ weights):
            raise Wrong("your predictions lack the bias: add it, xb @ weights + bias.")
        expect_close(got, xb @ weights + bias, "your predictions")
        if not got.requires_grad:
            raise Wrong("your predictions don't track gradients: no .detach(), no torch.no_grad() "
                        "in the model, or SGD cannot follow them.")


def _reference_mnist_loss(predictions, targets):
    predictions = predictions.sigmoid()
    return torch.where(targets == 1, 1 - predictions, predictions).mean()


@exercise("04", 3, "mnist_loss")
def check_mnist_loss(mnist_loss):
    "Exercise 04.3: sigmoid, then distance from the target, then the mean."
    preds = torch.tensor([[-3.0], [2.0], [0.5], [4.0], [-1.0], [5.0]])
    for targets in [torch.tensor([[1], [0], [1], [1], [0], [0]]),
                    torch.tensor([[0.0], [0.0], [1.0], [1.0], [1.0], [0.0]])]:
        got = call(mnist_loss, preds.clone().requires_grad_(), targets)
        if isinstance(got, float):
            raise Wrong("you return a Python float: return the tensor itself (no .item()), so that "
                        "backward() can follow it.")
        expect_tensor(got, "your loss")
        if got.dim() != 0:
            raise Wrong(f"your loss has shape {tuple(got.shape)}: it should be one number (a 0-d "
                        f"tensor), the mean over the batch.")
        s = preds.sigmoid()
        expected = _reference_mnist_loss(preds, targets)
        value = got.item()
        no_sigmoid = torch.where(targets == 1, 1 - preds, preds).mean().item()
        if math.isclose(value, no_sigmoid, abs_tol=1e-5):
            raise Wrong(f"your loss is {value:.4f}, not between 0 and 1: did you apply the sigmoid "
                        f"to the predictions first?")
        if math.isclose(value, torch.where(targets == 1, s, 1 - s).mean().item(), abs_tol=1e-5):
            raise Wrong("you swapped the two cases: for a 3 (target 1) the distance is "
                        "1 - sigmoid(prediction), for a 7 (target 0) it is sigmoid(prediction).")
        if math.isclose(value, expected.item() * len(preds), abs_tol=1e-4):
            raise Wrong("you summed the distances: take their mean, so the loss doesn't grow "
                        "with the batch size.")
        expect_close(got, expected, "your loss")
        if not got.requires_grad:
            raise Wrong("your loss doesn't track gradients: build it from the predictions with "
                        "tensor operations, no .detach() or .item().")


def _accuracy(predictions, targets):
    return ((predictions > 0).float() == targets).float().mean()


@exercise("04", 4, "gradient")
def check_gradient(gradient):
    "Exercise 04.4: autograd's gradient, fresh each call, and zeros for a loss that has none."
    g = torch.Generator().manual_seed(6)
    xb, w0 = torch.rand(8, 5, generator=g), torch.randn(5, 1, generator=g)
    yb = torch.tensor([[1], [0], [1], [1], [0], [0], [1], [0]])
    squared = lambda p, y: (p - y).pow(2).mean()
    for name, loss_func in [("mnist_loss", _reference_mnist_loss), ("a squared error", squared)]:
        w = w0.clone().requires_grad_()
        expected, = torch.autograd.grad(loss_func(xb @ w, yb), w)
        got = call(gradient, loss_func, w0.clone(), xb, yb)
        expect_tensor(got, f"for {name}, your gradient", (5, 1))
        if not got.detach().any():
            raise Wrong(f"for {name} your gradient is all zeros, but this loss has one. The "
                        f"weights the check passes do not track gradients (requires_grad is "
                        f"False): compute on a copy that does, "
                        f"weights.detach().clone().requires_grad_().")
        if close_tensors(got, -expected):
            raise Wrong(f"for {name} your gradient has the wrong sign: return weights.grad as "
                        f"backward() leaves it (SGD subtracts it later).")
        expect_close(got, expected, f"for {name}, your gradient", atol=1e-6)
        held = w0.clone().requires_grad_()
        held.grad = torch.ones_like(held)
        got = call(gradient, loss_func, held, xb, yb)
        expect_tensor(got, "for weights whose .grad already holds ones, your gradient", (5, 1))
        if close_tensors(got, expected + 1):
            raise Wrong("for weights whose .grad already held ones, your gradient is 1 too big: "
                        "backward() adds to .grad. Start from weights.detach().clone() "
                        "(or zero .grad).")
        expect_close(got, expected, "for weights whose .grad already holds ones, your gradient",
                     atol=1e-6)
    try:
        got = call(gradient, _accuracy, w0.clone(), xb, yb)
    except RuntimeError as e:
        message = (f"for the accuracy your code raised RuntimeError ({str(e)[:60]}…): the "
                   f"accuracy has no gradient (its requires_grad is False), so return zeros.")
        raise Wrong(message) from None
    expect_tensor(got, "for the accuracy, your gradient", (5, 1))
    if not torch.equal(got.detach(), torch.zeros(5, 1)):
        raise Wrong("for the accuracy your gradient is not all zeros: a loss built with > is flat "
                    "almost everywhere, and autograd cannot differentiate it at all.")
