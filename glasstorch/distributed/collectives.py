"""Collectives and point-to-point messages on MPI. See torch.distributed.

Every call works in place on the tensors' own memory through mpi4py's buffer interface (the
upper-case methods; no pickling). Before a collective, the ranks exchange a small header (dtype,
shape, root, op, and whether their arguments passed the local checks) with one Allgather, so a
mismatch raises the same clear RuntimeError on every rank instead of hanging or mixing bytes.
Like torch's c10d ops, collectives change the data of a tensor, record no autograd graph and
leave its version counter alone.
"""

import warnings
from array import array

from ..device import CPU, array_module, device_of, move
from .process_group import GroupMember, ReduceOp, _mpi, _resolve

_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
_TORCH_TYPE_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short",
                     "int32": "Int", "int64": "Long"}  # as torch's messages name them
_HEADER = 16  # error flag, dtype, root, op, ndim, then up to 11 sizes
_OPS = [ReduceOp.SUM, ReduceOp.AVG, ReduceOp.PRODUCT, ReduceOp.MIN, ReduceOp.MAX, ReduceOp.BAND,
        ReduceOp.BOR, ReduceOp.BXOR]


class Work:
    """The handle of an async_op=True call: wait() blocks until the tensors hold the result."""

    def __init__(self, requests, finish=None, buffers=(), statuses=None, what="collective"):
        self._requests = requests
        self._finish = finish
        self._buffers = buffers  # MPI reads and writes them until the requests complete
        self._statuses = statuses
        self._what = what
        self._done = False

    def _complete(self):
        self._done = True
        if self._finish is not None:
            self._finish()

    def wait(self, timeout=None):
        if not self._done:
            MPI = _mpi()
            try:
                MPI.Request.Waitall(self._requests, self._statuses)
            except MPI.Exception as error:
                self._failed(error)
            self._complete()
        return True

    def is_completed(self):
        if not self._done:
            MPI = _mpi()
            try:
                completed = MPI.Request.Testall(self._requests, self._statuses)
            except MPI.Exception as error:
                self._failed(error)
            if completed:
                self._complete()
        return self._done

    def _failed(self, error):
        self._done = True
        classes = [error.Get_error_class()]
        classes += [status.Get_error() for status in self._statuses or ()]
        if _mpi().ERR_TRUNCATE in classes:
            raise RuntimeError(f"{self._what}: the message sent is larger than the tensor "
                               "(the sender's tensor has more bytes)") from error
        raise RuntimeError(f"{self._what}: {error}") from error

    def is_success(self): return self.is_completed()


# ---- buffers -----------------------------------------------------------------------------

def _mpi_type(x):
    MPI = _mpi()
    return {"uint8": MPI.UINT8_T, "int8": MPI.INT8_T, "int16": MPI.INT16_T,
            "uint16": MPI.UINT16_T, "int32": MPI.INT32_T, "int64": MPI.INT64_T,
            "float32": MPI.FLOAT, "float64": MPI.DOUBLE}[x.dtype.name]


def _host(tensor, reducing=False):
    """A contiguous host array MPI can carry for `tensor`, and a function that writes it back.

    The array is the tensor's own memory when it can be (a contiguous numpy array); otherwise
    a copy (non-contiguous views, CuPy arrays, float16 under a reduction: MPI has no half
    arithmetic, so it reduces in float32). bool travels as uint8 and float16 as uint16 bits.
    """
    data = tensor._data
    x = move(data, CPU)
    name = x.dtype.name
    copied = x is not data
    if name == "float16" and reducing:
        x, copied = x.astype("float32"), True
    elif not x.flags.c_contiguous:
        x, copied = x.copy(order="C"), True
    if name == "bool":
        x = x.view("uint8")
    elif name == "float16" and not reducing:
        x = x.view("uint16")

    def write_back():
        if copied:
            _store(tensor, x.astype(name) if name == "float16" and reducing else x)

    return x, write_back


def _store(tensor, x):
    """Write the host array x (of the tensor's dtype, or its uint carrier) into the tensor."""
    data = tensor._data
    data[...] = move(x.view(data.dtype.name), device_of(data))


def _averaged(x, op, size, write_back):
    """The finishing step of a reduction: AVG divides the sum, then the result is written back."""
    def finish():
        if op == ReduceOp.AVG:
            array_module(x).divide(x, size, out=x)
        write_back()

    return finish


def _buffer(x):
    return [x, _mpi_type(x)]


def _empty(x, count):
    """A contiguous host array for `count` arrays like x."""
    return array_module(x).empty((count,) + x.shape, x.dtype)


