"""Data parallelism, deep dive 12: a launcher for processes in a group, DDP's worker, and the script
that torchrun runs (`torchrun --standalone --nproc-per-node=2 -m ddp`)."""
import contextlib
import copy
import datetime
import errno
import itertools
import multiprocessing.connection
import os
import signal
import socket
import tempfile
import time
import traceback
from pathlib import Path

import torch
import torch.distributed as dist

from sweeps import train_steps
from utils import (BasicOptim, _positive_int, calc_grad, make_linear, mnist_sample_path,
                   mnist_tensors, time_it)


# ------------------------------------------------ deep dive 12: processes in a group, DDP, torchrun



def _free_port():
    "A TCP port that nothing on this machine listens on right now (the OS picks it)."
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def _check_port(port):
    "`port` if nothing listens on it, else an OSError that names it and offers a free one."
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError(f"port must be an integer from 1 to 65535, or None, got {port!r}")
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("", port))
        except OSError as e:
            if e.errno != errno.EADDRINUSE:
                raise OSError(f"cannot use port {port} ({e}); pass port=None") from None
            free = _free_port()
            raise OSError(f"port {port} is taken: another program listens on it. Pass port=None "
                          f"to let launch pick a free one (port {free} is free now).") from None
    return port


def _check_backend(backend, world_size):
    "Raise a clear error unless this machine can run `world_size` processes on `backend`."
    if backend == "gloo":
        if not dist.is_gloo_available():
            raise RuntimeError("this PyTorch was built without the gloo backend (CPU processes)")
    elif backend == "nccl":
        gpus = torch.cuda.device_count() if dist.is_nccl_available() else 0
        if gpus < world_size:
            raise RuntimeError(f"backend 'nccl' needs one CUDA GPU per process: {world_size} "
                               f"processes, {gpus} GPUs here. Use backend='gloo' (CPU processes).")
    else:
        raise ValueError(f"backend must be 'gloo' (CPU processes) or 'nccl' (one GPU each), "
                         f"got {backend!r}")


@contextlib.contextmanager
def process_group(backend="gloo", rank=None, world_size=None, port=None, timeout=120):
    "Join a process group for the `with` block, destroyed however it ends; port=None: torchrun's."
    where = {} if port is None else dict(init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                                         world_size=world_size)
    dist.init_process_group(backend, timeout=datetime.timedelta(seconds=timeout), **where)
    try:
        yield
    finally:
        dist.destroy_process_group()


def _note_failure(folder, rank):
    "Save this rank's traceback; the first rank to fail also claims the file `first`."
    (folder / f"rank{rank}.err").write_text(traceback.format_exc())
    with contextlib.suppress(FileExistsError), open(folder / "first", "x") as first:  # x: atomic
        first.write(str(rank))


def _run_rank(rank, world_size, backend, port, folder, timeout):
    "What each spawned process runs: output to a log, the job inside a group, its result to a file."
    folder = Path(folder)
    log = open(folder / f"rank{rank}.log", "w")
    os.dup2(log.fileno(), 1)  # what a worker prints never reaches the notebook: outputs repeat
    os.dup2(log.fileno(), 2)
    try:
        fn, args = torch.load(folder / "job.pt", weights_only=False)
        with process_group(backend, rank, world_size, port, timeout):
            try:
                result = fn(*args)
            except BaseException:  # noted before the group goes, so before the errors it causes
                _note_failure(folder, rank)
                raise
        torch.save(result, folder / f"rank{rank}.pt")
    except BaseException:
        if not (folder / f"rank{rank}.err").exists():
            _note_failure(folder, rank)
        raise


