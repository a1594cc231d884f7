"""The thread pool: large array work split across the cores, as PyTorch uses them.

numpy and BLAS release the GIL while they compute, so Python threads that each run numpy on
their own part of an array really run at once. An op that wants every core calls

    threads.parallel(count, work, elements, on=array)

with `work(start, stop)` computing items start..stop-1 of `count` (rows of a batch, channels,
columns of a product) and writing them into its part of an output allocated beforehand: the
parts are never concatenated. `elements` sizes the job; `on` is one of its arrays (work on a
GPU's arrays runs whole: the device is parallel already). The calling thread runs the last part itself and returns once
all parts are done. Small work (under `MIN_ITEMS` elements in all) runs at once on the caller.

BLAS has threads of its own, and after each product they spin for a while waiting for the next
one: on a machine with few cores they take the cores our threads need. So while the pool is on
(more than one thread), glasstorch runs BLAS on one thread and splits its large products itself
(ops.conv, ops.linalg). This also holds for numpy products outside glasstorch in this process.

The pool starts at the first split, holds `get_num_threads() - 1` threads, and is dropped in a
child process after fork (a DataLoader worker): the child starts its own when it needs one.
The split of an array depends only on the thread count, so results for a fixed count repeat
exactly.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy

# below this many elements a split costs more than it saves: handing a part to a pool thread
# and waiting for it costs about 40-70 µs here, what ReLU takes on a quarter-million floats
# (measured, mean of 50: ReLU on 2^18 floats 101 µs on one thread, 118 split in two; on 2^20
# 434 and 269)
MIN_ITEMS = 1 << 19


def _default_num_threads():
    """OMP_NUM_THREADS or MKL_NUM_THREADS when set (as torch reads them), else the CPUs this
    process may run on (torch counts physical cores: the same where there is no SMT)."""
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


_num_threads = _default_num_threads()
_pool = None
_lock = threading.Lock()
_splitting = threading.local()  # .active: this thread runs a part (a split inside runs whole)


def get_num_threads():
    """The number of threads glasstorch uses for its array work (torch.get_num_threads)."""
    return _num_threads


def set_num_threads(n):
    """Use n threads for array work, BLAS included (torch.set_num_threads); 1 turns the pool off."""
    global _num_threads
    if not isinstance(n, int) or isinstance(n, bool):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n < 1:
        raise RuntimeError("set_num_threads expects a positive integer")
    with _lock:
        _num_threads = n
        _drop_pool()
    _set_blas_threads(1)  # one thread: all work on the caller; more: the pool splits BLAS's


def _drop_pool():
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False)
        _pool = None


def _start_pool():
    global _pool
    with _lock:
        if _pool is None:
            _set_blas_threads(1)
            _pool = ThreadPoolExecutor(_num_threads - 1, thread_name_prefix="glasstorch")
        return _pool


def _set_blas_threads(n):
    """Limit the BLAS libraries loaded in this process (numpy's OpenBLAS) to n threads."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # without threadpoolctl BLAS keeps its own threads (slower, still right)
        return
    threadpool_limits(n, user_api="blas")


def _forget_pool_in_child():
    """After fork only the forking thread lives on: the pool's threads are gone in the child."""
    global _pool, _lock
    _pool, _lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool_in_child)


def parts(count, elements, on=None):
    """How many parts `count` items holding `elements` array elements in all are split into."""
    if _num_threads == 1 or elements < MIN_ITEMS or getattr(_splitting, "active", False):
        return 1  # small work, or work inside a part: the pool's threads are taken already
    if on is not None and not isinstance(on, numpy.ndarray):
        return 1  # GPU (CuPy) arrays: the device runs the work in parallel itself
    return max(1, min(_num_threads, count))


def parallel(count, work, elements, on=None):
    """Run work(start, stop) over 0..count split into parts(count, elements) contiguous runs.

    `elements` is the size of the whole job in array elements, to leave small jobs unsplit;
    `on` is an array of the job: work on GPU (CuPy) arrays is never split.
    The parts run at once, the last one on the calling thread; exceptions propagate.
    """
    n = parts(count, elements, on)
    if n == 1:
        work(0, count)
        return
    bounds = [count * i // n for i in range(n + 1)]
    pool = _pool or _start_pool()
    futures = [pool.submit(_part, work, bounds[i], bounds[i + 1]) for i in range(n - 1)]
    try:
        _part(work, bounds[-2], bounds[-1])
    finally:
        for future in futures:
            future.result()


def _part(work, start, stop):
    _splitting.active = True
    try:
        work(start, stop)
    finally:
        _splitting.active = False
