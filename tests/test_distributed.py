"""glasstorch.distributed on MPI: every collective against numpy's single-process result, on 3
ranks started by mpirun; errors (mismatched shapes, a rank that raises), groups, point to point,
and the glasstorch-run launcher. Each MPI job runs under a timeout and its whole process group
is killed if it overruns, so a hang fails the test instead of blocking CI."""

import inspect
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import mpi4py  # noqa: F401  (CI installs it with the test extra: a missing mpi4py fails here)
import numpy as np
import pytest

import glasstorch
import glasstorch.distributed as dist
from glasstorch.distributed import run as launcher

TIMEOUT = 60
FLOATS = ("float16", "float32", "float64")
NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to call "
                   "init_process_group.")


def values(rank, dtype, n=6):
    """The tensor rank `rank` contributes (both the ranks and the expectations use this)."""
    x = (np.arange(n) * (rank + 2) + rank) % 11
    if dtype == "bool":
        return x % 3 == 0
    if dtype in ("float16", "float32", "float64"):
        return (x / 4 - 1).astype(dtype)
    return (x if dtype == "uint8" else x - 3).astype(dtype)


def mpirun(tmp_path, source, n=2, launch=None, timeout=TIMEOUT):
    """Run `source` as a script on n ranks; return (exit status, stdout, stderr, seconds)."""
    script = tmp_path / "rank_script.py"
    script.write_text("import numpy as np\n" + inspect.getsource(values) + "\n"
                      + textwrap.dedent(source))
    if launch is None:
        launch = [launcher.find_mpirun(), "--oversubscribe", "-n", str(n)]
        if os.geteuid() == 0:
            launch.append("--allow-run-as-root")
        launch += [sys.executable]
    start = time.perf_counter()
    process = subprocess.Popen(launch + [str(script), "first", "--second=2"], text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True, cwd=tmp_path)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(f"the MPI job ran past {timeout} s and was killed\n{stdout}\n{stderr}")
    return process.returncode, stdout, stderr, time.perf_counter() - start


def results(stdout, stderr, n):
    """The JSON each rank printed on its RESULT line, in rank order."""
    found = [json.loads(line[len("RESULT "):]) for line in stdout.splitlines()
             if line.startswith("RESULT ")]
    assert len(found) == n, f"{stdout}\n{stderr}"
    return sorted(found, key=lambda result: result["rank"])


# ---- the collectives against numpy ---------------------------------------------------------

