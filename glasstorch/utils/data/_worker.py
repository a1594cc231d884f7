"""What runs inside a DataLoader worker process, and get_worker_info().

A worker reads (task index, sampler output) pairs from its own index queue, fetches and
collates the batch, and puts (task index, batch) on the result queue shared by all workers.
Errors travel back as an ExceptionWrapper holding the worker's traceback text."""

import os
import queue
import random
import sys
import traceback

from ... import random as _random
from ... import threads
from ._fetch import create_fetcher

# how often a waiting process wakes up to check that the other side is still alive (seconds)
STATUS_CHECK_INTERVAL = 5.0

_worker_info = None


class WorkerInfo:
    """What a worker knows about itself: id, num_workers, seed and its copy of the dataset."""

    def __init__(self, id, num_workers, seed, dataset):
        self.id = id
        self.num_workers = num_workers
        self.seed = seed
        self.dataset = dataset

    def __repr__(self):
        return (f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, "
                f"dataset={self.dataset!r})")


def get_worker_info():
    """The WorkerInfo of this worker process, or None in the main process."""
    return _worker_info


class ExceptionWrapper:
    """An exception caught in a worker, with its traceback as text (tracebacks don't pickle)."""

    def __init__(self, exc_info=None, where="in background"):
        exc_info = exc_info or sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        """Raise the same exception type in this process, its message the worker's traceback."""
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)  # KeyError would repr() the text and show "\n"s
        try:
            exception = self.exc_type(msg)
        except Exception:  # noqa: BLE001 -- an exception type that cannot be built from one string
            raise RuntimeError(msg) from None
        raise exception


class _KeyErrorMessage(str):
    def __repr__(self):
        return self


class _IterableDatasetStopIteration:
    """A worker's answer when its copy of an IterableDataset is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class _ResumeIteration:
    """Sent to persistent workers at the start of a new epoch; echoed back once they are ready."""


def _parent_is_alive(parent_pid):
    return os.getppid() == parent_pid


def worker_loop(is_iterable, dataset, index_queue, data_queue, done_event, auto_collation,
                collate_fn, drop_last, base_seed, init_fn, worker_id, num_workers):
    """The body of worker process `worker_id` (see the module docstring)."""
    global _worker_info
    parent_pid = os.getppid()
    try:
        threads.set_num_threads(1)  # as in torch: the workers share the cores, one thread each
        seed = base_seed + worker_id
        random.seed(seed)
        _random.manual_seed(seed)
        _seed_numpy(seed)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        init_exception = None
        fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = create_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last)
        except Exception:  # noqa: BLE001 -- every error goes to the main process
            init_exception = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")

        while _parent_is_alive(parent_pid):
            try:
                r = index_queue.get(timeout=STATUS_CHECK_INTERVAL)
            except queue.Empty:
                continue
            if r is None:  # the main process asks us to exit
                break
            if isinstance(r, _ResumeIteration):  # a new epoch: a fresh dataset iterator
                data_queue.put((r, None))
                fetcher = create_fetcher(is_iterable, dataset, auto_collation, collate_fn,
                                         drop_last)
                continue
            if done_event.is_set():
                continue
            idx, index = r
            if init_exception is not None:
                data, init_exception = init_exception, None
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    if not is_iterable:
                        data = ExceptionWrapper(
                            where=f"in DataLoader worker process {worker_id}")
                    else:
                        data = _IterableDatasetStopIteration(worker_id)
                except Exception:  # noqa: BLE001 -- every error goes to the main process
                    data = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
            data_queue.put((idx, data))
            del data, idx, index, r  # don't hold a batch while waiting for the next task
    except KeyboardInterrupt:
        pass  # the main process handles Ctrl-C and shuts us down
    if done_event.is_set():
        # results nobody will read must not keep this process alive at exit
        data_queue.cancel_join_thread()
        data_queue.close()


def _seed_numpy(seed):
    # numpy's legacy global RNG is often used inside datasets; like torch, give each worker its
    # own seed so workers forked from one parent don't draw the same "random" augmentations
    import numpy

    numpy.random.seed(seed % 2**32)
