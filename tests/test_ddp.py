"""The data-parallel helpers of ddp.py (deep dive 12): processes that really all-reduce,
failures that come back as tracebacks instead of hangs, clear errors on bad input, no process
left behind, the DDP = one-process equality, and the `torchrun` command the notebook shows.

The functions the spawned processes run must be importable by name, so they live at the top of this
module (`launch` refuses a function defined in a notebook or a lambda)."""
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import torch
import torch.distributed as dist

import utils
import sweeps
from ddp import _free_port as free_port
from ddp import ddp_train, launch, process_group
from utils import BasicOptim, calc_grad, make_linear

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "12_deep_dive_data_parallel.ipynb"


# ---------------------------------------------------------------- what the spawned processes run

def sum_of_ranks_plus_one():
    "Each rank contributes rank + 1; after the all-reduce every rank holds 1 + 2 + ... + k."
    print("worker stdout", flush=True)  # none of this may reach the caller's output
    print("worker stderr", file=sys.stderr, flush=True)
    os.write(1, b"worker fd 1\n")
    t = torch.tensor([dist.get_rank() + 1.0])
    dist.all_reduce(t)
    return {"rank": dist.get_rank(), "world_size": dist.get_world_size(), "sum": t.item(),
            "pid": os.getpid(), "in_a_group": dist.is_initialized()}


def fail_on_rank_1(pid_dir):
    "Rank 1 raises; rank 0 waits in an all-reduce that rank 1 never joins."
    Path(pid_dir, f"{dist.get_rank()}.pid").write_text(str(os.getpid()))
    if dist.get_rank() == 1:
        raise ValueError("rank 1 broke on purpose")
    dist.all_reduce(torch.ones(1))


