"""Shape ops: view/reshape, expand, permute/transpose, squeeze, cat/stack, flip, repeat, split.

The view-like primitives return numpy views, so the output shares memory with
its input as in torch; `_is_view` makes it share the version counter too.
"""

import math
import warnings

from .. import dtypes
from ..autograd.function import Function
from ..device import broadcast_to
from .operands import normalize_dim, normalize_dims


class View(Function):
    """y = x with another shape: the same elements, the same memory (a view).

    backward: grad_x = grad reshaped to x's shape
    """

    _primitive = True
    _is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.input_shape), None


class Unsqueeze(View):
    """y = x with a dim of size 1 inserted (a view).

    Same math as View; its own class only to carry torch's node name.

    backward: grad_x = grad reshaped to x's shape
    """


class Squeeze(View):
    """y = x without its dims of size 1 (a view).

    Same math as View; its own class only to carry torch's node name.

    backward: grad_x = grad reshaped to x's shape
    """


class SqueezeDim(View):
    """y = x without the size-1 dims `dim` (a view).

    squeeze(dim): torch's node is SqueezeBackward1 (SqueezeBackward2 for a tuple of dims).

    backward: grad_x = grad reshaped to x's shape
    """

    def name(self):
        return "SqueezeBackward1" if self.one_dim else "SqueezeBackward2"

    @staticmethod
    def forward(ctx, x, shape, one_dim):
        ctx.one_dim = one_dim
        return View.forward(ctx, x, shape)

    @staticmethod
    def backward(ctx, grad):
        return View.backward(ctx, grad)[0], None, None


class Expand(Function):
    """y = x broadcast to `shape` (a view, no copy).

    backward: grad_x = grad summed over the broadcast dims, back to x's shape
    """

    _primitive = True
    _is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        return broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.sum_to_size(ctx.input_shape), None


class Permute(Function):
    """y = x with its dims in the order `dims` (a view).

    backward: grad_x = grad permuted by the inverse of dims
    """

    _primitive = True
    _is_view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return grad.permute(inverse), None


class Transpose(Permute):
    """y = x with two dims swapped (a view).

    Same math as Permute; its own class only to carry torch's node name.

    backward: grad_x = grad permuted by the inverse of dims
    """


class T(Permute):
    """y = x.t(): a matrix transposed (a view).

    t(): same math as Permute; its own class only to carry torch's node name (TBackward0).

    backward: grad_x = grad.t()
    """


class Triangle(Function):
    """The upper (triu) or lower (tril) triangle of the last two dims from `diagonal` on, the
    rest zeroed; the gradient is the same triangle of the gradient.

    backward: grad_x = the same triangle of grad
    """

    _primitive = True

    def name(self):
        return "TriuBackward0" if self.upper else "TrilBackward0"

    @staticmethod
    def forward(ctx, x, diagonal, upper):
        ctx.diagonal, ctx.upper = diagonal, upper
        return (ctx.xp.triu if upper else ctx.xp.tril)(x, diagonal)

    @staticmethod
    def backward(ctx, grad):
        return Triangle.apply(grad, ctx.diagonal, ctx.upper), None, None


