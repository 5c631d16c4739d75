"""Checks for the course's exercises: each one says *passed*, names what is wrong, or says *not
attempted yet*.

Every notebook ends with exercises: a function (or class) for you to write, then a check cell such
as `check_n_batches(n_batches)`. A check calls your code on inputs it makes itself (it never changes
your objects), compares the result with the reference, and prints one line in words. A stub that
still raises `NotImplementedError` counts as *not attempted*, so *Run All* never stops on it.
`progress()` runs the exercises saved in `notebooks/` and lists which pass.

Why a second module beside `utils.py`: `utils.py` holds what the lessons derive and reuse and stays
short enough to read in ten minutes; these checks are the course's answer key and are long.
"""
import copy
import json
import math
import traceback
from dataclasses import dataclass
from pathlib import Path

import torch

COURSE_DIR = Path(__file__).resolve().parent
EXERCISES = {}  # name of the check -> Exercise, filled by @exercise below
# What an exercise cell may use without importing it (progress() runs the cells with this first).
PRELUDE = "import math, random\nimport numpy as np\nimport torch\nfrom torch import nn\nfrom utils import *\n"


class Wrong(Exception):
    "A check raises this with a message for the learner when an answer is wrong."


@dataclass
class Result:
    "What a check found: `status` is 'passed', 'wrong' or 'not attempted'; `message` says why."
    status: str
    message: str

    @property
    def passed(self):
        return self.status == "passed"


@dataclass
class Exercise:
    "Exercise `number` of notebook `notebook` asks for `function`; `check` raises Wrong if it's wrong."
    notebook: str
    number: int
    function: str
    check: object

    @property
    def label(self):
        return f"Exercise {self.notebook}.{self.number} ({self.function})"


def evaluate(check, answer):
    "Run `check` on `answer` and return a Result instead of raising."
    if answer is None:
        return Result("not attempted", "there is nothing to check yet: define it and run its cell.")
    try:
        check(answer)
    except NotImplementedError:
        return Result("not attempted", "replace `raise NotImplementedError()` with your code, "
                                       "run that cell, then this one.")
    except Wrong as e:
        return Result("wrong", str(e))
    except Exception as e:  # raised by the learner's code, or by a result of an unexpected kind
        where = traceback.extract_tb(e.__traceback__)[-1]
        return Result("wrong", f"calling your code raised {type(e).__name__}: {e} "
                               f"(line {where.lineno}: {where.line!r}).")
    return Result("passed", "passed.")


def line(ex, result):
    "One line for the learner: a mark, the exercise, and what the check found."
    mark = {"passed": "✅", "wrong": "❌", "not attempted": "⏳"}[result.status]
    return f"{mark} {ex.label}: {result.message}"


def exercise(notebook, number, function):
    "Register the check below as exercise `number` of notebook `notebook`, which asks for `function`."
    def register(check):
        ex = Exercise(notebook, number, function, check)
        EXERCISES[check.__name__] = ex

        def run(answer):
            print(line(ex, evaluate(check, answer)))
        run.__name__, run.__doc__, run.exercise = check.__name__, check.__doc__, ex
        return run
    return register


# ---------------------------------------------------------------- tools the checks share

def call(fn, *args, **kwargs):
    "Call the learner's `fn` on deep copies, so nothing of the check's (or theirs) is changed."
    return fn(*copy.deepcopy(args), **copy.deepcopy(kwargs))


def expect_tensor(value, what, shape=None):
    "Raise Wrong unless `value` is a tensor (of `shape`, when given)."
    if not torch.is_tensor(value):
        raise Wrong(f"{what} should be a tensor, but it is {type(value).__name__}.")
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise Wrong(f"{what} should have shape {tuple(shape)}, but it has {tuple(value.shape)}.")


def expect_close(value, expected, what, atol=1e-6, rtol=1e-5):
    "Raise Wrong unless `value` equals `expected` (a number or tensor) within tolerance."
    if torch.is_tensor(expected):
        expect_tensor(value, what, expected.shape)
        if not torch.allclose(value.detach().double(), expected.detach().double(), atol=atol, rtol=rtol):
            err = (value.detach().double() - expected.detach().double()).abs().max().item()
            raise Wrong(f"{what} is off from the reference by up to {err:.3g}.")
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not torch.is_tensor(value):
        raise Wrong(f"{what} should be a number, but it is {type(value).__name__}.")
    value = float(value)
    if not math.isclose(value, float(expected), abs_tol=atol, rel_tol=rtol):
        raise Wrong(f"{what} is {value:.6g}, but it should be {float(expected):.6g}.")


