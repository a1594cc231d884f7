"""Sliding windows: Unfold (im2col), its dual Fold (col2im), and Convolution built on them.

Unfold turns every window the kernel visits into a column, so that a convolution
becomes one matrix product (Convolution, behind nn.functional.conv1d/conv2d). Fold
does the reverse: it adds each column back onto the place its window came from,
summing where windows overlap. Each is the other's gradient, so second derivatives
come for free. All work over any number of spatial dims.

Both use torch's layout: columns of shape (N, C * prod(kernel_size), L), where L
counts the windows. Padding is given per spatial dim as a (before, after) pair, so
that padding='same' with an even kernel (one more zero after) needs no extra node.

A stride-1 convolution can also run without columns, as shifted products on the padded
input (see _grid): Convolution uses them where they move less memory than im2col, and
for the weight's gradient, so that its node keeps only x. Large work is split across
the thread pool (glasstorch.threads): by images, channels, or bands of a product.
"""

import itertools
import math

from .. import threads
from ..autograd import function, grad_mode
from ..autograd.function import Function
from . import linalg
from .linalg import channel_sums


def output_size(size, kernel_size, dilation, padding, stride):
    """How many windows fit along each spatial dim (torch's formula)."""
    return tuple((n + lo + hi - d * (k - 1) - 1) // s + 1
                 for n, k, d, (lo, hi), s in zip(size, kernel_size, dilation, padding, stride))


def _windows(xp, x, kernel_size, dilation, padding, stride):
    """A strided view of shape (N, C, *kernel_size, *blocks) of the padded x: no copy yet.

    Stepping along a kernel dim moves `dilation` elements, along a block dim `stride` elements.
    """
    if any(lo or hi for lo, hi in padding):
        x = xp.pad(x, ((0, 0), (0, 0)) + tuple(padding))
    n, c, *size = x.shape
    blocks = output_size(size, kernel_size, dilation, ((0, 0),) * len(size), stride)
    spatial = x.strides[2:]
    return xp.lib.stride_tricks.as_strided(
        x, (n, c, *kernel_size, *blocks),
        x.strides[:2] + tuple(s * d for s, d in zip(spatial, dilation))
        + tuple(s * st for s, st in zip(spatial, stride)))


def _channels_first(windows, dims):
    """(N, C, *kernel, *blocks) -> (C, *kernel, N, *blocks), a view: the layout of the columns,
    each channel's rows holding the windows of all images side by side."""
    return windows.transpose(1, *range(2, 2 + dims), 0, *range(2 + dims, 2 + 2 * dims))


def _unfold(xp, x, kernel_size, dilation, padding, stride):
    """Unfold's forward on arrays: (N, C * K, L), K = prod(kernel_size), L windows."""
    windows = _windows(xp, x, kernel_size, dilation, padding, stride)
    n, c, blocks = windows.shape[0], windows.shape[1], math.prod(windows.shape[2 + x.ndim - 2:])
    return windows.reshape(n, c * math.prod(kernel_size), blocks)  # the one copy


def _columns(xp, x, kernel_size, dilation, padding, stride):
    """Convolution's im2col: (C * K, N * L), the windows of all batch items side by side,
    copied by channel parts across the thread pool (Convolution.forward copies its own per
    batch part, next to the product)."""
    n, c = x.shape[:2]
    dims = len(kernel_size)
    blocks = output_size(x.shape[2:], kernel_size, dilation, padding, stride)
    cols = xp.empty((c, *kernel_size, n, *blocks), dtype=x.dtype)

    def copy(start, stop):  # channels start..stop-1, padded and copied by this part
        windows = _windows(xp, x[:, start:stop], kernel_size, dilation, padding, stride)
        cols[start:stop] = _channels_first(windows, dims)

    threads.parallel(c, copy, cols.size, on=x)
    return cols.reshape(c * math.prod(kernel_size), -1)


