"""Preparing operands before a primitive runs: dtype promotion, scalars, broadcasting, dims.

This is the one place that knows these rules, so primitives can assume equal
dtypes and, for every operand that needs a gradient, equal shapes: their
backward never has to sum a gradient back down to a broadcast input.
"""

import numbers

from .. import dtypes
from ..autograd import function
from ..device import WEAK_PYTHON_SCALARS, array_module


def binary_operands(a, b, dtype=None):
    """a and b (Tensors or Python numbers) as two Tensors of one dtype, ready for a primitive.

    Shapes are checked here and left for numpy to broadcast: the primitives that take these
    operands are marked `_broadcasts`, and the engine sums the gradient of a smaller operand
    back to its shape, as torch's does (no Expand node in the graph, as in torch's).
    `dtype` forces the common dtype (true division of ints gives floats).
    """
    # fast path, the most common case: a float tensor with a Python number. numpy >= 2 keeps
    # the tensor's dtype for a Python scalar (weak scalars, NEP 50), so it can go in as is
    if dtype is None and WEAK_PYTHON_SCALARS:
        if type(b) in _NUMBER and a._data.dtype.kind == "f":
            return a, b
        if type(a) in _NUMBER and b._data.dtype.kind == "f":
            return a, b
    Tensor = function.Tensor
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        if dtype is None:
            dtype = dtypes.result_type(a, b) if a._data.dtype != b._data.dtype else None
        if dtype is not None:
            a, b = a.to(dtype), b.to(dtype)
        if a._data.shape != b._data.shape:
            broadcast_shapes(a._data.shape, b._data.shape)  # torch's error where they don't fit
        return a, b
    if isinstance(a, Tensor):
        return a_cast(a, b, dtype)
    b, a = a_cast(b, a, dtype)
    return a, b


_NUMBER = (float, int)  # not bool: True + float_tensor is fine, but keep bool on the slow path


def a_cast(t, scalar, dtype):
    """(t, scalar) as two Tensors of the promoted dtype; the scalar becomes a 0-d array."""
    scalar = as_scalar(scalar)
    if dtype is None:
        dtype = dtypes.result_type(t, scalar)
    if t._data.dtype != dtype.np:
        t = t.to(dtype)
    xp = array_module(t._data)
    # astype, not asarray(dtype=): an out-of-range int wraps around as in torch (uint8 + 300)
    return t, function.Tensor._wrap(xp.asarray(scalar).astype(dtype.np))


def as_scalar(value):
    """A Python number from a number-like value (numpy scalars, 0-d arrays)."""
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, numbers.Number) or (hasattr(value, "item") and getattr(value, "size", 0) == 1):
        item = value.item() if hasattr(value, "item") else value
        if isinstance(item, (bool, int, float)):
            return item
        if isinstance(item, numbers.Integral):
            return int(item)
        if isinstance(item, numbers.Real):
            return float(item)
    raise TypeError(f"unsupported operand type for a tensor operation: '{type(value).__name__}'")


def broadcast_shapes(*shapes):
    """torch.broadcast_shapes, with PyTorch's error message."""
    if len(shapes) == 2:  # the common case, a bias or a scalar against a batch: no loops
        a, b = shapes
        if a == b:
            return tuple(a)
        if len(b) <= len(a) and all(n == 1 for n in b):
            return tuple(a)
        if len(a) <= len(b) and all(n == 1 for n in a):
            return tuple(b)
    ndim = max(len(s) for s in shapes)
    result = [1] * ndim
    for s in shapes:
        # from the last dim, as torch does: it reports the last mismatching dim
        for i, n in reversed(list(enumerate(s, ndim - len(s)))):
            if n == result[i] or n == 1:
                continue
            if result[i] != 1:
                raise RuntimeError(
                    f"The size of tensor a ({result[i]}) must match the size of tensor b ({n}) "
                    f"at non-singleton dimension {i}"
                )
            result[i] = n
    return tuple(result)


def normalize_dim(dim, ndim):
    """A dim in [-ndim, ndim) as a non-negative index; IndexError like torch otherwise."""
    low, high = (-ndim, ndim - 1) if ndim else (-1, 0)
    if not low <= dim <= high:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{low}, {high}], but got {dim})"
        )
    return dim % ndim if ndim else 0


def normalize_dims(dim, ndim):
    """dim as a sorted tuple of non-negative axes; None means all of them."""
    if dim is None:
        return tuple(range(ndim))
    dims = tuple(normalize_dim(d, ndim) for d in ((dim,) if isinstance(dim, int) else dim))
    if len(set(dims)) != len(dims):
        repeated = next(d for i, d in enumerate(dims) if d in dims[:i])
        raise RuntimeError(f"dim {repeated} appears multiple times in the list of dims")
    if ndim == 0:  # a 0-d tensor accepts dim 0 and -1, but has no axis to work on
        return ()
    return tuple(sorted(dims))
