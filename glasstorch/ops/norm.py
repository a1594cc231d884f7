"""Normalisation: the fused BatchNorm and LayerNorm primitives; group normalisation.

BatchNorm is on the hot path of every modern CNN (LeNet-BN, ResNet, DenseNet). As a
composite it would record about ten nodes and keep as many full-size temporaries alive;
as one primitive its forward keeps two (the output and x_hat) and its backward is the
textbook closed form, written in Tensor ops so that double backward works.
"""

import math

from .. import threads
from ..autograd import function, grad_mode
from ..autograd.function import Function
from ..device import array_module
from .linalg import channel_sums, einsum


def _reduce_dims(ndim):
    """Every dim but the channel dim 1: (0,) for (N, C), (0, 2) for (N, C, L), ..."""
    return (0,) + tuple(range(2, ndim))


def _channel_shape(ndim, channels):
    """(1, C, 1, ...): a per-channel vector broadcast against an (N, C, ...) input."""
    return (1, channels) + (1,) * (ndim - 2)


class BatchNorm(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, statistics per channel (dim 1).

    The statistics are the batch's (biased variance). When running_mean / running_var are
    given, they are updated in place with the batch's mean and unbiased variance,
    running = (1 - momentum) * running + momentum * batch, as torch's kernel does.

    Forward and backward each make one pass per channel over the data, the channels split
    across the thread pool; the node keeps x and the per-channel mean and 1 / std, as torch's,
    and recomputes x_hat = (x - mean) / std in backward rather than keeping a second copy.

    backward: grad_x = weight / std * (grad - mean(grad) - x_hat * mean(grad * x_hat)),
        grad_weight = sum(grad * x_hat), grad_bias = sum(grad)
        (means and sums per channel, over the other dims; x_hat = (x - mean) / std)
    """

    _primitive = True

    def name(self):
        return "NativeBatchNormBackward0"  # torch's node name

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, momentum, eps):
        xp = ctx.xp
        n, channels = x.shape[0], x.shape[1]
        count = x.size // channels
        rows = x.reshape(n, channels, -1)  # (N, C, L)
        mean = xp.empty(channels, dtype=x.dtype)
        var = xp.empty(channels, dtype=x.dtype)
        inv_std = xp.empty(channels, dtype=x.dtype)
        y = xp.empty(x.shape, dtype=x.dtype)  # C order whatever the layout of x: y_rows a view
        y_rows = y.reshape(n, channels, -1)

        def normalize(start, stop):  # channels start..stop-1
            c = slice(start, stop)
            # per-channel sums as contractions over N and L: faster than .mean
            mean[c] = xp.einsum("ncl->c", rows[:, c]) / count
            centred = rows[:, c] - mean[c, None]
            var[c] = xp.einsum("ncl,ncl->c", centred, centred) / count
            # y = x * scale + (bias - mean * scale), scale = weight / std: torch's kernel
            inv_std[c] = 1 / xp.sqrt(var[c] + eps)
            scale = inv_std[c] if weight is None else inv_std[c] * weight[c]
            shift = -mean[c] * scale
            if bias is not None:
                shift += bias[c]
            xp.multiply(rows[:, c], scale[:, None], out=y_rows[:, c])
            y_rows[:, c] += shift[:, None]

        threads.parallel(channels, normalize, x.size, on=x)
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mean
        if running_var is not None:
            unbiased = var * (count / max(count - 1, 1))  # torch: n / (n - 1), n=1 left as is
            running_var *= 1 - momentum
            running_var += momentum * unbiased.astype(x.dtype, copy=False)
        ctx.eps = eps
        ctx.save_for_backward(x, weight, mean, inv_std)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, weight, mean, inv_std = ctx.saved_tensors
        if not grad_mode.is_grad_enabled():
            return _batch_norm_grads(grad, x, weight, mean, inv_std, ctx.needs_input_grad)
        # create_graph: the gradients as Tensor ops of x, for the second derivative
        dims = _reduce_dims(grad.ndim)
        shape = _channel_shape(grad.ndim, grad.shape[1])
        mean = x.mean(dims, keepdim=True)
        centred = x - mean
        inv_std = ((centred * centred).mean(dims, keepdim=True) + ctx.eps).rsqrt()
        x_hat = centred * inv_std
        inv_std = inv_std.reshape(-1)
        rows = (grad.shape[0], grad.shape[1], -1)
        grad_bias = channel_sums(grad)
        grad_weight = einsum("ncl,ncl->c", grad.reshape(rows), x_hat.reshape(rows))
        grad_x = None
        if ctx.needs_input_grad[0]:
            # dx = inv_std / N * (N g - sum(g) - x_hat sum(g x_hat)), with g = grad * weight,
            # arranged as grad * scale - (x_hat * a + b) to allocate few full-size arrays
            count = grad.numel() // grad.shape[1]
            scale = inv_std if weight is None else weight * inv_std
            a = (grad_weight / count * scale).reshape(shape)
            b = (grad_bias / count * scale).reshape(shape)
            grad_x = grad * scale.reshape(shape) - (x_hat * a + b)
        return (grad_x,
                grad_weight if ctx.needs_input_grad[1] else None,
                grad_bias if ctx.needs_input_grad[2] else None,
                None, None, None, None)


def _batch_norm_grads(grad, x, weight, mean, inv_std, needs_input_grad):
    """BatchNorm's backward when no graph is built (create_graph=False, the usual case).

    The formulas of the create_graph branch, computed on the arrays in one pass per channel
    across the thread pool: no graph is recorded here, so none of its nodes is needed, and
    the results are wrapped as Tensors.
    """
    g, x, mean, inv_std = grad._data, x._data, mean._data, inv_std._data
    weight = None if weight is None else weight._data
    xp = array_module(g)
    n, channels = g.shape[0], g.shape[1]
    count = g.size // channels
    g_rows, x_rows = g.reshape(n, channels, -1), x.reshape(n, channels, -1)
    grad_weight = xp.empty(channels, dtype=g.dtype)
    grad_bias = xp.empty(channels, dtype=g.dtype)
    grad_x = xp.empty(g.shape, dtype=g.dtype) if needs_input_grad[0] else None

    def channel_grads(start, stop):
        c = slice(start, stop)
        x_hat = (x_rows[:, c] - mean[c, None]) * inv_std[c, None]
        grad_bias[c] = xp.einsum("ncl->c", g_rows[:, c])
        grad_weight[c] = xp.einsum("ncl,ncl->c", g_rows[:, c], x_hat)
        if grad_x is None:
            return
        # dx = g * scale - (x_hat * a + b): see BatchNorm.backward
        scale = inv_std[c] if weight is None else weight[c] * inv_std[c]
        x_hat *= (grad_weight[c] / count * scale)[:, None]
        x_hat += (grad_bias[c] / count * scale)[:, None]
        out = grad_x.reshape(n, channels, -1)[:, c]
        xp.multiply(g_rows[:, c], scale[:, None], out=out)
        out -= x_hat

    threads.parallel(channels, channel_grads, g.size, on=g)
    wrap = function.Tensor._wrap
    return (None if grad_x is None else wrap(grad_x),
            wrap(grad_weight) if needs_input_grad[1] else None,
            wrap(grad_bias) if needs_input_grad[2] else None,
            None, None, None, None)


class ChannelAffine(Function):
    """y = x * scale + shift, one scale and shift per channel (dim 1): BatchNorm in eval mode.

    One pass, the channels split across the thread pool, instead of a product and a sum.

    backward: grad_x = grad * scale, grad_scale = sum(grad * x), grad_shift = sum(grad)
        (sums per channel, over the other dims)
    """

    _primitive = True

    def name(self):
        return "NativeBatchNormBackward0"  # torch's node name for batch_norm in eval mode too

    @staticmethod
    def forward(ctx, x, scale, shift):
        xp = ctx.xp
        n, channels = x.shape[0], x.shape[1]
        rows = x.reshape(n, channels, -1)
        y = xp.empty(x.shape, dtype=x.dtype)
        y_rows = y.reshape(n, channels, -1)

        def affine(start, stop):
            c = slice(start, stop)
            xp.multiply(rows[:, c], scale[c, None], out=y_rows[:, c])
            y_rows[:, c] += shift[c, None]

        threads.parallel(channels, affine, x.size, on=x)
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None,
                              scale if ctx.needs_input_grad[0] else None)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, scale = ctx.saved_tensors
        rows = (grad.shape[0], grad.shape[1], -1)
        return (grad * scale.reshape(_channel_shape(grad.ndim, grad.shape[1]))
                if ctx.needs_input_grad[0] else None,
                einsum("ncl,ncl->c", grad.reshape(rows), x.reshape(rows))
                if ctx.needs_input_grad[1] else None,
                channel_sums(grad) if ctx.needs_input_grad[2] else None)


def batch_norm_eval(x, running_mean, running_var, weight, bias, eps):
    """Normalise with fixed statistics: an affine map per channel."""
    scale = (running_var + eps).rsqrt()
    if weight is not None:
        scale = scale * weight
    shift = -running_mean * scale
    if bias is not None:
        shift = shift + bias
    if x.dtype == scale.dtype:
        return ChannelAffine.apply(x, scale, shift)
    shape = _channel_shape(x.ndim, x.shape[1])  # mixed dtypes: promoted by the Tensor ops
    return x * scale.reshape(shape) + shift.reshape(shape)


class LayerNorm(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, statistics per row: over the last
    `dims` dims of x (biased variance). weight and bias (or None) have those dims' shape.

    The Transformer's hot path (two per encoder layer): one node, as torch's, instead of the
    ten of a composite. Forward and backward each make one pass per row, the rows split across
    the thread pool; the node keeps x and each row's mean and 1 / std, and backward recomputes
    x_hat, as BatchNorm does.

    backward: grad_x = (g - mean(g) - x_hat * mean(g * x_hat)) / std with g = grad * weight,
        grad_weight = sum(grad * x_hat), grad_bias = sum(grad)
        (means per row, sums over the rows; x_hat = (x - mean) / std)
    """

    _primitive = True

    def name(self):
        return "NativeLayerNormBackward0"  # torch's node name

    @staticmethod
    def forward(ctx, x, weight, bias, dims, eps):
        xp = ctx.xp
        width = math.prod(x.shape[x.ndim - dims:])
        rows = x.reshape(-1, width)  # (R, D): one row per normalised slice
        mean = xp.empty((rows.shape[0], 1), dtype=x.dtype)
        inv_std = xp.empty((rows.shape[0], 1), dtype=x.dtype)
        y = xp.empty(rows.shape, dtype=x.dtype)
        w = None if weight is None else weight.reshape(-1)
        b = None if bias is None else bias.reshape(-1)

        def normalize(start, stop):  # rows start..stop-1
            r = slice(start, stop)
            mean[r] = rows[r].mean(axis=1, keepdims=True)
            centred = xp.subtract(rows[r], mean[r], out=y[r])
            var = xp.einsum("rd,rd->r", centred, centred)[:, None] / width
            inv_std[r] = 1 / xp.sqrt(var + eps)
            centred *= inv_std[r]
            if w is not None:
                centred *= w
            if b is not None:
                centred += b

        threads.parallel(rows.shape[0], normalize, x.size, on=x)
        ctx.dims, ctx.eps = dims, eps
        ctx.save_for_backward(x, weight, mean, inv_std)
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, grad):
        x, weight, mean, inv_std = ctx.saved_tensors
        if not grad_mode.is_grad_enabled():
            return _layer_norm_grads(grad, x, weight, mean, inv_std, ctx.dims,
                                     ctx.needs_input_grad)
        # create_graph: the gradients as Tensor ops of x, for the second derivative
        dims = tuple(range(-ctx.dims, 0))
        lead = tuple(range(x.ndim - ctx.dims))
        centred = x - x.mean(dims, keepdim=True)
        inv_std = ((centred * centred).mean(dims, keepdim=True) + ctx.eps).rsqrt()
        x_hat = centred * inv_std
        grad_x = None
        if ctx.needs_input_grad[0]:
            # dx = inv_std (g - mean(g) - x_hat mean(g x_hat)), means over the row
            g = grad if weight is None else grad * weight
            grad_x = inv_std * (g - g.mean(dims, keepdim=True)
                                - x_hat * (g * x_hat).mean(dims, keepdim=True))
        return (grad_x,
                (grad * x_hat).sum(lead) if ctx.needs_input_grad[1] else None,
                grad.sum(lead) if ctx.needs_input_grad[2] else None,
                None, None)