# ---------------------------------------------------------------- progress across notebooks

def exercise_cells(nb_path):
    "Sources of the code cells tagged `exercise` in a saved notebook, in order."
    nb = json.loads(Path(nb_path).read_text())
    return ["".join(c["source"]) for c in nb["cells"]
            if c["cell_type"] == "code" and "exercise" in c.get("metadata", {}).get("tags", [])]


def notebook_results(nb_path):
    "Run the exercise cells saved in one notebook and check each of its exercises: {Exercise: Result}."
    number = Path(nb_path).name[:2]
    namespace = {}
    exec(PRELUDE, namespace)
    failed = None
    for source in exercise_cells(nb_path):
        try:
            exec(compile(source, str(nb_path), "exec"), namespace)
        except NotImplementedError:
            pass
        except Exception as e:
            failed = f"an exercise cell raised {type(e).__name__}: {e}"
    results = {}
    for ex in sorted((e for e in EXERCISES.values() if e.notebook == number), key=lambda e: e.number):
        answer = namespace.get(ex.function)
        results[ex] = evaluate(ex.check, answer)
        if answer is None and failed:
            results[ex] = Result("wrong", failed)
    return results


def progress(folder=None):
    "Print, for every notebook in `folder` (default: notebooks/), which of its exercises pass now."
    folder = Path(folder) if folder is not None else COURSE_DIR / "notebooks"
    summary = {}
    for path in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
        results = notebook_results(path)
        if not results:
            continue
        done = sum(r.passed for r in results.values())
        marks = " ".join(line(ex, r)[0] + str(ex.number) for ex, r in results.items())
        print(f"{path.stem}: {done}/{len(results)} passed  {marks}")
        for ex, r in results.items():
            if r.status == "wrong":
                print(f"    {line(ex, r)}")
        summary[path.name[:2]] = {ex.number: r.status for ex, r in results.items()}
    return summary


# ================================================================ the checks, notebook by notebook
# Each notebook's checks live in its own section below; keep the sections in notebook order.

# ---------------------------------------------------------------- notebook 01
# (checks of notebook 01)


# ---------------------------------------------------------------- notebook 02
# (checks of notebook 02)


# ---------------------------------------------------------------- notebook 03
# ---- helpers of notebooks 03-04's checks

def _number(value, what):
    "A Python number from a float, an int or a one-element tensor; Wrong otherwise."
    if torch.is_tensor(value):
        if value.numel() != 1:
            raise Wrong(f"{what} should be one number, but it is a tensor of shape {tuple(value.shape)}.")
        return float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Wrong(f"{what} should be a number, but it is {type(value).__name__}.")
    return float(value)


def _close(a, b, atol=1e-5):
    "Whether two tensors have the same shape and values (a learner's and a candidate's)."
    return (torch.is_tensor(a) and torch.is_tensor(b) and a.shape == b.shape
            and torch.allclose(a.detach().double(), b.detach().double(), atol=atol, rtol=1e-4))


@exercise("03", 1, "stack_images")
def check_stack_images(stack_images):
    "Exercise 03.1: a list of uint8 images -> one float32 tensor (n, rows, columns) in [0, 1]."
    g = torch.Generator().manual_seed(3)
    for n, rows, cols in [(3, 28, 28), (1, 4, 6)]:
        images = [torch.randint(0, 256, (rows, cols), dtype=torch.uint8, generator=g) for _ in range(n)]
        images[0][0, :2] = torch.tensor([0, 255], dtype=torch.uint8)
        got = call(stack_images, images)
        expect_tensor(got, f"for {n} images of {rows}x{cols}, your result")
        if n > 1 and tuple(got.shape) == (n * rows, cols):
            raise Wrong(f"for {n} images of {rows}x{cols} you return shape {tuple(got.shape)}: "
                        f"torch.cat joins along an existing axis; torch.stack adds a new first axis.")
        expect_tensor(got, f"for {n} images of {rows}x{cols}, your result", (n, rows, cols))
        if got.dtype != torch.float32:
            raise Wrong(f"your tensor's type is {got.dtype}: make it float32 with .float(), "
                        f"the type of the model's weights.")
        if got.max() > 1 + 1e-6:
            raise Wrong(f"your values go up to {got.max().item():g}: divide by 255 to scale them to [0, 1].")
        expect_close(got, torch.stack(images).float() / 255, "your stack")


