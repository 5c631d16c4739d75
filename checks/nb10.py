"Checks for the exercises of notebook 10, the deep dive on the critical batch size."
import math

import torch

from . import Wrong, as_number, call, exercise

__all__ = ["check_epochs_for", "check_scaled_lr", "check_pick_lr"]


@exercise("10", 1, "epochs_for")
def check_epochs_for(epochs_for):
    "Exercise 10.1: how many epochs a number of optimizer steps makes."
    cases = [(30, 12396, 32, True), (30, 12396, 4096, True), (30, 12396, 4096, False),
             (6, 10, 4, True), (6, 10, 4, False), (45, 100, 10, False), (0, 100, 10, True)]
    for steps, n, bs, drop in cases:
        per_epoch = n // bs if drop else math.ceil(n / bs)
        expected = steps / per_epoch
        got = as_number(call(epochs_for, steps, n, bs, drop),
                           f"epochs_for({steps}, {n}, {bs}, {drop})")
        if math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-12):
            continue
        where = f"for steps={steps}, n={n}, bs={bs}, drop_last={drop} you return {got:.4g}"
        if math.isclose(got, steps * bs / n, rel_tol=1e-9):
            raise Wrong(f"{where}, the samples seen divided by n. An epoch is a number of steps: "
                        f"{per_epoch} here, so the answer is {expected:.4g} epochs.")
        if math.isclose(got, steps // per_epoch):
            raise Wrong(f"{where}: return a float. {steps} steps are {expected:.4g} epochs, "
                        f"not a whole number of them.")
        if drop and math.isclose(got, steps / math.ceil(n / bs), rel_tol=1e-9):
            raise Wrong(f"{where}. With drop_last=True the partial last batch is dropped: an "
                        f"epoch is n // bs = {per_epoch} steps.")
        if not drop and math.isclose(got, steps / (n // bs), rel_tol=1e-9):
            raise Wrong(f"{where}. With drop_last=False the partial last batch is a step too: an "
                        f"epoch is ceil(n / bs) = {per_epoch} steps.")
        raise Wrong(f"{where}, but it should be {expected:.4g} (an epoch is {per_epoch} steps).")


@exercise("10", 2, "scaled_lr")
def check_scaled_lr(scaled_lr):
    "Exercise 10.2: linear scaling of the learning rate with a gradual warm-up."
    cases = [(0, 0.1, 256, 1024, 10), (5, 0.1, 256, 1024, 10), (9, 0.1, 256, 1024, 10),
             (10, 0.1, 256, 1024, 10), (100, 0.1, 256, 1024, 10), (3, 1.0, 64, 4096, 0),
             (2, 0.5, 64, 64, 5), (1, 2.0, 256, 64, 4)]
    for step, base_lr, base_bs, bs, warmup in cases:
        lr = base_lr * bs / base_bs
        expected = lr if step >= warmup else base_lr + (lr - base_lr) * step / warmup
        got = as_number(call(scaled_lr, step, base_lr, base_bs, bs, warmup),
                      f"scaled_lr({step}, {base_lr}, {base_bs}, {bs}, {warmup})")
        if math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-12):
            continue
        where = (f"at step {step} of a {warmup}-step warm-up from base_lr={base_lr} "
                 f"(batch {base_bs}) to batch {bs} you return {got:.4g}")
        if step < warmup and math.isclose(got, lr, rel_tol=1e-9):
            raise Wrong(f"{where}, already the scaled rate: during the warm-up the rate grows "
                        f"linearly from base_lr to base_lr · bs / base_bs "
                        f"(expected {expected:.4g}).")
        if step < warmup and math.isclose(got, lr * step / warmup, rel_tol=1e-9, abs_tol=1e-12):
            raise Wrong(f"{where}: your warm-up starts at 0. Goyal et al.'s starts at base_lr, the "
                        f"small batch's rate (expected {expected:.4g}).")
        if step >= warmup and math.isclose(got, base_lr, rel_tol=1e-9):
            raise Wrong(f"{where}: after the warm-up the rate is scaled with the batch, "
                        f"base_lr · bs / base_bs = {expected:.4g}.")
        if warmup > 1 and step < warmup and math.isclose(
                got, base_lr + (lr - base_lr) * min(1, step / (warmup - 1)), rel_tol=1e-9):
            raise Wrong(f"{where}: your warm-up ends one step early. The rate at step "
                        f"s < warmup_steps is base_lr + (scaled − base_lr) · s / warmup_steps "
                        f"(expected {expected:.4g}).")
        raise Wrong(f"{where}, but it should be {expected:.4g}.")


def _nb10_pick_problem(seed, n=256, d=10):
    "A tiny, nearly separable problem: x (n, d), 0/1 targets y (n, 1), and a seeded model maker."
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g)
    y = ((x @ torch.randn(d, 1, generator=g) + 0.3 * torch.randn(n, 1, generator=g)) > 0).long()

    def make_model():
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return torch.nn.Linear(d, 1)
    return make_model, x, y


def _nb10_steps_to_target(make_model, x, y, lr, bs, target, budget, seed, model=None):
    "Steps until accuracy(model, x, y) >= target, or None if not within budget (the reference)."
    import sweeps
    import utils
    model = make_model() if model is None else model  # a model passed in: the shared-model mistake
    dl = utils.TensorLoader(x, y, batch_size=bs, shuffle=True, drop_last=True,
                            generator=torch.Generator().manual_seed(seed))
    opt, step = utils.BasicOptim(model.parameters(), lr), 0
    while step < budget:
        for xb, yb in dl:
            utils.calc_grad(xb, yb, model)
            opt.step()
            opt.zero_grad()
            step += 1
            if sweeps.accuracy(model, x, y) >= target:
                return step
            if step == budget:
                return None
    return None


@exercise("10", 3, "pick_lr")
def check_pick_lr(pick_lr):
    "Exercise 10.3: the learning rate that reaches a target in the fewest steps within a budget."
    cases = [(0, [0.3, 3.0, 30.0], 8, 0.95, 60), (0, [0.3, 3.0, 10.0, 30.0], 32, 0.9, 60),
             (1, [0.3, 0.9], 32, 0.95, 40), (0, [0.1, 30.0], 8, 0.95, 30)]
    for seed, lrs, bs, target, budget in cases:
        make_model, x, y = _nb10_pick_problem(seed)
        steps = {lr: _nb10_steps_to_target(make_model, x, y, lr, bs, target, budget, seed)
                 for lr in lrs}
        reached = [lr for lr in lrs if steps[lr] is not None]
        best = min(reached, key=lambda lr: (steps[lr], lr)) if reached else None
        expected = (best, steps[best]) if reached else (None, None)
        got = call(pick_lr, make_model, x, y, lrs, bs, target, budget, seed)
        where = f"with lrs={lrs}, bs={bs}, target={target}, budget={budget}"
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise Wrong(f"return a pair (lr, steps), or (None, None); you return {got!r}.")
        lr, n = got
        if (lr, n) == expected:
            continue
        if not reached:
            raise Wrong(f"{where} no learning rate reaches the target within the budget "
                        f"({steps}): return (None, None), you return {got!r}.")
        if lr == best and n == expected[1] - 1:
            raise Wrong(f"{where} your step count is one less than ours ({expected[1]}): count a "
                        f"step after opt.step(), so the first step is step 1.")
        shared, found = make_model(), []  # the mistake of training every lr on one model, in turn
        for each in lrs:
            n_shared = _nb10_steps_to_target(make_model, x, y, each, bs, target, budget, seed,
                                             model=shared)
            found += [(n_shared, each)] if n_shared is not None else []
        if found and (lr, n) == tuple(reversed(min(found))):
            raise Wrong(f"{where} your learning rates share one model, each starting where the "
                        f"last stopped: start every lr from a fresh make_model() (expected "
                        f"{expected}).")
        if lr == best:
            raise Wrong(f"{where} you pick the right lr, {best}, but report {n} steps where it "
                        f"takes {expected[1]}: start every lr from a fresh make_model() and a "
                        f"loader seeded with `seed`, keep going epoch after epoch, and check the "
                        f"accuracy after each step.")
        if lr in steps and steps[lr] is not None and steps[lr] == steps[best] and lr > best:
            raise Wrong(f"{where} lrs {best} and {lr} both take {steps[best]} steps: on a tie, "
                        f"pick the smaller learning rate.")
        raise Wrong(f"{where} you pick lr {lr}, but lr {best} reaches {target} in fewer steps: "
                    f"{expected[1]} (steps per lr: {steps}).")