def _layer_norm_grads(grad, x, weight, mean, inv_std, dims, needs_input_grad):
    """LayerNorm's backward when no graph is built: the formulas of the create_graph branch
    on the arrays, one pass per row across the thread pool."""
    xp = array_module(grad._data)
    width = math.prod(grad.shape[grad.ndim - dims:])
    g, x = grad._data.reshape(-1, width), x._data.reshape(-1, width)
    mean, inv_std = mean._data, inv_std._data
    w = None if weight is None else weight._data.reshape(-1)
    need_x, need_weight, need_bias = needs_input_grad[:3]
    grad_x = xp.empty(g.shape, dtype=g.dtype) if need_x else None
    weight_sums, bias_sums = [], []  # each part's sums over its rows, added up after

    def row_grads(start, stop):
        r = slice(start, stop)
        x_hat = (x[r] - mean[r]) * inv_std[r]
        if need_weight:
            weight_sums.append(xp.einsum("rd,rd->d", g[r], x_hat))
        if need_bias:
            bias_sums.append(g[r].sum(axis=0))
        if grad_x is None:
            return
        gw = g[r] if w is None else g[r] * w
        # dx = inv_std (gw - mean(gw) - x_hat mean(gw x_hat))
        a = xp.einsum("rd,rd->r", gw, x_hat)[:, None] / width
        b = gw.mean(axis=1, keepdims=True)
        x_hat *= a
        x_hat += b
        out = xp.subtract(gw, x_hat, out=grad_x[r])
        out *= inv_std[r]

    threads.parallel(g.shape[0], row_grads, g.size, on=g)
    wrap = function.Tensor._wrap
    shape = grad.shape[grad.ndim - dims:]
    return (None if grad_x is None else wrap(grad_x.reshape(grad.shape)),
            wrap(sum(weight_sums).reshape(shape)) if need_weight else None,
            wrap(sum(bias_sums).reshape(shape)) if need_bias else None,
            None, None)


def normalize_last(x, dims, eps):
    """(x - mean) / sqrt(var + eps) over the given dims (biased variance).

    A composite, for group_norm (not on the hot path of the d2l CNNs) and for layer_norm with
    mixed dtypes; the autograd of mean/sub/mul/rsqrt gives higher derivatives for free.
    """
    mean = x.mean(dims, keepdim=True)
    centred = x - mean
    var = (centred * centred).mean(dims, keepdim=True)
    return centred * (var + eps).rsqrt()
