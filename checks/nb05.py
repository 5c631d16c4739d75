"Checks for the exercises of notebook 05, The training loop, then refactored step by step."
import functools
import math

import torch

from . import (Wrong, as_number, call, call_uncopied, close_tensors, exercise,
               expect_tensor)

__all__ = ["check_sgd_update", "check_SimpleOptim", "check_image_accuracy", "check_collapse_linear",
           "check_train_epoch"]


def _nb05_problem(seed, n=12, n_in=3):
    "A tiny problem of the book's kind: inputs, 0/1 targets, and a fresh (weights, bias)."
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, n_in, generator=g)
    y = (torch.rand(n, 1, generator=g) > 0.5).float()
    w = torch.randn(n_in, 1, generator=g).requires_grad_()
    b = torch.randn(1, generator=g).requires_grad_()
    return x, y, w, b


def _nb05_loss(x, y, w, b):
    "mnist_loss of the linear model x @ w + b."
    s = (x @ w + b).sigmoid()
    return torch.where(y == 1, 1 - s, s).mean()


def _nb05_cleared(p):
    return p.grad is None or not p.grad.abs().sum().item()


@exercise("05", 1, "sgd_update")
def check_sgd_update(sgd_update):
    "Exercise 05.1: one SGD step on every parameter, in place, then the gradients zeroed."
    for seed, lr in ((0, 0.5), (1, 2.0)):
        x, y, w, b = _nb05_problem(seed)
        params = (w, b)
        for step in (1, 2):
            _nb05_loss(x, y, w, b).backward()
            before = [p.detach().clone() for p in params]
            grads = [p.grad.detach().clone() for p in params]
            want = [p0 - lr * g for p0, g in zip(before, grads)]
            # the check's own tensors, passed as they are: an in-place update must reach them
            try:
                returned = call_uncopied(sgd_update, params, lr)
            except RuntimeError as e:
                if "leaf Variable" not in str(e):
                    raise
                raise Wrong("PyTorch refuses `p -= ...` on a parameter that requires grad, as "
                            "autograd would record it: update p.data (p.data -= lr * p.grad), "
                            "or do it inside `with torch.no_grad():`.") from None
            now = [p.detach() for p in params]
            if all(torch.equal(p, p0) for p, p0 in zip(now, before)):
                if isinstance(returned, (list, tuple)) and len(returned) == 2 and all(
                        torch.is_tensor(r) and r.shape == wp.shape and torch.allclose(
                            r.detach(), wp, atol=1e-6) for r, wp in zip(returned, want)):
                    raise Wrong("you return new tensors p - lr * p.grad, but the parameters "
                                "themselves did not change, and the model only ever sees those. "
                                "Update each one in place: p.data -= lr * p.grad (or p -= ... "
                                "inside `with torch.no_grad():`).")
                raise Wrong("the parameters did not change: subtract lr * p.grad from each one, "
                            "in place (p.data -= lr * p.grad).")
            if all(torch.allclose(p, p0 + lr * g, atol=1e-6)
                   for p, p0, g in zip(now, before, grads)):
                raise Wrong("you step *up* the gradient (p + lr * p.grad), which makes the loss "
                            "grow: subtract it.")
            if all(torch.allclose(p, p0 - g, atol=1e-6) for p, p0, g in zip(now, before, grads)):
                raise Wrong(f"with lr={lr} your step is the bare gradient: multiply it by lr.")
            if not all(torch.allclose(p, wp, atol=1e-6) for p, wp in zip(now, want)):
                raise Wrong(f"after step {step} with lr={lr} a parameter is not p - lr * p.grad.")
            if not all(_nb05_cleared(p) for p in params):
                raise Wrong("the gradients are still there after your step: zero them "
                            "(p.grad.zero_() or p.grad = None), or the next backward() adds the "
                            "new gradient to the old one.")