COLLECTIVES = """
    import json
    import sys
    import glasstorch as torch
    import glasstorch.distributed as dist
    from glasstorch.utils.data import DistributedSampler

    dist.init_process_group("mpi", init_method="env://")
    r, W = dist.get_rank(), dist.get_world_size()
    out = {"rank": r, "world_size": W, "backend": dist.get_backend()}
    DTYPES = ["float16", "float32", "float64", "bool", "uint8", "int8", "int16", "int32", "int64"]

    def t(rank, dtype, n=6):
        return torch.tensor(values(rank, dtype, n))

    def keep(name, tensor, dtype=None):
        assert dtype is None or str(tensor.dtype) == "torch." + dtype, (name, tensor.dtype)
        out[name] = tensor.numpy().tolist()

    for dtype in DTYPES:
        ops = ["SUM", "MIN", "MAX"] + (["PRODUCT"] if dtype not in ("int8", "uint8") else [])
        ops += ["AVG"] if dtype.startswith("float") else []
        ops += ["BAND", "BOR", "BXOR"] if dtype in ("bool", "int32", "int64") else []
        for op in ops:
            x = t(r, dtype)
            assert dist.all_reduce(x, op=getattr(dist.ReduceOp, op)) is None
            keep(f"all_reduce/{op}/{dtype}", x, dtype)
        x = t(r, dtype)
        dist.broadcast(x, src=1)
        keep(f"broadcast/1/{dtype}", x, dtype)
        parts = [torch.zeros(6, dtype=getattr(torch, dtype)) for _ in range(W)]
        dist.all_gather(parts, t(r, dtype))
        for i, part in enumerate(parts):
            keep(f"all_gather/{i}/{dtype}", part, dtype)

    for dtype in ("float32", "float64", "int64"):
        for op in ("SUM", "MAX", "AVG") if dtype != "int64" else ("SUM", "MIN", "PRODUCT"):
            x = t(r, dtype)
            dist.reduce(x, dst=1, op=getattr(dist.ReduceOp, op))
            keep(f"reduce/{op}/{dtype}", x, dtype)
            x = t(r, dtype, 6 * W)
            y = torch.zeros(6, dtype=getattr(torch, dtype))
            dist.reduce_scatter_tensor(y, x, op=getattr(dist.ReduceOp, op))
            keep(f"reduce_scatter_tensor/{op}/{dtype}", y, dtype)
        y = torch.zeros(W, 6, dtype=getattr(torch, dtype))
        dist.all_gather_into_tensor(y, t(r, dtype))
        keep(f"all_gather_into_tensor/{dtype}", y.reshape(-1), dtype)
        gathered = [torch.zeros(6, dtype=getattr(torch, dtype)) for _ in range(W)]
        dist.gather(t(r, dtype), gathered if r == 2 else None, dst=2)
        if r == 2:
            for i, part in enumerate(gathered):
                keep(f"gather/{i}/{dtype}", part, dtype)
        x = torch.zeros(6, dtype=getattr(torch, dtype))
        chunks = [t(100 + i, dtype) for i in range(W)] if r == 1 else None
        dist.scatter(x, chunks, src=1)
        keep(f"scatter/{dtype}", x, dtype)

    # async_op: a Work whose wait() completes the result; None without async_op
    x = t(r, "float64")
    work = dist.all_reduce(x, op=dist.ReduceOp.MAX, async_op=True)
    out["async/wait"] = work.wait()
    out["async/is_completed"] = work.is_completed()
    keep("async/all_reduce", x)
    x = t(r, "int64")
    work = dist.broadcast(x, src=2, async_op=True)
    while not work.is_completed():
        pass
    keep("async/broadcast", x)
    parts = [torch.zeros(6) for _ in range(W)]
    dist.all_gather(parts, t(r, "float32"), async_op=True).wait()
    keep("async/all_gather", torch.cat(parts))
    y = torch.zeros(6)
    dist.reduce_scatter_tensor(y, t(r, "float32", 6 * W), op=dist.ReduceOp.AVG,
                               async_op=True).wait()
    keep("async/reduce_scatter_tensor", y)
    dist.barrier(async_op=True).wait()
    dist.barrier()

    # a non-contiguous view: the result lands in the base tensor's memory too
    base = t(r, "float32", 12).reshape(3, 4)
    view = base.t()
    dist.all_reduce(view)
    keep("view/all_reduce", base.reshape(-1))
    base = t(r, "float16", 12).reshape(3, 4)
    dist.broadcast(base.t(), src=1)
    keep("view/broadcast", base.reshape(-1))

    # tensors under autograd: the data changes, no graph is recorded
    p = torch.ones(3, requires_grad=True)
    dist.all_reduce(p)
    out["autograd/leaf"] = [p.tolist(), p.requires_grad, p.grad_fn is None, p._version[0]]
    q = p * 2
    dist.all_reduce(q)
    out["autograd/nonleaf"] = q.tolist()

    # point to point: a ring with isend/irecv, then blocking send/recv with a tag
    right, left = (r + 1) % W, (r - 1) % W
    x = torch.zeros(6, dtype=torch.int64)
    sending = dist.isend(t(r, "int64"), right)
    receiving = dist.irecv(x, left)
    receiving.wait()
    sending.wait()
    keep("ring", x)
    if r == 0:
        dist.send(t(0, "float64"), dst=2, tag=7)
    elif r == 2:
        x = torch.zeros(6, dtype=torch.float64)
        out["recv/source"] = dist.recv(x, tag=7)  # from any rank
        keep("recv", x)

    # groups: ranks 0 and 2; rank 1 is not a member and its calls do nothing
    g = dist.new_group([2, 0])
    out["group"] = [dist.get_rank(g), dist.get_world_size(g)]
    x = t(r, "float32")
    dist.all_reduce(x, group=g)
    keep("group/all_reduce", x)
    x = t(r, "float32")
    dist.broadcast(x, src=2, group=g)
    keep("group/broadcast", x)
    x = t(r, "float32")
    dist.broadcast(x, group=g, group_src=0)
    keep("group/broadcast_group_src", x)
    if r != 1:
        out["group/ranks"] = dist.get_process_group_ranks(g)
    else:
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            dist.all_reduce(torch.zeros(2), group=g)
        out["group/warning"] = [str(warning.message) for warning in caught]

    # device "cuda" on the stand-in CuPy (tests/standin_cupy.py): MPI carries host copies
    sys.path.insert(0, TESTS_DIR)
    import standin_cupy
    with standin_cupy.installed():
        x = torch.tensor(values(r, "float32"), device="cuda")
        dist.all_reduce(x, op=dist.ReduceOp.AVG)
        h = torch.tensor(values(r, "float16"), device="cuda")
        dist.broadcast(h, src=2)
        parts = [torch.zeros(6, device="cuda", dtype=torch.int64) for _ in range(W)]
        dist.all_gather(parts, torch.tensor(values(r, "int64"), device="cuda"))
        out["cuda"] = [str(x.device), x.cpu().tolist(), h.cpu().tolist(),
                       torch.cat(parts).cpu().tolist()]

    objects = []
    dist.all_gather_object(objects, {"rank": r})
    out["objects"] = objects
    out["sampler"] = list(DistributedSampler(range(10), seed=3))
    out["sys.argv"] = sys.argv[1:]
    dist.destroy_process_group()
    out["initialized_after_destroy"] = dist.is_initialized()
    print("RESULT " + json.dumps(out), flush=True)
"""


