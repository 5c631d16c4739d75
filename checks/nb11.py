"Checks for the exercises of notebook 11, Throughput, memory and shuffling."
import math
from collections import Counter

import torch

from . import Exercise, Wrong, as_number, call, exercise

__all__ = ["check_throughput", "check_label_runs", "check_epoch_orders", "check_tie_or_winner", "check_saved_bytes_per_sample"]


def _nb11_median(values):
    v = sorted(values)
    return (v[(len(v) - 1) // 2] + v[len(v) // 2]) / 2


@exercise("11", 1, "throughput")
def check_throughput(throughput):
    "Exercise 11.1: samples per second from epoch timings, the first a warm-up: n / median of rest."
    cases = [(1000, [5.0, 2.0, 4.0, 8.0]), (4096, [0.9, 0.5, 0.25, 1.0, 2.0]), (12396, [0.4, 0.2])]
    for n, timings in cases:
        got = as_number(call(throughput, n, timings), f"throughput({n}, {timings})")
        timed = sorted(timings[1:])
        want = n / _nb11_median(timed)
        if math.isclose(got, want, rel_tol=1e-6):
            continue
        hint = f"throughput({n}, {timings}) is {got:.6g}, but it should be {want:.6g}"
        if math.isclose(got * sum(timed) / len(timed), n, rel_tol=1e-6):
            raise Wrong(f"{hint}: you took the mean of the timed epochs. Take their median: "
                        "one slow "
                        f"epoch (another program, a garbage collection) would drag the mean.")
        if math.isclose(got * _nb11_median(timings), n, rel_tol=1e-6):
            raise Wrong(f"{hint}: the first timing is the warm-up epoch; leave it out, "
                        "as time_it does.")
        if math.isclose(got * timed[0], n, rel_tol=1e-6):
            raise Wrong(f"{hint}: you used the fastest epoch. Take the median of the timed epochs.")
        if math.isclose(got, _nb11_median(timed) / n, rel_tol=1e-6):
            raise Wrong(f"{hint}: samples per second is the number of samples divided by "
                        "the seconds "
                        f"an epoch takes, not the other way round.")
        if math.isclose(got * timed[len(timed) // 2], n, rel_tol=1e-6):
            raise Wrong(f"{hint}: with an even number of timings the median is the mean of the two "
                        f"middle ones.")
        raise Wrong(f"{hint}: divide the number of samples by the median of timings[1:].")
    try:
        call(throughput, 100, [1.0])
    except ValueError:
        pass
    else:
        raise Wrong("throughput(100, [1.0]) should raise ValueError: with only the warm-up "
                    "epoch timed "
                    "there is nothing to take the median of.")


def _kinds_of_batches(y, bs):
    y = torch.as_tensor(y).flatten()
    kinds = ["only 3s" if b.all() else "only 7s" if not b.any() else "mixed" for b in y.split(bs)]
    runs = []
    for kind in kinds:
        if runs and runs[-1][0] == kind:
            runs[-1] = (kind, runs[-1][1] + 1)
        else:
            runs.append((kind, 1))
    return kinds, runs


@exercise("11", 2, "label_runs")
def check_label_runs(label_runs):
    "Exercise 11.2: runs of consecutive batches of the same kind ('only 3s', 'only 7s', 'mixed')."
    cases = [(torch.tensor([1] * 10 + [0] * 7).unsqueeze(1), 4),  # (n, 1), like train_y
             (torch.tensor([1, 0] * 6), 3),
             (torch.tensor([0] * 5 + [1] * 3), 4),
             (torch.tensor([1] * 8).unsqueeze(1), 3),
             (torch.tensor([1, 1, 0, 0, 1, 1]), 2),  # a kind comes back: a new run
             (torch.tensor([1] * 4 + [0] * 8 + [1] * 4 + [0, 1]).unsqueeze(1), 4)]
    for y, bs in cases:
        kinds, want = _kinds_of_batches(y, bs)
        got = call(label_runs, y, bs)
        label = f"label_runs(y={y.flatten().tolist()}, bs={bs})"
        if not isinstance(got, (list, tuple)) or not all(
                isinstance(r, (list, tuple)) and len(r) == 2
                for r in got):
            raise Wrong(f"{label} should return a list of (kind, number of batches) pairs, "
                        f"but it returns {got!r}.")
        if not all(isinstance(kind, str) for kind, _ in got):
            raise Wrong(f"{label} returns {got!r:.80}: name the kinds with the strings 'only 3s', "
                        f"'only 7s' and 'mixed'.")
        got = [(kind, as_number(count, f"the number of batches of {label}'s run {i}",
                                whole=True)) for i, (kind, count) in enumerate(got)]
        if got == want:
            continue
        if {k for k, _ in got} - {"only 3s", "only 7s", "mixed"}:
            raise Wrong(f"{label} returns {got}: name the kinds 'only 3s', 'only 7s' and 'mixed'.")
        totals = Counter(kinds)
        if len(got) == len(totals) and dict(got) == totals:
            raise Wrong(f"{label} returns {got}, the number of batches of each kind, but it "
                        f"should be {want}: count runs, not kinds. A run is a stretch of "
                        f"consecutive batches of one kind, so a kind that comes back after another "
                        f"starts a new run.")
        if sum(c for _, c in got) == len(y) // bs and len(y) % bs:
            raise Wrong(f"{label} returns {got}, but it should be {want}: the last, partial batch "
                        f"counts too (a loader without drop_last yields it).")
        if len(got) == len(kinds) and len(want) < len(kinds):
            raise Wrong(f"{label} returns {got}, but it should be {want}: merge consecutive "
                        "batches "
                        f"of the same kind into one run and count them.")
        if sum(c for _, c in got) == len(y):
            raise Wrong(f"{label} returns {got}, but it should be {want}: count batches of {bs} "
                        f"labels, not single labels.")
        raise Wrong(f"{label} returns {got}, but it should be {want}.")


@exercise("11", 3, "epoch_orders")
def check_epoch_orders(epoch_orders):
    "Exercise 11.3: the sample order of each epoch, reshuffled every epoch or shuffled once."
    for n, epochs in [(10, 4), (7, 3)]:
        for reshuffle in (True, False):
            label = f"epoch_orders({n}, {epochs}, reshuffle={reshuffle}, generator)"
            got = call(epoch_orders, n, epochs, reshuffle, torch.Generator().manual_seed(n))
            if not isinstance(got, (list, tuple)) or len(got) != epochs:
                size = f" of length {len(got)}" if hasattr(got, "__len__") else ""
                raise Wrong(f"{label} should return a list of {epochs} orders, one per epoch, "
                            "but it "
                            f"returns {type(got).__name__}{size}.")
            orders = [torch.as_tensor(o).flatten() for o in got]
            if any(sorted(o.tolist()) != list(range(n)) for o in orders):
                raise Wrong(f"{label}: each order must hold every index 0..{n - 1} exactly once.")
            if all(o.tolist() == list(range(n)) for o in orders):
                raise Wrong(f"{label} returns 0..{n - 1} in order: that is not shuffled. "
                            "Draw the order "
                            f"with torch.randperm(n, generator=generator).")
            same = all(torch.equal(o, orders[0]) for o in orders)
            if reshuffle and same:
                raise Wrong(f"{label}: your loader returns the same order every epoch. Reshuffling "
                            f"draws a new permutation for each epoch.")
            if not reshuffle and not same:
                raise Wrong(f"{label}: shuffled once means one random order, reused every epoch; "
                            f"yours changes between epochs.")
            g = torch.Generator().manual_seed(n)
            want = [torch.randperm(n, generator=g) for _ in range(epochs if reshuffle else 1)]
            if not all(torch.equal(o, want[i if reshuffle else 0]) for i, o in enumerate(orders)):
                raise Wrong(f"{label}: two generators seeded alike must give the same orders. "
                            "Draw each "
                            f"epoch's order with torch.randperm(n, generator=generator), "
                            "in epoch order "
                            f"(shuffled once: one draw), and nothing else from the generator.")


@exercise("11", 4, "tie_or_winner")
def check_tie_or_winner(tie_or_winner):
    "Exercise 11.4: 'a', 'b' or 'tie' from two settings' accuracies over seeds; spread decides."
    cases = [([0.97, 0.98, 0.975], [0.96, 0.961, 0.962], "a"),
             ([0.9779, 0.9789, 0.9784], [0.9784, 0.9794, 0.9789], "tie"),
             ([0.5, 0.5, 0.5], [0.9, 0.905, 0.91], "b"),
             ([0.90, 0.99, 0.95], [0.94, 0.95, 0.96], "tie"),
             ([0.95, 0.96, 0.95, 0.96], [0.97, 0.9702, 0.9704, 0.9706], "b")]
    for a, b, want in cases:
        got = call(tie_or_winner, a, b)
        label = f"tie_or_winner({a}, {b})"
        if got not in ("a", "b", "tie"):
            raise Wrong(f"{label} should return 'a', 'b' or 'tie', but it returns {got!r}.")
        if got == want:
            continue
        if want == "tie":
            raise Wrong(f"{label} returns {got!r}, but the means differ by less than the "
                        "seed-to-seed "
                        f"spread (the larger max − min of the two lists): that is a tie.")
        if got == "tie":
            raise Wrong(f"{label} returns 'tie', but the means differ by more than the "
                        "seed-to-seed "
                        f"spread (the larger max − min of the two lists), so {want!r} wins.")
        raise Wrong(f"{label} returns {got!r}, but {want!r} has the higher mean accuracy: "
                    "higher wins.")


@exercise("11", 5, "saved_bytes_per_sample")
def check_saved_bytes_per_sample(saved_bytes_per_sample):
    "Exercise 11.5: bytes autograd saves a sample for Linear/ReLU `sizes`, sigmoid and mnist_loss."
    for sizes in ([784, 30, 1], [784, 1], [784, 100, 50, 1], [20, 5, 1]):
        got = as_number(call(saved_bytes_per_sample, sizes), f"saved_bytes_per_sample({sizes})")
        floats = sum(sizes[:-1]) + 1
        want = 4 * floats + 1
        if got == want:
            continue
        label = f"saved_bytes_per_sample({sizes}) is {got:g}, but it should be {want}"
        hidden = sum(sizes[1:-1])
        params = sum(a * b + b for a, b in zip(sizes, sizes[1:]))
        if got == 4 * floats:
            raise Wrong(f"{label}: torch.where in mnist_loss keeps its condition, "
                        "one bool (1 byte) "
                        f"per sample.")
        if got == 8 * floats + 1 or got == 8 * floats:
            raise Wrong(f"{label}: the tensors are float32, 4 bytes each.")
        if got == want + 4 * hidden:
            raise Wrong(f"{label}: a ReLU's output is also the next Linear's input; "
                        "it is one tensor, "
                        f"saved once.")
        if got == want - 4 * sizes[0]:
            raise Wrong(f"{label}: the first Linear keeps its input, the batch itself ({sizes[0]} "
                        f"floats a sample), to compute its weights' gradient.")
        if got == want - 4:
            raise Wrong(f"{label}: the sigmoid keeps its output (1 float a sample) "
                        "for its backward.")
        if got in (want + 4 * params, want + params):
            raise Wrong(f"{label}: the parameters do not grow with the batch; leave them out.")
        raise Wrong(f"{label}: count each Linear's input (floats), the sigmoid's output and "
                    f"torch.where's bool, 4 bytes a float.")
