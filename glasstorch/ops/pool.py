"""Pooling: the maximum or the average of each window sliding over the last two dims.

A window has kh x kw kernel offsets. For each offset (i, j), the elements it picks from
every window form one strided view of the padded input (a stride trick, no copy):
x_padded[..., i*dh + sh*oh, j*dw + sw*ow] over all outputs (oh, ow). So pooling is a
short loop over the kernel offsets, each step one numpy call over the whole batch.

- max: the running maximum over the offsets; the index of the first maximum in window
  order (what torch returns and where its gradient goes) as a flat position in the
  input plane. The gradient is a scatter-add to those positions (IndexPut's dual).
- avg: the sum over the offsets, divided per window. It is linear, so its backward
  (spread each gradient over its window) and that backward's backward are each other.
- adaptive: torch's windows start = floor(i * in / out), end = ceil((i + 1) * in / out).
"""

import collections
import math

from .. import threads
from ..autograd import function
from ..autograd.function import Function
from .indexing import IndexPut

# everything about one pooling of (..., height, width) planes, checked by nn.functional
Window = collections.namedtuple(
    "Window", "height width kh kw sh sw ph pw dh dw out_h out_w")


def output_size(size, kernel, stride, padding, dilation, ceil_mode):
    """torch's pooling output length (pooling_output_shape)."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:  # the last window must start inside
        out -= 1
    return out


def _padded_shape(g, multiple=(1, 1)):
    """The planes padded by g.ph, g.pw before, and after as far as the windows reach (ceil_mode
    lets the last window run past the padding), rounded up to a multiple."""
    height = max(g.height + 2 * g.ph, (g.out_h - 1) * g.sh + (g.kh - 1) * g.dh + 1)
    width = max(g.width + 2 * g.pw, (g.out_w - 1) * g.sw + (g.kw - 1) * g.dw + 1)
    return -(-height // multiple[0]) * multiple[0], -(-width // multiple[1]) * multiple[1]


def _padded(x, g, fill, xp, multiple=(1, 1)):
    height, width = _padded_shape(g, multiple)
    if (height, width) == x.shape[-2:]:
        return x
    y = xp.full(x.shape[:-2] + (height, width), fill, dtype=x.dtype)
    y[..., g.ph:g.ph + g.height, g.pw:g.pw + g.width] = x
    return y


def _offset_view(x_padded, g, i, j):
    """The element at kernel offset (i, j) of every window: a strided view."""
    top, left = i * g.dh, j * g.dw
    return x_padded[..., top:top + g.sh * (g.out_h - 1) + 1:g.sh,
                    left:left + g.sw * (g.out_w - 1) + 1:g.sw]


def _phase_views(phases, g):
    """_offset_view for every kernel offset, read from the phases of the padded planes."""
    views = []
    for i, j in _offsets(g):
        (top, row), (left, col) = divmod(i * g.dh, g.sh), divmod(j * g.dw, g.sw)
        views.append(phases[row, col, ..., top:top + g.out_h, left:left + g.out_w])
    return views


def _offset_views(x, g, fill, xp):
    """_offset_view for every kernel offset, of x padded with `fill`.

    With a stride, the padded planes are first regrouped by phase (row mod sh, column
    mod sw), one copy, so that each view then reads whole rows instead of every sh-th
    element: about twice as fast for the 3x3 stride-2 pooling of a ResNet stem.
    """
    if g.sh == g.sw == 1:
        x_padded = _padded(x, g, fill, xp)
        return [_offset_view(x_padded, g, i, j) for i, j in _offsets(g)]
    x_padded = _padded(x, g, fill, xp, multiple=(g.sh, g.sw))
    *batch, height, width = x_padded.shape
    phases = x_padded.reshape(*batch, height // g.sh, g.sh, width // g.sw, g.sw)
    return _phase_views(xp.ascontiguousarray(xp.moveaxis(phases, (-3, -1), (0, 1))), g)


def _offsets(g):
    return [(i, j) for i in range(g.kh) for j in range(g.kw)]


# ---- max ----


def _lowest(dtype, xp):
    """The padding that no element loses a maximum to: -inf, or the integer type's minimum."""
    return -math.inf if dtype.kind == "f" else xp.iinfo(dtype).min