@exercise("03", 2, "mnist_distance")
def check_mnist_distance(mnist_distance):
    "Exercise 03.2: mean absolute difference over the last two axes, for one image or a stack."
    g = torch.Generator().manual_seed(4)
    stack, mean = torch.rand(5, 4, 4, generator=g), torch.rand(4, 4, generator=g)
    got = call(mnist_distance, stack, mean)
    expect_tensor(got, "for a stack of 5 images and a mean, your distance")
    if got.dim() == 0:
        raise Wrong("you return one number for a stack of 5 images: take the mean over the last two "
                    "axes only, .mean((-1, -2)), to get one distance per image.")
    if tuple(got.shape) == (5, 4, 4):
        raise Wrong("you return one number per pixel: take the mean over the last two axes, "
                    ".mean((-1, -2)), to get one distance per image.")
    expect_tensor(got, "for a stack of 5 images and a mean, your distance", (5,))
    diff = stack - mean
    if _close(got, diff.mean((-1, -2))):
        raise Wrong("take the absolute value of the differences before the mean: without .abs() "
                    "the positive and negative differences cancel out.")
    if _close(got, diff.pow(2).mean((-1, -2)).sqrt()):
        raise Wrong("that is the root mean squared difference (RMSE, L2); this exercise asks for the "
                    "mean absolute difference (L1): (a - b).abs().mean((-1, -2)).")
    expect_close(got, diff.abs().mean((-1, -2)), "your distances")
    one = call(mnist_distance, stack[2], mean)
    expect_tensor(one, "for one image and a mean, your distance", ())
    expect_close(one, diff[2].abs().mean(), "your distance for one image")


@exercise("03", 3, "to_xy")
def check_to_xy(to_xy):
    "Exercise 03.3: two stacks -> x of shape (n, 784), 3s first, and y a column, 1 for a 3."
    g = torch.Generator().manual_seed(5)
    threes, sevens = torch.rand(3, 28, 28, generator=g), torch.rand(2, 28, 28, generator=g)
    got = call(to_xy, threes, sevens)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Wrong(f"return a pair (x, y); you return {type(got).__name__}"
                    f"{' of length ' + str(len(got)) if isinstance(got, (tuple, list)) else ''}.")
    x, y = got
    expect_tensor(x, "x")
    if tuple(x.shape) == (5, 28, 28):
        raise Wrong("x has shape (5, 28, 28): flatten each image into a row of 784 numbers, "
                    "with .view(-1, 28*28).")
    expect_tensor(x, "for 3 threes and 2 sevens, x", (5, 784))
    if _close(x, torch.cat([sevens, threes]).view(-1, 784)):
        raise Wrong("x starts with the 7s: put the 3s first, then the 7s, as train_x does.")
    expect_close(x, torch.cat([threes, sevens]).view(-1, 784), "x")
    expect_tensor(y, "y")
    if tuple(y.shape) == (5,):
        raise Wrong("y has shape (5,): make it a column of shape (5, 1) with .unsqueeze(1), "
                    "so that it lines up with the model's (n, 1) predictions.")
    expect_tensor(y, "for 3 threes and 2 sevens, y", (5, 1))
    labels = y.detach().double().flatten().tolist()
    if labels == [0, 0, 0, 1, 1]:
        raise Wrong("your labels are swapped: a 3 is labelled 1 and a 7 is labelled 0.")
    if labels != [1, 1, 1, 0, 0]:
        raise Wrong(f"y should hold 1 for each 3, then 0 for each 7: [1, 1, 1, 0, 0], "
                    f"not {labels}.")


def _pixel_data():
    "Synthetic 6x6 'digits': 5 threes (one looks like a 7) and 3 sevens (one looks like a 3)."
    g = torch.Generator().manual_seed(6)
    mean3, mean7 = torch.zeros(6, 6), torch.zeros(6, 6)
    mean3[:, 4] = 1.0  # a blocky 3: the right edge and three bars
    mean3[[0, 2, 5], 1:5] = 1.0
    mean7[0, :] = 1.0  # a blocky 7: the top bar and a diagonal
    mean7[torch.arange(1, 6), torch.arange(4, -1, -1)] = 1.0
    noise = lambda n: 0.15 * torch.rand(n, 6, 6, generator=g)  # noqa: E731
    threes = torch.cat([mean3.expand(4, 6, 6), mean7[None]]) + noise(5)
    sevens = torch.cat([mean7.expand(2, 6, 6), mean3[None]]) + noise(3)
    return threes, sevens, mean3, mean7


