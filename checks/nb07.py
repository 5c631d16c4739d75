"Checks for the exercises of notebook 07, Batch size: time, memory and shuffling."
import math
import statistics

import numpy as np
import torch

from . import Wrong, as_number, call, describe, exercise

__all__ = ["check_samples_per_second", "check_largest_batch", "check_output_gradients",
           "check_shuffle_orders"]


@exercise("07", 1, "samples_per_second")
def check_samples_per_second(samples_per_second):
    "Exercise 07.1: samples per second from the timed epochs: n_samples / median of the seconds."
    cases = [(2048, [0.25, 0.2, 0.3]), (12396, np.array([1.0, 1.5, 0.9, 1.2])),
             (1000, (0.5,)), (4096, [np.float64(0.02), np.float64(0.01), np.float64(0.04),
                                     np.float64(0.03), np.float64(0.5)])]
    for n, seconds in cases:
        shown = [float(s) for s in seconds]
        label = f"samples_per_second({n}, {shown})"
        got = as_number(call(samples_per_second, n, seconds), label)
        want = n / statistics.median(shown)
        if math.isclose(got, want, rel_tol=1e-6):
            continue
        hint = f"{label} is {got:.6g}, but it should be {want:.6g}"
        ordered = sorted(shown)
        if math.isclose(got * statistics.mean(shown), n, rel_tol=1e-6):
            raise Wrong(f"{hint}: you took the mean of the epochs. Take their median: one slow "
                        f"epoch (another program, a garbage collection) would drag the mean.")
        if math.isclose(got * sum(shown), n, rel_tol=1e-6):
            raise Wrong(f"{hint}: you divided by the seconds of all the epochs together; each "
                        f"epoch is n_samples samples, so divide by one epoch's (median) seconds.")
        if math.isclose(got * ordered[0], n, rel_tol=1e-6):
            raise Wrong(f"{hint}: you used the fastest epoch. Take the median of the epochs.")
        if math.isclose(got, statistics.median(shown) / n, rel_tol=1e-6):
            raise Wrong(f"{hint}: samples per second is the number of samples divided by the "
                        f"seconds of an epoch, not the other way round.")
        if len(shown) % 2 == 0 and any(math.isclose(got * ordered[i], n, rel_tol=1e-6)
                                       for i in (len(shown) // 2 - 1, len(shown) // 2)):
            raise Wrong(f"{hint}: with an even number of epochs the median is the mean of the two "
                        f"middle ones (np.median and statistics.median take it so).")
        raise Wrong(f"{hint}: divide the number of samples by the median of the seconds.")


@exercise("07", 2, "largest_batch")
def check_largest_batch(largest_batch):
    "Exercise 07.2: the largest B with fixed + per_sample * B <= budget (0 if none fits)."
    cases = [(2**30, 3504, 94_496), (10_000, 3000, 1000), (12_000, 3000, 0),
             (5000, 3000, 2500), (1000, 3504, 94_496), (16 * 2**30, 3161, 3_000_000)]
    for budget, per_sample, fixed in cases:
        label = f"largest_batch(budget={budget}, per_sample={per_sample}, fixed={fixed})"
        got = as_number(call(largest_batch, budget, per_sample, fixed), label, whole=True)
        want = max(0, (budget - fixed) // per_sample)
        if got == want:
            continue
        hint = f"{label} is {got}, but it should be {want}"
        if got < 0:
            raise Wrong(f"{hint}: when not even one sample fits beside the fixed part, the "
                        f"largest batch that fits is 0, not a negative number.")
        if got > want and fixed + per_sample * got > budget:
            need = f"a batch of {got} needs {fixed + per_sample * got} bytes, more than the budget"
            if got == max(0, budget // per_sample):
                raise Wrong(f"{hint}: leave room for the fixed part first (the parameters and "
                            f"what does not grow with B): (budget - fixed) // per_sample.")
            if got == want + 1:
                raise Wrong(f"{hint}: {need} of {budget}. Round down: // does.")
            raise Wrong(f"{hint}: {need} of {budget}: a step needs fixed + per_sample * B bytes.")
        if got == want - 1 and fixed + per_sample * want == budget:
            raise Wrong(f"{hint}: a batch that fills the budget exactly still fits "
                        f"(fixed + per_sample * B <= budget).")
        raise Wrong(f"{hint}: the memory of a step is fixed + per_sample * B; find the largest "
                    f"B for which it is at most the budget.")


def _output_cases():
    g = torch.Generator().manual_seed(7)
    z1 = torch.randn(8, 1, generator=g) * 3
    y1 = torch.tensor([1, 0, 1, 1, 0, 0, 1, 0]).unsqueeze(1)
    z2 = torch.tensor([[-8.0], [0.0], [6.0], [2.5], [-1.0]])
    y2 = torch.tensor([[0], [1], [0], [1], [1]])
    return [(z1, y1), (z2, y2)]


@exercise("07", 3, "output_gradients")
def check_output_gradients(output_gradients):
    "Exercise 07.3: d mnist_loss / d z for each output z, by hand: -+s(1-s)/B."
    from utils import mnist_loss
    for z, y in _output_cases():
        label = f"output_gradients(z of shape {tuple(z.shape)}, y)"
        got = call(output_gradients, z, y)
        if isinstance(got, np.ndarray):
            got = torch.from_numpy(got)
        if not torch.is_tensor(got):
            raise Wrong(f"{label} should return a tensor, one gradient per output, but it "
                        f"returns {describe(got)}.")
        leaf = z.clone().requires_grad_()
        mnist_loss(leaf, y).backward()
        want = leaf.grad.double()
        if got.numel() != want.numel():
            raise Wrong(f"{label} returns {describe(got)}: it should hold one gradient per "
                        f"output, {want.numel()} of them, in the shape of z {tuple(z.shape)}.")
        if tuple(got.shape) != tuple(want.shape):
            raise Wrong(f"{label} returns shape {tuple(got.shape)}: give it the shape of z, "
                        f"{tuple(z.shape)}.")
        got = got.detach().double()
        if torch.allclose(got, want, rtol=1e-4, atol=1e-7):
            continue
        s = z.double().sigmoid()
        sign = torch.where(y == 1, -1.0, 1.0).double()
        n = len(z)
        if torch.allclose(got, want * n, rtol=1e-4, atol=1e-7):
            raise Wrong(f"{label} is {n} times too large: mnist_loss is the mean over the "
                        f"batch, so each output's gradient is divided by the batch size.")
        if torch.allclose(got, -want, rtol=1e-4, atol=1e-7):
            raise Wrong(f"{label} has the wrong sign: for a 3 (y = 1) the loss is 1 - s, which "
                        f"falls as z grows, so its gradient is negative; for a 7 it is positive.")
        if any(torch.allclose(got, sign * s * k, rtol=1e-4, atol=1e-7) for k in (1, 1 / n)):
            raise Wrong(f"{label}: the chain rule needs the sigmoid's slope: the derivative of "
                        f"s = sigmoid(z) is s * (1 - s), not s.")
        if any(torch.allclose(got, sign * s * (1 - s) * k, rtol=1e-4, atol=1e-7)
               for k in (2, 1 / 2, 1 / n ** 2)):
            raise Wrong(f"{label}: the slope s * (1 - s) is right, but the scale is not: "
                        f"divide it by the batch size once.")
        err = (got - want).abs().max().item()
        raise Wrong(f"{label} is off by up to {err:.3g}: each output's gradient is "
                    f"-s(1-s)/B for a 3 and +s(1-s)/B for a 7, with s = sigmoid(z).")


def _orders(shuffle_orders, n, epochs, reshuffle, seed):
    label = f"shuffle_orders({n}, {epochs}, reshuffle={reshuffle}, generator)"
    got = call(shuffle_orders, n, epochs, reshuffle, torch.Generator().manual_seed(seed))
    if not isinstance(got, (list, tuple)) or len(got) != epochs:
        size = f" of length {len(got)}" if hasattr(got, "__len__") else ""
        raise Wrong(f"{label} should return a list of {epochs} orders, one per epoch, but it "
                    f"returns {type(got).__name__}{size}.")
    orders = []
    for i, order in enumerate(got):
        try:
            order = torch.as_tensor(order).flatten()
        except (TypeError, ValueError, RuntimeError):
            raise Wrong(f"{label}: epoch {i}'s order should be a tensor or list of indices, but "
                        f"it is {describe(order)}.") from None
        if order.dtype.is_floating_point or order.dtype == torch.bool or \
                sorted(order.tolist()) != list(range(n)):
            raise Wrong(f"{label}: each epoch's order must hold every index 0..{n - 1} exactly "
                        f"once (a permutation); epoch {i}'s does not.")
        orders.append(order)
    return label, orders


@exercise("07", 4, "shuffle_orders")
def check_shuffle_orders(shuffle_orders):
    "Exercise 07.4: each epoch's order, reshuffled or shuffled once, judged by its properties."
    for n, epochs in [(10, 4), (12, 3)]:
        for reshuffle in (True, False):
            label, orders = _orders(shuffle_orders, n, epochs, reshuffle, seed=n)
            if all(o.tolist() == list(range(n)) for o in orders):
                raise Wrong(f"{label} returns 0..{n - 1} in order: that is not shuffled. Draw "
                            f"an order with torch.randperm(n, generator=generator).")
            changes = [not torch.equal(a, b) for a, b in zip(orders, orders[1:])]
            if reshuffle and not all(changes):
                raise Wrong(f"{label}: {'every' if not any(changes) else 'some'} epoch repeats "
                            f"the order before it. Reshuffling draws a new permutation for "
                            f"each epoch.")
            if not reshuffle and any(changes):
                raise Wrong(f"{label}: shuffled once means one random order, reused every "
                            f"epoch; yours changes between epochs.")
            _, again = _orders(shuffle_orders, n, epochs, reshuffle, seed=n)
            if not all(torch.equal(a, b) for a, b in zip(orders, again)):
                raise Wrong(f"{label}: two generators seeded alike gave different orders. Draw "
                            f"with the generator you are given (generator=generator), not "
                            f"torch's global one, so that a seed repeats the orders.")
            _, other = _orders(shuffle_orders, n, epochs, reshuffle, seed=n + 100)
            if all(torch.equal(a, b) for a, b in zip(orders, other)):
                raise Wrong(f"{label}: generators seeded differently gave the same orders: "
                            f"draw from the generator you are given, not one of your own.")