def reduced(op, arrays, dtype):
    """numpy's reduction of the ranks' arrays: what every rank should hold."""
    stack = np.stack(arrays)
    if dtype == "bool":
        op = {"SUM": "BOR", "PRODUCT": "BAND", "MIN": "BAND", "MAX": "BOR"}.get(op, op)
    wide = stack.astype("float64") if dtype in FLOATS else stack
    result = {"SUM": lambda: wide.sum(0), "AVG": lambda: wide.mean(0),
              "PRODUCT": lambda: wide.prod(0), "MIN": lambda: wide.min(0),
              "MAX": lambda: wide.max(0), "BAND": lambda: np.bitwise_and.reduce(stack, 0),
              "BOR": lambda: np.bitwise_or.reduce(stack, 0),
              "BXOR": lambda: np.bitwise_xor.reduce(stack, 0)}[op]()
    return np.asarray(result).astype(dtype)


def expected(name, rank, world_size):
    """What rank `rank` should have got for the case `name` (see COLLECTIVES)."""
    W = world_size
    kind, *rest = name.split("/")
    dtype = rest[-1]
    mine = values(rank, dtype)
    if kind == "all_reduce":
        return reduced(rest[0], [values(k, dtype) for k in range(W)], dtype)
    if kind == "broadcast":
        return values(int(rest[0]), dtype)
    if kind == "all_gather" or kind == "gather":
        return values(int(rest[0]), dtype)
    if kind == "reduce":
        if rank != 1:
            return mine
        return reduced(rest[0], [values(k, dtype) for k in range(W)], dtype)
    if kind == "reduce_scatter_tensor":
        whole = reduced(rest[0], [values(k, dtype, 6 * W) for k in range(W)], dtype)
        return whole[6 * rank:6 * rank + 6]
    if kind == "all_gather_into_tensor":
        return np.concatenate([values(k, dtype) for k in range(W)])
    if kind == "scatter":
        return values(100 + rank, dtype)
    raise AssertionError(name)


