"The checks of notebook 11's exercises accept the reference solutions and name what is wrong."
import itertools
import statistics
from collections import Counter

import numpy as np
import pytest
import torch
from torch import nn

import checks
import utils
from checking import COUNT_KINDS, NUMBER_KINDS, assert_passes, rejects, returning, status


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


# ---------------------------------------------------------------- 11.2 label_runs

def label_runs(y, bs):
    runs = []
    for batch in y.flatten().split(bs):
        kind = "only 3s" if batch.all() else "only 7s" if not batch.any() else "mixed"
        if runs and runs[-1][0] == kind:
            runs[-1] = (kind, runs[-1][1] + 1)
        else:
            runs.append((kind, 1))
    return runs


def test_label_runs_reference_passes_and_counts_the_sorted_training_set():
    assert status(checks.check_label_runs, label_runs).passed
    y = torch.tensor([1] * 6131 + [0] * 6265).unsqueeze(1)  # the training set's sorted labels
    assert label_runs(y, 256) == [("only 3s", 23), ("mixed", 1), ("only 7s", 25)]


def per_batch(y, bs):
    return [(k, 1) for k, _ in label_runs(y, bs) for _ in range(_)]


def full_batches_only(y, bs):
    y = y.flatten()
    return label_runs(y[:len(y) // bs * bs], bs)


def single_labels(y, bs):
    return label_runs(y, 1)


def kinds_counted(y, bs):
    "Counts each kind of batch with a Counter: the same as the runs until a kind comes back."
    kinds = [k for k, c in label_runs(y, bs) for _ in range(c)]
    return list(Counter(kinds).items())


def test_label_runs_takes_a_kind_back_after_another_as_a_new_run():
    assert label_runs(torch.tensor([1, 1, 0, 0, 1, 1]), 2) == [
        ("only 3s", 1), ("only 7s", 1), ("only 3s", 1)]
    rejects(checks.check_label_runs, kinds_counted, "label_runs(y=[1, 1, 0, 0, 1, 1], bs=2)",
            "the number of batches of each kind", "count runs, not kinds")


@pytest.mark.parametrize("kind", COUNT_KINDS)
def test_label_runs_takes_counts_of_any_integer_kind(kind):
    assert_passes(checks.check_label_runs,
                  lambda y, bs: [(k, COUNT_KINDS[kind](c)) for k, c in label_runs(y, bs)])


def test_label_runs_refuses_counts_that_are_not_whole_numbers():
    rejects(checks.check_label_runs, lambda y, bs: [(k, float(c)) for k, c in label_runs(y, bs)],
            "it should be a whole number (an int)")
    rejects(checks.check_label_runs, lambda y, bs: [(k, str(c)) for k, c in label_runs(y, bs)],
            "should be a number, but it is '2', a str")


@pytest.mark.parametrize("wrong,message", [
    (per_batch, "merge consecutive batches"),
    (full_batches_only, "the last, partial batch counts too"),
    (single_labels, "count batches of"),
    (lambda y, bs: [("3" if k == "only 3s" else k, c) for k, c in label_runs(y, bs)],
     "name the kinds"),
    (lambda y, bs: {"only 3s": 2}, "list of (kind, number of batches) pairs"),
])
def test_label_runs_rejects(wrong, message):
    rejects(checks.check_label_runs, wrong, message)


# ---------------------------------------------------------------- 11.3 epoch_orders

def epoch_orders(n, epochs, reshuffle, generator):
    if reshuffle:
        return [torch.randperm(n, generator=generator) for _ in range(epochs)]
    return [torch.randperm(n, generator=generator)] * epochs


def test_epoch_orders_reference_passes():
    assert status(checks.check_epoch_orders, epoch_orders).passed


@pytest.mark.parametrize("wrong,message", [
    (lambda n, e, r, g: [torch.randperm(n, generator=g)] * e, "the same order every epoch"),
    (lambda n, e, r, g: [torch.randperm(n, generator=g) for _ in range(e)], "reused every epoch"),
    (lambda n, e, r, g: [torch.arange(n)] * e, "not shuffled"),
    (lambda n, e, r, g: epoch_orders(n, e, r, None), "two generators seeded alike"),
    (lambda n, e, r, g: epoch_orders(n, e - 1, r, g), "a list of"),
    (lambda n, e, r, g: [torch.randint(0, n, (n,), generator=g)] * e, "exactly once"),
])
def test_epoch_orders_rejects(wrong, message):
    rejects(checks.check_epoch_orders, wrong, message)


# ---------------------------------------------------------------- 11.4 tie_or_winner

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


@pytest.mark.parametrize("wrong,message", [
    (means_only, "that is a tie"),
    (lambda a, b: {"a": "b", "b": "a", "tie": "tie"}[tie_or_winner(a, b)], "higher wins"),
    (lambda a, b: "tie", "so 'a' wins"),
    (std_spread, "that is a tie"),
    (lambda a, b: tie_or_winner(a, b).upper(), "should return 'a', 'b' or 'tie'"),
])
def test_tie_or_winner_rejects(wrong, message):
    rejects(checks.check_tie_or_winner, wrong, message)


# ---------------------------------------------------------------- 11.5 saved_bytes_per_sample

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
        saved = utils.saved_for_backward(lambda: utils.mnist_loss(net(xb), yb),
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


@pytest.mark.parametrize("kind", NUMBER_KINDS)
@pytest.mark.parametrize("check,reference", [
    (checks.check_throughput, throughput),
    (checks.check_saved_bytes_per_sample, saved_bytes_per_sample)],
    ids=["throughput", "saved_bytes_per_sample"])
def test_a_number_of_any_kind_passes(check, reference, kind):
    assert_passes(check, returning(NUMBER_KINDS[kind], reference))


@pytest.mark.parametrize("check", [checks.check_throughput, checks.check_label_runs,
                                   checks.check_epoch_orders, checks.check_tie_or_winner,
                                   checks.check_saved_bytes_per_sample])
@pytest.mark.parametrize("stub", [lambda *a: None, lambda *a: a[0], lambda *a: 0, lambda *a: 1.0])
def test_no_stub_passes(check, stub):
    assert status(check, stub).status == "wrong"



# ---------------------------------------------------------------- correct, written another way

def throughput_in_numpy(n_samples, timings):
    timed = np.array(timings[1:])
    if not timed.size:
        raise ValueError("only the warm-up epoch was timed")
    return n_samples / np.median(timed)  # np.float64


def label_runs_grouped(y, bs):
    kinds = ["only 3s" if b.all() else "only 7s" if not b.any() else "mixed"
             for b in y.flatten().split(bs)]
    return [(kind, len(list(run))) for kind, run in itertools.groupby(kinds)]


def epoch_orders_as_lists(n, epochs, reshuffle, generator):
    orders = []
    for _ in range(epochs):
        if reshuffle or not orders:
            order = torch.randperm(n, generator=generator).tolist()
        orders.append(list(order))
    return orders


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
    "check_label_runs": label_runs_grouped,
    "check_epoch_orders": epoch_orders_as_lists,
    "check_tie_or_winner": tie_or_winner_in_numpy,
    "check_saved_bytes_per_sample": saved_bytes_layer_by_layer,
}


@pytest.mark.parametrize("name", sorted(OTHER_WAYS))
def test_a_correct_answer_written_another_way_passes(name):
    assert_passes(getattr(checks, name), OTHER_WAYS[name])


def test_every_check_of_09_gets_an_answer_written_another_way():
    assert sorted(OTHER_WAYS) == sorted(n for n, ex in checks.EXERCISES.items()
                                        if ex.notebook == "11")
