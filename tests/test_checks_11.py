"The checks of notebook 11's exercises accept the reference solutions and name what is wrong."
import statistics

import numpy as np
import pytest
import torch
from torch import nn

import checks
import utils
import hardware
from checking import NUMBER_KINDS, assert_passes, rejects, returning, status


# ---------------------------------------------------------------- 11.1 throughput

def throughput(n_samples, timings):
    if len(timings) < 2:
        raise ValueError("time at least one epoch after the warm-up")
    return n_samples / statistics.median(timings[1:])


def test_throughput_reference_passes():
    assert status(checks.check_throughput, throughput).passed


@pytest.mark.parametrize("wrong,message", [
    (lambda n, t: n / statistics.mean(t[1:]), "you took the mean"),
    (lambda n, t: n / statistics.median(t), "the first timing is the warm-up"),
    (lambda n, t: n / min(t[1:]), "you used the fastest epoch"),
    (lambda n, t: statistics.median(t[1:]) / n, "not the other way round"),
    (lambda n, t: n / sorted(t[1:])[len(t[1:]) // 2], "the mean of the two middle ones"),
    (lambda n, t: n / statistics.median(t[1:] or [1.0]), "should raise ValueError"),
])
def test_throughput_rejects(wrong, message):
    rejects(checks.check_throughput, wrong, message)


# ---------------------------------------------------------------- 11.2 tie_or_winner

def tie_or_winner(a, b):
    spread = max(max(a) - min(a), max(b) - min(b))
    diff = sum(a) / len(a) - sum(b) / len(b)
    if abs(diff) <= spread:
        return "tie"
    return "a" if diff > 0 else "b"


def test_tie_or_winner_reference_passes():
    assert status(checks.check_tie_or_winner, tie_or_winner).passed


def means_only(a, b):
    return "a" if sum(a) / len(a) > sum(b) / len(b) else "b"


def std_spread(a, b):
    spread = max(statistics.pstdev(a), statistics.pstdev(b))
    diff = statistics.mean(a) - statistics.mean(b)
    return "tie" if abs(diff) <= spread else "a" if diff > 0 else "b"


def strict_tie(a, b):
    "The tie rule with < instead of <=: a gap of exactly the spread would be a winner."
    spread = max(max(a) - min(a), max(b) - min(b))
    diff = sum(a) / len(a) - sum(b) / len(b)
    return "tie" if abs(diff) < spread else "a" if diff > 0 else "b"


@pytest.mark.parametrize("wrong,message", [
    (means_only, "that is a tie"),
    (lambda a, b: {"a": "b", "b": "a", "tie": "tie"}[tie_or_winner(a, b)], "higher wins"),
    (lambda a, b: "tie", "so 'a' wins"),
    (std_spread, "that is a tie"),
    (lambda a, b: tie_or_winner(a, b).upper(), "should return 'a', 'b' or 'tie'"),
    (strict_tie, "equality included"),
])
def test_tie_or_winner_rejects(wrong, message):
    rejects(checks.check_tie_or_winner, wrong, message)


# ---------------------------------------------------------------- 11.3 saved_bytes_per_sample

def saved_bytes_per_sample(sizes):
    return 4 * (sum(sizes[:-1]) + 1) + 1


def test_saved_bytes_reference_passes_and_matches_autograd():
    assert status(checks.check_saved_bytes_per_sample, saved_bytes_per_sample).passed
    for kind in (np.int64, torch.tensor, float):  # numpy's and torch's scalars are numbers too
        assert status(checks.check_saved_bytes_per_sample,
                      lambda s: kind(saved_bytes_per_sample(s))).passed
    for sizes in ([784, 30, 1], [784, 100, 50, 1]):
        layers = [m for a, b in zip(sizes, sizes[1:]) for m in (nn.Linear(a, b), nn.ReLU())][:-1]
        net = nn.Sequential(*layers)
        xb, yb = torch.rand(16, sizes[0]), torch.randint(0, 2, (16, 1))
        saved = hardware.saved_for_backward(lambda: utils.mnist_loss(net(xb), yb),
                                         exclude=net.parameters())
        assert sum(t.nbytes for t in saved) == 16 * saved_bytes_per_sample(sizes)


@pytest.mark.parametrize("wrong,message", [
    (lambda s: 4 * (sum(s[:-1]) + 1), "one bool (1 byte)"),
    (lambda s: 8 * (sum(s[:-1]) + 1) + 1, "float32, 4 bytes"),
    (lambda s: 4 * (s[0] + 2 * sum(s[1:-1]) + 1) + 1, "saved once"),
    (lambda s: 4 * (sum(s[1:-1]) + 1) + 1, "the batch itself"),
    (lambda s: 4 * sum(s[:-1]) + 1, "the sigmoid keeps its output"),
    (lambda s: saved_bytes_per_sample(s) + 4 * sum(a * b + b for a, b in zip(s, s[1:])),
     "parameters"),
    (lambda s: str(saved_bytes_per_sample(s)), "should be a number"),
])
def test_saved_bytes_rejects(wrong, message):
    rejects(checks.check_saved_bytes_per_sample, wrong, message)


# ---------------------------------------------------------------- 11.4 largest_batch

def largest_batch(peak_bytes, budget):
    best, bs = None, 1
    while peak_bytes(bs) <= budget:
        best, bs = bs, 2 * bs
    return best


def largest_batch_listed(peak_bytes, budget):
    "Measures the sizes one by one from a list, and stops at the first that does not fit."
    fits = []
    for bs in (2**i for i in range(64)):
        if peak_bytes(np.int64(bs)) > budget:
            break
        fits.append(bs)
    return np.int64(fits[-1]) if fits else None


def test_largest_batch_reference_passes():
    assert_passes(checks.check_largest_batch_by_doubling, largest_batch)


def first_that_fails(peak_bytes, budget):
    bs = 1
    while peak_bytes(bs) <= budget:
        bs *= 2
    return bs if bs > 1 else None


def strict_budget(peak_bytes, budget):
    best, bs = None, 1
    while peak_bytes(bs) < budget:
        best, bs = bs, 2 * bs
    return best


def measures_too_far(peak_bytes, budget):
    fits = [bs for bs in (2**i for i in range(40)) if peak_bytes(bs) <= budget]
    return max(fits) if fits else None


def zero_when_nothing_fits(peak_bytes, budget):
    return largest_batch(peak_bytes, budget) or 0


@pytest.mark.parametrize("wrong,message", [
    (first_that_fails, "the first size that does NOT fit"),
    (strict_budget, "needs exactly the budget"),
    (measures_too_far, "stop at the first size that fails"),
    (zero_when_nothing_fits, "return None when nothing fits"),
    (lambda peak_bytes, budget: budget // 3504, "never called peak_bytes"),
])
def test_largest_batch_rejects(wrong, message):
    rejects(checks.check_largest_batch_by_doubling, wrong, message)


@pytest.mark.parametrize("kind", NUMBER_KINDS)
@pytest.mark.parametrize("check,reference", [
    (checks.check_throughput, throughput),
    (checks.check_saved_bytes_per_sample, saved_bytes_per_sample)],
    ids=["throughput", "saved_bytes_per_sample"])
def test_a_number_of_any_kind_passes(check, reference, kind):
    assert_passes(check, returning(NUMBER_KINDS[kind], reference))


@pytest.mark.parametrize("check", [checks.check_throughput, checks.check_tie_or_winner,
                                   checks.check_saved_bytes_per_sample,
                                   checks.check_largest_batch_by_doubling])
@pytest.mark.parametrize("stub", [lambda *a: None, lambda *a: a[0], lambda *a: 0, lambda *a: 1.0])
def test_no_stub_passes(check, stub):
    assert status(check, stub).status == "wrong"



# ---------------------------------------------------------------- correct, written another way

def throughput_in_numpy(n_samples, timings):
    timed = np.array(timings[1:])
    if not timed.size:
        raise ValueError("only the warm-up epoch was timed")
    return n_samples / np.median(timed)  # np.float64


def tie_or_winner_in_numpy(a, b):
    spread = max(np.ptp(a), np.ptp(b))
    diff = np.mean(a) - np.mean(b)
    return "tie" if abs(diff) <= spread else ("a" if diff > 0 else "b")


def saved_bytes_layer_by_layer(sizes):
    total = 0
    for n_in in sizes[:-1]:  # each Linear keeps its input; a ReLU's output is the next input
        total += 4 * n_in
    return total + 4 + 1  # the sigmoid's output, and torch.where's bool


OTHER_WAYS = {
    "check_throughput": throughput_in_numpy,
    "check_tie_or_winner": tie_or_winner_in_numpy,
    "check_saved_bytes_per_sample": saved_bytes_layer_by_layer,
    "check_largest_batch_by_doubling": largest_batch_listed,
}


@pytest.mark.parametrize("name", sorted(OTHER_WAYS))
def test_a_correct_answer_written_another_way_passes(name):
    assert_passes(getattr(checks, name), OTHER_WAYS[name])


def test_every_check_of_11_gets_an_answer_written_another_way():
    assert sorted(OTHER_WAYS) == sorted(n for n, ex in checks.EXERCISES.items()
                                        if ex.notebook == "11")
