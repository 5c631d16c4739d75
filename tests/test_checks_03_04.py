"""The checks of notebooks 03 and 04 accept the reference answers, name what is wrong in others."""
import numpy as np
import pytest
import torch

import checks
from checking import NUMBER_KINDS, assert_passes, assert_wrong, returning


# ---------------------------------------------------------------- notebook 03

def stack_images(images):
    return torch.stack(images).float() / 255


def test_stack_images():
    check = checks.check_stack_images
    assert_passes(check, stack_images)
    assert_passes(check, lambda images: torch.stack(images) / 255)  # true division makes floats
    assert_wrong(check, lambda images: torch.cat(images).float() / 255, "torch.stack adds a new")
    assert_wrong(check, lambda images: torch.stack(images).float(), "divide by 255")
    assert_wrong(check, lambda images: torch.stack(images).double() / 255, "float32")
    assert_wrong(check, lambda images: [i.float() / 255 for i in images], "should be a tensor")


def mnist_distance(a, b):
    return (a - b).abs().mean((-1, -2))


def test_mnist_distance():
    check = checks.check_mnist_distance
    assert_passes(check, mnist_distance)
    assert_wrong(check, lambda a, b: (a - b).abs().mean(), "one distance per image")
    assert_wrong(check, lambda a, b: (a - b).mean((-1, -2)), "absolute value")
    assert_wrong(check, lambda a, b: ((a - b) ** 2).mean((-1, -2)).sqrt(), "RMSE")
    assert_wrong(check, lambda a, b: (a - b).abs(), "one number per pixel")


def to_xy(threes, sevens):
    x = torch.cat([threes, sevens]).view(-1, 28 * 28)
    y = torch.tensor([1] * len(threes) + [0] * len(sevens)).unsqueeze(1)
    return x, y


def test_to_xy():
    check = checks.check_to_xy
    assert_passes(check, to_xy)
    assert_passes(check, lambda t, s: (to_xy(t, s)[0], to_xy(t, s)[1].float()))
    assert_wrong(check, lambda t, s: (to_xy(t, s)[0], to_xy(t, s)[1].flatten()), "unsqueeze(1)")
    assert_wrong(check, lambda t, s: (to_xy(t, s)[0], 1 - to_xy(t, s)[1]), "swapped")
    assert_wrong(check, lambda t, s: (torch.cat([t, s]), to_xy(t, s)[1]), "flatten each image")
    assert_wrong(check, lambda t, s: (to_xy(s, t)[0], to_xy(t, s)[1]), "starts with the 7s")
    assert_wrong(check, lambda t, s: to_xy(t, s)[0], "return a pair")


def pixel_accuracy(threes, sevens, mean3, mean7):
    def is_3(x):
        return mnist_distance(x, mean3) < mnist_distance(x, mean7)
    right = is_3(threes).sum() + (~is_3(sevens)).sum()
    return right.item() / (len(threes) + len(sevens))


def test_pixel_accuracy():
    check = checks.check_pixel_accuracy
    assert_passes(check, pixel_accuracy)

    def averaged(threes, sevens, mean3, mean7):
        is_3 = lambda x: mnist_distance(x, mean3) < mnist_distance(x, mean7)
        return ((is_3(threes).float().mean() + (~is_3(sevens)).float().mean()) / 2).item()

    def sevens_counted_as_threes(threes, sevens, mean3, mean7):
        is_3 = lambda x: mnist_distance(x, mean3) < mnist_distance(x, mean7)
        return (is_3(threes).sum() + is_3(sevens).sum()).item() / (len(threes) + len(sevens))

    def rmse(threes, sevens, mean3, mean7):
        d = lambda x, m: ((x - m) ** 2).mean((-1, -2)).sqrt()
        right = ((d(threes, mean3) < d(threes, mean7)).sum()
                 + (d(sevens, mean7) < d(sevens, mean3)).sum())
        return right.item() / 4   # a wrong count too: divides by half the images

    assert_wrong(check, averaged, "averaged the accuracy")
    assert_wrong(check, sevens_counted_as_threes, "NOT closer to the mean 3")
    assert_wrong(check, rmse, "pixel similarity gets 0.7500 right")
    assert_wrong(check, lambda t, s, m3, m7: torch.tensor([0.75, 0.75]), "one number")


