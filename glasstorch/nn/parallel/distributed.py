"""DistributedDataParallel on glasstorch.distributed. See torch.nn.parallel.DistributedDataParallel.

Gradients are averaged with bucketed all-reduces that start during backward: each parameter's
post-accumulate-grad hook marks it ready, and once every parameter of a bucket is ready (buckets
are launched in order, so all ranks issue the same collectives in the same order) the bucket's
flattened gradients go out with all_reduce(async_op=True). A callback queued on the autograd
engine waits for them at the end of backward and writes the averages back into each `.grad`.
"""

from contextlib import contextmanager

from ... import distributed as dist
from ..._tensor import Tensor
from ...autograd import engine, no_grad
from ...autograd.grad_mode import is_grad_enabled
from ...device import array_module
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
        with no_grad():  # every rank starts from rank 0's parameters and buffers
            for t in list(module.parameters()) + list(module.buffers()):
                dist.broadcast(t, group=process_group, group_src=0)
        cap = (25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024
        self.bucket_bytes_cap = cap
        self._buckets = self._make_buckets(cap)
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

    def _make_buckets(self, cap):
        """Buckets of one dtype each in reverse parameter order, closed once they hold cap bytes
        (torch's compute_bucket_assignment_by_size: the last tensor may take it past cap)."""
        buckets, open_buckets = [], {}  # dtype -> [indices, bytes]
        for i in reversed(range(len(self._params))):
            p = self._params[i]
            current = open_buckets.setdefault(p.dtype, [[], 0])
            current[0].append(i)
            current[1] += p._data.nbytes
            if current[1] >= cap:
                buckets.append(_Bucket(current[0]))
                del open_buckets[p.dtype]
        buckets.extend(_Bucket(indices) for indices, _ in open_buckets.values())
        return buckets

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
        i = self._position[id(param)]
        if i in self._ready:
            return
        self._ready.add(i)
        self._buckets[self._bucket_of[i]].pending -= 1
        self._launch_ready_buckets()

    def _launch_ready_buckets(self):
        while self._next_bucket < len(self._buckets):
            bucket = self._buckets[self._next_bucket]
            if bucket.pending:
                return
            self._launch(bucket)
            self._next_bucket += 1

    def _launch(self, bucket):
        """Start the all-reduce of the bucket's flattened gradients (zeros for a missing one)."""
        parts = []
        for i in bucket.indices:
            p = self._params[i]
            g = p.grad._data if p.grad is not None else p._data * 0
            parts.append(g.reshape(-1))
        if self.find_unused_parameters:  # how many ranks have a gradient, per parameter
            xp = array_module(parts[0])
            parts.append(xp.asarray([self._params[i].grad is not None for i in bucket.indices],
                                    dtype=parts[0].dtype))
        xp = array_module(parts[0])
        bucket.flat = Tensor._wrap(xp.concatenate(parts))
        bucket.work = dist.all_reduce(bucket.flat, group=self.process_group, async_op=True)
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
            averaged = (flat[offset:offset + size] / self._world_size).reshape(p._data.shape)
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
    seen = set()
    while nodes:
        node = nodes.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        variable = getattr(node, "variable", None)
        if variable is not None:
            reached.add(id(variable))
        nodes.extend(e[0] for e in node._edges if e)
    return reached