def assert_close(got, want, name):
    got = np.asarray(got)
    if want.dtype.kind == "f":
        rtol = 1e-3 if want.dtype == np.float16 else 1e-6
        np.testing.assert_allclose(got, want.astype("float64"), rtol=rtol, atol=rtol,
                                   err_msg=name)
    else:
        np.testing.assert_array_equal(got, want, err_msg=name)


def test_every_collective_matches_numpy_on_three_ranks(tmp_path, torch):
    W = 3
    tests = os.path.dirname(os.path.abspath(__file__))
    status, stdout, stderr, _ = mpirun(tmp_path, COLLECTIVES.replace("TESTS_DIR", repr(tests)),
                                       n=W)
    assert status == 0, stdout + stderr
    ranks = results(stdout, stderr, W)
    for rank, out in enumerate(ranks):
        assert (out["rank"], out["world_size"], out["backend"]) == (rank, W, "mpi")
        checked = 0
        for name, got in out.items():
            if name.split("/")[0] in ("all_reduce", "broadcast", "all_gather", "gather",
                                      "reduce", "reduce_scatter_tensor",
                                      "all_gather_into_tensor", "scatter"):
                assert_close(got, expected(name, rank, W), name)
                checked += 1
        # all_reduce: 46 (dtype, op) pairs; broadcast and all_gather of 9 dtypes; reduce,
        # reduce_scatter_tensor (3 ops each), all_gather_into_tensor, scatter, gather of 3 dtypes
        assert checked == 46 + 9 + 9 * W + 3 * (3 + 3 + 1 + 1) + (3 * W if rank == 2 else 0)
        every = [values(k, "float64") for k in range(W)]
        assert_close(out["async/all_reduce"], reduced("MAX", every, "float64"), "async")
        assert out["async/wait"] is True and out["async/is_completed"] is True
        assert_close(out["async/broadcast"], values(2, "int64"), "async/broadcast")
        assert_close(out["async/all_gather"],
                     np.concatenate([values(k, "float32") for k in range(W)]), "async/all_gather")
        whole = reduced("AVG", [values(k, "float32", 6 * W) for k in range(W)], "float32")
        assert_close(out["async/reduce_scatter_tensor"], whole[6 * rank:6 * rank + 6], "async")
        # the view's transpose was reduced: the base holds the elementwise sum too
        assert_close(out["view/all_reduce"],
                     reduced("SUM", [values(k, "float32", 12) for k in range(W)], "float32"),
                     "view")
        assert_close(out["view/broadcast"], values(1, "float16", 12), "view/broadcast")
        assert out["autograd/leaf"] == [[3.0] * 3, True, True, 0]  # torch: version untouched
        assert out["autograd/nonleaf"] == [18.0] * 3
        assert out["ring"] == values((rank - 1) % W, "int64").tolist()
        if rank == 2:
            assert out["recv/source"] == 0
            assert out["recv"] == values(0, "float64").tolist()
        members = {0: [0, 2], 2: [1, 2]}
        if rank == 1:  # not in the group: rank -1, size -1, tensors untouched
            assert out["group"] == [-1, -1]
            for name in ("group/all_reduce", "group/broadcast", "group/broadcast_group_src"):
                assert_close(out[name], values(1, "float32"), name)
            assert out["group/warning"] == [
                "Running all_reduce on global rank 1 which does not belong to the given group."]
        else:
            assert out["group"] == members[rank]
            assert out["group/ranks"] == [0, 2]
            assert_close(out["group/all_reduce"], values(0, "float32") + values(2, "float32"),
                         "group")
            assert_close(out["group/broadcast"], values(2, "float32"), "group/broadcast")
            assert_close(out["group/broadcast_group_src"], values(0, "float32"), "group_src")
        device, average, half, gathered = out["cuda"]
        assert device == "cuda:0"
        assert_close(average, reduced("AVG", [values(k, "float32") for k in range(W)],
                                      "float32"), "cuda/all_reduce")
        assert_close(half, values(2, "float16"), "cuda/broadcast")
        assert_close(gathered, np.concatenate([values(k, "int64") for k in range(W)]),
                     "cuda/all_gather")
        assert out["objects"] == [{"rank": k} for k in range(W)]
        sampler = torch.utils.data.DistributedSampler(range(10), W, rank, seed=3)
        assert out["sampler"] == list(sampler)
        assert out["sys.argv"] == ["first", "--second=2"]
        assert out["initialized_after_destroy"] is False


