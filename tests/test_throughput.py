"Tests for notebook 11's helpers: throughput over whole epochs, what autograd saves for backward."
import pytest
import torch
from torch import nn

import utils
import hardware


@pytest.fixture
def data():
    g = torch.Generator().manual_seed(0)
    return torch.rand(40, 784, generator=g), (torch.rand(40, 1, generator=g) > 0.5).long()


def scripted_clock(monkeypatch, times):
    it = iter(times)
    monkeypatch.setattr(utils.time, "perf_counter", lambda: next(it))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


# ---------------------------------------------------------------- epoch_throughput

def test_epoch_throughput_is_samples_over_the_median_epoch(monkeypatch, data):
    x, y = data
    model = utils.make_linear()
    dl = utils.TensorLoader(x, y, batch_size=16)  # 16 + 16 + 8: a whole epoch is 40 samples
    # 1 warm-up epoch (untimed), then epochs of 4, 1 and 2 seconds: the median is 2
    scripted_clock(monkeypatch, [0.0, 4.0, 10.0, 11.0, 20.0, 22.0])
    opt = utils.BasicOptim(model.parameters(), 1.0)
    got = hardware.epoch_throughput(model, dl, opt, repeats=3)
    assert got == 40 / 2


def test_epoch_throughput_trains_the_callers_model_one_epoch_per_call(data):
    x, y = data
    model, ref = utils.make_linear(), utils.make_linear()
    dl = utils.TensorLoader(x, y, batch_size=16)
    hardware.epoch_throughput(model, dl, utils.BasicOptim(model.parameters(), 1.0),
                           warmup=1, repeats=2)
    opt = utils.BasicOptim(ref.parameters(), 1.0)
    for _ in range(3):  # 1 warm-up + 2 timed epochs
        utils.train_epoch(ref, dl, opt)
    assert torch.equal(model.weight, ref.weight) and model.weight.grad is None


def test_epoch_throughput_moves_batches_to_the_device(data):
    x, y = data
    moved = []

    class Spy(torch.Tensor):
        def to(self, *args, **kwargs):
            moved.append(args)
            return torch.Tensor(self)

    dl = [(x[:8].as_subclass(Spy), y[:8].as_subclass(Spy))]
    model = utils.make_linear()
    rate = hardware.epoch_throughput(model, dl, utils.BasicOptim(model.parameters(), 1.0),
                                  device="cpu",
                                  warmup=0, repeats=1)
    assert rate > 0 and moved == [("cpu",), ("cpu",)]


def test_epoch_throughput_rejects_bad_input(data):
    x, y = data
    model = utils.make_linear()
    opt = utils.BasicOptim(model.parameters(), 1.0)
    with pytest.raises(ValueError, match="no batch"):
        hardware.epoch_throughput(model, [], opt, warmup=0, repeats=1)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="repeats"):
            dl = utils.TensorLoader(x, y, batch_size=8)
            hardware.epoch_throughput(model, dl, opt, repeats=bad)


# ---------------------------------------------------------------- saved_for_backward

def simple_net(*sizes):
    layers = []
    for a, b in zip(sizes, sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


@pytest.mark.parametrize("sizes", [(784, 1), (784, 30, 1), (784, 100, 50, 1), (10, 3, 1)])
def test_saved_bytes_follow_the_layer_shapes(sizes):
    model = simple_net(*sizes)
    per_sample = []
    for bs in (4, 12):
        xb, yb = torch.rand(bs, sizes[0]), torch.randint(0, 2, (bs, 1))
        saved = hardware.saved_for_backward(lambda: utils.mnist_loss(model(xb), yb),
                                         exclude=model.parameters())
        per_sample.append(sum(t.nbytes for t in saved))
        # the first Linear keeps the batch itself
        assert any(t.data_ptr() == xb.data_ptr() for t in saved)
    # each Linear keeps its input (a ReLU's output is also what the ReLU keeps: once), the sigmoid
    # its output, torch.where its boolean condition; the parameters are left out
    expected = 4 * (sum(sizes[:-1]) + 1) + 1
    assert (per_sample[1] - per_sample[0]) / 8 == expected and per_sample[0] == 4 * expected


def test_saved_for_backward_counts_a_shared_tensor_once_and_excludes_what_it_is_told():
    w = torch.ones(3, requires_grad=True)
    x = torch.rand(5, 3, requires_grad=True)
    # each factor's gradient needs the other
    both = hardware.saved_for_backward(lambda: (x * w).sum())
    assert {t.data_ptr() for t in both} == {x.data_ptr(), w.data_ptr()}
    only_x = hardware.saved_for_backward(lambda: (x * w).sum(), exclude=[w])
    assert [t.data_ptr() for t in only_x] == [x.data_ptr()]
    square = hardware.saved_for_backward(lambda: (x * x).sum())  # x saved twice: listed once
    assert [t.data_ptr() for t in square] == [x.data_ptr()]
    # nothing needs a gradient
    assert hardware.saved_for_backward(lambda: (x.detach() * 2).sum()) == []