def die_on_rank_1(pid_dir):
    "Rank 1 is killed without a traceback (as the out-of-memory killer would); rank 0 waits."
    Path(pid_dir, f"{dist.get_rank()}.pid").write_text(str(os.getpid()))
    if dist.get_rank() == 1:
        print("rank 1's last words", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    dist.all_reduce(torch.ones(1))


# ---------------------------------------------------------------- no process is left behind

def worker_processes():
    "This process's descendants, except multiprocessing's resource tracker (one per parent)."
    return {p.pid for p in psutil.Process().children(recursive=True)
            if "resource_tracker" not in " ".join(p.cmdline())}


def alive(pid):
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture(autouse=True)
def no_process_left_behind():
    before = worker_processes()
    yield
    assert worker_processes() - before == set(), "a spawned process outlived its launch"


# ---------------------------------------------------------------- launch

def test_two_ranks_really_all_reduce_in_a_group_that_is_gone_after(capfd):
    results = launch(sum_of_ranks_plus_one, world_size=2)
    assert [r["rank"] for r in results] == [0, 1]
    assert [r["world_size"] for r in results] == [2, 2]
    assert [r["sum"] for r in results] == [3.0, 3.0]  # 1 + 2, on both ranks
    assert [r["in_a_group"] for r in results] == [True, True]
    assert not dist.is_initialized()  # the caller never joins the group
    pids = [r["pid"] for r in results]
    # two processes, neither of them this one
    assert len(set(pids)) == 2 and os.getpid() not in pids
    assert not any(alive(p) for p in pids)
    out, err = capfd.readouterr()
    assert "worker" not in out + err  # what the workers printed went to their logs


def test_a_crashed_worker_surfaces_its_traceback_instead_of_hanging(tmp_path):
    start = time.monotonic()
    with pytest.raises(RuntimeError) as e:
        launch(fail_on_rank_1, str(tmp_path), world_size=2)
    assert time.monotonic() - start < 60  # the group's own timeout is 120 s: nobody waited for it
    msg = str(e.value)
    assert msg.startswith("rank 1 of 2 failed; its traceback:")
    assert "Traceback (most recent call last)" in msg and "in fail_on_rank_1" in msg
    assert msg.rstrip().endswith("ValueError: rank 1 broke on purpose")
    pids = [int(p.read_text()) for p in tmp_path.glob("*.pid")]
    assert len(pids) == 2 and not any(alive(p) for p in pids)


def test_a_worker_killed_by_a_signal_is_named_with_its_last_output(tmp_path):
    with pytest.raises(RuntimeError,
                       match="rank 1 of 2 failed; it stopped \\(signal SIGKILL\\)") as e:
        launch(die_on_rank_1, str(tmp_path), world_size=2)
    assert "rank 1's last words" in str(e.value)
    assert not any(alive(int(p.read_text())) for p in tmp_path.glob("*.pid"))


def test_a_job_past_its_timeout_is_stopped():
    start = time.monotonic()
    with pytest.raises(TimeoutError, match="did not finish within 2 s and were stopped"):
        launch(time.sleep, 600, world_size=2, timeout=2)
    assert time.monotonic() - start < 30


def test_the_group_is_destroyed_on_error_and_the_port_freed():
    port = free_port()
    with pytest.raises(ZeroDivisionError):
        with process_group("gloo", rank=0, world_size=1, port=port):
            assert dist.is_initialized() and dist.get_world_size() == 1
            1 / 0
    assert not dist.is_initialized()
    with process_group("gloo", rank=0, world_size=1, port=port):  # the same port works again
        assert dist.is_initialized()
    assert not dist.is_initialized()


# ---------------------------------------------------------------- bad input, clear errors

def test_free_port_is_free():
    port = free_port()
    with socket.socket() as s:
        s.bind(("", port))  # would raise if anything listened there


def test_a_port_in_use_is_named_and_a_free_one_offered():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        taken = s.getsockname()[1]
        with pytest.raises(OSError, match=f"port {taken} is taken") as e:
            launch(sum_of_ranks_plus_one, port=taken)
    free = int(re.search(r"port (\d+) is free now", str(e.value)).group(1))
    assert free != taken
    with socket.socket() as s:
        s.bind(("", free))


@pytest.mark.parametrize("port", [0, 70000, "29500", True])
def test_a_port_that_is_no_port(port):
    with pytest.raises(ValueError, match="port must be an integer from 1 to 65535"):
        launch(sum_of_ranks_plus_one, port=port)


@pytest.mark.skipif(torch.cuda.device_count() >= 2, reason="this machine can run nccl")
def test_nccl_without_enough_gpus_says_so():
    with pytest.raises(RuntimeError, match=f"'nccl' needs one CUDA GPU per process: 2 processes, "
                                           f"{torch.cuda.device_count()} GPUs here. "
                                           "Use backend='gloo'"):
        launch(sum_of_ranks_plus_one, world_size=2, backend="nccl")


def test_an_unknown_backend():
    with pytest.raises(ValueError, match="backend must be 'gloo' .* or 'nccl'"):
        launch(sum_of_ranks_plus_one, backend="mpi-please")


@pytest.mark.parametrize("world_size", [0, -1, 1.5, "2", True])
def test_a_world_size_that_is_no_count(world_size):
    with pytest.raises(ValueError, match=r"world_size must be an integer \(1 or more\)"):
        launch(sum_of_ranks_plus_one, world_size=world_size)


def test_a_function_from_a_notebook_or_a_lambda_is_refused_before_any_process_starts():
    def local():
        pass
    for fn in (lambda: 0, local):
        with pytest.raises(ValueError, match="import .* by name: define it at the top of a module"):
            launch(fn)
    namespace = {"__name__": "__main__"}
    exec("def in_a_cell():\n    pass", namespace)  # how a function defined in a notebook looks
    with pytest.raises(ValueError, match="not in a notebook"):
        launch(namespace["in_a_cell"])


def test_ddp_train_refuses_a_world_larger_than_the_dataset():
    x, y = torch.rand(3, 784), torch.ones(3, 1)
    with pytest.raises(ValueError, match=r"world size 4 is larger than the dataset \(3 items\)"):
        ddp_train(x, y, make_linear(), bs=1, steps=1, lr=1.0, world_size=4)


@pytest.mark.parametrize("bs", [0, -4, 2.0, None])
def test_ddp_train_refuses_a_per_rank_batch_that_is_no_count(bs):
    x, y = torch.rand(8, 784), torch.ones(8, 1)
    with pytest.raises(ValueError, match=r"per-rank batch size bs must be an integer \(1 or more"):
        ddp_train(x, y, make_linear(), bs=bs, steps=1, lr=1.0)


def test_ddp_train_refuses_zero_steps():
    with pytest.raises(ValueError, match=r"steps must be an integer \(1 or more\), got 0"):
        ddp_train(torch.rand(8, 784), torch.ones(8, 1), make_linear(), bs=2, steps=0, lr=1.0)


# ---------------------------------------------------------------- DDP is mini-batch SGD on k·b

def flat(params):
    return torch.cat([p.detach().flatten() for p in params])


def test_ddp_equals_one_process_on_the_union_of_the_ranks_batches():
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(300, 784, generator=g), torch.randint(0, 2, (300, 1), generator=g)
    bs, steps, lr = 16, 12, 1.0  # 150 items a rank: 9 batches of 16 and one of 6, then epoch 2
    ranks = ddp_train(x, y, make_linear(0), bs, steps, lr)
    sizes = [len(i) for i in ranks[0]["idx"]]
    assert sizes == [16] * 9 + [6] + [16] * 2 and [len(i) for i in ranks[1]["idx"]] == sizes
    for r in ranks:  # set_epoch: the second epoch is a new order of all this rank's items
        epoch1, epoch2 = torch.cat(r["idx"][:10]), torch.cat(r["idx"][10:])
        assert not torch.equal(epoch1[:32], epoch2)
    batches = [torch.cat(b) for b in zip(*(r["idx"] for r in ranks))]
    # the ranks partition epoch 1
    assert sorted(torch.cat(batches[:10]).tolist()) == list(range(300))
    single = make_linear(0)
    calc_grad(x[batches[0]], y[batches[0]], single)
    first_grad = flat(p.grad for p in single.parameters())
    assert torch.equal(ranks[0]["grad"], ranks[1]["grad"])
    assert torch.allclose(ranks[0]["grad"], (ranks[0]["local_grad"] + ranks[1]["local_grad"]) / 2)
    assert (ranks[0]["grad"] - first_grad).abs().max() < 1e-6
    single = make_linear(0)
    sweeps.train_steps(single, [(x[i], y[i]) for i in batches], BasicOptim(single.parameters(), lr),
                      steps)
    assert torch.equal(ranks[0]["weights"], ranks[1]["weights"])
    assert (ranks[0]["weights"] - flat(single.parameters())).abs().max() < 1e-5
    assert (flat(single.parameters()) - flat(make_linear(0).parameters())).abs().max() > 1e-2
    for r in ranks:
        assert set(r["times"]) == {"compute", "all_reduce", "step"}
        assert all(0 < t < 10 for t in r["times"].values())


# -------------------------------------------------------- the torchrun command of the notebook

def torchrun_commands():
    "The `torchrun` lines of the notebook's bash blocks for CPU processes (the others need GPUs)."
    nb = json.loads(NOTEBOOK.read_text())
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    lines = [line for block in re.findall(r"```bash\n(.*?)```", text, re.S)
             for line in block.splitlines() if line.startswith("torchrun ")]
    assert any("nccl" in line for line in lines)  # the GPU versions are shown too
    return [line for line in lines if "nccl" not in line]


def test_the_notebooks_torchrun_command_runs_and_matches_one_process():
    commands = torchrun_commands()
    assert len(commands) == 1, commands
    utils.mnist_sample_path()  # the data, once, before the processes start
    bin_dir = Path(sys.executable).parent  # where this environment's torchrun is
    env = dict(os.environ, PYTHONPATH=str(ROOT), PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    run = subprocess.run(shlex.split(commands[0]), cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    match = re.search(r"2 processes \(gloo\), 20 steps of 2x64 = 128 items: largest weight "
                      r"difference from one process on the same batches (\S+)", run.stdout)
    assert match, run.stdout + run.stderr
    assert float(match.group(1)) < 1e-5
    nb = json.loads(NOTEBOOK.read_text())
    printed = "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))
    # the same check as the notebook's launch, which prints it as a bound
    assert "DDP vs one process, batch 128: weights equal within 1e-6: True" in printed
    assert float(match.group(1)) < 1e-6


# ---------------------------------------------------------------- a notebook's kernel: failed cells

KERNEL_SETUP = "import time, ddp, utils"


def kernel_children(km):
    return {p.pid for p in psutil.Process(km.provisioner.pid).children(recursive=True)
            if "resource_tracker" not in " ".join(p.cmdline())}


def test_no_process_is_left_after_a_failed_or_interrupted_cell():
    from jupyter_client.manager import start_new_kernel
    km, kc = start_new_kernel(kernel_name="python3", env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        assert kc.execute_interactive(KERNEL_SETUP, timeout=120)["content"]["status"] == "ok"
        # The workers fail: there is no data where they look
        reply = kc.execute_interactive("ddp.launch(utils.mnist_tensors, 'no_such_folder')",
                                       timeout=300)
        assert reply["content"]["status"] == "error"
        assert "FileNotFoundError: No PNG images in no_such_folder" in reply["content"]["evalue"]
        assert kernel_children(km) == set()
        # A job that would run for ten minutes, interrupted once its processes are up
        kc.execute("ddp.launch(time.sleep, 600, world_size=2)")
        deadline = time.monotonic() + 120
        while len(kernel_children(km)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(kernel_children(km)) == 2
        km.interrupt_kernel()
        while True:
            msg = kc.get_shell_msg(timeout=120)
            if msg["msg_type"] == "execute_reply":
                break
        assert (msg["content"]["status"] == "error"
                and msg["content"]["ename"] == "KeyboardInterrupt")
        assert kernel_children(km) == set()
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
