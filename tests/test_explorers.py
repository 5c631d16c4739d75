"""The explorers: their ordinary functions (shapes, seeds, what B and lr do, bad input) and their
widget panels (they build, and a click of *Train* calls the function and redraws)."""
import base64
import time

import numpy as np
import pytest
import torch

import explorers
import utils
from explorers import BatchSizeExplorer, ToyExplorer, path_noise, sgd_path, toy_problem, train_run


def fake_mnist(n, seed):
    "MNIST-shaped data (n, 784) in [0, 1] with a learnable label: two noisy prototype 'digits'."
    g = torch.Generator().manual_seed(seed)
    protos = torch.rand(2, 784, generator=torch.Generator().manual_seed(0))
    y = (torch.arange(n) % 2).unsqueeze(1)
    x = (protos[y.squeeze(1)] + 0.5 * torch.randn(n, 784, generator=g)).clamp(0, 1)
    return x, y


@pytest.fixture(scope="module")
def mnist():
    "The real 3s and 7s, as the notebook hands them to the explorer (float32)."
    return tuple(t.float() for t in utils.mnist_tensors(utils.mnist_sample_path()))


@pytest.fixture(scope="module")
def data():
    return (*fake_mnist(600, 1), *fake_mnist(200, 2))


def png(output):
    return base64.b64decode(output.outputs[0]["data"]["image/png"])


def text(output):
    return "".join(o.get("text", "") for o in output.outputs)


# ---------------------------------------------------------------- train_run

def test_a_run_has_a_loss_per_step_and_accuracy_every_few_steps(data):
    run = train_run(data, bs=32, lr=1.0, steps=45, eval_every=10)
    assert len(run.losses) == len(run.seconds) == 45
    assert run.eval_steps == [0, 10, 20, 30, 40, 45]  # before training, every 10, after the last
    assert len(run.accs) == len(run.eval_seconds) == 6
    assert all(0 <= a <= 1 for a in run.accs) and all(np.isfinite(run.losses))
    assert run.seconds == sorted(run.seconds) and run.seconds[0] > 0
    assert run.eval_seconds[0] == 0 and run.eval_seconds[-1] == run.seconds[-1]
    assert run.final_acc == run.accs[-1] > 0.9  # it learns the two prototypes
    assert run.final_loss == pytest.approx(np.mean(run.losses[-10:]))
    assert run.epochs == pytest.approx(45 * 32 / 600)


def test_runs_repeat_with_their_seed_and_start_from_the_same_weights(data):
    a, b = train_run(data, bs=16, steps=30, seed=3), train_run(data, bs=16, steps=30, seed=3)
    assert a.losses == b.losses and a.accs == b.accs
    c = train_run(data, bs=16, steps=30, seed=4)
    assert c.losses != a.losses and c.accs[0] == a.accs[0]  # another shuffle, the same start
    unshuffled = [train_run(data, bs=16, steps=30, shuffle=False, seed=s).losses for s in (3, 4)]
    assert unshuffled[0] == unshuffled[1]


def test_simple_net_trains_too(data):
    run = train_run(data, bs=32, lr=1.0, steps=40, model="simple_net")
    assert run.model == "simple_net" and len(run.losses) == 40 and run.final_acc > 0.9
    assert "simple_net" in run.summary()


def test_the_summary_names_batch_size_lr_and_final_numbers(data):
    run = train_run(data, bs=64, lr=0.3, steps=20, shuffle=False)
    line = run.summary()
    assert line.startswith("B=64 lr=0.3 unshuffled: 20 steps")
    assert f"loss {run.final_loss:.4f}" in line and f"val acc {run.final_acc:.4f}" in line
    assert line.endswith(" s") and not run.summary(timing=False).endswith(" s")
    widest = explorers.Run(1024, 0.003, 800, False, "simple_net", 0, 12396, losses=[0.5] * 800,
                           seconds=[99.0] * 800, accs=[0.5])
    assert len(widest.summary()) <= 100  # fits a notebook's line


def test_a_run_that_blows_up_stops_and_says_so(data):
    run = train_run(data, bs=32, lr=1e30, steps=50, model="simple_net")
    assert run.diverged and len(run.losses) < 50 and run.eval_steps[-1] == len(run.losses)
    assert "diverged at step" in run.summary()


def test_the_run_uses_one_cpu_thread_and_restores_the_setting(data):
    before, seen = torch.get_num_threads(), []
    record = lambda *_: seen.append(torch.get_num_threads())
    train_run(data, steps=2, progress=record)
    assert seen == [1, 1] and torch.get_num_threads() == before
    train_run(data, steps=1, cpu_threads=None, progress=record)
    assert seen[-1] == before


def test_progress_is_reported_for_every_step(data):
    seen = []
    train_run(data, bs=32, steps=12, progress=lambda step, steps: seen.append((step, steps)))
    assert seen == [(s, 12) for s in range(1, 13)]