def _failure(folder, procs, failed, seen):
    "The error launch raises: the rank that failed first, with its traceback or how it died."
    first = int((folder / "first").read_text()) if (folder / "first").exists() else None

    def cause(r):  # a death on its own without a traceback (a signal...), else the first traceback
        traced = (folder / f"rank{r}.err").exists()
        return traced or r not in seen, r != first, not traced
    r = min(failed, key=cause)
    err, log, code = folder / f"rank{r}.err", folder / f"rank{r}.log", procs[r].exitcode
    if err.exists():
        detail = f"its traceback:\n{err.read_text()}"
    else:
        how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
        tail = log.read_text()[-2000:] if log.exists() else ""
        detail = f"it stopped ({how}) without a Python traceback; the end of its output:\n{tail}"
    return RuntimeError(f"rank {r} of {len(procs)} failed; {detail}")


def launch(fn, *args, world_size=2, backend="gloo", port=None, timeout=120):
    "Run `fn(*args)` in `world_size` spawned processes joined in a group: each rank's result."
    module, name = getattr(fn, "__module__", "__main__"), getattr(fn, "__qualname__", "<")
    if module == "__main__" or "<" in name:
        raise ValueError(f"launch starts fresh Python processes that import {fn!r} by name: define "
                         f"it at the top of a module (as ddp.ddp_worker is), not in a notebook")
    _positive_int("world_size", world_size)
    _check_backend(backend, world_size)
    port = _free_port() if port is None else _check_port(port)
    with tempfile.TemporaryDirectory(prefix="launch-") as tmp:
        folder = Path(tmp)
        torch.save((fn, args), folder / "job.pt")
        spawned = torch.multiprocessing.spawn(_run_rank, (world_size, backend, port, tmp, timeout),
                                              nprocs=world_size, join=False)
        procs = spawned.processes
        seen = set()  # the ranks that stopped by themselves (launch stops the others)
        try:  # wait until all have stopped, or one has failed
            deadline = time.monotonic() + timeout
            while len(seen) < world_size and not any(procs[r].exitcode for r in seen):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the {world_size} processes did not finish within "
                                       f"{timeout} s and were stopped; pass a larger timeout=")
                running = [p for r, p in enumerate(procs) if r not in seen]
                multiprocessing.connection.wait([p.sentinel for p in running], timeout=1)
                seen.update(r for r, p in enumerate(procs) if p.exitcode is not None)
        finally:  # an error, a timeout, an interrupt: no process outlives this call
            for p in procs:
                if p.is_alive():
                    p.kill()
            for p in procs:
                p.join()
        failed = [r for r in range(world_size)
                  if procs[r].exitcode or not (folder / f"rank{r}.pt").exists()]
        for f in spawned.error_files:  # torch's copies of the tracebacks, outside our folder
            if os.path.exists(f):
                os.remove(f)
        if failed:
            raise _failure(folder, procs, failed, seen)
        return [torch.load(folder / f"rank{r}.pt", weights_only=False) for r in range(world_size)]


def _flat(tensors):
    "The tensors as one flat CPU vector (parameters or their gradients)."
    return torch.cat([t.detach().flatten() for t in tensors]).cpu()


def _step_times(ddp, xb, yb, warmup=5, repeats=25):
    "Median seconds of a forward+backward alone, of all-reducing as many floats alone, of both."
    flat = torch.zeros(sum(p.numel() for p in ddp.parameters()), device=xb.device)

    def compute():
        with ddp.no_sync():  # DDP's way to skip the all-reduce
            calc_grad(xb, yb, ddp)
        ddp.zero_grad()

    def step():
        calc_grad(xb, yb, ddp)
        ddp.zero_grad()
    return {"compute": time_it(compute, warmup, repeats),
            "all_reduce": time_it(lambda: dist.all_reduce(flat), warmup, repeats),
            "step": time_it(step, warmup, repeats)}


