"""Reductions: sum, mean, prod, max/min, norm, cumsum and the composites built on them.

Every method takes torch's `dim`/`keepdim` and also numpy's `axis`/`keepdims`,
which the book uses (`A.sum(axis=1, keepdims=True)`).
"""

import collections
import math

from .. import dtypes
from ..autograd import function
from ..autograd.function import Function
from .elementwise import where
from .operands import normalize_dim, normalize_dims


def _wrap(x):
    return function.Tensor._wrap(x)


def _grad_to_input(grad, ctx):
    """A reduced gradient, reshaped to keep the reduced dims and expanded to the input."""
    return _with_kept_dims(grad, ctx).expand(ctx.input_shape)


def _with_kept_dims(t, ctx):
    """A reduced tensor (an output or its gradient) with the reduced dims as size 1."""
    return t if ctx.keepdim else t.reshape(_kept_shape(ctx))


def _kept_shape(ctx):
    """The reduced shape with the reduced dims kept as size 1."""
    return tuple(1 if d in ctx.dims else n for d, n in enumerate(ctx.input_shape))


def _prepare(ctx, x, dims, keepdim):
    ctx.input_shape = x.shape
    ctx.keepdim = keepdim
    ctx.dims = dims


class Sum(Function):
    """y = the sum of x over `dims`.

    backward: grad_x = grad broadcast back to x's shape
    """

    _primitive = True

    def name(self):  # torch: SumBackward0 for a full sum, SumBackward1 with dims
        return "SumBackward1" if self.dim_given else "SumBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim, dim_given):
        _prepare(ctx, x, dims, keepdim)
        ctx.dim_given = dim_given
        y = x.sum(axis=dims, keepdims=keepdim)
        if x.dtype.kind in "biu":  # torch sums integers and bools in int64
            y = y.astype("int64", copy=False)
        return y

    @staticmethod
    def backward(ctx, grad):
        return _grad_to_input(grad, ctx), None, None, None


