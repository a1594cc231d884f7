"""Sliding windows: Unfold (im2col) and its dual Fold (col2im), over any number of spatial dims.

Unfold turns every window the kernel visits into a column, so that a convolution
becomes one matrix product (see nn.functional.conv2d). Fold does the reverse: it
adds each column back onto the place its window came from, summing where windows
overlap. Each is the other's gradient, so second derivatives come for free.

Both use torch's layout: columns of shape (N, C * prod(kernel_size), L), where L
counts the windows. Padding is given per spatial dim as a (before, after) pair, so
that padding='same' with an even kernel (one more zero after) needs no extra node.
"""

import itertools
import math

from ..autograd.function import Function


def output_size(size, kernel_size, dilation, padding, stride):
    """How many windows fit along each spatial dim (torch's formula)."""
    return tuple((n + lo + hi - d * (k - 1) - 1) // s + 1
                 for n, k, d, (lo, hi), s in zip(size, kernel_size, dilation, padding, stride))


class Unfold(Function):
    """(N, C, *size) -> (N, C * prod(kernel_size), L): each window as a column."""

    _primitive = True

    def name(self):
        return "Im2ColBackward0"  # torch's node name

    @staticmethod
    def forward(ctx, x, kernel_size, dilation, padding, stride):
        xp = ctx.xp
        ctx.args = (x.shape[2:], kernel_size, dilation, padding, stride)
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


def convolution(input, weight, bias, stride, padding, dilation, groups):
    """Cross-correlation of (N, C, *size) with (O, C / groups, *kernel): unfold, then one matmul.

    padding is a (before, after) pair per spatial dim; the arguments are checked by the caller.
    """
    n, out_channels = input.shape[0], weight.shape[0]
    kernel_size = weight.shape[2:]
    blocks = output_size(input.shape[2:], kernel_size, dilation, padding, stride)
    cols = Unfold.apply(input, kernel_size, dilation, padding, stride)  # (N, C * K, L)
    # each group's channels are a contiguous run of rows of cols: split them off as a batch dim,
    # and multiply (groups, O / groups, C / groups * K) @ (N, groups, C / groups * K, L)
    per_group = cols.shape[1] // groups  # C / groups * K (spelled out: N may be 0)
    cols = cols.reshape(n, groups, per_group, math.prod(blocks))
    w = weight.reshape(groups, out_channels // groups, per_group)
    y = w.matmul(cols).reshape(n, out_channels, *blocks)
    if bias is not None:
        y = y + bias.reshape(out_channels, *(1,) * len(blocks))
    return y
