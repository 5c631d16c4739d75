"""The checks of notebook 07 accept the reference solutions, answers written differently, and name
each plausible mistake."""
import math
import statistics

import numpy as np
import pytest
import torch

import checks
from checking import COUNT_KINDS, NUMBER_KINDS, assert_passes, assert_wrong, returning, status


# ---------------------------------------------------------------- 07.1 samples_per_second

def samples_per_second(n_samples, seconds):
    return n_samples / np.median(seconds)


def samples_per_second_by_hand(n_samples, seconds):
    "The median by sorting, in plain Python."
    s = sorted(float(t) for t in seconds)
    mid = len(s) // 2
    median = s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2
    return n_samples / median


def test_samples_per_second_accepts_the_reference_and_a_median_by_hand():
    assert_passes(checks.check_samples_per_second, samples_per_second)
    assert_passes(checks.check_samples_per_second, samples_per_second_by_hand)
    assert_passes(checks.check_samples_per_second,
                  lambda n, s: n / statistics.median(list(s)))
    assert_passes(checks.check_samples_per_second,
                  lambda n, s: torch.tensor(n, dtype=torch.float64) / torch.tensor(
                      np.asarray(s, dtype=np.float64)).quantile(0.5))


@pytest.mark.parametrize("kind", NUMBER_KINDS)
def test_samples_per_second_takes_one_number_of_any_kind(kind):
    assert_passes(checks.check_samples_per_second,
                  returning(NUMBER_KINDS[kind], samples_per_second_by_hand))


