"""Indexing: x[key] and x[key] = value, with gradients through both.

Index and IndexPut are duals: the gradient of a read is a scatter-add of the
gradient into zeros (IndexPut with accumulate=True), and the gradient of a
write with respect to the written values is a read.
"""

import re

from .. import dtypes
from ..autograd import function, grad_mode
from ..autograd.function import Function
from ..device import array_module, default_xp


def index_add(y, key, values, xp, advanced):
    """y[key] += values, adding repeated indices once each (the one scatter-add helper)."""
    if advanced:
        xp.add.at(y, key, values)  # plain += would add a repeated index only once
    else:
        y[key] += values


def _is_advanced(key):
    return any(hasattr(k, "shape") for k in key)


class Index(Function):
    """x[key] with an advanced (tensor) index: a copy.

    backward: grad_x = zeros shaped like x, with grad added at [key]
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x, key, advanced):
        ctx.input_shape, ctx.key, ctx.advanced = x.shape, key, advanced
        return x[key]

    @staticmethod
    def backward(ctx, grad):
        zeros = grad.new_zeros(ctx.input_shape)
        return IndexPut.apply(zeros, grad, ctx.key, ctx.advanced, True), None, None


class Slice(Index):
    """x[key] with a basic index (ints, slices, None, ...): a view, as in torch.

    backward: grad_x = zeros shaped like x, with grad at [key]
    """

    _is_view = True

    def name(self):
        return "SliceBackward0" if any(isinstance(k, slice) for k in self.key) else "SelectBackward0"


def index(x, key, advanced):
    return (Index if advanced else Slice).apply(x, key, advanced)


class IndexPut(Function):
    """A copy of `base` with base[key] set to (or, with accumulate, increased by) `values`.

    backward: grad_base = grad, zeroed at [key] unless accumulate, grad_values = grad[key]
    """

    _primitive = True

    @staticmethod
    def forward(ctx, base, values, key, advanced, accumulate):
        ctx.key, ctx.advanced, ctx.accumulate = key, advanced, accumulate
        ctx.values_shape = values.shape
        y = base.copy()
        if accumulate:
            index_add(y, key, values, ctx.xp, advanced)
        else:
            y[key] = values
        return y

    @staticmethod
    def backward(ctx, grad):
        grad_base = grad_values = None
        if ctx.needs_input_grad[0]:
            grad_base = grad
            if not ctx.accumulate:  # overwritten elements get no gradient
                zeros = grad.new_zeros(ctx.values_shape)
                grad_base = IndexPut.apply(grad, zeros, ctx.key, ctx.advanced, False)
        if ctx.needs_input_grad[1]:
            grad_values = index(grad, ctx.key, ctx.advanced)
        return grad_base, grad_values, None, None, None


def normalize_key(key, xp):
    """An index as numpy understands it: Tensors and lists become int64 or bool arrays."""
    Tensor = function.Tensor
    if not isinstance(key, tuple):
        key = (key,)
    normalized = []
    for k in key:
        if isinstance(k, (Tensor, xp.ndarray, default_xp.ndarray)):  # numpy index arrays too
            k = k._data if isinstance(k, Tensor) else k
            if array_module(k) is not xp:  # an index on the host for a tensor on a GPU
                k = xp.asarray(k)  # copied there, as torch does
            if k.dtype.kind not in "biu":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            if k.dtype.kind == "u" and k.dtype.itemsize == 1:  # uint8 masks (deprecated in torch)
                k = k.astype(bool)
        elif isinstance(k, (list, tuple, range)):
            k = xp.asarray([e.item() if isinstance(e, Tensor) else e for e in k])
            if k.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        elif k is not None and k is not Ellipsis and not isinstance(k, (int, slice)):
            if hasattr(k, "__index__"):
                k = k.__index__()
            else:
                raise IndexError(
                    "only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                    "Variables are valid indices (got " + type(k).__name__ + ")")
        if isinstance(k, slice) and k.step is not None and k.step <= 0:
            raise ValueError("step must be greater than zero")
        normalized.append(k)
    return tuple(normalized)


def _checked(operation):
    """Run an indexing operation, raising numpy's IndexError in torch's words."""
    try:
        return operation()
    except IndexError as error:
        message = str(error).replace("axis", "dimension")
        too_many = re.match(r"too many indices for array: array is (\d+)-dimensional", message)
        if too_many and too_many[1] == "0":
            message = ("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                       "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        elif too_many:
            message = f"too many indices for tensor of dimension {too_many[1]}"
        raise IndexError(message) from None
    except ValueError as error:  # numpy: "could not broadcast input array from shape ..."
        raise RuntimeError(str(error)) from None


def _without_leading_ones(value, ndim):
    """Drops the value's leading size-1 dimensions beyond the target's `ndim`, as torch's
    copy into x[key] does (d2l's `preds[i] = net(x)` writes a (1, 1) output into one element);
    numpy would refuse."""
    extra = 0
    while value.ndim - extra > ndim and value.shape[extra] == 1:
        extra += 1
    return value.reshape(value.shape[extra:]) if extra else value


class IndexingMethods:
    """x[key] and x[key] = value (mixed into Tensor)."""

    __slots__ = ()

    def __getitem__(self, key):
        key = normalize_key(key, self._xp)
        advanced = _is_advanced(key)
        return _checked(lambda: index(self, key, advanced))

    def __setitem__(self, key, value):
        Tensor = function.Tensor
        key = normalize_key(key, self._xp)
        advanced = _is_advanced(key)
        recording = grad_mode.state.enabled and (
            self._requires_grad or (isinstance(value, Tensor) and value._requires_grad))
        if isinstance(value, Tensor) and value.ndim and value.shape[0] == 1:  # (else nothing
            # to drop, and the target's ndim, a copy for an advanced key, is not needed)
            value = _without_leading_ones(value, _checked(lambda: self._data[key].ndim))
        if not recording:
            v = value._data if isinstance(value, Tensor) else value
            _checked(lambda: self._data.__setitem__(key, v))
            self._version[0] += 1
            return
        if not isinstance(value, Tensor):
            value = self.new_tensor(value)
        value = value.to(self.dtype)
        target_shape = _checked(lambda: self._data[key].shape)
        if value._requires_grad and value.shape != target_shape:
            value = value.expand(target_shape)
        self._inplace(IndexPut.apply(self, value, key, advanced, False))

    def index_select(self, dim, index):
        from .operands import normalize_dim

        dim = normalize_dim(dim, self.ndim)
        size = self.shape[dim] if self.ndim else 1
        if ((index._data < 0) | (index._data >= size)).any():  # torch allows no negative index
            raise IndexError("index out of range in self")
        return self[(slice(None),) * dim + (index.reshape(-1),)]

    def masked_fill(self, mask, value):
        from .elementwise import where

        return where(mask, value, self).to(self.dtype)

    def masked_fill_(self, mask, value):
        return self._inplace(self.masked_fill(mask, value))

    def index_put(self, indices, values, accumulate=False):
        key = normalize_key(tuple(indices), self._xp)
        values = values.to(self.dtype)
        target_shape = self._data[key].shape
        if values._requires_grad and values.shape != target_shape:
            values = values.expand(target_shape)
        return IndexPut.apply(self, values, key, _is_advanced(key), accumulate)

    def index_put_(self, indices, values, accumulate=False):
        return self._inplace(self.index_put(indices, values, accumulate))

    def nonzero(self, *, as_tuple=False):
        xp = self._xp
        found = xp.nonzero(self._data) if self.ndim else xp.nonzero(self._data.reshape(1))
        if as_tuple:
            return tuple(function.Tensor._wrap(i.astype("int64")) for i in found)
        if not self.ndim:  # a 0-d tensor has no coordinates: one empty row if it is nonzero
            return function.Tensor._wrap(xp.zeros((found[0].size, 0), "int64"))
        return function.Tensor._wrap(xp.stack(found, axis=1).astype("int64")
                                     if found else xp.zeros((0, 0), "int64"))

    def masked_select(self, mask):
        return self[mask.expand(self.shape) if mask.shape != self.shape else mask]

    def type_as(self, other):
        return self.to(dtypes.from_numpy(other._data.dtype))
