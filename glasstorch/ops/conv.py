"""Sliding windows: Unfold (im2col), its dual Fold (col2im), and Convolution built on them.

Unfold turns every window the kernel visits into a column, so that a convolution
becomes one matrix product (Convolution, behind nn.functional.conv1d/conv2d). Fold
does the reverse: it adds each column back onto the place its window came from,
summing where windows overlap. Each is the other's gradient, so second derivatives
come for free. All work over any number of spatial dims.

Both use torch's layout: columns of shape (N, C * prod(kernel_size), L), where L
counts the windows. Padding is given per spatial dim as a (before, after) pair, so
that padding='same' with an even kernel (one more zero after) needs no extra node.
"""

import itertools
import math

from ..autograd import grad_mode
from ..autograd.function import Function


def output_size(size, kernel_size, dilation, padding, stride):
    """How many windows fit along each spatial dim (torch's formula)."""
    return tuple((n + lo + hi - d * (k - 1) - 1) // s + 1
                 for n, k, d, (lo, hi), s in zip(size, kernel_size, dilation, padding, stride))


def _unfold(xp, x, kernel_size, dilation, padding, stride):
    """Unfold's forward on arrays (Convolution's forward uses it too)."""
    if any(lo or hi for lo, hi in padding):
        x = xp.pad(x, ((0, 0), (0, 0)) + tuple(padding))
    n, c, *size = x.shape
    blocks = output_size(size, kernel_size, dilation, ((0, 0),) * len(size), stride)
    # a strided view of shape (N, C, *kernel, *blocks): stepping along a kernel dim moves
    # `dilation` elements, stepping along a block dim moves `stride` elements; no copy yet
    spatial = x.strides[2:]
    windows = xp.lib.stride_tricks.as_strided(
        x, (n, c, *kernel_size, *blocks),
        x.strides[:2] + tuple(s * d for s, d in zip(spatial, dilation))
        + tuple(s * st for s, st in zip(spatial, stride)))
    return windows.reshape(n, c * math.prod(kernel_size), math.prod(blocks))  # the one copy


class Unfold(Function):
    """(N, C, *size) -> (N, C * prod(kernel_size), L): each window as a column."""

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
        return Fold.apply(grad, size, kernel_size, dilation, padding, stride), None, None, None, None


class Fold(Function):
    """(N, C * prod(kernel_size), L) -> (N, C, *size): columns summed back into place."""

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
        cols = cols.reshape(n, c, *kernel_size, *blocks)
        y = xp.zeros((n, c, *padded), dtype=cols.dtype)
        # one vectorised add per kernel offset: offset i lands on i*dilation, i*dilation + stride,
        # ... (a loop over the few kernel positions, never over pixels or batch items)
        for offset in itertools.product(*(range(k) for k in kernel_size)):
            target = tuple(slice(i * d, i * d + s * (b - 1) + 1, s)
                           for i, d, s, b in zip(offset, dilation, stride, blocks))
            y[(slice(None), slice(None)) + target] += cols[(slice(None), slice(None)) + offset]
        if any(lo or hi for lo, hi in padding):
            inside = tuple(slice(lo, lo + m) for m, (lo, _) in zip(size, padding))
            y = xp.ascontiguousarray(y[(slice(None), slice(None)) + inside])
        return y

    @staticmethod
    def backward(ctx, grad):
        kernel_size, dilation, padding, stride = ctx.args
        return Unfold.apply(grad, kernel_size, dilation, padding, stride), *(None,) * 5


class Convolution(Function):
    """Cross-correlation of (N, C, *size) with (O, C / groups, *kernel): unfold, then one matmul.

    One node, as torch's ConvolutionBackward0, because its input gradient has a cheaper form
    than fold(Wᵀ @ grad): for stride 1 it is itself a convolution, of grad with the flipped,
    transposed weight.
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups):
        xp = ctx.xp
        n, out_channels = x.shape[0], weight.shape[0]
        kernel_size = weight.shape[2:]
        cols = _unfold(xp, x, kernel_size, dilation, padding, stride)  # (N, C * K, L)
        ctx.args = (x.shape, stride, padding, dilation, groups)
        # each group's channels are a contiguous run of rows of cols: split them off as a batch
        # dim and multiply (groups, O / groups, C / groups * K) @ (N, groups, C / groups * K, L)
        per_group = cols.shape[1] // groups  # C / groups * K (spelled out: N may be 0)
        cols = cols.reshape(n, groups, per_group, cols.shape[2])
        w = weight.reshape(groups, out_channels // groups, per_group)
        y = xp.matmul(w, cols).reshape(n, out_channels, *output_size(
            x.shape[2:], kernel_size, dilation, padding, stride))
        if bias is not None:
            y += bias.reshape(out_channels, *(1,) * (y.ndim - 2))
        ctx.save_for_backward(x, weight, cols if ctx.needs_input_grad[1] else None)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, weight, cols = ctx.saved_tensors
        shape, stride, padding, dilation, groups = ctx.args
        n, c, o = shape[0], shape[1], weight.shape[0]
        kernel_size = weight.shape[2:]
        spans = [d * (k - 1) for d, k in zip(dilation, kernel_size)]
        blocks = math.prod(grad.shape[2:])
        rows = grad.reshape(n, groups, o // groups, blocks)  # (N, groups, O / groups, L)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            if all(s == 1 for s in stride) and all(max(p) <= t for p, t in zip(padding, spans)):
                # each input pixel gets, from every output it fed, the weight that joined them:
                # a convolution of grad (padded by the rest of the span) with the weight flipped
                # in space and with in/out channels swapped within each group
                dims = tuple(range(2, weight.ndim))
                swapped = weight.flip(dims).reshape(groups, o // groups, c // groups, *kernel_size)
                swapped = swapped.transpose(1, 2).reshape(c, o // groups, *kernel_size)
                back = tuple((t - lo, t - hi) for t, (lo, hi) in zip(spans, padding))
                grad_x = Convolution.apply(grad, swapped, None, stride, back, dilation, groups)
            else:  # the columns' gradient, summed back onto the pixels they came from
                w = weight.reshape(groups, o // groups, c // groups * math.prod(kernel_size))
                grad_cols = w.mT.matmul(rows).reshape(n, c * math.prod(kernel_size), blocks)
                grad_x = Fold.apply(grad_cols, shape[2:], kernel_size, dilation, padding, stride)
        if ctx.needs_input_grad[1]:
            if grad_mode.state.enabled:  # building a graph (create_graph): cols as a function of x
                cols = Unfold.apply(x, kernel_size, dilation, padding, stride)
                cols = cols.reshape(n, groups, c // groups * math.prod(kernel_size), blocks)
            grad_w = rows.matmul(cols.mT).sum(0).reshape(weight.shape)
        if ctx.needs_input_grad[2]:
            grad_b = grad.sum((0, *range(2, grad.ndim)))
        return grad_x, grad_w, grad_b, None, None, None, None


def convolution(input, weight, bias, stride, padding, dilation, groups):
    """See Convolution; padding is a (before, after) pair per spatial dim, the arguments are
    checked by the caller (nn.functional)."""
    return Convolution.apply(input, weight, bias, stride, padding, dilation, groups)
