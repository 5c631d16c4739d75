"Checks for the exercises of notebook 06, Batch size: steps and learning rate."
import math
from functools import lru_cache

import numpy as np
import torch

from . import Wrong, as_number, call, call_uncopied, describe, exercise

__all__ = ["check_make_loaders", "check_bs_experiment", "check_steps_to_target"]


# ---------------------------------------------------------------- 06.1 make_loaders

def _nb06_items(n, seed):
    "n items whose first feature is their index (so the check can follow them), 0/1 targets."
    g = torch.Generator().manual_seed(seed)
    x = torch.cat([torch.arange(n, dtype=torch.float32)[:, None], torch.randn(n, 1, generator=g)],
                  1)
    y = (torch.rand(n, 1, generator=g) > 0.5).float()
    return x, y


def _nb06_epoch(loader, what):
    "One pass over `loader`: the list of (item ids, targets) of its batches, or Wrong."
    try:
        batches = iter(loader)
    except TypeError:
        raise Wrong(f"{what} should be a loader you can loop over, but it is "
                    f"{describe(loader)}.") from None
    out = []
    for batch in batches:
        if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
            raise Wrong(f"each batch of {what} should be a pair (xb, yb), but one is "
                        f"{describe(batch)}.")
        xb, yb = (torch.as_tensor(t) for t in batch)
        if xb.dim() != 2 or xb.shape[1] != 2 or len(yb) != len(xb):
            raise Wrong(f"a batch of {what} has xb of shape {tuple(xb.shape)} and yb of "
                        f"{tuple(yb.shape)}: build the loader over (x, y), one item a row.")
        out.append((xb[:, 0].round().long().tolist(), yb.reshape(len(yb), -1)[:, 0].tolist()))
    return out


def _nb06_sizes_ok(sizes, bs):
    "All batches hold bs items, except perhaps a shorter last one."
    return all(s == bs for s in sizes[:-1]) and sizes and 0 < sizes[-1] <= bs