def _grid(xp, x, padding):
    """x zero-padded and channels first, (C, N, *padded): the grid of the shifted products.

    On this grid a stride-1 convolution is a sum of shifted products: the input of kernel
    position (i, j) for the output at flat grid position p is the grid's element p + i * W + j
    (W the padded width), so each kernel position is one (O, C) @ (C, N * H * W) product with
    the grid shifted by i * W + j, and the outputs are the grid positions whose window fits:
    the top-left (H - span) x (W - span) of each image. The other positions are computed and
    dropped: worth it where they are few (`_grid_fits`).
    """
    n, c, *size = x.shape
    grid = xp.zeros((c, n, *(m + lo + hi for m, (lo, hi) in zip(size, padding))), dtype=x.dtype)
    inside = tuple(slice(lo, lo + m) for m, (lo, _) in zip(size, padding))
    channels_first = x.swapaxes(0, 1)

    def copy(start, stop):
        grid[(slice(start, stop), slice(None)) + inside] = channels_first[start:stop]

    threads.parallel(c, copy, x.size, on=x)
    return grid


def _grid_fits(padded, blocks):
    """Few dropped positions: the grid is at most 1.5 times the output (14 x 14 around 12 x 12
    is 1.36; 8 x 8 around 6 x 6 would be 1.78)."""
    return math.prod(padded) <= 1.5 * math.prod(blocks)


def _shifts(padded, kernel_size, dilation):
    """The flat offset on the grid of each kernel position, in the weight's order."""
    steps = [math.prod(padded[d + 1:]) for d in range(len(padded))]  # row-major strides
    return [sum(i * d * step for i, d, step in zip(offset, dilation, steps))
            for offset in itertools.product(*(range(k) for k in kernel_size))]


