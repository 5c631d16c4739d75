"""utils.TensorLoader: the same batches as torch's DataLoader, its length, order, bad arguments."""
import math

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from utils import TensorLoader


def data(n, width=3):
    "n distinct rows and labels, so a batch's content tells which items it holds."
    x = torch.arange(n * width, dtype=torch.float32).view(n, width)
    return x, torch.arange(n).unsqueeze(1) * 10


def assert_same_batches(ours, theirs):
    ours, theirs = list(ours), list(theirs)
    assert len(ours) == len(theirs)
    for (xb, yb), (xt, yt) in zip(ours, theirs):
        assert torch.equal(xb, xt) and torch.equal(yb, yt)


@pytest.mark.parametrize("n", [1, 15, 26, 100, 257])
@pytest.mark.parametrize("bs", [1, 4, 5, 13, 64, 300])
@pytest.mark.parametrize("drop_last", [False, True])
def test_same_batches_as_torch(n, bs, drop_last):
    x, y = data(n)
    for seed in (0, 42, 2024):
        g_ours, g_torch = torch.Generator().manual_seed(seed), torch.Generator().manual_seed(seed)
        ours = TensorLoader(x, y, bs, shuffle=True, drop_last=drop_last, generator=g_ours)
        theirs = DataLoader(TensorDataset(x, y), batch_size=bs, shuffle=True, drop_last=drop_last,
                            generator=g_torch)
        for _ in range(3):
            assert_same_batches(ours, theirs)
            # both used their generator identically, so the next epoch starts from the same state
            assert torch.equal(g_ours.get_state(), g_torch.get_state())


@pytest.mark.parametrize("n,bs", [(15, 5), (26, 4), (100, 32)])
@pytest.mark.parametrize("shuffle", [False, True])
def test_same_batches_as_torch_with_global_seed(n, bs, shuffle):
    x, y = data(n)
    ours = TensorLoader(x, y, bs, shuffle=shuffle)
    theirs = DataLoader(TensorDataset(x, y), batch_size=bs, shuffle=shuffle)
    torch.manual_seed(7)
    ours_epochs = [list(ours) for _ in range(3)]
    after_ours = torch.rand(3)
    torch.manual_seed(7)
    theirs_epochs = [list(theirs) for _ in range(3)]
    after_theirs = torch.rand(3)
    for a, b in zip(ours_epochs, theirs_epochs):
        assert_same_batches(a, b)
    # torch draws from the global generator even when it does not shuffle; so must we
    assert torch.equal(after_ours, after_theirs)


def test_epochs_differ_and_cover_every_item():
    x, y = data(100)
    dl = TensorLoader(x, y, 7, shuffle=True, generator=torch.Generator().manual_seed(0))
    orders = [torch.cat([yb for _, yb in dl]).flatten() for _ in range(2)]
    assert not torch.equal(orders[0], orders[1])
    for order in orders:
        assert sorted(order.tolist()) == list(range(0, 1000, 10))


def test_a_partial_epoch_leaves_the_generator_as_torch_does():
    # e.g. `first(dl)` before training: torch never reached the sampler's tail draw, neither may we
    x, y = data(26)
    g_ours, g_torch = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    ours = TensorLoader(x, y, 5, shuffle=True, generator=g_ours)
    theirs = DataLoader(TensorDataset(x, y), batch_size=5, shuffle=True, generator=g_torch)
    assert_same_batches([next(iter(ours))], [next(iter(theirs))])
    assert torch.equal(g_ours.get_state(), g_torch.get_state())
    assert_same_batches(ours, theirs)


@pytest.mark.parametrize("n,bs", [(15, 5), (26, 4), (100, 32), (7, 10), (1, 1)])
def test_len_is_ceil_or_floor(n, bs):
    x, y = data(n)
    assert len(TensorLoader(x, y, bs)) == math.ceil(n / bs) == len(list(TensorLoader(x, y, bs)))
    assert (len(TensorLoader(x, y, bs, drop_last=True)) == n // bs
            == len(list(TensorLoader(x, y, bs, drop_last=True))))


def test_no_shuffle_is_sequential():
    x, y = data(26)
    batches = list(TensorLoader(x, y, 4))
    assert [len(xb) for xb, _ in batches] == [4] * 6 + [2]
    assert torch.equal(torch.cat([xb for xb, _ in batches]), x)
    assert torch.equal(torch.cat([yb for _, yb in batches]), y)
    assert torch.equal(torch.cat([xb for xb, _ in TensorLoader(x, y, 4, drop_last=True)]), x[:24])


def test_numpy_integer_batch_size_is_accepted():
    x, y = data(10)
    assert [len(xb) for xb, _ in TensorLoader(x, y, np.int64(4))] == [4, 4, 2]


@pytest.mark.parametrize("bs", [0, -1, 2.0, 2.5, True, "4", None])
def test_bad_batch_size(bs):
    x, y = data(10)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        TensorLoader(x, y, bs)


def test_different_lengths():
    x, y = data(10)
    with pytest.raises(ValueError, match="same length, got 10 and 9"):
        TensorLoader(x, y[:9], 2)


def test_empty_dataset():
    x, y = data(0)
    with pytest.raises(ValueError, match="empty"):
        TensorLoader(x, y, 2)


def test_zero_dim_tensor():
    with pytest.raises(ValueError, match="0-d"):
        TensorLoader(torch.tensor(1.0), torch.tensor(1), 1)


@pytest.mark.parametrize("x,y", [([[1.0], [2.0]], torch.tensor([0, 1])), (torch.ones(2, 1), [0, 1]),
                                 (np.ones((2, 1)), np.zeros(2))])
def test_non_tensor_inputs(x, y):
    with pytest.raises(TypeError, match="must be tensors"):
        TensorLoader(x, y, 1)


def test_bad_generator():
    x, y = data(10)
    with pytest.raises(TypeError, match="torch.Generator"):
        TensorLoader(x, y, 2, shuffle=True, generator=42)


def test_meta_device_mismatch():
    x, y = data(4)
    with pytest.raises(ValueError, match="same device"):
        TensorLoader(x, y.to("meta"), 2)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_batches_stay_on_the_gpu():
    x, y = data(100)
    xc, yc = x.cuda(), y.cuda()
    g_gpu, g_cpu = torch.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    on_gpu = list(TensorLoader(xc, yc, 16, shuffle=True, generator=g_gpu))
    on_cpu = list(TensorLoader(x, y, 16, shuffle=True, generator=g_cpu))
    for (xb, yb), (xh, yh) in zip(on_gpu, on_cpu):
        assert xb.is_cuda and yb.is_cuda
        assert torch.equal(xb.cpu(), xh) and torch.equal(yb.cpu(), yh)
    with pytest.raises(ValueError, match="same device"):
        TensorLoader(xc, y, 2)