def _check_op(op, tensor):
    name = tensor._data.dtype.name
    if op not in _OPS:
        raise ValueError(f"Unsupported ReduceOp {op!r}")
    if op == ReduceOp.AVG and not name.startswith("float"):
        raise RuntimeError("result type Float can't be cast to the desired output type "
                           f"{_TORCH_TYPE_NAMES[name]}")
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and name.startswith("float"):
        raise RuntimeError(f"Cannot use ReduceOp.{op} with non-integral dtype")


def _mpi_op(op, tensor):
    """The MPI reduction for `op` on this tensor's dtype (bool: SUM is or, PRODUCT is and)."""
    MPI = _mpi()
    name = tensor._data.dtype.name
    if name == "bool" and op in (ReduceOp.SUM, ReduceOp.PRODUCT):
        op = ReduceOp.MAX if op == ReduceOp.SUM else ReduceOp.MIN
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
            ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX, ReduceOp.BAND: MPI.BAND,
            ReduceOp.BOR: MPI.BOR, ReduceOp.BXOR: MPI.BXOR}[op]


# ---- agreement between ranks --------------------------------------------------------------

def _describe(values):
    dtype, ndim = _DTYPES[values[1]], values[4]
    shape = tuple(values[5:5 + min(ndim, _HEADER - 5)])
    return f"shape {shape} {dtype}"


def _agree(group, what, tensor, op=None, check=None):
    """Check on every rank that all ranks called `what` with the same dtype, shape, root and op,
    and return the root (a rank in the group) that `check` returns, or -1.

    `check` runs the local argument checks; its error is raised on its rank, and every other
    rank raises a RuntimeError naming that rank, so that no rank is left waiting in the collective.
    """
    error, root = None, None
    try:
        if check is not None:
            root = check()
    except (ValueError, RuntimeError, TypeError) as raised:
        error = raised
    root = -1 if root is None else root
    shape = tuple(tensor.shape)
    if len(shape) > _HEADER - 5:  # fold the trailing sizes into one
        tail = 1
        for size in shape[_HEADER - 6:]:
            tail *= size
        shape = shape[:_HEADER - 6] + (tail,)
    mine = [error is not None, _DTYPES.index(tensor._data.dtype.name), root,
            -1 if op is None else _OPS.index(op), len(tensor.shape), *shape]
    mine += [0] * (_HEADER - len(mine))
    everyone = array("q", bytes(8 * _HEADER * group.size()))
    group._comm.Allgather([array("q", mine), _mpi().INT64_T], [everyone, _mpi().INT64_T])
    headers = [list(everyone[i * _HEADER:(i + 1) * _HEADER]) for i in range(group.size())]
    if error is not None:
        raise error
    for rank, header in enumerate(headers):
        if header[0]:
            raise RuntimeError(f"{what}: rank {group._ranks[rank]} rejected its arguments "
                               "(its own error says why)")
    if any(header[2] != headers[0][2] for header in headers):
        roots = ", ".join(f"rank {group._ranks[i]} gave {group._ranks[h[2]]}"
                          for i, h in enumerate(headers))
        raise RuntimeError(f"{what}: the ranks disagree on the source/destination rank: {roots}")
    if any(header[3] != headers[0][3] for header in headers):
        ops = ", ".join(f"rank {group._ranks[i]} gave ReduceOp.{_OPS[h[3]]}"
                        for i, h in enumerate(headers))
        raise RuntimeError(f"{what}: the ranks disagree on the reduction: {ops}")
    if any(header[1:] != headers[0][1:] for header in headers):
        tensors = ", ".join(f"rank {group._ranks[i]} has {_describe(h)}"
                            for i, h in enumerate(headers))
        raise RuntimeError(f"{what}: the tensors differ across ranks: {tensors}")
    return root


def _member(group, what):
    """The group to run on, or None when this rank is not in it (torch then warns, does nothing)."""
    group = _resolve(group)
    if group is GroupMember.NON_GROUP_MEMBER:
        warnings.warn(f"Running {what} on global rank {GroupMember.WORLD.rank()} which does not "
                      "belong to the given group.", stacklevel=3)
        return None
    return group


def _group_rank(group, rank, group_rank, default=0):
    """A root given as a global rank (src/dst) or a rank in the group (group_src/group_dst)."""
    if rank is not None and group_rank is not None:
        raise ValueError("Can not specify both a global rank and a group rank")
    if group_rank is not None:
        if not 0 <= group_rank < group.size():
            raise ValueError(f"Group rank {group_rank} is out of range for the group of "
                             f"{group.size()} ranks")
        return group_rank
    rank = default if rank is None else rank
    if rank not in group._ranks:
        raise ValueError(f"Group {group} does not have global rank {rank}")
    return group._ranks.index(rank)