# ---- errors --------------------------------------------------------------------------------

ERRORS = """
    import json
    import glasstorch as torch
    import glasstorch.distributed as dist

    try:
        dist.init_process_group("mpi", world_size=3)
    except ValueError as error:
        first = str(error)
    dist.init_process_group("gloo", world_size=2)
    r = dist.get_rank()
    out = {"rank": r, "backend": dist.get_backend(), "init": first}
    try:
        dist.init_process_group()
    except ValueError as error:
        out["twice"] = str(error)

    def error_of(name, call):
        try:
            call()
        except (RuntimeError, ValueError) as error:
            out[name] = [type(error).__name__, str(error)]
        else:
            out[name] = None

    error_of("all_reduce/shape", lambda: dist.all_reduce(torch.zeros(2 + r, 3)))
    error_of("broadcast/dtype", lambda: dist.broadcast(
        torch.zeros(4, dtype=torch.float32 if r == 0 else torch.float64), src=0))
    error_of("broadcast/src", lambda: dist.broadcast(torch.zeros(4), src=r))
    error_of("all_reduce/op", lambda: dist.all_reduce(
        torch.zeros(4), op=dist.ReduceOp.SUM if r == 0 else dist.ReduceOp.MAX))
    error_of("all_reduce/avg_int", lambda: dist.all_reduce(
        torch.zeros(4, dtype=torch.int64), op=dist.ReduceOp.AVG))
    error_of("all_reduce/band_float", lambda: dist.all_reduce(
        torch.zeros(4), op=dist.ReduceOp.BAND))
    error_of("gather/list", lambda: dist.gather(
        torch.zeros(4), [torch.zeros(4)] if r == 0 else None, dst=0))
    error_of("all_gather_into_tensor/size", lambda: dist.all_gather_into_tensor(
        torch.zeros(7), torch.zeros(4)))
    error_of("scatter/list_on_non_source", lambda: dist.scatter(
        torch.zeros(4), [torch.zeros(4), torch.zeros(4)], src=0))
    if r == 0:
        dist.send(torch.zeros(5), 1)
        dist.send(torch.zeros(2), 1)
    else:
        error_of("recv/larger", lambda: dist.recv(torch.zeros(4), 0))
        error_of("recv/smaller", lambda: dist.recv(torch.zeros(4), 0))
    # after all those errors the ranks still agree and work
    x = torch.ones(3) * (r + 1)
    dist.all_reduce(x)
    out["after"] = x.tolist()
    print("RESULT " + json.dumps(out), flush=True)
"""