def test_default_settings_train_in_under_two_seconds():
    full = (*fake_mnist(12396, 1), *fake_mnist(2038, 2))  # the MNIST sample's sizes
    start = time.perf_counter()
    run = train_run(full)
    assert time.perf_counter() - start < 2, "the explorer's default run must stay under 2 s"
    assert len(run.losses) == 200


@pytest.mark.parametrize("kwargs, message", [
    (dict(bs=0), "bs (the batch size) must be an integer from 1 to 600, got 0"),
    (dict(bs=601), "from 1 to 600, got 601"),
    (dict(bs=2.0), "must be an integer"),
    (dict(bs=True), "must be an integer"),
    (dict(lr=0), "lr (the learning rate) must be a positive number, got 0"),
    (dict(lr=float("nan")), "positive number, got nan"),
    (dict(lr="1"), "positive number, got '1'"),
    (dict(steps=0), "steps must be an integer (1 or more), got 0"),
    (dict(model="cnn"), "model must be one of ('linear', 'simple_net'), got 'cnn'"),
    (dict(seed="0"), "seed must be an integer, got '0'"),
])
def test_bad_settings_get_clear_errors(data, kwargs, message):
    with pytest.raises(ValueError) as err:
        train_run(data, **kwargs)
    assert message in str(err.value)


def test_bad_data_gets_clear_errors(data):
    with pytest.raises(TypeError, match=r"valid_x, valid_y\), got tuple of length 2"):
        train_run(data[:2])
    with pytest.raises(TypeError, match="valid_y must be a tensor, got list"):
        train_run((*data[:3], [0, 1]))
    with pytest.raises(ValueError, match=r"train_x must have shape \(n, 784\).*\(600, 28, 28\)"):
        train_run((data[0].view(-1, 28, 28), *data[1:]))
    with pytest.raises(ValueError, match=r"train_y must have shape \(600, 1\)"):
        train_run((data[0], data[1].flatten(), *data[2:]))


# ---------------------------------------------------------------- sgd_path on the toy

def test_a_path_has_a_point_per_step_and_starts_at_the_start():
    path = sgd_path(8, 0.1, steps=30, start=(0.0, 0.0))
    assert path.shape == (31, 2) and path[0].tolist() == [0.0, 0.0]


def test_paths_repeat_with_their_seed_and_full_batch_needs_none():
    assert np.array_equal(sgd_path(4, 0.1, seed=1), sgd_path(4, 0.1, seed=1))
    assert not np.array_equal(sgd_path(4, 0.1, seed=1), sgd_path(4, 0.1, seed=2))
    n = len(explorers.TOY.x)
    assert np.allclose(sgd_path(n, 0.1, seed=1), sgd_path(n, 0.1, seed=2))  # sums in another order


def test_full_batch_path_is_gradient_descent_to_the_minimum():
    toy = explorers.TOY
    path = sgd_path(len(toy.x), 0.3, steps=300)
    w = np.array(explorers.TOY_START)
    assert np.allclose(path[1], w - 0.3 * toy.grad(w))
    assert np.allclose(path[-1], toy.minimum, atol=1e-6)


def test_a_larger_batch_gives_a_less_noisy_path():
    noise = [np.mean([path_noise(b, 0.1, seed=s) for s in range(5)]) for b in (1, 4, 16, 64)]
    assert noise == sorted(noise, reverse=True), noise
    assert noise[0] > 5 * noise[-1]  # roughly 1/sqrt(B): 64 times the batch, about 8 times less
    assert path_noise(len(explorers.TOY.x), 0.1) == 0


def test_a_larger_lr_overshoots_and_past_lr_max_diverges():
    toy = explorers.TOY
    top = np.linalg.eigh(toy.features.T @ toy.features)[1][:, -1]  # the loss's steepest direction

    def sign_flips(lr):
        along = (sgd_path(len(toy.x), lr, steps=20) - toy.minimum) @ top
        return int(np.sum(np.sign(along[1:]) != np.sign(along[:-1])))
    assert sign_flips(0.1) == 0 and sign_flips(0.4) >= 15  # below 1/λ it creeps, above it zigzags
    assert toy.lr_max == pytest.approx(0.438, abs=1e-3)
    blown = sgd_path(len(toy.x), 0.5, steps=200)
    assert len(blown) < 201 and np.abs(blown[-1]).max() > explorers.BLOW_UP
    assert "diverged after" in explorers.path_summary(16, 0.5)


def test_toy_problem_is_the_documented_line():
    toy = toy_problem(n=20000, seed=1)
    assert toy.minimum == pytest.approx([1.0, 2.0], abs=0.03)
    assert toy.loss(*toy.minimum) == pytest.approx(0.25, abs=0.01)  # the noise variance, 0.5²