@exercise("03", 4, "pixel_accuracy")
def check_pixel_accuracy(pixel_accuracy):
    "Exercise 03.4: the fraction of all images that pixel similarity gets right."
    threes, sevens, mean3, mean7 = _pixel_data()
    got = _number(call(pixel_accuracy, threes, sevens, mean3, mean7), "your accuracy")
    d = lambda x, m: (x - m).abs().mean((-1, -2))  # noqa: E731
    right3 = (d(threes, mean3) < d(threes, mean7)).float()
    right7 = (d(sevens, mean7) <= d(sevens, mean3)).float()
    overall = (right3.sum() + right7.sum()).item() / (len(threes) + len(sevens))
    if math.isclose(got, (right3.mean() + right7.mean()).item() / 2, abs_tol=1e-6):
        raise Wrong("you averaged the accuracy on the 3s and on the 7s; with 5 threes and "
                    "3 sevens each image should count once: divide the number right by all "
                    "8 images.")
    if math.isclose(got, (right3.sum() + (1 - right7).sum()).item() / 8, abs_tol=1e-6):
        raise Wrong("a 7 is right when it is NOT closer to the mean 3: count the 7s with ~is_3, "
                    "or 1 - is_3, as the notebook does.")
    if not math.isclose(got, overall, abs_tol=1e-6):
        raise Wrong(f"for 5 threes (4 look like a 3) and 3 sevens (2 look like a 7) you return "
                    f"{got:.4f}, but pixel similarity gets {overall:.4f} right.")


# ---------------------------------------------------------------- notebook 04
@exercise("04", 1, "init_params")
def check_init_params(init_params):
    "Exercise 04.1: N(0, std²) numbers of shape `size`, a leaf tensor that tracks its gradient."
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(4)
        for size in [(784, 1), 1]:
            got = call(init_params, size)
            shape = (size,) if isinstance(size, int) else size
            expect_tensor(got, f"init_params({size!r})", shape)
            if not got.requires_grad:
                raise Wrong("PyTorch does not track this tensor's gradient: "
                            "call .requires_grad_() on it.")
            if not got.is_leaf:
                made_by = type(got.grad_fn).__name__
                raise Wrong(f"your tensor is not a leaf: it was computed ({made_by}) from a tensor "
                            f"that tracks gradients, so backward() would fill that one's .grad, "
                            f"not yours. Multiply by std first, then call .requires_grad_().")
        got = call(init_params, (20_000,), std=0.1)
        expect_tensor(got, "init_params((20000,), std=0.1)", (20_000,))
        mean, sd = got.detach().double().mean().item(), got.detach().double().std().item()
        if abs(mean) > 0.01:
            raise Wrong(f"with std=0.1 the mean of your numbers is {mean:.3f}, not about 0: draw "
                        f"them from the normal distribution, torch.randn (torch.rand is uniform "
                        f"on [0, 1)).")
        if not 0.095 < sd < 0.105:
            raise Wrong(f"with std=0.1 your numbers have a standard deviation of {sd:.3f}: draw "
                        f"torch.randn(size), which has 1, and multiply by std.")
        again = call(init_params, (20_000,), std=0.1)
        if torch.equal(got.detach(), again.detach()):
            raise Wrong("two calls gave the same numbers: draw new random ones each time, "
                        "with torch.randn.")


@exercise("04", 2, "linear")
def check_linear(linear):
    "Exercise 04.2: xb @ weights + bias, one prediction per row, differentiable."
    g = torch.Generator().manual_seed(5)
    for n, pixels in [(5, 6), (3, 10)]:
        xb = torch.rand(n, pixels, generator=g)
        weights = torch.randn(pixels, 1, generator=g).requires_grad_()
        bias = torch.randn(1, generator=g).requires_grad_()
        got = call(linear, xb, weights, bias)
        expect_tensor(got, f"for {n} images, your predictions")
        if tuple(got.shape) != (n, 1):
            raise Wrong(f"for {n} images of {pixels} pixels your predictions have shape "
                        f"{tuple(got.shape)}, but there is one per image: ({n}, 1). xb @ weights "
                        f"multiplies each row by the weights and sums over the pixels.")
        if _close(got, xb @ weights):
            raise Wrong("your predictions lack the bias: add it, xb @ weights + bias.")
        expect_close(got, xb @ weights + bias, "your predictions")
        if not got.requires_grad:
            raise Wrong("your predictions don't track gradients: no .detach(), no torch.no_grad() "
                        "in the model, or SGD cannot follow them.")


def _reference_mnist_loss(predictions, targets):
    predictions = predictions.sigmoid()
    return torch.where(targets == 1, 1 - predictions, predictions).mean()