class _Nb05Model:
    "A linear model whose two parameters the check can read: forward is x @ w + b."
    def __init__(self, seed):
        self.x, self.y, self.w, self.b = _nb05_problem(seed)

    def parameters(self):
        yield self.w
        yield self.b


def _nb05_optim_run(SimpleOptim, lr=0.7, steps=3, as_generator=True):
    "Three steps of the learner's optimiser against the reference; Wrong at the first difference."
    model, ref = _Nb05Model(3), _Nb05Model(3)
    params = model.parameters() if as_generator else list(model.parameters())
    opt = call_uncopied(SimpleOptim, params, lr)
    if not (callable(getattr(opt, "step", None)) and callable(getattr(opt, "zero_grad", None))):
        raise Wrong(f"SimpleOptim(params, lr) should make an object with .step() and "
                    f".zero_grad() methods, but it gives {type(opt).__name__}.")
    for step in range(1, steps + 1):
        _nb05_loss(model.x, model.y, model.w, model.b).backward()
        _nb05_loss(ref.x, ref.y, ref.w, ref.b).backward()
        before = [p.detach().clone() for p in (model.w, model.b)]
        grads = [p.grad.detach().clone() for p in (model.w, model.b)]
        call_uncopied(opt.step)
        with torch.no_grad():
            for p in (ref.w, ref.b):
                p -= lr * p.grad
                p.grad = None
        now = [model.w.detach(), model.b.detach()]
        if all(torch.equal(p, p0) for p, p0 in zip(now, before)):
            raise Wrong(f"step() did not change the parameters (step {step}): subtract "
                        f"lr * p.grad from each, in place.")
        if all(torch.allclose(p, p0 + lr * g, atol=1e-6) for p, p0, g in zip(now, before, grads)):
            raise Wrong("step() goes *up* the gradient (p + lr * p.grad): subtract it.")
        if not all(torch.allclose(p, q.detach(), atol=1e-6) for p, q in zip(now, (ref.w, ref.b))):
            if all(torch.allclose(p, p0 - g, atol=1e-6) for p, p0, g in zip(now, before, grads)):
                raise Wrong(f"step() ignores the learning rate: with lr={lr} it should move "
                            f"each parameter by lr * p.grad.")
            raise Wrong(f"after step {step} the parameters differ from p - lr * p.grad: does "
                        f"step() use self.lr and every parameter's own gradient?")
        call_uncopied(opt.zero_grad)
        if not all(_nb05_cleared(p) for p in (model.w, model.b)):
            raise Wrong("after zero_grad() the gradients are still there: set each p.grad to None "
                        "(or zero it), or the next backward() adds to them.")


@exercise("05", 2, "SimpleOptim")
def check_SimpleOptim(SimpleOptim):
    "Exercise 05.2: an optimiser class with step() and zero_grad(), for many steps."
    _nb05_optim_run(SimpleOptim, as_generator=False)
    try:
        _nb05_optim_run(SimpleOptim, as_generator=True)
    except Wrong:
        raise Wrong("your optimiser works when given a list of parameters, but not when given "
                    "model.parameters(), a generator that is used up after one pass: keep a "
                    "list, self.params = list(params).") from None


def _nb05_linear(weight, bias):
    "An nn.Linear(1, 1) with the given weight and bias: its output is weight * x + bias."
    model = torch.nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(weight)
        model.bias.fill_(bias)
    return model


