"""The checks of notebook 05 accept the reference solutions and name each plausible mistake."""

import numpy as np
import pytest
import torch

import checks
import utils
from checking import NUMBER_KINDS, assert_passes, assert_wrong, returning, status


# ---------------------------------------------------------------- 05.1 sgd_update

def sgd_update(params, lr):
    for p in params:
        p.data -= lr * p.grad
        p.grad.zero_()


def sgd_update_no_grad(params, lr):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None


def test_sgd_update_accepts_the_reference_and_its_no_grad_variant():
    assert status(checks.check_sgd_update, sgd_update).status == "passed"
    assert status(checks.check_sgd_update, sgd_update_no_grad).status == "passed"


def test_sgd_update_catches_a_forgotten_zero_grad():
    def forgot(params, lr):
        for p in params:
            p.data -= lr * p.grad
    assert_wrong(checks.check_sgd_update, forgot, "gradients are still there")


def test_sgd_update_catches_the_wrong_sign():
    def up(params, lr):
        for p in params:
            p.data += lr * p.grad
            p.grad.zero_()
    assert_wrong(checks.check_sgd_update, up, "*up* the gradient")


def test_sgd_update_catches_new_tensors_instead_of_in_place():
    def new_tensors(params, lr):
        return [p - lr * p.grad for p in params]
    assert_wrong(checks.check_sgd_update, new_tensors, "in place")

    def rebinds(params, lr):
        for p in params:
            p = p.detach() - lr * p.grad
    assert_wrong(checks.check_sgd_update, rebinds, "did not change")


def test_sgd_update_catches_an_ignored_lr_and_autograds_refusal():
    def no_lr(params, lr):
        for p in params:
            p.data -= p.grad
            p.grad.zero_()
    assert_wrong(checks.check_sgd_update, no_lr, "multiply it by lr")

    def in_place_on_leaf(params, lr):
        for p in params:
            p -= lr * p.grad
    assert_wrong(checks.check_sgd_update, in_place_on_leaf, "torch.no_grad()")


# ---------------------------------------------------------------- 05.2 SimpleOptim

class SimpleOptim:
    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    def step(self):
        for p in self.params:
            p.data -= self.lr * p.grad

    def zero_grad(self):
        for p in self.params:
            p.grad = None


def test_simple_optim_accepts_the_reference_and_utils_basic_optim():
    import utils
    assert status(checks.check_SimpleOptim, SimpleOptim).status == "passed"
    assert status(checks.check_SimpleOptim, utils.BasicOptim).status == "passed"


def test_simple_optim_catches_a_stored_generator():
    class KeepsGenerator(SimpleOptim):
        def __init__(self, params, lr):
            self.params, self.lr = params, lr
    assert_wrong(checks.check_SimpleOptim, KeepsGenerator, "list(params)")


def test_simple_optim_catches_a_zero_grad_that_clears_nothing():
    class NoZero(SimpleOptim):
        def zero_grad(self):
            pass
    assert_wrong(checks.check_SimpleOptim, NoZero, "after zero_grad() the gradients")


def test_simple_optim_catches_the_wrong_sign_and_a_missing_lr():
    class Up(SimpleOptim):
        def step(self):
            for p in self.params:
                p.data += self.lr * p.grad
    assert_wrong(checks.check_SimpleOptim, Up, "*up* the gradient")

    class NoLr(SimpleOptim):
        def step(self):
            for p in self.params:
                p.data -= p.grad
    assert_wrong(checks.check_SimpleOptim, NoLr, "ignores the learning rate")


def test_simple_optim_catches_something_that_is_not_an_optimiser():
    assert_wrong(checks.check_SimpleOptim, lambda params, lr: list(params), ".step()")


# ---------------------------------------------------------------- 05.3 image_accuracy

def image_accuracy(model, dl):
    correct, total = 0, 0
    with torch.no_grad():
        for xb, yb in dl:
            correct += ((model(xb).sigmoid() > 0.5) == yb).sum().item()
            total += len(yb)
    return correct / total


def test_image_accuracy_accepts_the_reference_rounded_or_as_a_tensor():
    assert status(checks.check_image_accuracy, image_accuracy).status == "passed"
    assert status(checks.check_image_accuracy,
                  lambda m, dl: round(image_accuracy(m, dl), 4)).status == "passed"
    assert status(checks.check_image_accuracy,
                  lambda m, dl: torch.tensor(image_accuracy(m, dl))).status == "passed"


@pytest.mark.parametrize("kind", NUMBER_KINDS)
def test_image_accuracy_takes_any_kind_of_number(kind):
    assert_passes(checks.check_image_accuracy, returning(NUMBER_KINDS[kind], image_accuracy))


def test_image_accuracy_catches_the_unweighted_mean_of_batches():
    def unweighted(model, dl):
        with torch.no_grad():
            accs = [((model(xb).sigmoid() > 0.5) == yb).float().mean() for xb, yb in dl]
        return torch.stack(accs).mean().item()
    assert_wrong(checks.check_image_accuracy, unweighted, "mean of the batch accuracies")


def test_image_accuracy_catches_a_missing_sigmoid():
    def raw(model, dl):
        with torch.no_grad():
            right = [((model(xb) > 0.5) == yb).float() for xb, yb in dl]
        return torch.cat(right).mean().item()
    assert_wrong(checks.check_image_accuracy, raw, "*sigmoid*")