def window_max(x, g, xp):
    """The maximum of every window, and its flat index h * width + w in the input plane."""
    fill = _lowest(x.dtype, xp)
    views = _offset_views(x, g, fill, xp)
    # the running maximum over the offsets, and the shift in the plane from the window's
    # top-left element to where it is; only a strictly larger value moves it, so a tie keeps
    # the first maximum in window order, as torch does
    shifts = [i * g.dh * g.width + j * g.dw for i, j in _offsets(g)]
    values = views[0].copy()
    # int32: a shift within one window, half the memory traffic of int64 (2.7x faster here)
    shift = xp.zeros(values.shape, dtype="int32")
    step = xp.empty_like(shift)  # one buffer for all offsets: fresh big arrays cost page faults
    for view, view_shift in zip(views[1:], shifts[1:]):
        larger = view > values
        xp.maximum(values, view, out=values)
        # shift = where(larger, view_shift, shift), as arithmetic: no branches, 5x faster
        xp.subtract(view_shift, shift, out=step)
        step *= larger
        shift += step
    if x.dtype.kind == "f" and xp.isnan(values).any():  # in torch the last NaN of a window wins
        for k, view in enumerate(views):
            shift = xp.where(xp.isnan(view), shifts[k], shift)
    top = xp.arange(g.out_h) * g.sh - g.ph
    left = xp.arange(g.out_w) * g.sw - g.pw
    shift = shift + (top.reshape(-1, 1) * g.width + left)  # int64 from here, torch's index type
    empty = values == fill  # no element above the fill: its index may point into the padding
    if empty.any():
        # torch's index there: the window's first element at or below/right of the top-left
        # corner of the plane (outside the plane when the whole window is padding)
        top += xp.maximum(g.dh - 1 - top, 0) // g.dh * g.dh
        left += xp.maximum(g.dw - 1 - left, 0) // g.dw * g.dw
        shift = xp.where(empty, top.reshape(-1, 1) * g.width + left, shift)
    return values, shift