@exercise("05", 3, "image_accuracy")
def check_image_accuracy(image_accuracy):
    "Exercise 05.3: accuracy over all the images of a loader, each image counting once."
    # outputs 0.2 and 0.3 are a "3" (sigmoid above 0.5) though below 0.5: they test the threshold
    cases = [
        ([-0.2, 2.0, 2.0, 1.5, 1.5, 0.2, 0.2, 2.0, 1.5, 2.0], [1, 1, 0, 1, 1, 0, 0, 1, 0, 0], 4),
        ([2.0, -1.0, -1.0, 0.3, -0.2, 0.3, 2.0], [1, 1, 1, 1, 0, 1, 0], 3),
    ]
    for outputs, targets, bs in cases:
        x = torch.tensor(outputs).unsqueeze(1)
        y = torch.tensor(targets).unsqueeze(1)
        batches = list(zip(x.split(bs), y.split(bs)))
        model = _nb05_linear(1.0, 0.0)
        right = ((x.sigmoid() > 0.5) == y).float()
        want = right.mean().item()
        unweighted = torch.stack([r.mean() for r in right.split(bs)]).mean().item()
        no_sigmoid = ((x > 0.5) == y).float().mean().item()
        what = f"for {len(x)} images in batches of {bs} (the last of {len(x) % bs})"
        got = as_number(call(image_accuracy, model, batches), f"{what} your accuracy")
        if math.isclose(got, want, abs_tol=1e-4):
            continue
        if math.isclose(got, unweighted, abs_tol=1e-4):
            raise Wrong(f"{what} you return {got:.4f}, the mean of the batch accuracies: the "
                        f"short last batch counts as much as a full one. Count the right "
                        f"predictions over all images and divide by the number of images: "
                        f"{want:.4f}.")
        if math.isclose(got, no_sigmoid, abs_tol=1e-4):
            raise Wrong(f"{what} you return {got:.4f}: a prediction is a 3 when the *sigmoid* of "
                        f"the output is above 0.5 (the output above 0); you compare the raw "
                        f"output with 0.5.")
        raise Wrong(f"{what} the accuracy over all images is {want:.4f}, but you return "
                    f"{got:.4f}.")


@exercise("05", 4, "collapse_linear")
def check_collapse_linear(collapse_linear):
    "Exercise 05.4: the one linear layer that two linear layers without a ReLU amount to."
    g = torch.Generator().manual_seed(5)
    for n_in, n_hidden, n_out in ((3, 2, 2), (5, 4, 2), (6, 3, 1)):
        w1, b1 = torch.randn(n_in, n_hidden, generator=g), torch.randn(n_hidden, generator=g)
        w2, b2 = torch.randn(n_hidden, n_out, generator=g), torch.randn(n_out, generator=g)
        what = f"for w1 {n_in}x{n_hidden} and w2 {n_hidden}x{n_out}"
        got = call(collapse_linear, w1, b1, w2, b2)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise Wrong(f"{what} return a pair (w, b), the weight and bias of one linear layer; "
                        f"you return {type(got).__name__}.")
        w, b = got
        expect_tensor(w, f"{what} w", (n_in, n_out))
        expect_tensor(b, f"{what} b", (n_out,))
        if not close_tensors(w, w1 @ w2):
            raise Wrong(f"{what} w is not w1 @ w2: x goes through w1, then through w2.")
        if close_tensors(b, b2):
            raise Wrong(f"{what} your bias is b2 alone, but b1 goes through the second layer too: "
                        f"it adds b1 @ w2.")
        if n_hidden == n_out and close_tensors(b, b1 + b2):
            raise Wrong(f"{what} your bias is b1 + b2, but b1 goes through the second layer: it "
                        f"is multiplied by w2 first.")
        if not close_tensors(b, b1 @ w2 + b2):
            raise Wrong(f"{what} b is off: expand (x @ w1 + b1) @ w2 + b2 and collect what does "
                        f"not multiply x.")
        x = torch.randn(4, n_in, generator=g)
        if not close_tensors(x.to(w.dtype) @ w + b, (x @ w1 + b1) @ w2 + b2, atol=1e-4):
            raise Wrong(f"{what} x @ w + b does not equal the two layers' output.")