@exercise("06", 1, "make_loaders")
def check_make_loaders(make_loaders):
    "Exercise 06.1: (bs, a shuffled training loader, a validation loader, steps per epoch)."
    for n, n_valid, seed in ((1000, 300, 0), (777, 250, 1)):
        x, y = _nb06_items(n, seed)
        vx, vy = _nb06_items(n_valid, seed + 10)
        got = call(make_loaders, x, y, vx, vy)
        label = f"make_loaders on {n} training and {n_valid} validation items"
        if not (isinstance(got, (tuple, list)) and len(got) == 4):
            raise Wrong(f"{label} should return the four things (bs, dl, valid_dl, steps), "
                        f"but it returns {describe(got)}.")
        bs, dl, valid_dl, steps = got
        bs = as_number(bs, "your batch size bs", whole=True)
        if not 2 <= bs <= 512:
            raise Wrong(f"your batch size is {bs}: choose one from 2 to 512.")
        first, second = _nb06_epoch(dl, "dl"), _nb06_epoch(dl, "dl")
        sizes = [len(ids) for ids, _ in first]
        if not _nb06_sizes_ok(sizes, bs):
            raise Wrong(f"dl should give batches of bs = {bs} items (the last may be shorter), but "
                        f"its batches hold {sorted(set(sizes))} items: pass batch_size=bs.")
        ids = [i for b, _ in first for i in b]
        targets = [t for _, b in first for t in b]
        if len(set(ids)) != len(ids):
            raise Wrong("dl gives some training items twice in one epoch: an epoch is each item "
                        "once, in a new order.")
        if len(ids) < n - (n % bs):
            raise Wrong(f"one epoch of dl gives {len(ids)} of the {n} training items: it should "
                        f"give each of them once (or all but the last partial batch, with "
                        f"drop_last=True).")
        if targets != y[ids, 0].tolist():
            raise Wrong("in dl's batches the targets no longer belong to their images: keep "
                        "each (x, y) pair together (list(zip(x, y)), or a TensorLoader(x, y)).")
        if ids == sorted(ids):
            raise Wrong("dl gives the training items in their stored order: SGD wants them "
                        "shuffled (shuffle=True).")
        if [b for b, _ in second] == [b for b, _ in first]:
            raise Wrong("dl gives the same order every epoch: draw a new order each epoch "
                        "(shuffle=True does).")
        valid = _nb06_epoch(valid_dl, "valid_dl")
        vsizes = [len(b) for b, _ in valid]
        if not _nb06_sizes_ok(vsizes, bs):
            raise Wrong(f"valid_dl should give batches of bs = {bs} items too (the last may be "
                        f"shorter), but they hold {sorted(set(vsizes))} items.")
        vids = sorted(i for b, _ in valid for i in b)
        if vids != list(range(n_valid)):
            raise Wrong(f"valid_dl should give each of the {n_valid} validation items once "
                        f"(it gives {len(vids)}): no drop_last there, or some images never count "
                        f"in the accuracy.")
        value = as_number(steps, "your steps per epoch")
        actual = len(first)
        if not float(value).is_integer():
            raise Wrong(f"your steps per epoch is {value:g}, but a number of steps is whole: "
                        f"math.ceil(n / bs), or n // bs with drop_last=True.")
        if int(value) != actual:
            hint = ""
            if int(value) == math.ceil(n / bs) and actual == n // bs:
                hint = ": your loader drops the last partial batch, so use n // bs"
            elif int(value) == n // bs and actual == math.ceil(n / bs):
                hint = ": the last, partial batch is a step too, so use math.ceil(n / bs)"
            elif int(value) in (math.ceil(12396 / bs), 12396 // bs):
                hint = ": count from len(x), not from the MNIST training set's 12,396"
            raise Wrong(f"you predict {int(value)} steps per epoch on {n} items, but dl takes "
                        f"{actual}{hint}.")
        if hasattr(dl, "__len__") and len(dl) != actual:
            raise Wrong(f"len(dl) is {len(dl)}, but dl gives {actual} batches.")


# ---------------------------------------------------------------- 06.2 bs_experiment

@lru_cache(maxsize=1)
def _nb06_mnist():
    "The MNIST training tensors (float32), loaded once."
    from utils import mnist_sample_path, mnist_tensors
    x, y, _, _ = mnist_tensors(mnist_sample_path())
    return x, y


def _nb06_spread(values):
    return max(values) - min(values)


def tie_rule(losses_small, losses_large):
    "'smaller', 'larger' or 'tie': which batch size has the lower mean loss, beyond the spread."
    diff = np.mean(losses_small) - np.mean(losses_large)
    spread = max(_nb06_spread(losses_small), _nb06_spread(losses_large))
    if abs(diff) <= spread:
        return "tie", diff, spread
    return ("smaller" if diff < 0 else "larger"), diff, spread


@exercise("06", 2, "bs_experiment")
def check_bs_experiment(bs_experiment):
    "Exercise 06.2: ({bs: losses over seeds} for two batch sizes, a conclusion the numbers back)."
    x, y = _nb06_mnist()
    got = call(bs_experiment, x, y)
    if not (isinstance(got, (tuple, list)) and len(got) == 2):
        raise Wrong(f"bs_experiment(x, y) should return (losses, conclusion), but it returns "
                    f"{describe(got)}.")
    losses, conclusion = got
    if not isinstance(losses, dict) or len(losses) != 2:
        raise Wrong(f"losses should be a dict with two batch sizes as keys, "
                    f"{{bs: [loss of each seed]}}, but it is {describe(losses)}.")
    runs = {}
    for bs, values in losses.items():
        bs = as_number(bs, "a batch size (a key of losses)", whole=True)
        if not 1 <= bs <= len(x):
            raise Wrong(f"the batch size {bs} is not between 1 and {len(x)}.")
        if not isinstance(values, (list, tuple)) or not 2 <= len(values) <= 3:
            raise Wrong(f"losses[{bs}] should be a list of 2 or 3 losses, one per seed, but it "
                        f"is {describe(values)}.")
        values = [as_number(v, f"a loss of losses[{bs}]") for v in values]
        if not all(math.isfinite(v) and 0 <= v <= 1 for v in values):
            raise Wrong(f"losses[{bs}] is {values}: mnist_loss lies between 0 and 1. Did a run "
                        f"diverge (a smaller learning rate)?")
        if _nb06_spread(values) == 0 and bs < len(x):
            raise Wrong(f"the seeds give exactly the same loss at B={bs}: give each seed its own "
                        f"shuffle, generator=torch.Generator().manual_seed(seed).")
        runs[bs] = values
    if len(runs) != 2:
        raise Wrong("losses should hold two different batch sizes.")
    if all(v > 0.6 for values in runs.values() for v in values):
        raise Wrong("all your numbers are above 0.6: they look like accuracies. Report the "
                    "training loss, mnist_loss of the model on all of x, y (lower is better).")
    if not isinstance(conclusion, str) or conclusion.strip().lower() not in (
            "smaller", "larger", "tie"):
        raise Wrong(f"the conclusion should be 'smaller', 'larger' or 'tie', but it is "
                    f"{describe(conclusion)}.")
    said = conclusion.strip().lower()
    small, large = sorted(runs)
    want, diff, spread = tie_rule(runs[small], runs[large])
    if said == want:
        return
    numbers = (f"mean loss {np.mean(runs[small]):.4g} at B={small}, {np.mean(runs[large]):.4g} "
               f"at B={large}: they differ by {abs(diff):.3g}, and the larger seed-to-seed spread "
               f"is {spread:.3g}")
    if want == "tie":
        raise Wrong(f"you say {said!r}, but {numbers}: a difference no larger than the spread is "
                    f"a tie.")
    winner = "smaller" if want == "smaller" else "larger"
    if said == "tie":
        raise Wrong(f"you say 'tie', but {numbers}: more than the spread, so the {winner} batch "
                    f"size wins ({want!r}).")
    raise Wrong(f"you say {said!r}, but {numbers}, and the lower loss is the {winner} batch "
                f"size's: {want!r}.")


# ---------------------------------------------------------------- 06.3 steps_to_target

def _nb06_problem():
    "A tiny problem of the book's kind: 64 points, a fresh nn.Linear(3, 1), a shuffled loader."
    from utils import TensorLoader
    g = torch.Generator().manual_seed(6)
    x = torch.randn(64, 3, generator=g)
    y = ((x @ torch.tensor([[1.5], [-2.0], [0.5]]) + 0.3 * torch.randn(64, 1, generator=g)) > 0)
    y = y.float()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = torch.nn.Linear(3, 1)
    dl = TensorLoader(x, y, batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(1))
    return model, dl, x, y


def _nb06_losses(lr, steps, batch_loss=False):
    "The reference: the training loss on all of x, y after each of `steps` steps (or each batch's)."
    from utils import BasicOptim, calc_grad, mnist_loss
    model, dl, x, y = _nb06_problem()
    opt = BasicOptim(model.parameters(), lr)
    out = []
    while len(out) < steps:
        for xb, yb in dl:
            loss = calc_grad(xb, yb, model)
            opt.step()
            opt.zero_grad()
            with torch.no_grad():
                out.append(loss.item() if batch_loss else mnist_loss(model(x), y).item())
            if len(out) == steps:
                break
    return out


def _nb06_first(losses, target):
    return next((i + 1 for i, v in enumerate(losses) if v <= target), None)


@exercise("06", 3, "steps_to_target")
def check_steps_to_target(steps_to_target):
    "Exercise 06.3: the first step after which the loss on all of x, y is <= target, or None."
    lr, max_steps = 0.5, 60
    losses = _nb06_losses(lr, max_steps)
    batch = _nb06_losses(lr, max_steps, batch_loss=True)
    # targets reached in the first epoch, in a later one, and never
    cases = [(losses[4] + losses[5]) / 2, (losses[20] + losses[21]) / 2, min(losses) / 2]
    for target in cases:
        model, dl, x, y = _nb06_problem()
        want = _nb06_first(losses, target)
        got = call_uncopied(steps_to_target, model, dl, lr, x, y, target, max_steps)
        label = f"with target {target:.4f} (lr {lr}, at most {max_steps} steps)"
        if want is None:
            if got is None:
                continue
            if got is not None and as_number(got, "your step count") == max_steps:
                raise Wrong(f"{label} the loss never gets there, so return None, not max_steps.")
            raise Wrong(f"{label} the loss on all of x, y never gets there, but you return "
                        f"{describe(got)}: return None.")
        if got is None:
            if want > len(dl):
                raise Wrong(f"{label} you return None, but the loss gets there at step {want}, "
                            f"in a later epoch: loop over dl epoch after epoch until max_steps.")
            raise Wrong(f"{label} you return None, but the loss on all of x, y gets there at "
                        f"step {want}.")
        got = as_number(got, "your step count")
        if got == want:
            continue
        if got == want - 1:
            raise Wrong(f"{label} you return {got:g}, but it is step {want}: the first step is "
                        f"step 1, not 0.")
        if got == want + 1:
            raise Wrong(f"{label} you return {got:g}, but it is step {want}: measure the loss "
                        f"after each step, not before it.")
        if got == _nb06_first(batch, target):
            raise Wrong(f"{label} you return {got:g}, but it is step {want}: measure the loss on "
                        f"all of x, y after the step, not the mini-batch's loss.")
        raise Wrong(f"{label} you return {got:g}, but the loss on all of x, y first gets to the "
                    f"target after step {want}.")