class MaxPool2DWithIndices(Function):
    """y = the maximum of each window of an (N, C, H, W) input; its gradient goes to the
    element at `index` (found with the values by window_max or adaptive_window_max).

    backward: grad_x = zeros shaped like x, with each grad added at its window's maximum (index)
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x, values, index):
        n, c, height, width = ctx.input_shape = x.shape
        if ctx.needs_input_grad[0]:
            xp, size = ctx.xp, height * width
            planes = xp.arange(n * c, dtype="int64").reshape(n, c, 1, 1) * size
            ctx.flat_index = (index + planes).reshape(-1)  # positions in x.reshape(-1)
            # a window of padding only (dilation allows it) has no input to send its gradient
            # to: it goes to one slot past the end, dropped in backward
            outside = (index < 0) | (index >= size)
            ctx.dropped = bool(outside.any())
            if ctx.dropped:
                ctx.flat_index[outside.reshape(-1)] = x.size
        return values

    @staticmethod
    def backward(ctx, grad):
        size = math.prod(ctx.input_shape)
        zeros = grad.new_zeros(size + ctx.dropped)
        # a scatter-add: overlapping windows may pick the same element
        grad_x = IndexPut.apply(zeros, grad.reshape(-1), (ctx.flat_index,), True, True)
        if ctx.dropped:
            grad_x = grad_x[:size]
        return grad_x.reshape(ctx.input_shape), None, None


class AdaptiveMaxPool2D(MaxPool2DWithIndices):
    """y = the maximum of each of torch's adaptive windows of an (N, C, H, W) input.

    backward: grad_x = zeros shaped like x, with each grad added at its window's maximum (index)
    """

    _primitive = True


def max_pool2d_with_indices(x, g):
    """(values, indices) of max pooling an (N, C, H, W) Tensor, the batch split across the
    thread pool."""
    data, xp = x._data, x._xp
    shape = data.shape[:-2] + (g.out_h, g.out_w)
    values, index = xp.empty(shape, dtype=data.dtype), xp.empty(shape, dtype="int64")

    def pool(start, stop):
        values[start:stop], index[start:stop] = window_max(data[start:stop], g, xp)

    threads.parallel(len(data), pool, data.size, on=data)
    return MaxPool2DWithIndices.apply(x, values, index), function.Tensor._wrap(index)


def max_pool2d_values(x, g):
    """The maximum of each window of an (N, C, H, W) Tensor that needs no gradient (inference):
    no index to find, so only a running maximum over the kernel offsets, the batch split
    across the thread pool."""
    data, xp = x._data, x._xp
    fill = _lowest(data.dtype, xp)
    values = xp.empty(data.shape[:-2] + (g.out_h, g.out_w), dtype=data.dtype)

    def pool(start, stop):
        views = _offset_views(data[start:stop], g, fill, xp)
        part = values[start:stop]
        part[...] = views[0]
        for view in views[1:]:
            xp.maximum(part, view, out=part)  # a NaN stays: in torch a NaN is a window's max

    threads.parallel(len(data), pool, data.size, on=data)
    return function.Tensor._wrap(values)


def adaptive_window_bounds(size, out, xp):
    """torch's adaptive windows: start = floor(i * size / out), end = ceil((i+1) * size / out)."""
    i = xp.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _adaptive_positions(size, out, xp):
    """(out, longest window) positions of each window, the last one repeated to fill."""
    start, end = adaptive_window_bounds(size, out, xp)
    longest = int((end - start).max()) if out else 1
    return xp.minimum(start.reshape(-1, 1) + xp.arange(longest), (end - 1).reshape(-1, 1))