@pytest.mark.parametrize("kind", NUMBER_KINDS)
def test_pixel_accuracy_takes_any_kind_of_number(kind):
    assert_passes(checks.check_pixel_accuracy, returning(NUMBER_KINDS[kind], pixel_accuracy))


def test_the_synthetic_digits_are_not_all_easy():
    threes, sevens, mean3, mean7 = checks.nb03._pixel_data()
    assert pixel_accuracy(threes, sevens, mean3, mean7) == 0.75


# ---------------------------------------------------------------- notebook 04

def init_params(size, std=1.0):
    return (torch.randn(size) * std).requires_grad_()


def test_init_params():
    check = checks.check_init_params
    assert_passes(check, init_params)
    assert_wrong(check, lambda size, std=1.0: torch.randn(size, requires_grad=True) * std,
                 "not a leaf")
    assert_wrong(check, lambda size, std=1.0: torch.randn(size) * std, "requires_grad_()")
    assert_wrong(check, lambda size, std=1.0: (torch.rand(size) * std).requires_grad_(),
                 "torch.rand")
    assert_wrong(check, lambda size, std=1.0: torch.randn(size).requires_grad_(),
                 "standard deviation")
    assert_wrong(check, lambda size, std=1.0: torch.zeros(size).requires_grad_(),
                 "standard deviation")

    def seeded(size, std=1.0):
        torch.manual_seed(0)
        return init_params(size, std)
    assert_wrong(check, seeded, "same numbers")


def test_init_params_check_leaves_the_global_generator_alone():
    torch.manual_seed(1)
    before = torch.randn(3)
    torch.manual_seed(1)
    assert_passes(checks.check_init_params, init_params)
    assert torch.equal(torch.randn(3), before)


def linear(xb, weights, bias):
    return xb @ weights + bias


def test_linear():
    check = checks.check_linear
    assert_passes(check, linear)
    assert_wrong(check, lambda xb, w, b: xb * w.T + b, "shape (5, 6)", "one per image")
    assert_wrong(check, lambda xb, w, b: (xb * w.T).sum() + b, "shape (1,)")
    assert_wrong(check, lambda xb, w, b: xb @ w, "lack the bias")
    assert_wrong(check, lambda xb, w, b: (xb @ w + b).detach(), "don't track gradients")


def mnist_loss(predictions, targets):
    predictions = predictions.sigmoid()
    return torch.where(targets == 1, 1 - predictions, predictions).mean()


def test_mnist_loss():
    check = checks.check_mnist_loss
    assert_passes(check, mnist_loss)
    assert_passes(check, lambda p, t: torch.where(t == 1, 1 - 1 / (1 + torch.exp(-p)),
                                                  1 / (1 + torch.exp(-p))).mean())
    no_sigmoid = lambda p, t: torch.where(t == 1, 1 - p, p).mean()
    assert_wrong(check, no_sigmoid, "not between 0 and 1: did you apply the sigmoid")
    swapped = lambda p, t: torch.where(t == 1, p.sigmoid(), 1 - p.sigmoid()).mean()
    assert_wrong(check, swapped, "swapped")
    summed = lambda p, t: torch.where(t == 1, 1 - p.sigmoid(), p.sigmoid()).sum()
    assert_wrong(check, summed, "summed")
    unreduced = lambda p, t: torch.where(t == 1, 1 - p.sigmoid(), p.sigmoid())
    assert_wrong(check, unreduced, "shape (6, 1)", "one number")
    assert_wrong(check, lambda p, t: mnist_loss(p, t).item(), "no .item()")
    assert_wrong(check, lambda p, t: mnist_loss(p, t).detach(), "doesn't track gradients")


def gradient(loss_func, weights, xb, yb):
    w = weights.detach().clone().requires_grad_()
    loss = loss_func(xb @ w, yb)
    if not loss.requires_grad:
        return torch.zeros_like(weights)
    loss.backward()
    return w.grad


