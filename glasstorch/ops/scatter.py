"""gather and its duals scatter_add and scatter: reading and writing along one dim at indices;
and sort, a gather at the sorting indices.

For dim 0 of a 2-d tensor: gather gives out[i][j] = x[index[i][j]][j]; scatter_add adds
src[i][j] into out[index[i][j]][j]; scatter writes it there instead. Each is the others'
gradient. `index` has the tensor's number of dims and may be smaller than it (and than src)
in every dim: only its own positions take part.
"""

from .. import dtypes
from ..autograd import function
from ..autograd.function import Function
from .operands import normalize_dim
from .reduce import values_indices


def _positions(xp, index, dim):
    """The advanced index that reaches, for every position p of `index`, the element at
    index[p] along dim and at p's own coordinates along the other dims."""
    grids = list(xp.ogrid[tuple(slice(n) for n in index.shape)])
    grids[dim] = index
    return tuple(grids)


def _leading(array, shape):
    """The first shape[d] elements of array along each dim d."""
    return array[tuple(slice(n) for n in shape)]


class Gather(Function):
    """y = the elements of x at `index` along `dim` (torch.gather).

    backward: grad_x = zeros shaped like x, with grad added at index along dim
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.args = (x.shape, dim, index)
        return x[_positions(ctx.xp, index, dim)]

    @staticmethod
    def backward(ctx, grad):
        shape, dim, index = ctx.args
        return ScatterAdd.apply(grad.new_zeros(shape), dim, index, grad), None, None


class Sort(Gather):
    """Gather's math at the indices that sort x along dim; its own class for torch's node name
    (SortBackward0).

    backward: grad_x = zeros shaped like x, with grad added at index along dim
    """


class StableSort(Sort):
    """Sort with stable=True (its node is SortBackward1).

    backward: grad_x = zeros shaped like x, with grad added at index along dim
    """

    def name(self):
        return "SortBackward1"  # torch's node for sort(..., stable=...)


def _sorting_indices(xp, x, dim, descending):
    """The stable sorting order along dim: equal elements keep their order, NaN counts as the
    largest value (as in torch). Descending: the ascending order of x reversed along dim,
    taken on x reversed, so that equal elements still keep theirs."""
    if not descending:
        return xp.argsort(x, axis=dim, kind="stable")
    last = x.shape[dim] - 1
    reversed_order = xp.argsort(xp.flip(x, dim), axis=dim, kind="stable")
    return last - xp.flip(reversed_order, dim)


class ScatterAdd(Function):
    """y = base with src added at `index` along `dim` (torch.scatter_add).

    backward: grad_base = grad, grad_src = grad gathered at index along dim
    """

    _primitive = True

    @staticmethod
    def forward(ctx, base, dim, index, src):
        ctx.args = (dim, index, src.shape)
        y = base.copy()
        ctx.xp.add.at(y, _positions(ctx.xp, index, dim), _leading(src, index.shape))
        return y

    @staticmethod
    def backward(ctx, grad):
        dim, index, src_shape = ctx.args
        return grad, None, None, _src_gradient(ctx, grad, dim, index, src_shape, "ScatterAdd")


class Scatter(Function):
    """y = base with src (or a number) written at `index` along `dim` (torch.scatter).

    backward: grad_base = grad, zero where src was written,
        grad_src = grad gathered at index along dim
    """

    _primitive = True

    @staticmethod
    def forward(ctx, base, dim, index, src):
        src_shape = getattr(src, "shape", None)  # None: src is a number (scatter's value)
        ctx.args = (dim, index, src_shape)
        y = base.copy()
        y[_positions(ctx.xp, index, dim)] = src if src_shape is None else _leading(src, index.shape)
        return y

    @staticmethod
    def backward(ctx, grad):
        dim, index, src_shape = ctx.args
        grad_base = Scatter.apply(grad, dim, index, 0.0)  # overwritten places get nothing
        grad_src = None
        if src_shape is not None:
            grad_src = _src_gradient(ctx, grad, dim, index, src_shape, "Scatter")
        return grad_base, None, None, grad_src


def _src_gradient(ctx, grad, dim, index, src_shape, name):
    if not ctx.needs_input_grad[3]:
        return None
    if tuple(index.shape) != tuple(src_shape):  # torch can't either
        raise RuntimeError(f"Function {name}Backward0 returned an invalid gradient at index 1 - "
                           f"got {list(index.shape)} but expected shape compatible with "
                           f"{list(src_shape)}")
    return Gather.apply(grad, dim, index)


def _checked_index(x, dim, index, src=None, name="gather"):
    """dim in range and index shaped and valued as torch requires; returns (dim, index array)."""
    dim = normalize_dim(dim, x.ndim)
    Tensor = function.Tensor
    if not isinstance(index, Tensor) or index.dtype.is_floating_point or index.dtype.name == "bool":
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")
    if index.ndim != x.ndim and not (index.ndim <= 1 and x.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    larger = [d for d, (i, s) in enumerate(zip(index.shape, x.shape)) if d != dim and i > s]
    if isinstance(src, Tensor):
        if larger or any(i > s for i, s in zip(index.shape, src.shape)):
            raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self "
                               f"{list(x.shape)} apart from dimension {dim} and to be no larger "
                               f"size than src {list(src.shape)}")
    elif larger:
        raise RuntimeError(f"Size does not match at dimension {larger[0]} expected index "
                           f"{list(index.shape)} to be no larger than self {list(x.shape)} "
                           f"apart from dimension {dim}")
    for other in (index, src):
        if isinstance(other, Tensor) and other.device != x.device:
            raise RuntimeError("Expected all tensors to be on the same device, but found at least "
                               f"two devices, {x.device} and {other.device}!")
    array = index._data.astype("int64", copy=False)
    size = x.shape[dim] if x.ndim else 1
    if array.size and (array.min() < 0 or array.max() >= size):  # no negative indices either
        bad = array.min() if array.min() < 0 else array.max()
        raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {size}")
    return dim, array


class ScatterMethods:
    """gather / scatter_add / scatter (mixed into Tensor)."""

    __slots__ = ()

    def sort(self, dim=-1, descending=False, *, stable=None):
        """(values, indices) sorted along dim; glasstorch's sort is always stable."""
        if self.ndim == 0:
            return values_indices(self.clone(), self.new_zeros((), dtype=dtypes.int64))
        dim = normalize_dim(dim, self.ndim)
        indices = _sorting_indices(self._xp, self._data, dim, descending)
        node = Sort if stable is None else StableSort
        return values_indices(node.apply(self, dim, indices), function.Tensor._wrap(indices))

    def argsort(self, dim=-1, descending=False, *, stable=False):
        return self.sort(dim, descending, stable=stable).indices

    def gather(self, dim, index, *, sparse_grad=False):
        dim, index = _checked_index(self, dim, index)
        return Gather.apply(self, dim, index)

    def scatter_add(self, dim, index, src):
        dim, index = _checked_index(self, dim, index, src, "scatter_add")
        return ScatterAdd.apply(self, dim, index, src.to(self.dtype))

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        if reduce is not None:
            raise NotImplementedError("scatter(reduce=...) is not implemented in glasstorch")
        src = value if src is None else src
        dim, index = _checked_index(self, dim, index, src, "scatter")
        if isinstance(src, function.Tensor):
            src = src.to(self.dtype)
        return Scatter.apply(self, dim, index, src)

    def scatter_add_(self, dim, index, src): return self._inplace(self.scatter_add(dim, index, src))

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        return self._inplace(self.scatter(dim, index, src, value=value, reduce=reduce))
