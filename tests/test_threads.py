"""The thread pool (glasstorch.threads): the thread count against torch's, how parallel() splits
its work, fork safety (multiprocessing and DataLoader workers), and repeatable results for a
fixed thread count.

Every test that starts a process waits for it with a time limit, and kills it if it hangs: a
pool inherited across fork deadlocks rather than fails.
"""

import multiprocessing
import os
import subprocess
import sys
import threading
import time
import traceback

import numpy as np
import pytest
import torch

import glasstorch
from glasstorch import threads

F = glasstorch.nn.functional
TIMEOUT = 60  # seconds any child process may take (each needs well under one here)


@pytest.fixture(autouse=True)
def _restore_thread_counts():
    """Every test here may change both libraries' thread counts: put them back."""
    ours, theirs = glasstorch.get_num_threads(), torch.get_num_threads()
    yield
    glasstorch.set_num_threads(ours)
    torch.set_num_threads(theirs)


# ---------------------------------------------------------------- set_num_threads / get_num_threads

_DEFAULTS = """
import torch, glasstorch
print(torch.get_num_threads(), glasstorch.get_num_threads())
"""


def _one_cpu():
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


# a fresh interpreter for each: the defaults are read once, at import
@pytest.mark.parametrize("env, preexec", [
    ({}, None),
    ({}, _one_cpu),  # the process may run on one core only (taskset, a container's cpuset)
    ({"OMP_NUM_THREADS": "1"}, None),  # torch takes its default from OMP_NUM_THREADS
], ids=["default", "affinity_one_cpu", "OMP_NUM_THREADS=1"])
def test_default_num_threads_matches_torch(env, preexec):
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    environment.update(env)
    done = subprocess.run([sys.executable, "-c", _DEFAULTS], env=environment,
                          preexec_fn=preexec, capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    theirs, ours = map(int, done.stdout.split())
    assert ours == theirs


def test_default_in_this_process_matches_torch():
    assert threads._default_num_threads() == torch.get_num_threads() >= 1


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_set_then_get_round_trips(n):
    glasstorch.set_num_threads(n)
    torch.set_num_threads(n)
    assert glasstorch.get_num_threads() == torch.get_num_threads() == n
    assert threads.get_num_threads() == n


@pytest.mark.parametrize("value", [0, -1, 2.5, "2", True, None])
def test_set_num_threads_errors_match_torch(value):
    glasstorch.set_num_threads(2)
    torch.set_num_threads(2)
    with pytest.raises(Exception) as expected:
        torch.set_num_threads(value)
    with pytest.raises(Exception) as got:
        glasstorch.set_num_threads(value)
    assert type(got.value) is type(expected.value) is RuntimeError
    assert str(got.value) == str(expected.value)
    assert glasstorch.get_num_threads() == torch.get_num_threads() == 2  # unchanged


def test_set_num_threads_messages():
    with pytest.raises(RuntimeError, match="^set_num_threads expects a positive integer$"):
        glasstorch.set_num_threads(0)
    with pytest.raises(RuntimeError, match="^set_num_threads expects an int, but got float$"):
        glasstorch.set_num_threads(2.5)


# ------------------------------------------------------------------------------------ parallel

def _record(count, elements):
    """Run parallel(count, ...) and return its calls (start, stop, thread) in start order."""
    calls = []
    lock = threading.Lock()

    def work(start, stop):
        with lock:
            calls.append((start, stop, threading.current_thread()))

    threads.parallel(count, work, elements)
    return sorted(calls, key=lambda call: call[0])


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("count", [1, 2, 3, 4, 7, 64, 1001])
def test_parallel_covers_every_index_once_in_contiguous_parts(n, count):
    glasstorch.set_num_threads(n)
    expected_parts = 1 if n == 1 else min(n, count)
    assert threads.parts(count, threads.MIN_ITEMS) == expected_parts
    calls = _record(count, threads.MIN_ITEMS)
    assert len(calls) == expected_parts
    covered = np.zeros(count, dtype=int)
    for start, stop, _ in calls:
        assert 0 <= start < stop <= count  # no empty part
        covered[start:stop] += 1
    assert (covered == 1).all()
    # contiguous runs in order, of nearly equal size
    assert calls[0][0] == 0 and calls[-1][1] == count
    assert all(a[1] == b[0] for a, b in zip(calls, calls[1:]))
    sizes = [stop - start for start, stop, _ in calls]
    assert max(sizes) - min(sizes) <= 1
    # the last part on the caller, the others on the pool's threads
    assert calls[-1][2] is threading.current_thread()
    for _, _, thread in calls[:-1]:
        assert thread is not threading.current_thread()
        assert thread.name.startswith("glasstorch")


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("elements", [0, 1, threads.MIN_ITEMS - 1])
def test_small_work_runs_once_on_the_caller(n, elements):
    glasstorch.set_num_threads(n)
    assert threads.parts(100, elements) == 1
    calls = _record(100, elements)
    assert [(start, stop) for start, stop, _ in calls] == [(0, 100)]
    assert calls[0][2] is threading.current_thread()


@pytest.mark.parametrize("elements", [0, threads.MIN_ITEMS])
def test_zero_items(elements):
    glasstorch.set_num_threads(2)
    assert [(start, stop) for start, stop, _ in _record(0, elements)] == [(0, 0)]


def test_a_split_inside_a_part_runs_whole_on_that_thread():
    # with 2 threads the pool has one thread: a part waiting on a split queued behind itself
    # would hang, so a split inside a part runs at once, whole (run in a child, bounded)
    script = """
import threading
from glasstorch import threads
threads.set_num_threads(2)
inner = []
def outer(start, stop):
    threads.parallel(4, lambda a, b: inner.append((a, b, threading.current_thread())),
                     threads.MIN_ITEMS)
threads.parallel(2, outer, threads.MIN_ITEMS)
assert sorted((a, b) for a, b, _ in inner) == [(0, 4), (0, 4)], inner
assert len({t for _, _, t in inner}) == 2
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.strip() == "ok", result.stderr


def test_one_thread_never_splits():
    glasstorch.set_num_threads(1)
    assert threads.parts(1000, 10 * threads.MIN_ITEMS) == 1
    calls = _record(1000, 10 * threads.MIN_ITEMS)
    assert [(start, stop) for start, stop, _ in calls] == [(0, 1000)]
    assert calls[0][2] is threading.current_thread()


@pytest.mark.parametrize("n", [2, 3])
def test_parts_run_at_once(n):
    """Each part waits for all the others to start: parts run in turn would never get past."""
    glasstorch.set_num_threads(n)
    barrier = threading.Barrier(n, timeout=10)
    passed = []

    def work(start, stop):
        barrier.wait()
        passed.append(start)

    threads.parallel(n, work, threads.MIN_ITEMS)
    assert sorted(passed) == list(range(n))


def test_set_num_threads_resizes_the_pool():
    glasstorch.set_num_threads(2)
    _record(8, threads.MIN_ITEMS)  # a pool of one thread now exists
    glasstorch.set_num_threads(3)
    assert threads._pool is None  # dropped: the next split starts a pool of two threads
    calls = _record(8, threads.MIN_ITEMS)
    assert [(start, stop) for start, stop, _ in calls] == [(0, 2), (2, 5), (5, 8)]
    test_parts_run_at_once(3)  # three parts at once: the pool has grown


def test_exception_in_a_pool_thread_reaches_the_caller():
    glasstorch.set_num_threads(2)
    where = []

    def work(start, stop):
        where.append((start, threading.current_thread()))
        if start == 0:  # the first part, which runs on the pool's thread
            raise ValueError("boom in part 0")

    with pytest.raises(ValueError, match="boom in part 0"):
        threads.parallel(4, work, threads.MIN_ITEMS)
    (pool_thread,) = [thread for start, thread in where if start == 0]
    assert pool_thread is not threading.current_thread()
    assert sorted(start for start, _ in where) == [0, 2]  # the caller's part ran too
    # the pool still works, on all its threads
    calls = _record(4, threads.MIN_ITEMS)
    assert [(start, stop) for start, stop, _ in calls] == [(0, 2), (2, 4)]
    test_parts_run_at_once(2)


def test_exception_on_the_caller_waits_for_the_other_parts():
    """parallel() returns (or raises) only once no part still writes into the output."""
    glasstorch.set_num_threads(2)
    finished = []

    def work(start, stop):
        if start == 0:
            time.sleep(0.2)
            finished.append(start)
        else:
            raise KeyError("caller's part")

    with pytest.raises(KeyError):
        threads.parallel(2, work, threads.MIN_ITEMS)
    assert finished == [0]


def test_ops_give_the_same_values_at_every_thread_count():
    """Convolution and matmul split per image and per band: each element is the same sum."""
    rng = np.random.default_rng(0)
    x, w = _conv_inputs(rng)
    a = rng.standard_normal((256, 300), dtype=np.float32)
    b = rng.standard_normal((300, 200), dtype=np.float32)
    results = []
    for n in (1, 2, 3):
        glasstorch.set_num_threads(n)
        results.append((_conv(x, w), (glasstorch.from_numpy(a) @ glasstorch.from_numpy(b)).numpy()))
        assert (threads._pool is None) == (n == 1)  # at 2 and 3 the work was split
    for conv, product in results[1:]:
        np.testing.assert_array_equal(conv, results[0][0])
        np.testing.assert_array_equal(product, results[0][1])
    np.testing.assert_allclose(results[0][1], a @ b, rtol=1e-5, atol=1e-4)


# ------------------------------------------------------------------------------------ fork safety

def _conv_inputs(rng, batch=8):
    # (8, 8, 32, 32) with 3x3 windows: im2col holds 8 * 72 * 1024 elements, far over MIN_ITEMS
    x = rng.standard_normal((batch, 8, 32, 32), dtype=np.float32)
    w = rng.standard_normal((16, 8, 3, 3), dtype=np.float32)
    return x, w


def _conv(x, w):
    return F.conv2d(glasstorch.from_numpy(x), glasstorch.from_numpy(w), padding=1).numpy()


def _pool_threads():
    return sum(thread.name.startswith("glasstorch") for thread in threading.enumerate())


def _in_forked_child(target):
    """Run target() in a child process made by fork; return what it returns (it must pickle).

    The child is bounded by TIMEOUT: if it hangs it is killed and the test fails."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def main():
        try:
            sender.send(("ok", target()))
        except BaseException:  # noqa: BLE001 -- everything goes back to the test
            sender.send(("error", traceback.format_exc()))

    process = context.Process(target=main, daemon=True)
    process.start()
    try:
        sender.close()
        if not receiver.poll(TIMEOUT):
            pytest.fail(f"the forked child gave no answer in {TIMEOUT} s (a deadlock?)")
        status, value = receiver.recv()
        process.join(TIMEOUT)
        assert not process.is_alive(), "the forked child did not exit"
        assert process.exitcode == 0
        assert status == "ok", value
        return value
    finally:
        receiver.close()
        if process.is_alive():
            process.terminate()
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join(5)


def _parent_with_pool(n=2):
    """Set n threads and run a split convolution: the pool now has live threads to fork over."""
    glasstorch.set_num_threads(n)
    x, w = _conv_inputs(np.random.default_rng(1))
    expected = _conv(x, w)
    assert threads._pool is not None
    assert _pool_threads() >= 1
    return x, w, expected


def test_forked_child_starts_its_own_pool():
    x, w, expected = _parent_with_pool()

    def child():
        fresh = threads._pool is None  # the parent's pool is gone with its threads
        y = _conv(x, w)
        return fresh, threads.get_num_threads(), threads._pool is not None, _pool_threads(), y

    fresh, n, started, pool_threads, y = _in_forked_child(child)
    assert fresh
    assert n == 2  # the count is inherited; only the pool is dropped
    assert started and pool_threads == 1
    np.testing.assert_array_equal(y, expected)
    np.testing.assert_array_equal(_conv(x, w), expected)  # the parent's pool still works


def test_forked_child_set_num_threads_restarts_the_pool():
    x, w, expected = _parent_with_pool()
    a = np.random.default_rng(2).standard_normal((256, 256), dtype=np.float32)
    product = (glasstorch.from_numpy(a) @ glasstorch.from_numpy(a)).numpy()

    def child():
        glasstorch.set_num_threads(2)
        y = _conv(x, w)
        started = threads._pool is not None
        p = (glasstorch.from_numpy(a) @ glasstorch.from_numpy(a)).numpy()
        return started, _pool_threads(), y, p

    started, pool_threads, y, p = _in_forked_child(child)
    assert started and pool_threads == 1
    np.testing.assert_array_equal(y, expected)
    np.testing.assert_array_equal(p, product)


def test_forked_child_at_three_threads_then_one():
    x, w, expected = _parent_with_pool()

    def child():
        glasstorch.set_num_threads(3)
        at_three = _conv(x, w)
        test_parts_run_at_once(3)
        glasstorch.set_num_threads(1)
        return at_three, _conv(x, w), threads._pool is None

    at_three, at_one, dropped = _in_forked_child(child)
    assert dropped
    np.testing.assert_array_equal(at_three, expected)
    np.testing.assert_array_equal(at_one, expected)


class _ConvDataset(glasstorch.utils.data.Dataset):
    """Each item: a large conv2d and a large matmul in glasstorch, run where the item is read."""

    def __init__(self):
        rng = np.random.default_rng(3)
        self.w = rng.standard_normal((16, 8, 3, 3), dtype=np.float32)
        self.a = rng.standard_normal((256, 256), dtype=np.float32)

    def __len__(self):
        return 4

    def __getitem__(self, i):
        x, _ = _conv_inputs(np.random.default_rng(10 + i), batch=4)
        conv = _conv(x, self.w)
        a = glasstorch.from_numpy(self.a)
        product = (a @ (a + float(i))).numpy()
        split = threads._pool is not None
        return (glasstorch.from_numpy(conv), glasstorch.from_numpy(product),
                glasstorch.tensor(threads.get_num_threads()), glasstorch.tensor(split))


def _set_two_threads(worker_id):
    glasstorch.set_num_threads(2)


@pytest.mark.parametrize("worker_init_fn, worker_threads", [(None, 1), (_set_two_threads, 2)],
                         ids=["workers_default", "workers_set_two"])
def test_dataloader_workers_compute_after_fork(worker_init_fn, worker_threads):
    _parent_with_pool()
    dataset = _ConvDataset()
    loader = glasstorch.utils.data.DataLoader(dataset, batch_size=1, num_workers=2,
                                              timeout=TIMEOUT, worker_init_fn=worker_init_fn)
    batches = iter(loader)
    try:
        items = list(batches)
    finally:
        batches._shutdown_workers()
        assert not any(worker.is_alive() for worker in batches._workers)
    assert glasstorch.get_num_threads() == 2  # the workers' count stays in the workers
    assert len(items) == len(dataset)
    # the parent computes the same at the workers' thread count
    glasstorch.set_num_threads(worker_threads)
    for i, (conv, product, n, split) in enumerate(items):
        expected_conv, expected_product, _, _ = dataset[i]
        assert n.item() == worker_threads  # torch's workers run on one thread too
        assert split.item() == (worker_threads > 1)
        np.testing.assert_array_equal(conv.numpy()[0], expected_conv.numpy())
        np.testing.assert_array_equal(product.numpy()[0], expected_product.numpy())


# ------------------------------------------------------------------------------------ determinism

def _resnet_like_step(lib, arrays):
    """conv2d + batch_norm + relu + max_pool2d + linear, forward and backward, in lib."""
    x, conv_w, conv_b, bn_w, bn_b, fc_w, fc_b, labels = (
        lib.from_numpy(a.copy()) for a in arrays)
    params = [x, conv_w, conv_b, bn_w, bn_b, fc_w, fc_b]
    for p in params:
        p.requires_grad_(True)
    running_mean, running_var = lib.zeros(16), lib.ones(16)
    nn = lib.nn.functional
    y = nn.conv2d(x, conv_w, conv_b, padding=1)
    y = nn.batch_norm(y, running_mean, running_var, bn_w, bn_b, training=True)
    y = nn.max_pool2d(nn.relu(y), 2)
    logits = nn.linear(y.flatten(1), fc_w, fc_b)
    loss = nn.cross_entropy(logits, labels)
    loss.backward()
    return ([t.detach().numpy() for t in (logits, loss, running_mean, running_var)]
            + [p.grad.numpy() for p in params])


def _step_inputs():
    rng = np.random.default_rng(4)
    # batch (16, 8, 32, 32): each op's work is over MIN_ITEMS; the 64-class linear layer's
    # products (16 x 4096 x 64) are large enough to split too
    return [rng.standard_normal((16, 8, 32, 32), dtype=np.float32),
            rng.standard_normal((16, 8, 3, 3), dtype=np.float32) * 0.1,
            rng.standard_normal(16, dtype=np.float32) * 0.1,
            1 + rng.standard_normal(16, dtype=np.float32) * 0.1,
            rng.standard_normal(16, dtype=np.float32) * 0.1,
            rng.standard_normal((64, 16 * 16 * 16), dtype=np.float32) * 0.01,
            rng.standard_normal(64, dtype=np.float32) * 0.01,
            rng.integers(0, 64, 16)]


STEP_NAMES = ["logits", "loss", "running_mean", "running_var", "x.grad", "conv.weight.grad",
              "conv.bias.grad", "bn.weight.grad", "bn.bias.grad", "fc.weight.grad",
              "fc.bias.grad"]


@pytest.fixture(scope="module")
def torch_step():
    return _resnet_like_step(torch, _step_inputs())


@pytest.mark.parametrize("n", [1, 2])
def test_resnet_like_step_repeats_exactly_and_matches_torch(n, torch_step):
    glasstorch.set_num_threads(n)
    arrays = _step_inputs()
    first = _resnet_like_step(glasstorch, arrays)
    assert (threads._pool is not None) == (n > 1)  # at 2 threads the step was split
    second = _resnet_like_step(glasstorch, arrays)
    for name, a, b, expected in zip(STEP_NAMES, first, second, torch_step):
        np.testing.assert_array_equal(a, b, err_msg=f"{name} differs between two runs")
        assert a.dtype == expected.dtype, name
        if name == "conv.bias.grad":
            # the conv's output goes straight into BatchNorm, which subtracts each channel's
            # mean: the true gradient is zero, and both libraries give rounding noise, small
            # next to the weight's gradient
            scale = np.abs(torch_step[STEP_NAMES.index("conv.weight.grad")]).max()
            assert np.abs(expected).max() < 1e-5 * scale
            assert np.abs(a).max() < 1e-5 * scale
            continue
        # float32: relative to this value's size, as summation order leaves rounding noise
        np.testing.assert_allclose(a, expected, rtol=1e-4,
                                   atol=1e-5 * max(np.abs(expected).max(), 1e-3), err_msg=name)
