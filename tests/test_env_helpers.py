"""set_seed and get_device."""
import random

import numpy as np
import torch
from fastai.data.load import DataLoader  # imported first: importing fastai draws from random

import utils


def draws():
    return (random.random(), np.random.rand(), torch.rand(1).item(),
            [b.tolist() for b in DataLoader(range(20), batch_size=6, shuffle=True)],
            [b.tolist()
             for b in torch.utils.data.DataLoader(range(20), batch_size=6, shuffle=True)])


def test_set_seed_makes_python_numpy_torch_and_both_loaders_repeat():
    utils.set_seed(7)
    first = draws()
    utils.set_seed(7)
    assert draws() == first
    utils.set_seed(8)
    assert draws() != first


def test_get_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.delenv(utils.DEVICE_ENV, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert utils.get_device() == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert utils.get_device() == torch.device("mps")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert utils.get_device() == torch.device("cpu")


def test_course_device_overrides(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv(utils.DEVICE_ENV, "cpu")
    assert utils.get_device() == torch.device("cpu")