def test_mismatched_calls_raise_clear_errors_on_every_rank(tmp_path):
    status, stdout, stderr, _ = mpirun(tmp_path, ERRORS)
    assert status == 0, stdout + stderr
    ranks = results(stdout, stderr, 2)
    for rank, out in enumerate(ranks):
        assert out["backend"] == "gloo"
        assert out["init"].startswith("world_size=3 (from the argument) disagrees with MPI, "
                                      f"which started 2 process(es) and gave this one rank {rank}")
        assert out["twice"] == "trying to initialize the default process group twice!"
        assert out["all_reduce/shape"] == [
            "RuntimeError", "all_reduce: the tensors differ across ranks: rank 0 has shape "
            "(2, 3) float32, rank 1 has shape (3, 3) float32"]
        assert out["broadcast/dtype"] == [
            "RuntimeError", "broadcast: the tensors differ across ranks: rank 0 has shape (4,) "
            "float32, rank 1 has shape (4,) float64"]
        assert out["broadcast/src"] == [
            "RuntimeError", "broadcast: the ranks disagree on the source/destination rank: "
            "rank 0 gave 0, rank 1 gave 1"]
        assert out["all_reduce/op"] == [
            "RuntimeError", "all_reduce: the ranks disagree on the reduction: rank 0 gave "
            "ReduceOp.SUM, rank 1 gave ReduceOp.MAX"]
        assert out["all_reduce/avg_int"] == [
            "RuntimeError", "result type Float can't be cast to the desired output type Long"]
        assert out["all_reduce/band_float"] == [
            "RuntimeError", "Cannot use ReduceOp.BAND with non-integral dtype"]
        assert out["all_gather_into_tensor/size"] == [
            "RuntimeError", "output tensor size must be equal to world_size times input tensor "
            "size"]
        # a local error on one rank: that rank raises it, the others name the rank
        if rank == 0:
            assert out["gather/list"] == [
                "ValueError", "Argument ``gather_list`` must contain 2 tensors (one per rank)"]
            assert out["scatter/list_on_non_source"] == [
                "RuntimeError", "scatter: rank 1 rejected its arguments (its own error says why)"]
        else:
            assert out["gather/list"] == [
                "RuntimeError", "gather: rank 0 rejected its arguments (its own error says why)"]
            assert out["scatter/list_on_non_source"] == [
                "ValueError", "Argument ``scatter_list`` must NOT be specified on non-source "
                "ranks."]
            assert out["recv/larger"] == [
                "RuntimeError", "recv into a tensor of shape (4,) torch.float32 (16 bytes): the "
                "message sent is larger than the tensor (the sender's tensor has more bytes)"]
            assert out["recv/smaller"] == [
                "RuntimeError", "recv into a tensor of shape (4,) torch.float32 (16 bytes): rank "
                "0 sent 8 bytes"]
        assert out["after"] == [3.0, 3.0, 3.0]


RAISES = """
    import glasstorch as torch
    import glasstorch.distributed as dist

    dist.init_process_group()
    if dist.get_rank() == 1:
        raise ZeroDivisionError("rank one gave up")
    dist.all_reduce(torch.ones(3))  # rank 0 waits here for rank 1, which is gone
    print("rank 0 must not get here", flush=True)
"""


def test_a_rank_that_raises_ends_the_whole_job(tmp_path):
    status, stdout, stderr, seconds = mpirun(tmp_path, RAISES, timeout=30)
    assert status != 0
    assert 'raise ZeroDivisionError("rank one gave up")' in stderr
    assert "ZeroDivisionError: rank one gave up" in stderr
    assert "must not get here" not in stdout
    assert seconds < 30


# ---- the launcher ----------------------------------------------------------------------------

LAUNCHED = """
    import json
    import os
    import sys
    import glasstorch as torch
    import glasstorch.distributed as dist

    dist.init_process_group("gloo")
    x = torch.ones(2) * (dist.get_rank() + 1)
    dist.all_reduce(x)
    env = {name: os.environ[name] for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK",
                                               "LOCAL_WORLD_SIZE")}
    print("RESULT " + json.dumps({"rank": dist.get_rank(), "x": x.tolist(), "env": env,
                                  "argv": sys.argv, "name": __name__}), flush=True)
    sys.exit(3 if dist.get_rank() == 1 else 0)
"""


