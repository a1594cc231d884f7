"""The main-process side of DataLoader(num_workers > 0).

Tasks (task index, batch of indices) go round-robin to the workers' index queues, at most
prefetch_factor * num_workers at a time; results come back on one queue in any order and are
handed out in task order, so the batches equal those of num_workers=0."""

import itertools
import multiprocessing
import queue

from . import _worker
from .sampler import _random_seed


def _default_context():
    # fork starts fast and needs nothing pickled; spawn where fork does not exist (Windows, macOS)
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


class _MultiProcessingDataLoaderIter:
    def __init__(self, loader):
        self._dataset = loader.dataset
        self._is_iterable = loader._is_iterable
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._prefetch_factor = loader.prefetch_factor
        self._timeout = loader.timeout
        self._persistent_workers = loader.persistent_workers
        self._base_seed = _random_seed(loader.generator)
        self._shutdown = False

        context = loader.multiprocessing_context or _default_context()
        if isinstance(context, str):
            context = multiprocessing.get_context(context)
        self._data_queue = context.Queue()
        self._workers_done_event = context.Event()
        self._index_queues = []
        self._workers = []
        for worker_id in range(self._num_workers):
            index_queue = context.Queue()
            index_queue.cancel_join_thread()  # never block our exit on tasks nobody will read
            worker = context.Process(
                target=_worker.worker_loop,
                args=(self._is_iterable, self._dataset, index_queue, self._data_queue,
                      self._workers_done_event, loader._auto_collation, loader.collate_fn,
                      loader.drop_last, self._base_seed, loader.worker_init_fn, worker_id,
                      self._num_workers))
            worker.daemon = True  # killed if the main process exits without shutting us down
            worker.start()
            self._index_queues.append(index_queue)
            self._workers.append(worker)
        self._reset(loader, first_iter=True)

    def _reset(self, loader, first_iter=False):
        """Start an epoch: a new sampler iterator; persistent workers resume their iteration."""
        self._sampler_iter = iter(self._index_sampler)
        self._send_idx = 0  # index of the next task to send
        self._rcvd_idx = 0  # index of the next task to hand out
        # task index -> (worker_id,) while outstanding, (worker_id, data) once it came early
        self._task_info = {}
        self._workers_status = [True] * self._num_workers  # False: its iterable ran out
        self._worker_queue_idx_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            for index_queue in self._index_queues:
                index_queue.put(_worker._ResumeIteration())
            resumed = 0
            while resumed < self._num_workers:  # drop results left over from a broken epoch
                idx, _ = self._get_data()
                if isinstance(idx, _worker._ResumeIteration):
                    resumed += 1
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._index_sampler)

    def _try_put_index(self):
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._num_workers):  # the next worker that still has data
            worker_id = next(self._worker_queue_idx_cycle)
            if self._workers_status[worker_id]:
                break
        else:
            return
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._send_idx += 1

    def __next__(self):
        while True:
            # skip tasks sent to workers whose iterable dataset has run out
            while self._rcvd_idx < self._send_idx:
                info = self._task_info[self._rcvd_idx]
                if len(info) == 2 or self._workers_status[info[0]]:
                    break
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration

            if len(self._task_info[self._rcvd_idx]) == 2:  # it arrived earlier, out of order
                return self._process_data(self._task_info.pop(self._rcvd_idx)[1])

            idx, data = self._get_data()
            if isinstance(data, _worker._IterableDatasetStopIteration):
                self._workers_status[data.worker_id] = False
                self._try_put_index()
                continue
            if idx != self._rcvd_idx:
                self._task_info[idx] += (data,)
            else:
                del self._task_info[idx]
                return self._process_data(data)

    def _process_data(self, data):
        self._rcvd_idx += 1
        self._try_put_index()
        if isinstance(data, _worker.ExceptionWrapper):
            if not self._persistent_workers:
                self._shutdown_workers()
            data.reraise()
        return data

    def _get_data(self):
        """The next (task index, data) from any worker; errors if a worker died or timed out."""
        interval = self._timeout if self._timeout > 0 else _worker.STATUS_CHECK_INTERVAL
        while True:
            try:
                return self._data_queue.get(timeout=interval)
            except queue.Empty:
                dead = [str(w.pid) for w in self._workers if not w.is_alive()]
                if dead:
                    self._shutdown_workers()
                    raise RuntimeError(f"DataLoader worker (pid(s) {', '.join(dead)}) "
                                       "exited unexpectedly") from None
                if self._timeout > 0:
                    self._shutdown_workers()
                    raise RuntimeError(
                        f"DataLoader timed out after {self._timeout} seconds") from None

    def _shutdown_workers(self):
        """Ask every worker to exit, wait a little, then terminate any that is still alive."""
        if self._shutdown:
            return
        self._shutdown = True
        try:
            self._workers_done_event.set()
            for index_queue in self._index_queues:
                index_queue.put(None)
            for worker in self._workers:
                worker.join(timeout=_worker.STATUS_CHECK_INTERVAL)
            for index_queue in self._index_queues:
                index_queue.close()
            self._data_queue.cancel_join_thread()
            self._data_queue.close()
        finally:
            for worker in self._workers:
                if worker.is_alive():
                    worker.terminate()
                    worker.join(timeout=1.0)

    def __del__(self):
        if getattr(self, "_workers", None) is not None:
            self._shutdown_workers()
