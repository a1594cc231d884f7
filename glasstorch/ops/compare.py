"""Comparisons and logic: no gradients, bool (or integer, for bitwise ops) results."""

from .. import dtypes
from ..autograd import function
from .operands import as_scalar, broadcast_shapes


def _wrap(x):
    return function.Tensor._wrap(x)


def _compare(ufunc, a, b):
    """A comparison: no gradient, a bool result, broadcasting checked like torch."""
    Tensor = function.Tensor
    x = a._data
    if isinstance(b, Tensor):
        y = b._data
        if x.shape != y.shape:
            broadcast_shapes(x.shape, y.shape)
        if x.dtype != y.dtype:  # compare in torch's common dtype: uint8 < int8 0-d wraps
            common = dtypes.result_type(a, b).np
            x, y = x.astype(common, copy=False), y.astype(common, copy=False)
    else:
        y = as_scalar(b)
    return _wrap(ufunc(x, y))


class CompareMethods:
    """Tensor methods for comparisons and logic (mixed into Tensor)."""

    __slots__ = ()

    def __eq__(self, other): return self.eq(other)
    def __ne__(self, other): return self.ne(other)
    def __lt__(self, other): return self.lt(other)
    def __le__(self, other): return self.le(other)
    def __gt__(self, other): return self.gt(other)
    def __ge__(self, other): return self.ge(other)
    def eq(self, other): return _compare(self._xp.equal, self, other)
    def ne(self, other): return _compare(self._xp.not_equal, self, other)
    def lt(self, other): return _compare(self._xp.less, self, other)
    def le(self, other): return _compare(self._xp.less_equal, self, other)
    def gt(self, other): return _compare(self._xp.greater, self, other)
    def ge(self, other): return _compare(self._xp.greater_equal, self, other)
    less, less_equal, greater, greater_equal, not_equal = lt, le, gt, ge, ne

    def equal(self, other):
        return self.shape == other.shape and bool((self._data == other._data).all())

    def logical_not(self): return _wrap(self._xp.logical_not(self._data))
    def logical_and(self, other): return _compare(self._xp.logical_and, self, other)
    def logical_or(self, other): return _compare(self._xp.logical_or, self, other)
    def logical_xor(self, other): return _compare(self._xp.logical_xor, self, other)
    def bitwise_not(self): return _wrap(self._xp.invert(self._data))
    def bitwise_and(self, other): return _compare(self._xp.bitwise_and, self, other)
    def bitwise_or(self, other): return _compare(self._xp.bitwise_or, self, other)
    def bitwise_xor(self, other): return _compare(self._xp.bitwise_xor, self, other)
    __invert__ = bitwise_not
    __and__ = __rand__ = bitwise_and
    __or__ = __ror__ = bitwise_or
    __xor__ = __rxor__ = bitwise_xor

    def isnan(self): return _wrap(self._xp.isnan(self._data))
    def isinf(self): return _wrap(self._xp.isinf(self._data))
    def isfinite(self): return _wrap(self._xp.isfinite(self._data))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _wrap(self._xp.isclose(self._data, other._data, rtol, atol, equal_nan))

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return bool(self.isclose(other, rtol, atol, equal_nan).all())