@pytest.mark.parametrize("form", ["module", "console script with a hostfile"])
def test_launcher_starts_the_ranks_through_mpirun(tmp_path, form):
    start = [sys.executable, "-m", "glasstorch.distributed.run"]
    if form != "module":
        (tmp_path / "hosts").write_text("localhost slots=2\n")
        start = [os.path.join(os.path.dirname(sys.executable), "glasstorch-run"),
                 "--hostfile", str(tmp_path / "hosts")]
    status, stdout, stderr, _ = mpirun(tmp_path, LAUNCHED,
                                       launch=start + ["--nproc-per-node", "2"])
    assert status == 3, stdout + stderr  # mpirun's exit status: rank 1's
    for rank, out in enumerate(results(stdout, stderr, 2)):
        assert out["x"] == [3.0, 3.0]
        assert out["env"] == {"RANK": str(rank), "WORLD_SIZE": "2", "LOCAL_RANK": str(rank),
                              "LOCAL_WORLD_SIZE": "2"}
        assert out["argv"] == [str(tmp_path / "rank_script.py"), "first", "--second=2"]
        assert out["name"] == "__main__"


def test_launcher_command_line(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    line = launcher.command(["--nproc-per-node", "4", "train.py", "--lr", "0.1"])
    assert line == [launcher.find_mpirun(), "--oversubscribe", "--allow-run-as-root", "-n", "4",
                    sys.executable, "-m", "glasstorch.distributed._rank", "train.py", "--lr",
                    "0.1"]
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    line = launcher.command(["--nproc_per_node=2", "--hostfile", "hosts", "-m", "pkg.train"])
    assert line == [launcher.find_mpirun(), "--oversubscribe", "--hostfile", "hosts",
                    "--npernode", "2", sys.executable, "-m", "glasstorch.distributed._rank",
                    "-m", "pkg.train"]
    assert os.path.basename(launcher.find_mpirun()) == "mpirun"
    line = launcher.command(["--standalone", "--nnodes=1", "--nproc-per-node=3", "t.py"])
    assert line[:4] == [launcher.find_mpirun(), "--oversubscribe", "-n", "3"]
    with pytest.raises(SystemExit, match="--nnodes above 1 needs --hostfile"):
        launcher.command(["--nnodes", "2", "train.py"])
    with pytest.raises(SystemExit, match="--nproc-per-node must be at least 1"):
        launcher.command(["--nproc-per-node", "0", "train.py"])


# ---- in this process, without MPI ----------------------------------------------------------

def test_without_a_process_group(torch):
    assert dist.is_available() is True
    assert dist.is_initialized() is False
    for call in (dist.get_rank, dist.get_world_size, dist.get_backend, dist.barrier,
                 dist.destroy_process_group, lambda: dist.all_reduce(glasstorch.ones(2))):
        with pytest.raises(ValueError) as raised:
            call()
        assert str(raised.value) == NOT_INITIALIZED
    # the same error from torch
    with pytest.raises(ValueError, match="^Default process group has not been initialized"):
        torch.distributed.get_rank()
    # DistributedSampler lets it through, as torch's does
    with pytest.raises(ValueError, match="^Default process group has not been initialized"):
        glasstorch.utils.data.DistributedSampler(range(4))


def test_init_process_group_rejects_what_mpi_does_not_do():
    with pytest.raises(ValueError, match="backend 'nccl' is not available"):
        dist.init_process_group("nccl")
    with pytest.raises(ValueError, match="init_method 'tcp://127.0.0.1:2345' is not supported"):
        dist.init_process_group("gloo", init_method="tcp://127.0.0.1:2345")
    with pytest.raises(ValueError, match="does not use a store"):
        dist.init_process_group("mpi", store=object())
    assert dist.is_initialized() is False


def test_public_names():
    for name in ("SUM", "AVG", "PRODUCT", "MIN", "MAX"):
        assert hasattr(dist.ReduceOp, name)
    assert dist.group.WORLD is None
    assert dist.Backend("GLOO") == "gloo" and dist.Backend.MPI == "mpi"