def ddp_worker(x, y, model, bs, steps, lr, seed=42):
    "One rank of DDP training: `bs` items of each step's batch, gradients averaged over the ranks."
    from torch.nn.parallel import DistributedDataParallel
    from torch.utils.data import DataLoader, DistributedSampler
    rank, k = dist.get_rank(), dist.get_world_size()
    torch.set_num_threads(1)  # one core per process
    device = torch.device("cpu")
    if dist.get_backend() == "nccl":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", rank)))
        torch.cuda.set_device(device)
    net = copy.deepcopy(model).to(device)
    ddp = DistributedDataParallel(net)  # copies rank 0's weights to all; averages grads in backward
    opt = BasicOptim(ddp.parameters(), lr)
    sampler = DistributedSampler(range(len(x)), num_replicas=k, rank=rank, shuffle=True, seed=seed)

    def batches():  # epoch after epoch, each in a new order
        for epoch in itertools.count():
            sampler.set_epoch(epoch)
            yield from DataLoader(range(len(x)), batch_size=bs, sampler=sampler)
    out = {"idx": [], "losses": []}
    for idx in itertools.islice(batches(), steps):
        xb, yb = x[idx].to(device), y[idx].to(device)
        if not out["idx"]:  # the first step: this rank's own gradient, before the all-reduce
            with ddp.no_sync():
                calc_grad(xb, yb, ddp)
            out["local_grad"] = _flat(p.grad for p in net.parameters())
            opt.zero_grad()
        out["losses"].append(calc_grad(xb, yb, ddp).item())
        if not out["idx"]:  # and after it
            out["grad"] = _flat(p.grad for p in net.parameters())
        out["idx"].append(idx)
        opt.step()
        opt.zero_grad()
    out["weights"] = _flat(net.parameters())
    out["times"] = _step_times(ddp, x[:bs].to(device), y[:bs].to(device))
    return out


def ddp_train(x, y, model, bs, steps, lr, seed=42, world_size=2, **launch_args):
    "Train copies of `model` with DDP in `world_size` processes, `bs` items each per step."
    _positive_int("world_size", world_size)
    _positive_int("the per-rank batch size bs", bs)
    _positive_int("steps", steps)
    if world_size > len(x):
        raise ValueError(f"world size {world_size} is larger than the dataset ({len(x)} items): "
                         f"some ranks would get only copies of others' items; use at most {len(x)}")
    return launch(ddp_worker, x, y, model, bs, steps, lr, seed, world_size=world_size,
                  **launch_args)


def _torchrun(argv=None):
    "torchrun's entry point (notebook 12): DDP on the linear model, then rank 0 checks one process."
    import argparse
    p = argparse.ArgumentParser(prog="torchrun --standalone --nproc-per-node=2 -m ddp")
    p.add_argument("--bs", type=int, default=64, help="items per process and step")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--lr", type=float, default=1.0)
    p.add_argument("--backend", default="gloo", choices=["gloo", "nccl"])
    a = p.parse_args(argv)
    _positive_int("--bs", a.bs)
    _positive_int("--steps", a.steps)
    _check_backend(a.backend, int(os.environ.get("LOCAL_WORLD_SIZE", 1)))
    if a.backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    with process_group(a.backend):  # RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT: set by torchrun
        rank, k = dist.get_rank(), dist.get_world_size()
        if rank == 0:
            mnist_sample_path()  # one process extracts the data if needed; the others wait
        dist.barrier()
        x, y, _, _ = mnist_tensors(mnist_sample_path())
        out = ddp_worker(x, y, make_linear(42), a.bs, a.steps, a.lr)
        every = [None] * k
        dist.all_gather_object(every, out["idx"])
    if rank == 0:
        model = make_linear(42)
        batches = [(x[i], y[i]) for i in (torch.cat(b) for b in zip(*every))]
        train_steps(model, batches, BasicOptim(model.parameters(), a.lr), a.steps)
        diff = (_flat(model.parameters()) - out["weights"]).abs().max().item()
        print(f"{k} processes ({a.backend}), {a.steps} steps of {k}x{a.bs} = {k * a.bs} items: "
              f"largest weight difference from one process on the same batches {diff:.1e}")


if __name__ == "__main__":  # torchrun --standalone --nproc-per-node=2 -m ddp
    _torchrun()