def test_gradient():
    check = checks.check_gradient
    assert_passes(check, gradient)

    def accumulates(loss_func, weights, xb, yb):
        weights.requires_grad_()
        loss = loss_func(xb @ weights, yb)
        if not loss.requires_grad:
            return torch.zeros_like(weights)
        loss.backward()
        return weights.grad

    def crashes_on_accuracy(loss_func, weights, xb, yb):
        w = weights.detach().clone().requires_grad_()
        loss_func(xb @ w, yb).backward()
        return w.grad

    def returns_none_for_accuracy(loss_func, weights, xb, yb):
        w = weights.detach().clone().requires_grad_()
        loss = loss_func(xb @ w, yb)
        if loss.requires_grad:
            loss.backward()
        return w.grad

    def on_weights_that_track_nothing(loss_func, weights, xb, yb):
        weights.grad = None
        loss = loss_func(xb @ weights, yb)
        if not loss.requires_grad:
            return torch.zeros_like(weights)
        loss.backward()
        return weights.grad

    assert_wrong(check, accumulates, "1 too big", "backward() adds to .grad")
    assert_wrong(check, on_weights_that_track_nothing, "all zeros", "requires_grad_()")
    assert_wrong(check, crashes_on_accuracy, "raised RuntimeError", "return zeros")
    assert_wrong(check, returns_none_for_accuracy, "should be a tensor, but it is None")
    assert_wrong(check, lambda *a: -gradient(*a), "wrong sign")


def test_checks_of_03_and_04_are_registered_in_order():
    names = {(ex.notebook, ex.number): ex.function for ex in checks.EXERCISES.values()
             if ex.notebook in ("03", "04")}
    assert names == {("03", 1): "stack_images", ("03", 2): "mnist_distance", ("03", 3): "to_xy",
                     ("03", 4): "pixel_accuracy", ("04", 1): "init_params", ("04", 2): "linear",
                     ("04", 3): "mnist_loss", ("04", 4): "gradient"}


# ---------------------------------------------------------------- correct, written another way

def stack_images_in_numpy(images):
    return torch.from_numpy(np.stack([i.numpy() for i in images]).astype(np.float32) / 255)


def pixel_accuracy_in_numpy(threes, sevens, mean3, mean7):
    def is_3(x):
        return (np.abs(x.numpy() - mean3.numpy()).mean((-1, -2))
                < np.abs(x.numpy() - mean7.numpy()).mean((-1, -2)))
    return np.concatenate([is_3(threes), ~is_3(sevens)]).mean()  # np.float64


def linear_row_by_row(xb, weights, bias):
    return torch.stack([(row * weights[:, 0]).sum() for row in xb]).unsqueeze(1) + bias


def mnist_loss_by_arithmetic(predictions, targets):
    s = predictions.sigmoid()
    return (targets * (1 - s) + (1 - targets) * s).mean()


def gradient_with_autograd_grad(loss_func, weights, xb, yb):
    w = weights.detach().requires_grad_()
    loss = loss_func(xb @ w, yb)
    if not loss.requires_grad:
        return torch.zeros_like(w)
    return torch.autograd.grad(loss, w)[0]


OTHER_WAYS = {
    "check_stack_images": stack_images_in_numpy,
    "check_mnist_distance": lambda a, b: (a.double() - b.double()).abs().mean(-1).mean(-1),
    "check_to_xy": lambda t, s: (torch.cat([t.flatten(1), s.flatten(1)]),
                                 torch.cat([torch.ones(len(t), 1), torch.zeros(len(s), 1)])),
    "check_pixel_accuracy": pixel_accuracy_in_numpy,
    "check_init_params": lambda size, std=1.0: torch.empty(size).normal_(0, std).requires_grad_(),
    "check_linear": linear_row_by_row,
    "check_mnist_loss": mnist_loss_by_arithmetic,
    "check_gradient": gradient_with_autograd_grad,
}


@pytest.mark.parametrize("name", sorted(OTHER_WAYS))
def test_a_correct_answer_written_another_way_passes(name):
    assert_passes(getattr(checks, name), OTHER_WAYS[name])


def test_every_check_of_03_and_04_gets_an_answer_written_another_way():
    assert sorted(OTHER_WAYS) == sorted(n for n, ex in checks.EXERCISES.items()
                                        if ex.notebook in ("03", "04"))