class Mean(Function):
    """y = the mean of x over `dims`.

    backward: grad_x = grad broadcast back to x's shape / n  (n: the elements averaged)
    """

    _primitive = True

    def name(self):
        return "MeanBackward1" if self.dim_given else "MeanBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim, dim_given):
        _prepare(ctx, x, dims, keepdim)
        ctx.dim_given = dim_given
        ctx.count = math.prod(x.shape[d] for d in dims)
        return x.mean(axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        return _grad_to_input(grad, ctx) / ctx.count, None, None, None


class Prod(Function):
    """y = the product of x over `dims`.

    backward: grad_x = grad * (the product of the other elements)  (y / x where no x is 0)
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        _prepare(ctx, x, dims, keepdim)
        y = x.prod(axis=dims, keepdims=keepdim)
        ctx.save_for_backward(x, y)
        return y.astype("int64", copy=False) if x.dtype.kind in "biu" else y

    @staticmethod
    def backward(ctx, grad):
        # d prod / d x_i is the product of the other elements
        x, y = ctx.saved_tensors
        grad = _grad_to_input(grad, ctx)
        if not bool((x == 0).any()):
            return grad * _with_kept_dims(y, ctx) / x, None, None
        return grad * _prod_of_others(x, ctx.dims), None, None


def _prod_of_others(x, dims):
    """For each element, the product of the others along dims, without dividing by it.

    Every element's row of n values has that element replaced by 1, then is multiplied
    out: O(n²) in the reduced size, so it is used only when x holds zeros. It stays
    differentiable at the zeros, which the quotient prod / x_i is not.
    """
    kept = [d for d in range(x.ndim) if d not in dims]
    moved = x.permute(kept + list(dims))
    lead = moved.shape[:len(kept)]
    n = math.prod(moved.shape[len(kept):])
    rows = moved.reshape(lead + (1, n)).expand(lead + (n, n))
    diagonal = x.new_tensor(x._xp.eye(n, dtype=bool), dtype=dtypes.bool)
    others = where(diagonal, 1.0, rows).prod(-1).reshape(moved.shape)
    inverse = [0] * x.ndim
    for i, d in enumerate(kept + list(dims)):
        inverse[d] = i
    return others.permute(inverse)


class Amax(Function):
    """max/min over dims where tied maxima share the gradient evenly (torch's amax, max()).

    backward: grad_x = grad / k at the k elements equal to y, 0 elsewhere
    """

    _primitive = True

    def name(self):  # one class serves amax, amin and the full max() / min()
        return self.node_name

    @staticmethod
    def forward(ctx, x, dims, keepdim, largest, node_name):
        _prepare(ctx, x, dims, keepdim)
        ctx.node_name = node_name
        y = x.max(axis=dims, keepdims=keepdim) if largest else x.min(axis=dims, keepdims=keepdim)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        y = _with_kept_dims(y, ctx)
        hit = x == y
        share = _grad_to_input(grad, ctx) / hit.sum(ctx.dims, keepdim=True)
        return where(hit, share, 0.0), None, None, None, None


class MaxDim(Function):
    """max/min along one dim: values, whose gradient goes to the element at `index`.

    backward: grad_x = grad at the chosen element (index) along dim, 0 elsewhere
    """

    _primitive = True

    def name(self):
        return "MaxBackward0" if self.largest else "MinBackward0"

    @staticmethod
    def forward(ctx, x, dim, keepdim, largest, index):  # index: argmax/argmin, keepdim shape
        xp = ctx.xp
        _prepare(ctx, x, (dim,), keepdim)
        ctx.largest = largest
        if ctx.needs_input_grad[0]:
            positions = xp.arange(x.shape[dim]).reshape((-1,) + (1,) * (x.ndim - dim - 1))
            ctx.save_for_backward(positions == index)  # one-hot mask of the chosen elements
        values = xp.take_along_axis(x, index, axis=dim)
        return values if keepdim else values.squeeze(dim)

    @staticmethod
    def backward(ctx, grad):
        (chosen,) = ctx.saved_tensors
        return where(chosen, _grad_to_input(grad, ctx), 0.0), None, None, None, None


class Cumsum(Function):
    """y_i = x_1 + ... + x_i along `dim`.

    backward: grad_x_i = grad_i + ... + grad_n  (a reversed cumsum of grad)
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        y = ctx.xp.cumsum(x, axis=dim)
        return y.astype("int64", copy=False) if x.dtype.kind in "biu" else y

    @staticmethod
    def backward(ctx, grad):
        return grad.flip(ctx.dim).cumsum(ctx.dim).flip(ctx.dim), None


class Norm(Function):
    """The 2-norm; a primitive so the gradient at 0 is 0 (as in torch), not nan.

    backward: grad_x = grad * x / y  (y = ||x||; 0 where y = 0)
    """

    _primitive = True

    def name(self):
        return "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        _prepare(ctx, x, dims, keepdim)
        y = ctx.xp.sqrt((x * x).sum(axis=dims, keepdims=keepdim))
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        y = _with_kept_dims(y, ctx)
        scale = where(y == 0, 0.0, _grad_to_input(grad, ctx) / y)
        return x * scale, None, None


values_indices = collections.namedtuple("return_types", ["values", "indices"])


class _AllDims(dict):
    """ndim -> (0, 1, ..., ndim - 1): a full reduction's dims, made once per rank."""

    def __missing__(self, ndim):
        self[ndim] = dims = tuple(range(ndim))
        return dims


_ALL_DIMS = _AllDims()


def _dim_args(dim, keepdim, axis, keepdims):
    """torch's dim/keepdim with numpy's axis/keepdims accepted as aliases."""
    if axis is not None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    if isinstance(dim, list):
        dim = tuple(dim)
    return dim, bool(keepdim)


def _reduction_dtype(t, dtype):
    return t if dtype is None else t.to(dtypes.to_dtype(dtype))


class ReduceMethods:
    """Tensor methods for reductions (mixed into Tensor)."""

    __slots__ = ()

    def sum(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        if dim is None and axis is None and dtype is None and keepdims is None:  # t.sum()
            return Sum.apply(self, _ALL_DIMS[self._data.ndim], bool(keepdim), False)
        dim, keepdim = _dim_args(dim, keepdim, axis, keepdims)
        x = _reduction_dtype(self, dtype)
        given = dim is not None and dim != ()
        return Sum.apply(x, normalize_dims(dim if given else None, x.ndim), keepdim, given)

    def mean(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        dim, keepdim = _dim_args(dim, keepdim, axis, keepdims)
        x = _reduction_dtype(self, dtype)
        if not x.is_floating_point():
            raise RuntimeError(
                "mean(): could not infer output dtype. Input dtype must be either a floating "
                f"point or complex dtype. Got: {dtypes.scalar_type_name(x.dtype)}")
        given = dim is not None and dim != ()
        return Mean.apply(x, normalize_dims(dim if given else None, x.ndim), keepdim, given)

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        return where(self.isnan(), 0, self).sum(dim, keepdim, dtype=dtype)

    def prod(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        dim, keepdim = _dim_args(dim, keepdim, axis, keepdims)
        x = _reduction_dtype(self, dtype)
        return Prod.apply(x, normalize_dims(dim, x.ndim), keepdim)

    def _extreme(self, dim, keepdim, largest):
        name = "max" if largest else "min"
        if dim is None:
            if self.numel() == 0:
                raise RuntimeError(
                    f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                    "Specify the reduction dim with the 'dim' argument.")
            return Amax.apply(self, normalize_dims(None, self.ndim), False, largest,
                              f"{name.capitalize()}Backward1")
        dim = normalize_dim(dim, max(self.ndim, 1))
        if self.ndim == 0:
            return values_indices(self.clone(), _wrap(self._xp.zeros((), dtype="int64")))
        if self.shape[dim] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size.")
        xp = self._xp
        index = (xp.argmax if largest else xp.argmin)(self._data, axis=dim, keepdims=True)
        values = MaxDim.apply(self, dim, keepdim, largest, index)
        index = index.astype("int64", copy=False)
        return values_indices(values, _wrap(index if keepdim else index.squeeze(dim)))

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        if isinstance(dim, function.Tensor):
            return self.maximum(dim)
        dim, keepdim = _dim_args(dim, keepdim, axis, keepdims)
        return self._extreme(dim, keepdim, True)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        if isinstance(dim, function.Tensor):
            return self.minimum(dim)
        dim, keepdim = _dim_args(dim, keepdim, axis, keepdims)
        return self._extreme(dim, keepdim, False)

    def amax(self, dim=(), keepdim=False):
        dims = _nonempty_dims(self, dim, "amax")
        return Amax.apply(self, dims, keepdim, True, "AmaxBackward0")

    def amin(self, dim=(), keepdim=False):
        dims = _nonempty_dims(self, dim, "amin")
        return Amax.apply(self, dims, keepdim, False, "AminBackward0")

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        dim, keepdim = _dim_args(dim, keepdim, axis, keepdims)
        return self._arg_extreme(self._xp.argmax, dim, keepdim)

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        dim, keepdim = _dim_args(dim, keepdim, axis, keepdims)
        return self._arg_extreme(self._xp.argmin, dim, keepdim)

    def _arg_extreme(self, func, dim, keepdim):
        name = func.__name__  # argmax or argmin
        if dim is None:
            if self.numel() == 0:
                raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                                 "input.numel() == 0.")
            index = func(self._data.reshape(-1))
            if keepdim:
                index = index.reshape((1,) * self.ndim)
        else:
            axis = normalize_dim(dim, self.ndim)
            if self.ndim and self.shape[axis] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")
            index = func(self._data, axis=axis, keepdims=keepdim) if self.ndim else func(self._data)
        return _wrap(self._xp.asarray(index, dtype="int64"))

    def cumsum(self, dim=None, *, dtype=None, axis=None):
        dim = axis if axis is not None else dim  # the book writes A.cumsum(axis=0)
        x = _reduction_dtype(self, dtype)
        return Cumsum.apply(x, normalize_dim(dim, max(x.ndim, 1))) if x.ndim else x.clone()

    def all(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        dim, keepdim = _dim_args(dim, keepdim, axis, keepdims)
        axes = normalize_dims(dim, self.ndim) if dim is not None else None
        return _wrap(self._xp.asarray(self._data.all(axis=axes, keepdims=keepdim)))

    def any(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        dim, keepdim = _dim_args(dim, keepdim, axis, keepdims)
        axes = normalize_dims(dim, self.ndim) if dim is not None else None
        return _wrap(self._xp.asarray(self._data.any(axis=axes, keepdims=keepdim)))

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
            keepdims=None):
        dim, keepdim = _dim_args(dim, keepdim, axis, keepdims)
        if isinstance(dim, bool):  # var(True): the old positional `unbiased`
            dim, unbiased = None, dim
        if correction is None:
            correction = 1 if unbiased is None or unbiased else 0
        dims = normalize_dims(dim, self.ndim)
        count = math.prod(self.shape[d] for d in dims)
        centered = self - self.mean(dims, keepdim=True)
        return (centered * centered).sum(dims, keepdim=keepdim) / max(count - correction, 0)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
            keepdims=None):
        return self.var(dim, unbiased, keepdim, correction=correction, axis=axis,
                        keepdims=keepdims).sqrt()

    def logsumexp(self, dim, keepdim=False):
        dims = normalize_dims(dim, self.ndim)
        if self.numel() == 0:  # nothing to shift by; the empty sum gives log(0) = -inf
            peak = self.new_zeros(tuple(1 if d in dims else n for d, n in enumerate(self.shape)))
        else:
            peak = self.amax(dims, keepdim=True).detach()
            peak = where(peak.isinf(), 0.0, peak)  # all -inf (or +inf) rows: avoid inf - inf
        result = (self - peak).exp().sum(dims, keepdim=True).log() + peak
        return result if keepdim else result.squeeze(dims) if dims else result

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        x = _reduction_dtype(self, dtype)
        if not x.is_floating_point():
            raise RuntimeError(
                f"linalg.vector_norm: Expected a floating point or complex tensor as input. "
                f"Got {dtypes.scalar_type_name(x.dtype)}")
        dims = normalize_dims(dim, x.ndim)
        if p in ("fro", 2, 2.0):
            return Norm.apply(x, dims, keepdim)
        if p in (math.inf, "inf"):
            return x.abs().amax(dims, keepdim=keepdim)
        if p == -math.inf:
            return x.abs().amin(dims, keepdim=keepdim)
        if p in (1, 1.0):
            return x.abs().sum(dims, keepdim=keepdim)
        if p == 0:
            return (x != 0).to(x.dtype).sum(dims, keepdim=keepdim)
        return (x.abs() ** p).sum(dims, keepdim=keepdim) ** (1.0 / p)


def _nonempty_dims(x, dim, name):
    """The dims of amax/amin: torch refuses them over an empty dim (max has no identity)."""
    if dim in ((), None) and x.numel() == 0:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                           "== 0. Specify the reduction dim with the 'dim' argument.")
    dims = normalize_dims(dim if dim != () else None, x.ndim)
    for d in dims:
        if x.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    return dims