@exercise("04", 3, "mnist_loss")
def check_mnist_loss(mnist_loss):
    "Exercise 04.3: sigmoid, then distance from the target, then the mean."
    preds = torch.tensor([[-3.0], [2.0], [0.5], [4.0], [-1.0], [5.0]])
    for targets in [torch.tensor([[1], [0], [1], [1], [0], [0]]),
                    torch.tensor([[0.0], [0.0], [1.0], [1.0], [1.0], [0.0]])]:
        got = call(mnist_loss, preds.clone().requires_grad_(), targets)
        if isinstance(got, float):
            raise Wrong("you return a Python float: return the tensor itself (no .item()), so that "
                        "backward() can follow it.")
        expect_tensor(got, "your loss")
        if got.dim() != 0:
            raise Wrong(f"your loss has shape {tuple(got.shape)}: it should be one number (a 0-d "
                        f"tensor), the mean over the batch.")
        s = preds.sigmoid()
        expected = _reference_mnist_loss(preds, targets)
        value = got.item()
        no_sigmoid = torch.where(targets == 1, 1 - preds, preds).mean().item()
        if math.isclose(value, no_sigmoid, abs_tol=1e-5):
            raise Wrong(f"your loss is {value:.4f}, not between 0 and 1: did you apply the sigmoid "
                        f"to the predictions first?")
        if math.isclose(value, torch.where(targets == 1, s, 1 - s).mean().item(), abs_tol=1e-5):
            raise Wrong("you swapped the two cases: for a 3 (target 1) the distance is "
                        "1 - sigmoid(prediction), for a 7 (target 0) it is sigmoid(prediction).")
        if math.isclose(value, expected.item() * len(preds), abs_tol=1e-4):
            raise Wrong("you summed the distances: take their mean, so the loss doesn't grow "
                        "with the batch size.")
        expect_close(got, expected, "your loss")
        if not got.requires_grad:
            raise Wrong("your loss doesn't track gradients: build it from the predictions with "
                        "tensor operations, no .detach() or .item().")


def _accuracy(predictions, targets):
    return ((predictions > 0).float() == targets).float().mean()


@exercise("04", 4, "gradient")
def check_gradient(gradient):
    "Exercise 04.4: autograd's gradient, fresh each call, and zeros for a loss that has none."
    g = torch.Generator().manual_seed(6)
    xb, w0 = torch.rand(8, 5, generator=g), torch.randn(5, 1, generator=g)
    yb = torch.tensor([[1], [0], [1], [1], [0], [0], [1], [0]])
    squared = lambda p, y: (p - y).pow(2).mean()  # noqa: E731
    for name, loss_func in [("mnist_loss", _reference_mnist_loss), ("a squared error", squared)]:
        w = w0.clone().requires_grad_()
        expected, = torch.autograd.grad(loss_func(xb @ w, yb), w)
        got = call(gradient, loss_func, w0.clone(), xb, yb)
        expect_tensor(got, f"for {name}, your gradient", (5, 1))
        if _close(got, -expected):
            raise Wrong(f"for {name} your gradient has the wrong sign: return weights.grad as "
                        f"backward() leaves it (SGD subtracts it later).")
        expect_close(got, expected, f"for {name}, your gradient", atol=1e-6)
        held = w0.clone().requires_grad_()
        held.grad = torch.ones_like(held)
        got = call(gradient, loss_func, held, xb, yb)
        expect_tensor(got, f"for weights whose .grad already holds ones, your gradient", (5, 1))
        if _close(got, expected + 1):
            raise Wrong("for weights whose .grad already held ones, your gradient is 1 too big: "
                        "backward() adds to .grad. Start from weights.detach().clone() "
                        "(or zero .grad).")
        expect_close(got, expected, "for weights whose .grad already holds ones, your gradient",
                     atol=1e-6)
    try:
        got = call(gradient, _accuracy, w0.clone(), xb, yb)
    except RuntimeError as e:
        message = (f"for the accuracy your code raised RuntimeError ({str(e)[:60]}…): the "
                   f"accuracy has no gradient (its requires_grad is False), so return zeros.")
        raise Wrong(message) from None
    expect_tensor(got, "for the accuracy, your gradient", (5, 1))
    if not torch.equal(got.detach(), torch.zeros(5, 1)):
        raise Wrong("for the accuracy your gradient is not all zeros: a loss built with > is flat "
                    "almost everywhere, and autograd cannot differentiate it at all.")


# ---------------------------------------------------------------- notebook 05
# (checks of notebook 05)


# ---------------------------------------------------------------- notebook 06
# (checks of notebook 06)


# ---------------------------------------------------------------- notebook 07
# (checks of notebook 07)


# ---------------------------------------------------------------- notebook 08
# (checks of notebook 08)


# ---------------------------------------------------------------- notebook 09
# (checks of notebook 09)


# ---------------------------------------------------------------- notebook 10
# (checks of notebook 10)