def _check_list(name, tensors, like, count):
    if tensors is None or len(tensors) != count:
        raise ValueError(f"Argument ``{name}`` must contain {count} tensors (one per rank)")
    for tensor in tensors:
        if tuple(tensor.shape) != tuple(like.shape) or tensor.dtype != like.dtype:
            raise ValueError(f"All tensors in ``{name}`` must have the shape {tuple(like.shape)} "
                             f"and dtype {like.dtype} of the tensor; got {tuple(tensor.shape)} "
                             f"{tensor.dtype}")


def _start(comm, name, async_op, *args, finish=None):
    """comm.<name>(*args), or its non-blocking form comm.I<name> wrapped in a Work."""
    if async_op:
        return Work([getattr(comm, "I" + name.lower())(*args)], finish)
    getattr(comm, name)(*args)
    if finish is not None:
        finish()
    return None


# ---- collectives ---------------------------------------------------------------------------

def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce `tensor` over the ranks; every rank gets the result in place."""
    group = _member(group, "all_reduce")
    if group is None:
        return None
    _agree(group, "all_reduce", tensor, op=op, check=lambda: _check_op(op, tensor))
    x, write_back = _host(tensor, reducing=True)
    return _start(group._comm, "Allreduce", async_op, _mpi().IN_PLACE, _buffer(x),
                  _mpi_op(op, tensor), finish=_averaged(x, op, group.size(), write_back))


def all_reduce_agreed(tensor, group=None):
    """all_reduce(tensor, async_op=True) (a sum) without the header exchange: for a caller that
    checked once that every rank reduces tensors of one dtype and size in one order, as
    DistributedDataParallel checks its buckets at construction. It spares each call a blocking
    Allgather, which would hold a rank until the slowest one reaches the same call."""
    group = _resolve(group)
    x, write_back = _host(tensor, reducing=True)
    return _start(group._comm, "Allreduce", True, _mpi().IN_PLACE, _buffer(x), _mpi().SUM,
                  finish=write_back)


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copy `tensor` of rank `src` into `tensor` on every other rank."""
    group = _member(group, "broadcast")
    if group is None:
        return None
    root = _agree(group, "broadcast", tensor, check=lambda: _group_rank(group, src, group_src))
    x, write_back = _host(tensor)
    return _start(group._comm, "Bcast", async_op, _buffer(x), root, finish=write_back)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Reduce `tensor` over the ranks into `tensor` of rank `dst` (the others keep theirs)."""
    group = _member(group, "reduce")
    if group is None:
        return None

    def check():
        _check_op(op, tensor)
        return _group_rank(group, dst, group_dst)

    root = _agree(group, "reduce", tensor, op=op, check=check)
    x, write_back = _host(tensor, reducing=True)
    if group.rank() != root:
        return _start(group._comm, "Reduce", async_op, _buffer(x), None, _mpi_op(op, tensor),
                      root)
    return _start(group._comm, "Reduce", async_op, _mpi().IN_PLACE, _buffer(x),
                  _mpi_op(op, tensor), root, finish=_averaged(x, op, group.size(), write_back))


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """tensor_list[i] = `tensor` of rank i, on every rank."""
    group = _member(group, "all_gather")
    if group is None:
        return None
    size = group.size()
    _agree(group, "all_gather", tensor,
           check=lambda: _check_list("tensor_list", tensor_list, tensor, size))
    x, _ = _host(tensor)
    gathered = _empty(x, size)

    def finish():
        for part, target in zip(gathered, tensor_list):
            _store(target, part)

    return _start(group._comm, "Allgather", async_op, _buffer(x), _buffer(gathered),
                  finish=finish)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """The ranks' `input_tensor`s, concatenated in rank order, into `output_tensor`."""
    group = _member(group, "all_gather_into_tensor")
    if group is None:
        return None

    def check():
        if output_tensor.dtype != input_tensor.dtype:
            raise RuntimeError("output tensor must have the same type as input tensor")
        if output_tensor.numel() != group.size() * input_tensor.numel():
            raise RuntimeError("output tensor size must be equal to world_size times input "
                               "tensor size")

    _agree(group, "all_gather_into_tensor", input_tensor, check=check)
    y, write_back = _host(output_tensor)
    x, _ = _host(input_tensor)
    if array_module(x).may_share_memory(x, y):  # MPI must not read where it writes
        x = x.copy()
    return _start(group._comm, "Allgather", async_op, _buffer(x), _buffer(y), finish=write_back)


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """gather_list[i] = `tensor` of rank i, on rank `dst` only."""
    group = _member(group, "gather")
    if group is None:
        return None

    def check():
        root = _group_rank(group, dst, group_dst)
        if group.rank() == root:
            _check_list("gather_list", gather_list, tensor, group.size())
        elif gather_list:
            raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination "
                             "ranks.")
        return root

    root = _agree(group, "gather", tensor, check=check)
    x, _ = _host(tensor)
    if group.rank() != root:
        return _start(group._comm, "Gather", async_op, _buffer(x), None, root)
    gathered = _empty(x, group.size())

    def finish():
        for part, target in zip(gathered, gather_list):
            _store(target, part)

    return _start(group._comm, "Gather", async_op, _buffer(x), _buffer(gathered), root,
                  finish=finish)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """`tensor` of rank i = scatter_list[i] of rank `src`."""
    group = _member(group, "scatter")
    if group is None:
        return None

    def check():
        root = _group_rank(group, src, group_src)
        if group.rank() == root:
            _check_list("scatter_list", scatter_list, tensor, group.size())
        elif scatter_list:
            raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source "
                             "ranks.")
        return root

    root = _agree(group, "scatter", tensor, check=check)
    y, write_back = _host(tensor)
    parts = None
    if group.rank() == root:
        parts = _empty(y, group.size())
        for i, part in enumerate(scatter_list):
            parts[i] = _host(part)[0]
        parts = _buffer(parts)
    return _start(group._comm, "Scatter", async_op, parts, _buffer(y), root, finish=write_back)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce `input` over the ranks; rank i gets the i-th of its equal chunks in `output`."""
    group = _member(group, "reduce_scatter_tensor")
    if group is None:
        return None

    def check():
        _check_op(op, input)
        if output.dtype != input.dtype:
            raise RuntimeError("input tensor must be the same type as the output tensor.")
        if input.numel() != group.size() * output.numel():
            raise RuntimeError("input tensor must be the same size as output size times world "
                               "size")

    _agree(group, "reduce_scatter_tensor", input, op=op, check=check)
    x, _ = _host(input, reducing=True)
    y, write_back = _host(output, reducing=True)
    if array_module(x).may_share_memory(x, y):
        x = x.copy()
    return _start(group._comm, "Reduce_scatter_block", async_op, _buffer(x), _buffer(y),
                  _mpi_op(op, input), finish=_averaged(y, op, group.size(), write_back))


def barrier(group=None, async_op=False, device_ids=None, timeout=None):
    """Wait until every rank of the group gets here."""
    group = _member(group, "barrier")
    if group is None:
        return None
    return _start(group._comm, "Barrier", async_op)


# ---- point to point ------------------------------------------------------------------------
# A message carries only the tensor's bytes; the receiver checks their number (a larger message
# fails as MPI_ERR_TRUNCATE, a smaller one by its count), so a wrong shape is an error, not a hang.

def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Start sending `tensor` to rank `dst`; wait() on the returned Work before changing it."""
    group = _member(group, "isend")
    if group is None:
        return None
    if dst is None and group_dst is None:
        raise ValueError("isend needs a destination rank: dst (or group_dst)")
    peer = _group_rank(group, dst, group_dst)
    x, _ = _host(tensor)
    return Work([group._comm.Isend(_buffer(x), peer, tag)], buffers=(x,), what="send")


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Start receiving into `tensor` from rank `src` (any rank when src is None)."""
    group = _member(group, "irecv")
    if group is None:
        return None
    MPI = _mpi()
    peer = MPI.ANY_SOURCE
    if src is not None or group_src is not None:
        peer = _group_rank(group, src, group_src)
    y, write_back = _host(tensor)
    status = MPI.Status()
    what = (f"recv into a tensor of shape {tuple(tensor.shape)} {tensor.dtype} "
            f"({y.nbytes} bytes)")

    def finish():
        count = status.Get_count(MPI.BYTE)
        if count != y.nbytes:
            sender = group._ranks[status.Get_source()]
            raise RuntimeError(f"{what}: rank {sender} sent {count} bytes")
        write_back()

    work = Work([group._comm.Irecv(_buffer(y), peer, tag)], finish, (y,), [status], what)
    work._source = lambda: group._ranks[status.Get_source()]
    return work


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send `tensor` to rank `dst`, blocking until its buffer can be reused."""
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into `tensor` from rank `src` (any rank when None); returns the sender's rank."""
    work = irecv(tensor, src, group, tag, group_src)
    if work is None:
        return -1
    work.wait()
    return work._source()


# ---- Python objects (pickled, as torch does; not for tensors on the hot path) --------------

def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    group = _member(group, "broadcast_object_list")
    if group is None:
        return
    root = _group_rank(group, src, group_src)
    object_list[:] = group._comm.bcast(list(object_list) if group.rank() == root else None, root)


def all_gather_object(object_list, obj, group=None):
    group = _member(group, "all_gather_object")
    if group is None:
        return
    object_list[:] = group._comm.allgather(obj)
