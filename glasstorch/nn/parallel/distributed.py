"""DistributedDataParallel on glasstorch.distributed. See torch.nn.parallel.DistributedDataParallel.

Gradients are averaged with bucketed all-reduces that start during backward: each parameter's
post-accumulate-grad hook marks it ready, and once every parameter of a bucket is ready (buckets
are launched in order, so all ranks issue the same collectives in the same order) the bucket's
flattened gradients go out in a non-blocking all-reduce. Each later hook gives MPI a turn to move
them along. A callback queued on the autograd engine waits for them at the end of backward and
writes the averages back into each `.grad`.
"""

from contextlib import contextmanager

from ... import distributed as dist
from ..._tensor import Tensor
from ...autograd import engine, no_grad
from ...autograd.function import AccumulateGrad
from ...autograd.grad_mode import is_grad_enabled
from ...device import array_module
from ...distributed.collectives import all_reduce_agreed
from ..modules.module import Module

_UNFINISHED = (
    "Expected to have finished reduction in the prior iteration before starting a new one. This "
    "error indicates that your module has parameters that were not used in producing loss. You "
    "can enable unused parameter detection by passing the keyword argument "
    "`find_unused_parameters=True` to `torch.nn.parallel.DistributedDataParallel`, and by \n"
    "making sure all `forward` function outputs participate in calculating loss. \n"
    "If you already have done the above, then the distributed data parallel module wasn't able "
    "to locate the output tensors in the return value of your module's `forward` function. "
    "Please include the loss function and the structure of the return value of `forward` of "
    "your module when reporting this issue (e.g. list, dict, iterable).\n"
    "Parameter indices which did not receive grad for rank {rank}: {indices}")


_FIRST_BUCKET_BYTES = 1024 * 1024  # torch's dist._DEFAULT_FIRST_BUCKET_BYTES


class _Bucket:
    def __init__(self, indices):
        self.indices = indices  # positions in DistributedDataParallel._params
        self.pending = len(indices)
        self.flat = None
        self.work = None


