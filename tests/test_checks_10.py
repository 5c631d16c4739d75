"""Notebook 10's exercise checks accept the reference solutions and name each plausible mistake."""
import math

import numpy as np
import pytest
import torch

import checks
import utils
import sweeps
from checking import NUMBER_KINDS, assert_passes, assert_wrong, returning, status


# ---------------------------------------------------------------- 10.1 epochs_for

def epochs_for(steps, n, bs, drop_last=True):
    return steps / (n // bs if drop_last else math.ceil(n / bs))


def test_epochs_for_accepts_the_reference():
    assert status(checks.check_epochs_for, epochs_for).passed


def test_epochs_for_names_each_mistake():
    assert_wrong(checks.check_epochs_for, lambda steps, n, bs, drop_last=True: steps * bs / n,
                 "the samples seen divided by n", "An epoch is a number of steps")
    assert_wrong(checks.check_epochs_for, lambda steps, n, bs, drop=True: steps / math.ceil(n / bs),
                 "With drop_last=True the partial last batch is dropped")
    assert_wrong(checks.check_epochs_for, lambda steps, n, bs, drop=True: steps / (n // bs),
                 "With drop_last=False the partial last batch is a step too")
    assert_wrong(checks.check_epochs_for,
                 lambda steps, n, bs, drop=True: steps // (n // bs if drop else math.ceil(n / bs)),
                 "return a float")
    assert_wrong(checks.check_epochs_for, lambda *a, **k: "0.1", "should be a number")


# ---------------------------------------------------------------- 10.2 scaled_lr

def scaled_lr(step, base_lr, base_bs, bs, warmup_steps):
    lr = base_lr * bs / base_bs
    if step >= warmup_steps:
        return lr
    return base_lr + (lr - base_lr) * step / warmup_steps


def test_scaled_lr_accepts_the_reference():
    assert status(checks.check_scaled_lr, scaled_lr).passed


def no_warmup(step, lr0, bs0, bs, w):
    return lr0 * bs / bs0


def warmup_from_zero(step, lr0, bs0, bs, w):
    return lr0 * bs / bs0 * min(1, step / w) if w else lr0 * bs / bs0


def not_scaled_after(step, lr0, bs0, bs, w):
    return lr0 if step >= w else scaled_lr(step, lr0, bs0, bs, w)


def ends_early(step, lr0, bs0, bs, w):
    lr = lr0 * bs / bs0
    return lr if step >= w else lr0 + (lr - lr0) * min(1, step / (w - 1))


def divides_by_zero(step, lr0, bs0, bs, w):
    return lr0 + (lr0 * bs / bs0 - lr0) * min(1, step / w)


def test_scaled_lr_names_each_mistake():
    assert_wrong(checks.check_scaled_lr, no_warmup, "already the scaled rate")
    assert_wrong(checks.check_scaled_lr, warmup_from_zero, "warm-up starts at 0",
                 "starts at base_lr")
    assert_wrong(checks.check_scaled_lr, not_scaled_after, "after the warm-up the rate is scaled")
    assert_wrong(checks.check_scaled_lr, ends_early, "your warm-up ends one step early")
    assert_wrong(checks.check_scaled_lr, divides_by_zero, "ZeroDivisionError")


@pytest.mark.parametrize("kind", NUMBER_KINDS)
@pytest.mark.parametrize("check,reference", [
    (checks.check_epochs_for, epochs_for), (checks.check_scaled_lr, scaled_lr)],
    ids=["epochs_for", "scaled_lr"])
def test_a_number_of_any_kind_passes(check, reference, kind):
    assert_passes(check, returning(NUMBER_KINDS[kind], reference))


# ---------------------------------------------------------------- 10.3 pick_lr

def run_lr(make_model, x, y, lr, bs, target, budget, seed, first_step=1, fresh=True, model=None):
    model = make_model() if fresh or model is None else model
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
                return step - 1 + first_step, model
            if step >= budget:
                return None, model
    return None, model


def pick(make_model, x, y, lrs, bs, target, budget, seed=0, first_step=1, tie="smaller",
         fresh=True):
    found, model = [], None
    for lr in lrs:
        steps, model = run_lr(make_model, x, y, lr, bs, target, budget, seed, first_step, fresh,
                              model)
        if steps is not None:
            found.append((steps, lr if tie == "smaller" else -lr))
    if not found:
        return None, None
    steps, lr = min(found)
    return abs(lr), steps


def test_pick_lr_accepts_the_reference():
    assert status(checks.check_pick_lr, pick).passed


def test_pick_lr_checks_run_fast():
    import time
    start = time.perf_counter()
    status(checks.check_pick_lr, pick)
    assert time.perf_counter() - start < 5  # well under a second on an idle 2-core CPU


def test_pick_lr_names_each_mistake():
    assert_wrong(checks.check_pick_lr, lambda *a, **k: pick(*a, **k, first_step=0),
                 "one less than ours")
    assert_wrong(checks.check_pick_lr, lambda *a, **k: pick(*a, **k, tie="larger"),
                 "on a tie, pick the smaller learning rate")
    assert_wrong(checks.check_pick_lr, lambda *a, **k: pick(*a, **k, fresh=False),
                 "your learning rates share one model")
    assert_wrong(checks.check_pick_lr, lambda m, x, y, lrs, *a, **k: (max(lrs), 1), "you pick lr")
    assert_wrong(checks.check_pick_lr, lambda m, x, y, lrs, *a, **k: pick(m, x, y, lrs, *a, **k)[0],
                 "return a pair (lr, steps)")


def test_pick_lr_says_when_no_rate_reaches_the_target():
    def never_none(*args, **kwargs):
        lr, steps = pick(*args, **kwargs)
        return (lr, steps) if lr is not None else (args[3][0], kwargs.get("budget", args[6]))
    assert_wrong(checks.check_pick_lr, never_none, "return (None, None)")


# ---------------------------------------------------------------- correct, written another way

def scaled_lr_with_numpy(step, base_lr, base_bs, bs, warmup_steps):
    return np.interp(step, [0, warmup_steps], [base_lr, base_lr * bs / base_bs])  # np.float64


def pick_lr_step_by_step(make_model, x, y, lrs, bs, target, budget, seed=0):
    best_lr, best_steps = None, None
    for lr in sorted(lrs):  # the smaller rate first, so a tie keeps it
        model = make_model()
        dl = utils.TensorLoader(x, y, batch_size=bs, shuffle=True, drop_last=True,
                                generator=torch.Generator().manual_seed(seed))
        opt, batches = utils.BasicOptim(model.parameters(), lr), iter(dl)
        for step in range(1, budget + 1):
            batch = next(batches, None)
            if batch is None:  # a new epoch
                batches = iter(dl)
                batch = next(batches)
            utils.calc_grad(*batch, model)
            opt.step()
            opt.zero_grad()
            if sweeps.accuracy(model, x, y) >= target:
                if best_steps is None or step < best_steps:
                    best_lr, best_steps = lr, step
                break
    return best_lr, best_steps


OTHER_WAYS = {
    "check_epochs_for": lambda steps, n, bs, drop_last=True: np.float64(steps) / (
        n // bs if drop_last else -(-n // bs)),
    "check_scaled_lr": scaled_lr_with_numpy,
    "check_pick_lr": pick_lr_step_by_step,
}


@pytest.mark.parametrize("name", sorted(OTHER_WAYS))
def test_a_correct_answer_written_another_way_passes(name):
    assert_passes(getattr(checks, name), OTHER_WAYS[name])


def test_every_check_of_10_gets_an_answer_written_another_way():
    assert sorted(OTHER_WAYS) == sorted(n for n, ex in checks.EXERCISES.items()
                                        if ex.notebook == "10")