class _Nb05Recorder:
    "An optimiser that steps like BasicOptim and records the order of the calls it gets."
    def __init__(self, params, lr):
        self.params, self.lr, self.calls = list(params), lr, []

    def step(self, *args, **kwargs):
        self.calls.append("step")
        with torch.no_grad():
            for p in self.params:
                if p.grad is not None:
                    p -= self.lr * p.grad

    def zero_grad(self, *args, **kwargs):
        self.calls.append("zero_grad")
        for p in self.params:
            p.grad = None


def _nb05_reference_epoch(model, dl, opt):
    for xb, yb in dl:
        _nb05_mnist_loss(model(xb), yb).backward()
        opt.step()
        opt.zero_grad()


def _nb05_mnist_loss(predictions, targets):
    predictions = predictions.sigmoid()
    return torch.where(targets == 1, 1 - predictions, predictions).mean()


def _nb05_epoch_setup(seed, n_batches=3, bs=4, n_in=5):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n_batches * bs, n_in, generator=g)
    y = (x[:, :1] > 0).float()
    model = torch.nn.Linear(n_in, 1)
    with torch.no_grad():
        model.weight.copy_(torch.randn(1, n_in, generator=g))
        model.bias.zero_()
    return model, list(zip(x.split(bs), y.split(bs)))


@functools.lru_cache(maxsize=1)
def _nb05_mnist():
    "The 3s and 7s as tensors, loaded once."
    import utils
    return utils.mnist_tensors(utils.mnist_sample_path())


@exercise("05", 5, "train_epoch")
def check_train_epoch(train_epoch):
    "Exercise 05.5: one epoch of the book's loop; then it trains a model on the 3s and 7s."
    model, dl = _nb05_epoch_setup(0)
    ref_model, _ = _nb05_epoch_setup(0)
    opt = _Nb05Recorder(model.parameters(), 0.5)
    ref_opt = _Nb05Recorder(ref_model.parameters(), 0.5)
    call_uncopied(train_epoch, model, dl, opt)
    _nb05_reference_epoch(ref_model, dl, ref_opt)
    what = f"for a loader of {len(dl)} batches"
    steps = opt.calls.count("step")
    if steps != len(dl):
        times = "once" if steps == 1 else f"{steps} times"
        raise Wrong(f"{what} your loop called opt.step() {times}: one step per mini-batch, "
                    f"so {len(dl)}. Is opt.step() inside the `for xb, yb in dl:` loop?")
    if opt.calls.count("zero_grad") < len(dl):
        raise Wrong(f"{what} opt.zero_grad() ran {opt.calls.count('zero_grad')} times: zero the "
                    f"gradients after every step, or each backward() adds to the last one.")
    same = all(close_tensors(p.detach(), q.detach(), atol=1e-6)
               for p, q in zip(model.parameters(), ref_model.parameters()))
    if not same:
        raise Wrong(f"{what} the weights after your epoch differ from the book's loop: for each "
                    f"batch, predictions = model(xb), loss = mnist_loss(predictions, yb), "
                    f"loss.backward(), opt.step(), opt.zero_grad().")
    # and what it reaches on the real data: one epoch, shuffled batches of 64, lr 1
    train_x, train_y, valid_x, valid_y = _nb05_mnist()
    g = torch.Generator().manual_seed(42)
    order = torch.randperm(len(train_x), generator=g)
    batches = [(train_x[i], train_y[i]) for i in order.split(64)]
    net = torch.nn.Linear(28 * 28, 1)
    with torch.no_grad():
        net.weight.uniform_(-784 ** -0.5, 784 ** -0.5, generator=g)
        net.bias.zero_()
    call_uncopied(train_epoch, net, batches, _Nb05Recorder(net.parameters(), 1.0))
    with torch.no_grad():
        acc = ((net(valid_x).sigmoid() > 0.5) == valid_y).float().mean().item()
    if acc < 0.9:
        raise Wrong(f"after one epoch over shuffled MNIST batches your loop reaches a validation "
                    f"accuracy of {acc:.3f}; the book's loop passes 0.9.")