class DistributedDataParallel(Module):
    """Data parallelism over processes; see torch.nn.parallel.DistributedDataParallel.

    As in torch, the wrapped module is the attribute `module`, so `state_dict()` keys carry the
    prefix `module.` (load them into a bare model through `ddp.module`, or strip the prefix).
    device_ids, output_device, dim, check_reduction, gradient_as_bucket_view and static_graph
    are accepted and have no effect (CPU ranks; the buckets are always flat copies).
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False,
                 check_reduction=False, gradient_as_bucket_view=False, static_graph=False):
        super().__init__()
        self.module = module
        self.process_group = process_group
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.dim = dim
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self._params = [p for p in module.parameters() if p.requires_grad]
        if not self._params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have "
                               "any parameter that requires a gradient.")
        self._world_size = dist.get_world_size(process_group)
        self._rank = dist.get_rank(process_group)
        _check_same_model(self._params, process_group)
        with no_grad():  # every rank starts from rank 0's parameters and buffers
            for t in list(module.parameters()) + list(module.buffers()):
                dist.broadcast(t, group=process_group, group_src=0)
        cap = (25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024
        self.bucket_bytes_cap = cap
        # torch's small bucket of 1 MiB (with the default cap), here the last one to go out
        small_cap = _FIRST_BUCKET_BYTES if bucket_cap_mb is None else cap
        self._buckets = [_Bucket(indices)
                         for indices in _bucket_assignment(self._params, small_cap, cap)]
        self._bucket_of = {}
        for b, bucket in enumerate(self._buckets):
            for i in bucket.indices:
                self._bucket_of[i] = b
        self._position = {id(p): i for i, p in enumerate(self._params)}
        self._hooks = [p.register_post_accumulate_grad_hook(self._grad_ready)
                       for p in self._params]
        self._sync_backward = False  # set by forward: this forward's backward reduces
        self._in_backward = False
        self._ready = set()
        self._next_bucket = 0
        self._unfinished = None  # indices of the parameters a finished backward never reached

    # ---- forward ----------------------------------------------------------------------------

    def forward(self, *inputs, **kwargs):
        if self._unfinished is not None:
            indices = " ".join(str(i) for i in self._unfinished)
            raise RuntimeError(_UNFINISHED.format(rank=self._rank, indices=indices))
        if self.broadcast_buffers and self.require_forward_param_sync:
            with no_grad():
                for b in self.module.buffers():
                    dist.broadcast(b, group=self.process_group, group_src=0)
        output = self.module(*inputs, **kwargs)
        self._sync_backward = self.require_backward_grad_sync and is_grad_enabled()
        if self._sync_backward:
            self._prepare_for_backward(output)
        return output

    def _prepare_for_backward(self, output):
        for bucket in self._buckets:
            bucket.pending, bucket.flat, bucket.work = len(bucket.indices), None, None
        self._ready = set()
        self._next_bucket = 0
        self._in_backward = False
        if self.find_unused_parameters:  # parameters the output's graph does not reach
            reached = _leaves_reached(output)
            for i, p in enumerate(self._params):
                if id(p) not in reached:
                    self._ready.add(i)
                    self._buckets[self._bucket_of[i]].pending -= 1

    # ---- backward ---------------------------------------------------------------------------

    def _grad_ready(self, param):
        """Post-accumulate-grad hook: mark param ready; launch the buckets that became full."""
        if not self._sync_backward:
            return
        if not self._in_backward:
            self._in_backward = True
            engine.queue_callback(self._finish_backward)
        self._progress()
        i = self._position[id(param)]
        if i in self._ready:
            return
        self._ready.add(i)
        self._buckets[self._bucket_of[i]].pending -= 1
        self._launch_ready_buckets()

    def _progress(self):
        """Let MPI move the all-reduces in flight along. Open MPI advances a non-blocking
        collective only inside MPI calls, so without this a bucket launched early in backward
        would mostly wait for the end of backward; each gradient's hook tests them instead."""
        for bucket in self._buckets[:self._next_bucket]:
            bucket.work.is_completed()

    def _launch_ready_buckets(self):
        while self._next_bucket < len(self._buckets):
            bucket = self._buckets[self._next_bucket]
            if bucket.pending:
                return
            self._launch(bucket)
            self._next_bucket += 1

    def _launch(self, bucket):
        """Start the all-reduce of the bucket: its gradients copied into one flat buffer, each
        divided by the number of ranks on the way, as torch divides before summing (zeros for
        a missing gradient)."""
        params = [self._params[i] for i in bucket.indices]
        xp = array_module(params[0]._data)
        size = sum(p._data.size for p in params)
        count = len(params) if self.find_unused_parameters else 0
        flat = xp.empty(size + count, params[0]._data.dtype)
        offset = 0
        for p in params:
            part = flat[offset:offset + p._data.size]
            if p.grad is None:
                part[...] = 0
            else:
                xp.divide(p.grad._data.reshape(-1), self._world_size, out=part)
            offset += p._data.size
        if count:  # how many ranks have a gradient, per parameter
            flat[size:] = xp.asarray([p.grad is not None for p in params], dtype=flat.dtype)
        bucket.flat = Tensor._wrap(flat)
        # the ranks agreed on the buckets at construction: no per-call header exchange
        bucket.work = all_reduce_agreed(bucket.flat, group=self.process_group)
        self._on_launch(bucket)

    def _on_launch(self, bucket):
        """Called after each bucket's all-reduce starts (a seam for tests and profiling)."""

    def _finish_backward(self):
        """End of backward: wait for the all-reduces, write the averaged gradients back."""
        self._sync_backward = False
        self._in_backward = False
        launched = self._buckets[:self._next_bucket]
        for bucket in launched:
            bucket.work.wait()
            self._write_back(bucket)
            bucket.flat = bucket.work = None
        if self._next_bucket < len(self._buckets):
            self._unfinished = sorted(set(range(len(self._params))) - self._ready)

    def _write_back(self, bucket):
        flat = bucket.flat._data
        n = len(bucket.indices)
        have = flat[flat.shape[0] - n:] if self.find_unused_parameters else None
        offset = 0
        for k, i in enumerate(bucket.indices):
            p = self._params[i]
            size = p._data.size
            averaged = flat[offset:offset + size].reshape(p._data.shape)
            offset += size
            if have is not None and have[k] == 0:
                continue  # no rank has a gradient: .grad stays as it is (torch)
            if p.grad is None:
                p.grad = Tensor._wrap(averaged.astype(p._data.dtype))
            else:
                p.grad._data[...] = averaged

    @contextmanager
    def no_sync(self):
        """Forward/backward inside skip the all-reduce; gradients accumulate locally."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old


def _bucket_assignment(params, small_cap, cap):
    """Positions of the parameters in each bucket, buckets and their contents in the order the
    gradients become ready (the reverse of the parameters' order).

    As torch's compute_bucket_assignment_by_size, each bucket holds one dtype and closes once
    it holds its cap of bytes (the last tensor may take it past); the first bucket of each dtype
    closes at small_cap. Buckets are filled from the first parameter on and launched last-filled
    first, as torch does with DDP_SET_LAST_BUCKET_CAP=1: the first layers' gradients come last
    in backward, and their all-reduce is the one nothing is left to hide, so theirs is the small
    bucket.
    """
    closed, open_buckets, opened = [], {}, set()  # dtype -> [indices, bytes, cap]
    for i, p in enumerate(params):
        current = open_buckets.get(p.dtype)
        if current is None:
            first = p.dtype not in opened
            opened.add(p.dtype)
            current = open_buckets[p.dtype] = [[], 0, small_cap if first else cap]
        current[0].append(i)
        current[1] += p._data.nbytes
        if current[1] >= current[2]:
            closed.append(current[0])
            del open_buckets[p.dtype]
    closed.extend(indices for indices, _, _ in open_buckets.values())
    closed.sort(key=min)
    return [indices[::-1] for indices in reversed(closed)]


def _check_same_model(params, group):
    """torch's check at construction that every rank has the same parameters (count, shapes,
    dtypes), so that all ranks build the same buckets. Every rank raises the same error."""
    mine = [(list(p.shape), str(p.dtype)) for p in params]
    everyone = [None] * dist.get_world_size(group)
    dist.all_gather_object(everyone, mine, group=group)
    first = everyone[0]
    for rank, theirs in enumerate(everyone):
        if len(theirs) != len(first):
            raise RuntimeError(f"DDP expects same model across all ranks, but Rank {rank} has "
                               f"{len(theirs)} params, while rank 0 has inconsistent "
                               f"{len(first)} params.")
        for i, (shape, dtype) in enumerate(theirs):
            if (shape, dtype) != first[i]:
                raise RuntimeError(f"params[{i}] in rank {rank} with sizes {shape} and dtype "
                                   f"{dtype} appears not to match sizes of the same param in "
                                   f"process 0 (sizes {first[i][0]}, dtype {first[i][1]}).")


def _leaves_reached(output):
    """ids of the leaf tensors whose AccumulateGrad the graph behind output reaches."""
    reached, nodes, stack = set(), [], [output]
    while stack:
        x = stack.pop()
        if isinstance(x, Tensor):
            if x.grad_fn is not None:
                nodes.append(x.grad_fn)
            elif x.requires_grad:  # a leaf returned as it is
                reached.add(id(x))
        elif isinstance(x, dict):
            stack.extend(x.values())
        elif isinstance(x, (list, tuple)):
            stack.extend(x)
    # every node below the outputs: the engine's own walk (the nodes it counts edges into)
    for node in engine._count_dependencies(nodes):
        if type(node) is AccumulateGrad:
            reached.add(id(node.variable))
    return reached