def test_image_accuracy_catches_a_list_of_batch_accuracies():
    def per_batch(model, dl):
        with torch.no_grad():
            return [((model(xb).sigmoid() > 0.5) == yb).float().mean().item() for xb, yb in dl]
    assert_wrong(checks.check_image_accuracy, per_batch, "your accuracy should be one number",
                 "a list")


# ---------------------------------------------------------------- 05.4 collapse_linear

def collapse_linear(w1, b1, w2, b2):
    return w1 @ w2, b1 @ w2 + b2


def test_collapse_linear_accepts_the_reference():
    assert status(checks.check_collapse_linear, collapse_linear).status == "passed"


def test_collapse_linear_catches_a_bias_that_skips_the_second_layer():
    assert_wrong(checks.check_collapse_linear, lambda w1, b1, w2, b2: (w1 @ w2, b2), "b1 @ w2")


def test_collapse_linear_catches_a_sum_of_biases():
    assert_wrong(checks.check_collapse_linear, lambda w1, b1, w2, b2: (w1 @ w2, b1 + b2), "b1 + b2")


def test_collapse_linear_catches_a_transposed_weight():
    assert_wrong(checks.check_collapse_linear,
                 lambda w1, b1, w2, b2: ((w1 @ w2).T, b1 @ w2 + b2), "should have shape")


@pytest.mark.parametrize("check", [checks.check_sgd_update, checks.check_SimpleOptim,
                                   checks.check_image_accuracy, checks.check_collapse_linear])
def test_each_check_runs_well_under_a_second(check):
    import time
    refs = {"sgd_update": sgd_update, "SimpleOptim": SimpleOptim,
            "image_accuracy": image_accuracy, "collapse_linear": collapse_linear}
    start = time.perf_counter()
    assert status(check, refs[check.exercise.function]).passed
    assert time.perf_counter() - start < 1.0  # each takes milliseconds; the margin is for a busy CI


# ---------------------------------------------------------------- correct, written another way

def sgd_update_with_add_(params, lr):
    for p in params:
        p.data.add_(p.grad, alpha=-lr)
        p.grad = None


class OptimWithNoGrad:
    def __init__(self, params, lr):
        self.params, self.lr = tuple(params), lr

    @torch.no_grad()
    def step(self):
        for p in self.params:
            p.sub_(self.lr * p.grad)

    def zero_grad(self):
        for p in self.params:
            p.grad.zero_()


def image_accuracy_in_numpy(model, dl):
    with torch.no_grad():
        right = [((model(xb).sigmoid() > 0.5) == yb).numpy().ravel() for xb, yb in dl]
    return np.concatenate(right).mean()  # np.float64


def collapse_linear_by_hand(w1, b1, w2, b2):
    w = torch.einsum("ij,jk->ik", w1.double(), w2.double())
    b = b2.double() + sum(b1[j].double() * w2[j].double() for j in range(len(b1)))
    return w, b


OTHER_WAYS = {
    "check_train_epoch": lambda model, dl, opt: [
        (utils.calc_grad(xb, yb, model), opt.step(), opt.zero_grad()) for xb, yb in dl],
    "check_sgd_update": sgd_update_with_add_,
    "check_SimpleOptim": OptimWithNoGrad,
    "check_image_accuracy": image_accuracy_in_numpy,
    "check_collapse_linear": collapse_linear_by_hand,
}


@pytest.mark.parametrize("name", sorted(OTHER_WAYS))
def test_a_correct_answer_written_another_way_passes(name):
    assert_passes(getattr(checks, name), OTHER_WAYS[name])


def test_every_check_of_05_gets_an_answer_written_another_way():
    assert sorted(OTHER_WAYS) == sorted(n for n, ex in checks.EXERCISES.items()
                                        if ex.notebook == "05")


# ---------------------------------------------------------------- 05.5 train_epoch

def train_epoch_with_calc_grad(model, dl, opt):
    for xb, yb in dl:
        utils.calc_grad(xb, yb, model)
        opt.step()
        opt.zero_grad()


def train_epoch_zero_first(model, dl, opt):
    "PyTorch's usual order: zero, backward, step. Just as right."
    for batch in dl:
        opt.zero_grad()
        xb, yb = batch
        loss = utils.mnist_loss(model(xb), yb)
        loss.backward()
        opt.step()


def test_train_epoch_accepts_the_book_loop_and_pytorchs_order():
    assert_passes(checks.check_train_epoch, train_epoch_with_calc_grad)
    assert_passes(checks.check_train_epoch, train_epoch_zero_first)
    assert_passes(checks.check_train_epoch, utils.train_epoch)


def test_train_epoch_catches_a_step_outside_the_loop():
    def once(model, dl, opt):
        for xb, yb in dl:
            utils.calc_grad(xb, yb, model)
        opt.step()
        opt.zero_grad()
    assert_wrong(checks.check_train_epoch, once, "called opt.step() once")


def test_train_epoch_catches_gradients_never_zeroed():
    def no_zero(model, dl, opt):
        for xb, yb in dl:
            utils.calc_grad(xb, yb, model)
            opt.step()
    assert_wrong(checks.check_train_epoch, no_zero, "opt.zero_grad() ran 0 times")


def test_train_epoch_catches_another_loss():
    def squared(model, dl, opt):
        for xb, yb in dl:
            ((model(xb).sigmoid() - yb) ** 2).mean().backward()
            opt.step()
            opt.zero_grad()
    assert_wrong(checks.check_train_epoch, squared, "differ from the book's loop")