@pytest.mark.parametrize("wrong,message", [
    (lambda n, s: n / statistics.mean(s), "you took the mean"),
    (lambda n, s: n / sum(s), "the seconds of all the epochs together"),
    (lambda n, s: n / min(s), "you used the fastest epoch"),
    (lambda n, s: np.median(s) / n, "not the other way round"),
    (lambda n, s: n / sorted(s)[len(s) // 2], "the mean of the two middle ones"),
    (lambda n, s: n * np.median(s), "divide the number of samples by the median"),
    (lambda n, s: [n / np.median(s)], "should be one number"),
])
def test_samples_per_second_rejects(wrong, message):
    assert_wrong(checks.check_samples_per_second, wrong, message)


# ---------------------------------------------------------------- 07.2 largest_batch

def largest_batch(budget, per_sample, fixed):
    return max(0, (budget - fixed) // per_sample)


def largest_batch_by_counting(budget, per_sample, fixed):
    "Grow B one sample at a time, then leap: a loop, returning a NumPy integer."
    b = 0
    step = 1 << 40
    while step:
        if fixed + per_sample * (b + step) <= budget:
            b += step
        else:
            step //= 2
    return np.int64(b)


def test_largest_batch_accepts_the_reference_and_a_search():
    assert_passes(checks.check_largest_batch, largest_batch)
    assert_passes(checks.check_largest_batch, largest_batch_by_counting)
    assert_passes(checks.check_largest_batch,
                  lambda m, p, f: int(max(0, math.floor((m - f) / p))))


@pytest.mark.parametrize("kind", COUNT_KINDS)
def test_largest_batch_takes_a_count_of_any_integer_kind(kind):
    assert_passes(checks.check_largest_batch, returning(COUNT_KINDS[kind], largest_batch))


@pytest.mark.parametrize("wrong,message", [
    (lambda m, p, f: (m - f) // p, "not a negative number"),
    (lambda m, p, f: max(0, m // p), "leave room for the fixed part"),
    (lambda m, p, f: max(0, math.ceil((m - f) / p) + ((m - f) % p == 0)), "Round down"),
    (lambda m, p, f: max(0, (m - f - 1) // p), "fills the budget exactly still fits"),
    (lambda m, p, f: max(0, (m - f) / p), "should be a whole number (an int)"),
    (lambda m, p, f: max(0, (m + f) // p), "a step needs fixed + per_sample * B bytes"),
    (lambda m, p, f: max(0, (m - f) // p - 2), "find the largest"),
])
def test_largest_batch_rejects(wrong, message):
    assert_wrong(checks.check_largest_batch, wrong, message)


# ---------------------------------------------------------------- 07.3 output_gradients

def output_gradients(z, y):
    s = z.sigmoid()
    return torch.where(y == 1, -s * (1 - s), s * (1 - s)) / len(z)


def output_gradients_numpy_loop(z, y):
    "Element by element, with math, returned as a float64 NumPy array."
    out = np.zeros(tuple(z.shape))
    for i in range(len(z)):
        s = 1 / (1 + math.exp(-float(z[i, 0])))
        out[i, 0] = (-1 if int(y[i, 0]) == 1 else 1) * s * (1 - s) / len(z)
    return out


def output_gradients_autograd(z, y):
    import utils
    z = z.clone().requires_grad_()
    utils.mnist_loss(z, y).backward()
    return z.grad


def test_output_gradients_accepts_the_reference_a_loop_and_autograd():
    assert_passes(checks.check_output_gradients, output_gradients)
    assert_passes(checks.check_output_gradients, output_gradients_numpy_loop)
    assert_passes(checks.check_output_gradients, output_gradients_autograd)
    assert_passes(checks.check_output_gradients,
                  lambda z, y: output_gradients(z.double(), y).float())


@pytest.mark.parametrize("wrong,message", [
    (lambda z, y: output_gradients(z, y) * len(z), "times too large"),
    (lambda z, y: -output_gradients(z, y), "the wrong sign"),
    (lambda z, y: torch.where(y == 1, -z.sigmoid(), z.sigmoid()) / len(z), "not s."),
    (lambda z, y: output_gradients(z, y) / len(z), "divide it by the batch size once"),
    (lambda z, y: output_gradients(z, y).flatten(), "give it the shape of z"),
    (lambda z, y: output_gradients(z, y)[:2], "one gradient per output"),
    (lambda z, y: output_gradients(z, y).tolist(), "should return a tensor"),
    (lambda z, y: z.sigmoid() * (1 - z.sigmoid()) / len(z), "is off by up to"),
])
def test_output_gradients_rejects(wrong, message):
    assert_wrong(checks.check_output_gradients, wrong, message)


# ---------------------------------------------------------------- 07.4 shuffle_orders

def shuffle_orders(n, epochs, reshuffle, generator):
    if reshuffle:
        return [torch.randperm(n, generator=generator) for _ in range(epochs)]
    order = torch.randperm(n, generator=generator)
    return [order] * epochs


def shuffle_orders_argsort(n, epochs, reshuffle, generator):
    "Other permutations than randperm's (argsort of uniform draws), as lists: still correct."
    draw = lambda: torch.rand(n, generator=generator).argsort().tolist()
    if reshuffle:
        return [draw() for _ in range(epochs)]
    once = draw()
    return [list(once) for _ in range(epochs)]


def shuffle_orders_numpy(n, epochs, reshuffle, generator):
    "A NumPy generator seeded from the torch one: arrays, and a tuple of them."
    rng = np.random.default_rng(int(torch.randint(0, 2**31, (1,), generator=generator)))
    orders = [rng.permutation(n) for _ in range(epochs if reshuffle else 1)]
    return tuple(orders if reshuffle else orders * epochs)


def test_shuffle_orders_accepts_any_correct_permutations():
    assert_passes(checks.check_shuffle_orders, shuffle_orders)
    assert_passes(checks.check_shuffle_orders, shuffle_orders_argsort)
    assert_passes(checks.check_shuffle_orders, shuffle_orders_numpy)


def global_rng(n, epochs, reshuffle, generator):
    return shuffle_orders(n, epochs, reshuffle, None)


def own_generator(n, epochs, reshuffle, generator):
    return shuffle_orders(n, epochs, reshuffle, torch.Generator().manual_seed(0))


def repeats_some(n, epochs, reshuffle, generator):
    orders = shuffle_orders(n, epochs, reshuffle, generator)
    return [orders[0]] + orders[:-1] if reshuffle else orders


@pytest.mark.parametrize("wrong,message", [
    (lambda n, e, r, g: shuffle_orders(n, e, False, g), "every epoch repeats the order before it"),
    (repeats_some, "some epoch repeats the order before it"),
    (lambda n, e, r, g: shuffle_orders(n, e, True, g), "reused every epoch"),
    (lambda n, e, r, g: [torch.arange(n)] * e, "not shuffled"),
    (global_rng, "two generators seeded alike gave different orders"),
    (own_generator, "generators seeded differently gave the same orders"),
    (lambda n, e, r, g: shuffle_orders(n, e - 1, r, g), "a list of"),
    (lambda n, e, r, g: [torch.randint(0, n, (n,), generator=g)] * e, "exactly once"),
    (lambda n, e, r, g: [torch.randperm(n, generator=g).float()] * e, "exactly once"),
    (lambda n, e, r, g: [{"order": 1}] * e, "should be a tensor or list of indices"),
])
def test_shuffle_orders_rejects(wrong, message):
    assert_wrong(checks.check_shuffle_orders, wrong, message)


def test_the_checks_are_registered_for_notebook_07():
    names = {name for name, ex in checks.EXERCISES.items() if ex.notebook == "07"}
    assert names == {"check_samples_per_second", "check_largest_batch", "check_output_gradients",
                     "check_shuffle_orders"}
    assert status(checks.check_shuffle_orders, None).status == "not attempted"


# For tests/test_alternative_answers.py: each check of notebook 07, with a correct answer written
# differently from the reference solution.
ALTERNATIVES_07 = {
    "check_samples_per_second": samples_per_second_by_hand,
    "check_largest_batch": largest_batch_by_counting,
    "check_output_gradients": output_gradients_numpy_loop,
    "check_shuffle_orders": shuffle_orders_argsort,
}