@pytest.mark.parametrize("args, message", [
    ((0, 0.1), "bs (the batch size) must be an integer from 1 to 256, got 0"),
    ((257, 0.1), "from 1 to 256, got 257"),
    ((4, -0.1), "lr (the learning rate) must be a positive number, got -0.1"),
    ((4, 0.1, 0), "steps must be an integer (1 or more), got 0"),
])
def test_bad_path_settings_get_clear_errors(args, message):
    with pytest.raises(ValueError) as err:
        sgd_path(*args)
    assert message in str(err.value)
    with pytest.raises(ValueError, match="start must be two finite numbers"):
        sgd_path(4, 0.1, start=(1.0,))


# ---------------------------------------------------------------- the panels

def test_the_panel_builds_and_train_calls_the_function_and_redraws(data):
    calls = []

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return train_run(*args, **kwargs)
    panel = BatchSizeExplorer(data, steps=25, train_now=False, train_fn=spy)
    assert "No runs yet" in text(panel.plot) and not calls
    bundle = panel._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"].startswith("Batch-size explorer: its sliders need a running")
    panel.bs.value = 128
    panel.train_button.click()
    assert calls[-1]["bs"] == 128 and calls[-1]["steps"] == 25 and calls[-1]["lr"] == 1.0
    assert len(panel.runs) == 1 and "B=128 lr=1: 25 steps" in text(panel.summary)
    first = png(panel.plot)
    assert first.startswith(b"\x89PNG")
    assert (panel.progress.value, panel.progress.max) == (25, 25) and panel.status.value == "done"
    panel.bs.value, panel.shuffle.value = 8, False
    panel.train_button.click()
    assert calls[-1]["bs"] == 8 and calls[-1]["shuffle"] is False and len(panel.runs) == 2
    assert png(panel.plot) != first  # the new run is drawn beside the first
    assert text(panel.summary).splitlines()[-1].startswith("B=8 lr=1 unshuffled: 25 steps")
    panel.clear_button.click()
    assert panel.runs == [] and panel.summary.outputs == () and "No runs yet" in text(panel.plot)


def test_the_panel_trains_once_when_shown_and_shows_errors(data):
    panel = explorers.batch_size_explorer(data, bs=16, steps=25)
    assert len(panel.runs) == 1 and panel.runs[0].bs == 16 and "B=16" in text(panel.summary)

    def broken(*args, **kwargs):
        raise RuntimeError("out of memory")
    panel.train_fn = broken
    panel.train_button.click()
    assert panel.summary.outputs[-1]["name"] == "stderr"
    assert "RuntimeError: out of memory" in panel.summary.outputs[-1]["text"]
    assert not panel.train_button.disabled and panel.status.value == "failed"


def test_the_panel_rejects_settings_off_its_sliders(data):
    with pytest.raises(ValueError, match=r"bs must be one of \[1, 2, 4"):
        BatchSizeExplorer(data, bs=3, train_now=False)
    with pytest.raises(ValueError, match="model must be one of"):
        BatchSizeExplorer(data, model="cnn", train_now=False)
    with pytest.raises(TypeError, match="data must be the tuple"):
        BatchSizeExplorer(data[0], train_now=False)


def test_the_toy_panel_redraws_when_a_slider_moves():
    panel = explorers.toy_explorer(bs=1, lr=0.1, steps=25)
    assert panel.path.shape == (26, 2)
    before, line = png(panel.plot), text(panel.summary)
    assert line.startswith("B=1 lr=0.1: loss after 25 steps")
    panel.bs.value = 64
    assert png(panel.plot) != before and text(panel.summary).startswith("B=64 lr=0.1")
    assert np.array_equal(panel.path, sgd_path(64, 0.1, 25))
    with pytest.raises(ValueError, match=r"lr must be one of \[0.01"):
        ToyExplorer(lr=0.7)


@pytest.mark.parametrize("model", explorers.MODELS)
def test_train_answers_within_3_seconds_at_the_largest_setting_the_sliders_allow(mnist, model):
    start = time.perf_counter()
    explorers.train_run(mnist, bs=max(explorers.BATCH_SIZES), lr=0.1,
                        steps=max(explorers.STEP_COUNTS), model=model)
    seconds = time.perf_counter() - start
    print(f"Train at B={max(explorers.BATCH_SIZES)}, {max(explorers.STEP_COUNTS)} steps, {model}: "
          f"{seconds:.2f} s")
    assert seconds < 3.0, f"the slowest setting of the sliders takes {seconds:.1f} s to train"


def test_the_sgd_path_explorer_redraws_within_a_second_at_its_largest_setting():
    panel = explorers.toy_explorer(bs=max(explorers.TOY_BATCH_SIZES), lr=0.1,
                                   steps=max(explorers.TOY_STEP_COUNTS))
    start = time.perf_counter()
    panel.redraw()  # what a moved slider runs
    seconds = time.perf_counter() - start
    print(f"SGD-path explorer, B={max(explorers.TOY_BATCH_SIZES)}, "
          f"{max(explorers.TOY_STEP_COUNTS)} steps: drawn in {seconds:.2f} s")
    assert seconds < 1.0, f"a redraw of the SGD-path explorer takes {seconds:.2f} s"