def adaptive_max_pool2d_with_indices(x, out_h, out_w):
    xp = x._xp
    n, c, height, width = x.shape
    rows = _adaptive_positions(height, out_h, xp)  # (out_h, kh)
    cols = _adaptive_positions(width, out_w, xp)  # (out_w, kw)
    # every window as a copy, (N, C, out_h, out_w, kh * kw); repeats don't change the max,
    # and each comes after the element it repeats, so argmax finds the first maximum
    windows = x._data[:, :, rows[:, None, :, None], cols[None, :, None, :]]
    windows = windows.reshape(n, c, out_h, out_w, rows.shape[1] * cols.shape[1])
    k = windows.argmax(-1) if windows.size else xp.zeros(windows.shape[:-1], dtype="int64")
    values = xp.take_along_axis(windows, k[..., None], -1)[..., 0]
    if windows.dtype.kind == "f" and xp.isnan(values).any():  # torch: the last NaN wins
        last_nan = windows.shape[-1] - 1 - xp.isnan(windows[..., ::-1]).argmax(-1)
        k = xp.where(xp.isnan(values), last_nan, k)
    kw = cols.shape[1]
    h = rows[xp.arange(out_h).reshape(-1, 1), k // kw]
    w = cols[xp.arange(out_w), k % kw]
    index = (h * width + w).astype("int64")
    return AdaptiveMaxPool2D.apply(x, values, index), function.Tensor._wrap(index)


# ---- average ----


def window_divisor(g, count_include_pad, divisor_override, dtype, xp):
    """What each window's sum is divided by, shape (out_h, out_w), as torch's avg_pool2d."""
    if divisor_override is not None:
        return xp.full((g.out_h, g.out_w), divisor_override, dtype=dtype)

    def counts(size, out, kernel, stride, padding):
        start = xp.arange(out) * stride - padding
        end = xp.minimum(start + kernel, size + padding)  # the window, cut at the padding
        if count_include_pad:
            return end - start
        return xp.minimum(end, size) - xp.maximum(start, 0)  # only the input's own elements

    rows = counts(g.height, g.out_h, g.kh, g.sh, g.ph)
    cols = counts(g.width, g.out_w, g.kw, g.sw, g.pw)
    return (rows.reshape(-1, 1) * cols).astype(dtype)


class AvgPool2D(Function):
    """y = the sum of each window of x (zero padded) / divisor.

    backward: grad_x = each grad / divisor added to every element of its window
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x, g, divisor):
        xp = ctx.xp
        ctx.g, ctx.divisor = g, divisor
        if x.dtype.kind in "iu":  # torch divides integers with C's truncation
            return xp.trunc(_window_sums(x, g, xp) / divisor).astype(x.dtype)
        y = xp.empty(x.shape[:-2] + (g.out_h, g.out_w), dtype=x.dtype)

        def average(start, stop):  # the batch split across the thread pool
            part = y[start:stop]
            part[...] = _window_sums(x[start:stop], g, xp)
            part /= divisor

        threads.parallel(len(x), average, x.size, on=x)
        return y

    @staticmethod
    def backward(ctx, grad):
        return AvgPool2DBackward.apply(grad, ctx.g, ctx.divisor), None, None


class AvgPool2DBackward(Function):
    """The adjoint of AvgPool2D: each grad / divisor added to every element of its window.

    backward: grad_grad = the window sums of grad2 / divisor
        (grad2: the gradient reaching this node)
    """

    _primitive = True

    @staticmethod
    def forward(ctx, grad, g, divisor):
        xp = ctx.xp
        ctx.g, ctx.divisor = g, divisor
        grad_x = xp.empty(grad.shape[:-2] + (g.height, g.width), dtype=grad.dtype)

        def spread(start, stop):  # the batch split across the thread pool
            grad_x[start:stop] = _spread(grad[start:stop], g, divisor, xp)

        threads.parallel(len(grad), spread, grad_x.size, on=grad)
        return grad_x

    @staticmethod
    def backward(ctx, grad):
        return AvgPool2D.apply(grad, ctx.g, ctx.divisor), None, None


def _window_sums(x, g, xp):
    """The sum of each window of x, zero padded."""
    views = _offset_views(x, g, 0, xp)
    total = views[0].copy()
    for view in views[1:]:
        total += view
    return total


def _spread(grad, g, divisor, xp):
    """AvgPool2DBackward on arrays: each grad / divisor added to every element of its window."""
    shape = grad.shape[:-2] + (g.height, g.width)
    share = grad / divisor
    if g.sh == g.sw == 1:
        padded = _padded(xp.zeros(shape, dtype=grad.dtype), g, 0, xp)
        for i, j in _offsets(g):
            _offset_view(padded, g, i, j)[...] += share  # distinct elements per offset
    else:  # the adjoint of _offset_views: add into the phases, then interleave them
        height, width = _padded_shape(g, (g.sh, g.sw))
        phases = xp.zeros((g.sh, g.sw) + shape[:-2] + (height // g.sh, width // g.sw),
                          dtype=grad.dtype)
        for view in _phase_views(phases, g):
            view += share
        padded = xp.moveaxis(phases, (0, 1), (-3, -1)).reshape(shape[:-2] + (height, width))
    if padded.shape == shape:
        return padded
    return padded[..., g.ph:g.ph + g.height, g.pw:g.pw + g.width]


def adaptive_average_matrix(size, out, like):
    """(out, size) Tensor: row i averages torch's adaptive window i of a length-`size` dim."""
    xp = like._xp
    start, end = adaptive_window_bounds(size, out, xp)
    positions = xp.arange(size)
    inside = (positions >= start.reshape(-1, 1)) & (positions < end.reshape(-1, 1))
    weights = inside / (end - start).reshape(-1, 1)
    return function.Tensor._wrap(weights.astype(like._data.dtype))