class Flip(Function):
    """y = x reversed along `dims`.

    backward: grad_x = grad flipped along dims
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return ctx.xp.flip(x, dims).copy()  # torch's flip copies; numpy's would be a view

    @staticmethod
    def backward(ctx, grad):
        return grad.flip(ctx.dims), None


class Cat(Function):
    """y = the tensors xs joined along `dim`.

    backward: grad_xs[i] = the slice of grad along dim where xs[i] lies
    """

    _primitive = True

    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        ctx.sizes = [x.shape[dim] for x in xs]
        return ctx.xp.concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        grads, start = [None], 0
        for size, needed in zip(ctx.sizes, ctx.needs_input_grad[1:]):
            grads.append(grad.narrow(ctx.dim, start, size) if needed else None)
            start += size
        return tuple(grads)


class Stack(Function):
    """y = the tensors xs stacked along a new dim `dim`.

    backward: grad_xs[i] = grad.select(dim, i)
    """

    _primitive = True

    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        return ctx.xp.stack(xs, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return (None, *grad.unbind(ctx.dim))


def infer_shape(shape, numel):
    """Resolve a -1 in a view/reshape shape, with torch's errors."""
    shape = tuple(shape)
    if -1 not in shape and math.prod(shape) == numel and min(shape, default=0) >= 0:
        return shape  # the common case, checked cheaply
    if shape == (-1,):
        return (numel,)  # flatten: reshape(-1), view(-1)
    unknown = [i for i, n in enumerate(shape) if n == -1]
    if len(unknown) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = math.prod(n for n in shape if n != -1)
    for i, n in enumerate(shape):
        if n < -1:
            raise RuntimeError(f"invalid shape dimension {n} at index {i} of shape {list(shape)}")
    if unknown:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        i = unknown[0]
        return shape[:i] + (numel // known,) + shape[i + 1:]
    if known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _shape_args(shape):
    """Accept both f(2, 3) and f((2, 3)) like torch."""
    if len(shape) == 1 and not isinstance(shape[0], int):
        return tuple(shape[0])
    return shape


def _triangle(x, diagonal, upper):
    if x.ndim < 2:
        raise RuntimeError(f"{'triu' if upper else 'tril'}: input tensor must have at least 2 "
                           "dimensions")
    return Triangle.apply(x, int(diagonal), upper)


def cat(tensors, dim=0, *, axis=None):
    """torch.cat; `axis` is torch's numpy-style alias of dim (the books write both)."""
    if axis is not None:
        dim = axis
    tensors = list(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    dtype = dtypes.result_type(*tensors)
    # legacy rule kept by torch: 1-d empty tensors are skipped
    kept = [t.to(dtype) for t in tensors if t.shape != (0,)] or [tensors[0].to(dtype)]
    ndim = kept[0].ndim
    dim = normalize_dim(dim, ndim)
    for i, t in enumerate(kept):
        if t.ndim != ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ndim} and {t.ndim}")
        for d in range(ndim):
            if d != dim and t.shape[d] != kept[0].shape[d]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {dim}. Expected size "
                    f"{kept[0].shape[d]} but got size {t.shape[d]} for tensor number {i} in the list."
                )
    # the skipped ones still join (as size-0 slices), so that they get their (empty) gradient
    empty = kept[0].shape[:dim] + (0,) + kept[0].shape[dim + 1:]
    return Cat.apply(dim, *[t.to(dtype) if t.shape != (0,) else t.to(dtype).reshape(empty)
                            for t in tensors])


