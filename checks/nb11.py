"Checks for the exercises of notebook 11, Deep dive: throughput and memory."
import math

from . import Wrong, as_number, call, call_uncopied, exercise

__all__ = ["check_throughput", "check_tie_or_winner", "check_saved_bytes_per_sample",
           "check_largest_batch_by_doubling"]


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


@exercise("11", 2, "tie_or_winner")
def check_tie_or_winner(tie_or_winner):
    "Exercise 11.2: 'a', 'b' or 'tie' from two settings' measurements; abs(diff) <= spread: tie."
    cases = [([0.97, 0.98, 0.975], [0.96, 0.961, 0.962], "a"),
             ([0.9779, 0.9789, 0.9784], [0.9784, 0.9794, 0.9789], "tie"),
             ([0.5, 0.5, 0.5], [0.9, 0.905, 0.91], "b"),
             ([0.90, 0.99, 0.95], [0.94, 0.95, 0.96], "tie"),
             ([0.95, 0.96, 0.95, 0.96], [0.97, 0.9702, 0.9704, 0.9706], "b"),
             ([0.5, 0.75], [0.25, 0.5], "tie"),  # exactly the spread apart (exact in binary)
             ([120.0, 100.0, 110.0], [150.0, 170.0, 160.0], "b")]
    for a, b, want in cases:
        got = call(tie_or_winner, a, b)
        label = f"tie_or_winner({a}, {b})"
        if got not in ("a", "b", "tie"):
            raise Wrong(f"{label} should return 'a', 'b' or 'tie', but it returns {got!r}.")
        if got == want:
            continue
        if want == "tie":
            raise Wrong(f"{label} returns {got!r}, but the means differ by no more than the "
                        f"spread (the larger max − min of the two lists): that is a tie. "
                        f"The rule is abs(diff) <= spread, equality included.")
        if got == "tie":
            raise Wrong(f"{label} returns 'tie', but the means differ by more than the "
                        "seed-to-seed "
                        f"spread (the larger max − min of the two lists), so {want!r} wins.")
        raise Wrong(f"{label} returns {got!r}, but {want!r} has the higher mean accuracy: "
                    "higher wins.")


@exercise("11", 3, "saved_bytes_per_sample")
def check_saved_bytes_per_sample(saved_bytes_per_sample):
    "Exercise 11.3: bytes autograd saves a sample for Linear/ReLU `sizes`, sigmoid and mnist_loss."
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


class _PeakMeter:
    "A fake measurement: a step's peak bytes at batch `bs`, fixed + per_sample·bs; notes calls."
    def __init__(self, fixed, per_sample):
        self.fixed, self.per_sample, self.calls = fixed, per_sample, []

    def __call__(self, bs):
        bs = as_number(bs, "the batch size you measured", whole=True)
        self.calls.append(bs)
        return self.fixed + self.per_sample * bs


@exercise("11", 4, "largest_batch_by_doubling")
def check_largest_batch_by_doubling(largest_batch_by_doubling):
    "Exercise 11.4: double B from 1 while the measured peak fits the budget; the last B that fits."
    cases = [(94_324, 3_504, 2**20), (1_000, 10, 1_640), (0, 3_261, 2**30), (5_000, 100, 5_050),
             (50, 7, 100)]
    for fixed, per, budget in cases:
        meter = _PeakMeter(fixed, per)
        got = call_uncopied(largest_batch_by_doubling, meter, budget)
        fits = [2**i for i in range(40) if fixed + per * 2**i <= budget]
        want = max(fits) if fits else None
        label = (f"largest_batch_by_doubling(peak_bytes, budget={budget:,}) with a step's peak "
                 f"{fixed:,} + {per:,}·B bytes")
        if want is None:
            if got is not None:
                raise Wrong(f"{label} returns {got!r}, but even B = 1 needs {fixed + per:,} bytes: "
                            f"return None when nothing fits.")
            continue
        if got is None:
            raise Wrong(f"{label} returns None, but B = {want} fits "
                        f"({fixed + per * want:,} bytes).")
        got = as_number(got, f"what {label} returns", whole=True)
        if not meter.calls:
            raise Wrong(f"{label}: your function never called peak_bytes. Measure: call "
                        f"peak_bytes(B) for B = 1, 2, 4, ...")
        if got == want:
            if meter.calls and meter.calls[-1] > 2 * want:
                raise Wrong(f"{label}: you measured up to B = {meter.calls[-1]}, but B = "
                            f"{2 * want} already did not fit: stop at the first size that fails "
                            f"(on a GPU it would have run out of memory there).")
            continue
        if got == 2 * want:
            raise Wrong(f"{label} returns {got}, the first size that does NOT fit "
                        f"({fixed + per * got:,} bytes > {budget:,}): return the last one that "
                        f"fits, {want}.")
        if got == want // 2 and fixed + per * want == budget:
            raise Wrong(f"{label} returns {got}, but B = {want} needs exactly the budget, "
                        f"{budget:,} bytes: that fits (peak <= budget).")
        raise Wrong(f"{label} returns {got}, but the largest power of two that fits is {want}.")
