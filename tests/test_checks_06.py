"""The checks of notebook 06 accept the reference solutions, answers written another way, and name
each plausible mistake."""
import math

import numpy as np
import torch

import checks
import utils
import sweeps
from checking import assert_passes, assert_wrong, status


# ---------------------------------------------------------------- 06.1 make_loaders

def make_loaders(x, y, valid_x, valid_y):
    bs = 64
    dl = utils.TensorLoader(x, y, batch_size=bs, shuffle=True)
    valid_dl = utils.TensorLoader(valid_x, valid_y, batch_size=bs)
    return bs, dl, valid_dl, math.ceil(len(x) / bs)


def make_torch_loaders(x, y, valid_x, valid_y):
    "torch's DataLoader over lists of pairs, drop_last, and the count as a NumPy int."
    from torch.utils.data import DataLoader
    bs = 100
    dl = DataLoader(list(zip(x, y)), batch_size=bs, shuffle=True, drop_last=True)
    valid_dl = DataLoader(list(zip(valid_x, valid_y)), batch_size=bs)
    return np.int64(bs), dl, valid_dl, np.int64(len(x) // bs)


def make_fastai_loaders(x, y, valid_x, valid_y):
    "fastai's DataLoader, as in notebook 05, and the count as a whole float and a tensor."
    from fastai.data.load import DataLoader
    bs = 32
    dl = DataLoader(list(zip(x, y)), batch_size=bs, shuffle=True)
    valid_dl = DataLoader(list(zip(valid_x, valid_y)), batch_size=bs)
    return torch.tensor(bs), dl, valid_dl, float(-(-len(x) // bs))


def test_make_loaders_accepts_the_reference_and_other_loaders_and_number_types():
    assert_passes(checks.check_make_loaders, make_loaders)
    assert_passes(checks.check_make_loaders, make_torch_loaders)
    assert_passes(checks.check_make_loaders, make_fastai_loaders)


def with_(**changes):
    "The reference, with some of its loaders' settings or its count changed."
    def answer(x, y, valid_x, valid_y):
        bs = changes.get("bs", 64)
        dl = utils.TensorLoader(x, y, batch_size=changes.get("dl_bs", bs),
                                shuffle=changes.get("shuffle", True),
                                drop_last=changes.get("drop_last", False))
        valid_dl = utils.TensorLoader(valid_x, valid_y, batch_size=changes.get("valid_bs", bs),
                                      drop_last=changes.get("valid_drop_last", False))
        steps = changes.get("steps", lambda n, b: math.ceil(n / b))(len(x), bs)
        return bs, dl, valid_dl, steps
    return answer


def test_make_loaders_names_each_mistake():
    assert_wrong(checks.check_make_loaders, with_(shuffle=False), "stored order", "shuffle=True")
    assert_wrong(checks.check_make_loaders, with_(dl_bs=32), "batches of bs = 64")
    assert_wrong(checks.check_make_loaders, with_(valid_bs=256), "valid_dl should give batches")
    assert_wrong(checks.check_make_loaders, with_(valid_drop_last=True), "no drop_last there")
    assert_wrong(checks.check_make_loaders, with_(steps=lambda n, b: n / b), "a number of steps "
                 "is whole")
    assert_wrong(checks.check_make_loaders, with_(steps=lambda n, b: n // b), "partial batch is "
                 "a step too")
    assert_wrong(checks.check_make_loaders, with_(drop_last=True), "use n // bs")
    assert_wrong(checks.check_make_loaders, with_(steps=lambda n, b: math.ceil(12396 / b)),
                 "count from len(x)")
    assert_wrong(checks.check_make_loaders, with_(bs=1000), "choose one from 2 to 512")


def test_make_loaders_catches_one_order_for_every_epoch_and_split_pairs():
    def same_order(x, y, valid_x, valid_y):
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
        dl = utils.TensorLoader(x[order], y[order], batch_size=50)
        return 50, dl, utils.TensorLoader(valid_x, valid_y, batch_size=50), len(dl)
    assert_wrong(checks.check_make_loaders, same_order, "same order every epoch")

    def split(x, y, valid_x, valid_y):
        dl = utils.TensorLoader(x, y[torch.randperm(len(y))], batch_size=50, shuffle=True)
        return 50, dl, utils.TensorLoader(valid_x, valid_y, batch_size=50), len(dl)
    assert_wrong(checks.check_make_loaders, split, "targets no longer belong")
    assert_wrong(checks.check_make_loaders, lambda *a: (64, None), "the four things")


# ---------------------------------------------------------------- 06.2 bs_experiment

def bs_experiment(x, y):
    losses = {}
    for bs in (16, 256):
        losses[bs] = []
        for seed in (0, 1, 2):
            model = utils.make_linear()
            dl = utils.TensorLoader(x, y, batch_size=bs, shuffle=True,
                                    generator=torch.Generator().manual_seed(seed))
            sweeps.train_steps(model, dl, utils.BasicOptim(model.parameters(), 1.0), 200)
            with torch.no_grad():
                losses[bs].append(utils.mnist_loss(model(x), y).item())
    return losses, "tie"


def saying(losses, conclusion):
    "An experiment that returns these numbers, already measured, and this conclusion."
    return lambda x, y: (losses, conclusion)


def test_bs_experiment_accepts_the_reference():
    assert_passes(checks.check_bs_experiment, bs_experiment)


def test_bs_experiment_accepts_numpy_and_tensor_numbers_and_any_spelling():
    losses = {np.int64(8): np.array([0.031, 0.029, 0.030]),
              torch.tensor(512): (torch.tensor(0.0201), np.float32(0.0203))}
    losses[np.int64(8)] = list(losses[np.int64(8)])
    assert_passes(checks.check_bs_experiment, saying(losses, " Larger"))
    assert_passes(checks.check_bs_experiment, saying({4: [0.02, 0.03], 64: [0.021, 0.0215]},
                                                     "tie"))
    assert_passes(checks.check_bs_experiment, saying({32: [0.020, 0.0201],
                                                      1024: [0.030, 0.031, 0.0305]}, "smaller"))


def test_bs_experiment_judges_the_conclusion_by_the_learners_own_spread():
    tie = {16: [0.0246, 0.0249, 0.0253], 256: [0.0246, 0.0246, 0.0247]}
    assert_wrong(checks.check_bs_experiment, saying(tie, "larger"), "no larger than the spread",
                 "is a tie")
    clear = {16: [0.030, 0.031, 0.0305], 256: [0.020, 0.0201, 0.0202]}
    assert_wrong(checks.check_bs_experiment, saying(clear, "tie"), "more than the spread",
                 "'larger'")
    assert_wrong(checks.check_bs_experiment, saying(clear, "smaller"), "lower loss is the "
                 "larger batch size's")
    # a diverged seed makes a huge spread: then even a large difference of means is a tie
    diverged = {8: [0.5052, 0.0263, 0.0291], 256: [0.0212, 0.0205, 0.0207]}
    assert_wrong(checks.check_bs_experiment, saying(diverged, "larger"), "is a tie")


def test_bs_experiment_names_malformed_answers():
    assert_wrong(checks.check_bs_experiment, saying({16: [0.03, 0.03, 0.03],
                                                     256: [0.02, 0.021]}, "larger"),
                 "exactly the same loss at B=16", "manual_seed(seed)")
    assert_wrong(checks.check_bs_experiment, saying({16: [0.97, 0.975], 256: [0.978, 0.98]},
                                                    "larger"), "look like accuracies")
    assert_wrong(checks.check_bs_experiment, saying({16: [0.03, 0.031]}, "tie"),
                 "two batch sizes as keys")
    assert_wrong(checks.check_bs_experiment, saying({16: [0.03], 256: [0.02]}, "tie"),
                 "a list of 2 or 3 losses")
    assert_wrong(checks.check_bs_experiment, saying({16: [0.03, 0.031], 256: [0.02, 0.021]},
                                                    "B=256"), "'smaller', 'larger' or 'tie'")
    assert_wrong(checks.check_bs_experiment, saying({16: [0.03, 7.5], 256: [0.02, 0.021]},
                                                    "tie"), "between 0 and 1")
    assert_wrong(checks.check_bs_experiment, lambda x, y: {16: [0.03, 0.031]},
                 "(losses, conclusion)")


# ---------------------------------------------------------------- 06.3 steps_to_target

def steps_to_target(model, dl, lr, x, y, target, max_steps):
    opt = utils.BasicOptim(model.parameters(), lr)
    step = 0
    while step < max_steps:
        for xb, yb in dl:
            utils.calc_grad(xb, yb, model)
            opt.step()
            opt.zero_grad()
            step += 1
            with torch.no_grad():
                if utils.mnist_loss(model(x), y).item() <= target:
                    return step
            if step == max_steps:
                break
    return None


def steps_to_target_losses(model, dl, lr, x, y, target, max_steps):
    "Another way: train_steps's loop by hand, every loss kept, the count as a NumPy int."
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for xb, yb in (b for _ in range(max_steps) for b in dl):
        opt.zero_grad()
        utils.mnist_loss(model(xb), yb).backward()
        opt.step()
        with torch.no_grad():
            losses.append(utils.mnist_loss(model(x), y))
        if losses[-1] <= target:
            return np.int64(len(losses))
        if len(losses) == max_steps:
            return None


def test_steps_to_target_accepts_the_reference_and_another_loop():
    assert_passes(checks.check_steps_to_target, steps_to_target)
    assert_passes(checks.check_steps_to_target, steps_to_target_losses)


def shifted(by):
    def answer(*args):
        got = steps_to_target(*args)
        return None if got is None else got + by
    return answer


def test_steps_to_target_names_each_mistake():
    assert_wrong(checks.check_steps_to_target, shifted(-1), "the first step is step 1")
    assert_wrong(checks.check_steps_to_target, shifted(+1), "not before it")

    def batch_loss(model, dl, lr, x, y, target, max_steps):
        opt = utils.BasicOptim(model.parameters(), lr)
        for step, (xb, yb) in enumerate((b for _ in range(max_steps) for b in dl), 1):
            loss = utils.calc_grad(xb, yb, model)
            opt.step()
            opt.zero_grad()
            if loss.item() <= target:
                return step
            if step == max_steps:
                return None
    assert_wrong(checks.check_steps_to_target, batch_loss, "not the mini-batch's loss")

    def one_epoch(model, dl, lr, x, y, target, max_steps):
        opt = utils.BasicOptim(model.parameters(), lr)
        for step, (xb, yb) in enumerate(dl, 1):
            utils.calc_grad(xb, yb, model)
            opt.step()
            opt.zero_grad()
            with torch.no_grad():
                if utils.mnist_loss(model(x), y).item() <= target:
                    return step
        return None
    assert_wrong(checks.check_steps_to_target, one_epoch, "epoch after epoch")

    def max_instead_of_none(*args):
        got = steps_to_target(*args)
        return args[-1] if got is None else got
    assert_wrong(checks.check_steps_to_target, max_instead_of_none, "not max_steps")


def test_the_checks_of_06_report_stubs_as_not_attempted():
    def stub(*args):
        raise NotImplementedError()
    for check in (checks.check_make_loaders, checks.check_bs_experiment,
                  checks.check_steps_to_target):
        assert status(check, stub).status == "not attempted"