def stack(tensors, dim=0, *, axis=None):
    if axis is not None:  # torch's numpy-style alias of dim
        dim = axis
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} "
                f"at entry 0 and {list(t.shape)} at entry {i}"
            )
    dtype = dtypes.result_type(*tensors)
    dim = normalize_dim(dim, tensors[0].ndim + 1)
    return Stack.apply(dim, *[t.to(dtype) for t in tensors])


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 0-d or 1-d tensors: output i holds tensors[i] along dim i and is
    constant along the others ('ij', the default); 'xy' swaps the roles of the first two dims.
    The outputs are expanded views."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError('torch.meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f"{indexing}")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got a tensor of shape {list(t.shape)}")
        if t.dtype != tensors[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    dims = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        dims[0], dims[1] = 1, 0
    shape = [0] * len(tensors)
    for t, d in zip(tensors, dims):
        shape[d] = t.numel()
    grids = []
    for t, d in zip(tensors, dims):
        along = [1] * len(tensors)
        along[d] = -1
        grids.append(t.reshape(along).expand(shape))
    return tuple(grids)


class MovementMethods:
    """Tensor methods that change shape or layout (mixed into Tensor)."""

    __slots__ = ()

    def reshape(self, *shape):
        shape = infer_shape(_shape_args(shape), self._data.size)
        if shape == self._data.shape and not self._requires_grad:
            return self  # nothing to record: torch's reshape returns an alias of the same shape
        return View.apply(self, shape)  # a view, even of the same shape: ViewBackward0 as torch

    def view(self, *shape):
        if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list)):
            return self.to(shape[0])  # view(dtype): only same-size dtypes in torch; we copy
        shape = infer_shape(_shape_args(shape), self._data.size)
        if not _viewable(self._data, shape):
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
            )
        return View.apply(self, shape)

    def view_as(self, other): return self.view(other.shape)
    def reshape_as(self, other): return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        start = normalize_dim(start_dim, self.ndim)
        end = normalize_dim(end_dim, self.ndim)
        if start > end:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        shape = self.shape
        return self.reshape(shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:])

    def unflatten(self, dim, sizes):
        dim = normalize_dim(dim, self.ndim)
        sizes = infer_shape(sizes, self.shape[dim])
        return self.reshape(self.shape[:dim] + sizes + self.shape[dim + 1:])

    def ravel(self): return self.reshape(-1)

    def squeeze(self, dim=None):
        shape = self.shape
        if dim is None:
            dims = [d for d, n in enumerate(shape) if n == 1]
        else:
            dims = [d for d in normalize_dims(dim, max(self.ndim, 1)) if self.ndim and shape[d] == 1]
        squeezed = tuple(n for d, n in enumerate(shape) if d not in dims)
        if dim is None:
            return Squeeze.apply(self, squeezed)
        return SqueezeDim.apply(self, squeezed, isinstance(dim, int))

    def unsqueeze(self, dim):
        dim = normalize_dim(dim, self.ndim + 1)
        return Unsqueeze.apply(self, self.shape[:dim] + (1,) + self.shape[dim:])

    def expand(self, *sizes):
        sizes = _shape_args(sizes)
        shape = self.shape
        if len(sizes) < len(shape):
            raise RuntimeError(
                f"expand({self.type()}{{{list(shape)}}}, size={list(sizes)}): the number of "
                f"sizes provided ({len(sizes)}) must be greater or equal to the number of "
                f"dimensions in the tensor ({len(shape)})"
            )
        lead = len(sizes) - len(shape)
        target = []
        for i, n in enumerate(sizes):
            old = shape[i - lead] if i >= lead else 1
            if n == -1:
                if i < lead:
                    raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a "
                                       f"leading, non-existing dimension {i}")
                n = old
            elif old != 1 and old != n:
                raise RuntimeError(
                    f"The expanded size of the tensor ({n}) must match the existing size ({old}) "
                    f"at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  "
                    f"Tensor sizes: {list(shape)}"
                )
            target.append(n)
        target = tuple(target)
        return self if target == shape else Expand.apply(self, target)

    def expand_as(self, other): return self.expand(other.shape)

    def broadcast_to(self, shape): return self.expand(shape)

    def sum_to_size(self, *shape):
        """Sum this tensor down to `shape` (the gradient of expand)."""
        shape = tuple(_shape_args(shape))
        if self.shape == shape:
            return self
        lead = self.ndim - len(shape)
        dims = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and self.shape[lead + i] != 1
        )
        result = self.sum(dims, keepdim=True) if dims else self
        return result.reshape(shape)

    def permute(self, *dims):
        dims = tuple(normalize_dim(d, self.ndim) for d in _shape_args(dims))
        if sorted(dims) != list(range(self.ndim)):
            raise RuntimeError(
                f"permute(sparse_coo): number of dimensions in the tensor input does not match "
                f"the length of the desired ordering of dimensions i.e. input.dim() = {self.ndim} "
                f"is not equal to len(dims) = {len(dims)}" if len(dims) != self.ndim else
                "permute(): duplicate dims are not allowed."
            )
        return Permute.apply(self, dims)

    def transpose(self, dim0, dim1):
        dims = list(range(self.ndim))
        d0, d1 = normalize_dim(dim0, max(self.ndim, 1)), normalize_dim(dim1, max(self.ndim, 1))
        if self.ndim == 0:
            return self
        dims[d0], dims[d1] = dims[d1], dims[d0]
        return Transpose.apply(self, tuple(dims))

    swapaxes = swapdims = transpose

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self if self.ndim < 2 else T.apply(self, (1, 0))

    @property
    def T(self):
        return self if self.ndim < 2 else Permute.apply(self, tuple(reversed(range(self.ndim))))

    @property
    def mT(self):
        if self.ndim < 2:
            raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                               f"Got {self.ndim}-D tensor.")
        return self.transpose(-2, -1)

    def movedim(self, source, destination):
        source = [normalize_dim(d, self.ndim) for d in
                  ((source,) if isinstance(source, int) else source)]
        destination = [normalize_dim(d, self.ndim) for d in
                       ((destination,) if isinstance(destination, int) else destination)]
        rest = [d for d in range(self.ndim) if d not in source]
        order = [None] * self.ndim
        for s, d in zip(source, destination):
            order[d] = s
        it = iter(rest)
        return self.permute([o if o is not None else next(it) for o in order])

    moveaxis = movedim

    def flip(self, *dims):
        dims = normalize_dims(_shape_args(dims), self.ndim)
        return Flip.apply(self, dims)

    def triu(self, diagonal=0):
        return _triangle(self, diagonal, True)

    def tril(self, diagonal=0):
        return _triangle(self, diagonal, False)

    def triu_(self, diagonal=0):
        return self._inplace(self.triu(diagonal))

    def tril_(self, diagonal=0):
        return self._inplace(self.tril(diagonal))

    def fliplr(self): return self.flip(1)
    def flipud(self): return self.flip(0)

    def repeat(self, *repeats):
        repeats = tuple(_shape_args(repeats))
        if len(repeats) < self.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than "
                               "number of dimensions of tensor")
        shape = (1,) * (len(repeats) - self.ndim) + self.shape
        # (a, b) repeated (r, s): view as (1, a, 1, b), expand to (r, a, s, b), merge pairs
        interleaved = tuple(v for n in shape for v in (1, n))
        expanded = tuple(v for r, n in zip(repeats, shape) for v in (r, n))
        result = self.reshape(interleaved).expand(expanded)
        return result.reshape(tuple(r * n for r, n in zip(repeats, shape)))

    def tile(self, *dims):
        dims = tuple(_shape_args(dims))
        return self.repeat((1,) * (self.ndim - len(dims)) + dims)

    def narrow(self, dim, start, length):
        dim = normalize_dim(dim, self.ndim)
        if start < 0:
            start += self.shape[dim]
        if not 0 <= start <= start + length <= self.shape[dim]:
            raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                               f"({self.shape[dim]}).")
        return self[(slice(None),) * dim + (slice(start, start + length),)]

    def select(self, dim, index):
        dim = normalize_dim(dim, self.ndim)
        size = self.shape[dim]
        if not -size <= index < size:
            raise IndexError(f"select(): index {index} out of range for tensor of size "
                             f"{list(self.shape)} at dimension {dim}")
        return self[(slice(None),) * dim + (index,)]

    def unbind(self, dim=0):
        dim = normalize_dim(dim, self.ndim)
        return tuple(self.select(dim, i) for i in range(self.shape[dim]))

    def split(self, split_size_or_sections, dim=0):
        dim = normalize_dim(dim, self.ndim)
        size = self.shape[dim]
        if isinstance(split_size_or_sections, int):
            step = split_size_or_sections
            if step <= 0 and size:
                raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                                   f"dimension size of {size}")
            sections = [min(step, size - s) for s in range(0, size, step)] if size else [0]
        else:
            sections = list(split_size_or_sections)
            if sum(sections) != size:
                raise RuntimeError(
                    f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's "
                    f"size at dimension {dim}), but got split_sizes={sections}")
        parts, start = [], 0
        for n in sections:
            parts.append(self.narrow(dim, start, n))
            start += n
        return tuple(parts)

    def chunk(self, chunks, dim=0):
        if chunks <= 0:
            raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
        size = self.shape[normalize_dim(dim, self.ndim)]
        return self.split(max(1, -(-size // chunks)), dim)

    def repeat_interleave(self, repeats=None, dim=None, *, output_size=None):
        Tensor = type(self)
        if repeats is None:  # torch.repeat_interleave(counts): each index repeated counts[i] times
            repeats, self = self, Tensor._wrap(self._xp.arange(self.numel()))
        if dim is None:
            self, dim = self.reshape(-1), 0
        dim = normalize_dim(dim, self.ndim)
        size = self.shape[dim] if self.ndim else 1
        if isinstance(repeats, Tensor):
            if repeats.ndim > 1 or repeats.numel() not in (1, size):
                raise RuntimeError("repeats must have the same size as input along dim, but got "
                                   f"repeats.size(0) = {repeats.numel()} and input.size({dim}) "
                                   f"= {size}")
            if repeats.numel() == 1:
                repeats = repeats.item()
        if isinstance(repeats, int):
            if repeats < 0:
                raise RuntimeError("repeats can not be negative")
            # (.., n, ..) -> (.., n, 1, ..) expanded to (.., n, r, ..) -> (.., n·r, ..)
            grown = self.unsqueeze(dim + 1)
            shape = grown.shape[:dim + 1] + (repeats,) + grown.shape[dim + 2:]
            return grown.expand(shape).reshape(self.shape[:dim] + (size * repeats,)
                                               + self.shape[dim + 1:])
        counts = repeats._data
        if (counts < 0).any():
            raise RuntimeError("repeats can not be negative")
        xp = self._xp
        index = Tensor._wrap(xp.repeat(xp.arange(size), counts))  # 0, 0, 1, 2, 2, 2, ...
        return self.index_select(dim, index)

    def contiguous(self, memory_format=None):
        return self if self._data.flags.c_contiguous else self.clone()

    def is_contiguous(self, memory_format=None):
        return bool(self._data.flags.c_contiguous)


def _viewable(x, shape):
    """Whether x can take `shape` without a copy (torch's view rule, via numpy)."""
    if x.flags.c_contiguous:
        return True
    try:
        y = x.view()
        y.shape = shape  # numpy refuses when a copy would be needed
        return True
    except AttributeError:
        return False