def _shifted_convolution(xp, x, weight, bias, padding, dilation, groups):
    """A stride-1 convolution as shifted products on the grid (see _grid): one product of all
    kernel positions' weights, (K * O, C) @ (C, N * H * W), then K shifted adds per output.

    Cheaper than im2col when there are fewer output channels than input channels: it copies
    the input once and adds K outputs, where im2col copies K inputs (a DenseNet conv of 160
    channels to 32 moves 5x less).
    """
    n, o = x.shape[0], weight.shape[0]
    kernel_size = weight.shape[2:]
    k = math.prod(kernel_size)
    grid = _grid(xp, x, padding)
    padded = grid.shape[2:]
    blocks = output_size(padded, kernel_size, dilation, ((0, 0),) * len(padded),
                         (1,) * len(padded))
    total = n * math.prod(padded)
    shifts = _shifts(padded, kernel_size, dilation)
    length = total - shifts[-1]  # every output position lies below this
    # (O, C / groups, *kernel) -> (groups, K * O / groups, C / groups)
    w = weight.reshape(groups, o // groups, -1, k).transpose(0, 3, 1, 2)
    w = xp.ascontiguousarray(w).reshape(groups, k * (o // groups), -1)
    products = linalg.product(xp, w, grid.reshape(groups, -1, total))
    products = products.reshape(groups, k, o // groups, total)
    summed = xp.empty((groups, o // groups, total), dtype=x.dtype)
    y = xp.empty((n, o, *blocks), dtype=x.dtype)
    image_y = y.reshape(n, groups, o // groups, *blocks)
    outputs = (slice(None),) * 3 + tuple(slice(0, b) for b in blocks)

    def add_shifted(start, stop):  # output channels start..stop-1 of each group
        part = summed[:, start:stop, :length]
        part[...] = products[:, 0, start:stop, shifts[0]:shifts[0] + length]
        for i in range(1, k):
            part += products[:, i, start:stop, shifts[i]:shifts[i] + length]
        # (groups, o, N, *padded) -> the outputs, (N, groups, o, *blocks)
        grid_y = summed[:, start:stop].reshape(groups, stop - start, n, *padded)
        grid_y = xp.moveaxis(grid_y[outputs], 2, 0)
        if bias is None:
            image_y[:, :, start:stop] = grid_y
        else:
            shift = bias.reshape(groups, o // groups)[:, start:stop]
            xp.add(grid_y, shift.reshape(shift.shape + (1,) * len(blocks)),
                   out=image_y[:, :, start:stop])

    threads.parallel(o // groups, add_shifted, groups * k * (o // groups) * length,
                     on=x)
    return y


def _shifted_weight_grad(xp, x, grad, weight_shape, padding, dilation, groups):
    """A stride-1 convolution's weight gradient on the grid: for each kernel position, grad
    placed on the grid times the grid shifted by that position, (O, N * H * W) @ (N * H * W, C).
    Needs no columns: the node keeps x alone."""
    n, o = grad.shape[0], grad.shape[1]
    kernel_size = weight_shape[2:]
    grid = _grid(xp, x, padding)
    padded = grid.shape[2:]
    total = n * math.prod(padded)
    shifts = _shifts(padded, kernel_size, dilation)
    length = total - shifts[-1]
    grad_grid = _grid(xp, grad, tuple((0, p - b) for p, b in zip(padded, grad.shape[2:])))
    grad_grid = grad_grid.reshape(groups, o // groups, total)[..., :length]
    grid = grid.reshape(groups, -1, total)
    grad_w = xp.empty((groups, len(shifts), o // groups, grid.shape[1]), dtype=grad.dtype)
    for i, s in enumerate(shifts):
        grad_w[:, i] = linalg.product(xp, grad_grid, grid[..., s:s + length].swapaxes(-1, -2))
    # (groups, K, O / groups, C / groups) -> (O, C / groups, *kernel)
    return xp.ascontiguousarray(grad_w.transpose(0, 2, 3, 1)).reshape(weight_shape)


class Unfold(Function):
    """(N, C, *size) -> (N, C * prod(kernel_size), L): each window as a column.

    backward: grad_x = fold(grad): each column's entries added back where they came from
    """

    _primitive = True

    def name(self):
        return "Im2ColBackward0"  # torch's node name

    @staticmethod
    def forward(ctx, x, kernel_size, dilation, padding, stride):
        ctx.args = (x.shape[2:], kernel_size, dilation, padding, stride)
        return _unfold(ctx.xp, x, kernel_size, dilation, padding, stride)

    @staticmethod
    def backward(ctx, grad):
        size, kernel_size, dilation, padding, stride = ctx.args
        return Fold.apply(grad, size, kernel_size, dilation, padding, stride), *(None,) * 4


class Fold(Function):
    """(N, C * prod(kernel_size), L) -> (N, C, *size): columns summed back into place.

    backward: grad_cols = unfold(grad)
    """

    _primitive = True

    def name(self):
        return "Col2ImBackward0"  # torch's node name

    @staticmethod
    def forward(ctx, cols, size, kernel_size, dilation, padding, stride):
        xp = ctx.xp
        ctx.args = (kernel_size, dilation, padding, stride)
        padded = tuple(n + lo + hi for n, (lo, hi) in zip(size, padding))
        blocks = output_size(padded, kernel_size, dilation, ((0, 0),) * len(size), stride)
        n = cols.shape[0]
        c = cols.shape[1] // math.prod(kernel_size)
        dims = len(size)
        # (C, *kernel, N, *blocks): summed channel-major, the layout Convolution's backward hands
        # over its columns in, so that the reads run along memory (20-35% faster than N-major)
        cols = _channels_first(cols.reshape(n, c, *kernel_size, *blocks), dims)
        summed = xp.zeros((c, n, *padded), dtype=cols.dtype)
        inside = tuple(slice(lo, lo + m) for m, (lo, _) in zip(size, padding))
        y = xp.empty((n, c, *size), dtype=cols.dtype)

        def fold(start, stop):  # channels start..stop-1
            channels = slice(start, stop)
            # one vectorised add per kernel offset: offset i lands on i*dilation,
            # i*dilation + stride, ... (a loop over the few kernel positions, never over pixels)
            for offset in itertools.product(*(range(k) for k in kernel_size)):
                target = tuple(slice(i * d, i * d + s * (b - 1) + 1, s)
                               for i, d, s, b in zip(offset, dilation, stride, blocks))
                summed[(channels, slice(None)) + target] += cols[(channels,) + offset]
            y[:, channels] = summed[(channels, slice(None)) + inside].swapaxes(0, 1)

        threads.parallel(c, fold, cols.size, on=cols)
        return y

    @staticmethod
    def backward(ctx, grad):
        kernel_size, dilation, padding, stride = ctx.args
        return Unfold.apply(grad, kernel_size, dilation, padding, stride), *(None,) * 5


class Convolution(Function):
    """Cross-correlation of (N, C, *size) with (O, C / groups, *kernel): im2col, then matmul.

    The columns hold the windows of the whole batch, (C * K, N * L), so that the product with
    the (O, C * K) weight is one large BLAS call, or one per image for large images. The
    weight's gradient is the same product with grad, the input's is fold(Wᵀ @ grad), or for a
    'same' convolution with stride 1 itself a convolution of grad with the flipped, transposed
    weight. One node, as torch's ConvolutionBackward0.

    With stride 1 and little padding ("on the grid"), the node keeps x and not the columns
    (9x the input for a 3x3 kernel); with fewer output than input channels as well, forward
    and weight gradient are shifted products (_shifted_convolution, _shifted_weight_grad),
    else the columns are copied again in backward.

    backward: grad_x = fold(weight.T @ grad), grad_weight = grad @ unfold(x).T,
        grad_bias = sum(grad)
        (per group; weight as an (O, C·K) matrix, grad as (O, N·L); the sum over all dims but 1)
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups):
        xp = ctx.xp
        n, channels, out_channels = x.shape[0], x.shape[1], weight.shape[0]
        kernel_size = weight.shape[2:]
        blocks = output_size(x.shape[2:], kernel_size, dilation, padding, stride)
        size = math.prod(blocks)  # L, the windows of one image
        padded = tuple(m + lo + hi for m, (lo, hi) in zip(x.shape[2:], padding))
        # stride 1 on a grid not much larger than the output: the shifted products of _grid
        # serve the weight's gradient, so the node keeps x and no columns
        ctx.on_grid = (all(s == 1 for s in stride) and _grid_fits(padded, blocks)
                       and x.shape[0] > 0)
        ctx.args = (x.shape, stride, padding, dilation, groups)
        # with fewer output than input channels, shifted products move less than im2col
        ctx.shifted = ctx.on_grid and out_channels < channels
        if ctx.shifted:
            ctx.save_for_backward(x, weight, None)
            return _shifted_convolution(xp, x, weight, bias, padding, dilation, groups)
        dims = len(kernel_size)
        # each group's channels are a contiguous run of rows of cols: a batch dim of the product,
        # (groups, O / groups, C / groups * K) @ (groups, C / groups * K, N * L)
        per_group = channels // groups * math.prod(kernel_size)
        # (C, *kernel, N, *blocks): the windows of all images side by side
        cols = xp.empty((channels, *kernel_size, n, *blocks), dtype=x.dtype)
        image_cols = cols.reshape(groups, per_group, n, size)
        w = weight.reshape(groups, out_channels // groups, per_group)
        y = xp.empty((n, out_channels, *blocks), dtype=x.dtype)
        image_y = y.reshape(n, groups, out_channels // groups, size)
        shift = None if bias is None else bias.reshape(groups, out_channels // groups, 1)

        def convolve(start, stop):  # images start..stop-1, each part on its own core
            # the im2col copy of these images: their windows, a view of them padded, in place
            windows = _windows(xp, x[start:stop], kernel_size, dilation, padding, stride)
            cols[(slice(None),) * (1 + dims) + (slice(start, stop),)] = _channels_first(
                windows, dims)
            if size >= 784:
                # images big enough (28 x 28 windows or more) that one product per image keeps
                # BLAS busy: it writes each image's (O, L) output in place, in torch's
                # (N, O, ...) layout, with no copy. Below that, BLAS's start per product costs
                # more than the copy saves (L = 100, 144, 576 run 10-35% faster as one product;
                # L = 1024, 2304 run 8-20% slower)
                for i in range(start, stop):
                    xp.matmul(w, image_cols[:, :, i], out=image_y[i])
                    if shift is not None:
                        image_y[i] += shift
                return
            # small images: one product for these images, then (O, n, L) -> (n, O, L)
            part = xp.matmul(w, image_cols[:, :, start:stop].reshape(groups, per_group, -1))
            part = part.reshape(groups, out_channels // groups, stop - start, size)
            part = part.transpose(2, 0, 1, 3)
            if shift is None:
                image_y[start:stop] = part
            else:
                xp.add(part, shift, out=image_y[start:stop])

        threads.parallel(n, convolve, cols.size, on=x)
        keep = ctx.needs_input_grad[1] and not ctx.on_grid
        ctx.save_for_backward(x, weight, cols.reshape(groups, per_group, n * size) if keep else None)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, weight, cols = ctx.saved_tensors
        shape, stride, padding, dilation, groups = ctx.args
        n, c, o = shape[0], shape[1], weight.shape[0]
        kernel_size = weight.shape[2:]
        per_group = c // groups * math.prod(kernel_size)
        spans = [d * (k - 1) for d, k in zip(dilation, kernel_size)]
        blocks = math.prod(grad.shape[2:])
        # grad in the layout of the forward's product: (groups, O / groups, N * L)
        rows = None if ctx.on_grid else grad.transpose(0, 1).reshape(groups, o // groups, n * blocks)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            same = all(lo + hi == t for (lo, hi), t in zip(padding, spans))  # output size = input's
            if same and all(s == 1 for s in stride):
                # each input pixel gets, from every output it fed, the weight that joined them:
                # a convolution of grad (padded by the rest of the span) with the weight flipped
                # in space and with in/out channels swapped within each group. Only where the
                # output is as large as the input ('same'): for a 'valid' convolution grad would
                # be padded by the whole span, and fold is cheaper
                dims = tuple(range(2, weight.ndim))
                swapped = weight.flip(dims).reshape(groups, o // groups, c // groups, *kernel_size)
                swapped = swapped.transpose(1, 2).reshape(c, o // groups, *kernel_size)
                back = tuple((t - lo, t - hi) for t, (lo, hi) in zip(spans, padding))
                grad_x = Convolution.apply(grad, swapped, None, stride, back, dilation, groups)
            else:  # the columns' gradient, summed back onto the pixels they came from
                if rows is None:
                    rows = grad.transpose(0, 1).reshape(groups, o // groups, n * blocks)
                w = weight.reshape(groups, o // groups, per_group)
                grad_cols = w.mT.matmul(rows).reshape(c * math.prod(kernel_size), n, blocks)
                grad_x = Fold.apply(grad_cols.transpose(0, 1), shape[2:], kernel_size, dilation,
                                    padding, stride)
        if ctx.needs_input_grad[1] and ctx.shifted and not grad_mode.state.enabled:
            # no graph to build here (create_graph=False): computed on the arrays, wrapped
            grad_w = function.Tensor._wrap(_shifted_weight_grad(
                ctx.xp, x._data, grad._data, weight.shape, padding, dilation, groups))
        elif ctx.needs_input_grad[1]:
            if grad_mode.state.enabled:  # create_graph: cols as a function of x
                cols = Unfold.apply(x, kernel_size, dilation, padding, stride)  # (N, C * K, L)
                cols = cols.transpose(0, 1).reshape(groups, per_group, n * blocks)
            elif cols is None:  # not kept (on the grid): copied again, as the forward did
                cols = function.Tensor._wrap(_columns(
                    ctx.xp, x._data, kernel_size, dilation, padding, stride
                ).reshape(groups, per_group, n * blocks))
            if rows is None:
                rows = grad.transpose(0, 1).reshape(groups, o // groups, n * blocks)
            if n * blocks <= per_group:  # few windows (small images): rows @ colsᵀ is faster
                grad_w = rows.matmul(cols.mT).reshape(weight.shape)
            else:
                # cols @ rowsᵀ, transposed back: the same product, 5-50% faster in BLAS for
                # many windows, even with the copy the transposed result costs (measured at two
                # threads: 9.6 vs 14.6 ms for (128, 576) weights and 9216 windows; with 576
                # windows and (512, 4608) weights, 27.4 vs 15.2 ms the other way)
                grad_w = cols.matmul(rows.mT).mT.reshape(weight.shape)
        if ctx.needs_input_grad[2]:
            grad_b = channel_sums(grad)
        return grad_x, grad_w, grad_b, None, None, None, None


def convolution(input, weight, bias, stride, padding, dilation, groups):
    """See Convolution; padding is a (before, after) pair per spatial dim, the arguments are
    checked by the caller (nn.functional)."""
    return Convolution.apply(input, weight, bias, stride, padding, dilation, groups)
