"""Normalisation: the fused BatchNorm primitive; layer and group normalisation.

BatchNorm is on the hot path of every modern CNN (LeNet-BN, ResNet, DenseNet). As a
composite it would record about ten nodes and keep as many full-size temporaries alive;
as one primitive its forward keeps two (the output and x_hat) and its backward is the
textbook closed form, written in Tensor ops so that double backward works.
"""

from ..autograd import grad_mode
from ..autograd.function import Function
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
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, momentum, eps):
        xp = ctx.xp
        count = x.size // x.shape[1]
        shape = _channel_shape(x.ndim, x.shape[1])
        # per-channel sums as contractions over N and L: no temporaries, faster than .mean
        mean = xp.einsum("ncl->c", x.reshape(x.shape[0], x.shape[1], -1)) / count
        x_hat = x - mean.reshape(shape)
        centred = x_hat.reshape(x.shape[0], x.shape[1], -1)
        var = xp.einsum("ncl,ncl->c", centred, centred) / count
        inv_std = (1 / xp.sqrt(var + eps)).astype(x.dtype, copy=False)
        x_hat *= inv_std.reshape(shape)
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mean
        if running_var is not None:
            unbiased = var * (count / max(count - 1, 1))  # torch: n / (n - 1), n=1 left as is
            running_var *= 1 - momentum
            running_var += momentum * unbiased.astype(x.dtype, copy=False)
        y = x_hat.copy() if weight is None else x_hat * weight.reshape(shape)
        if bias is not None:
            y += bias.reshape(shape)
        ctx.eps = eps
        ctx.save_for_backward(x, weight, x_hat, inv_std)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, weight, x_hat, inv_std = ctx.saved_tensors
        dims = _reduce_dims(grad.ndim)
        shape = _channel_shape(grad.ndim, grad.shape[1])
        if grad_mode.is_grad_enabled():
            # create_graph: x_hat and inv_std must depend on x for the second derivative
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


def batch_norm_eval(x, running_mean, running_var, weight, bias, eps):
    """Normalise with fixed statistics: an affine map per channel (a composite)."""
    shape = _channel_shape(x.ndim, x.shape[1])
    scale = (running_var + eps).rsqrt()
    if weight is not None:
        scale = scale * weight
    shift = -running_mean * scale
    if bias is not None:
        shift = shift + bias
    return x * scale.reshape(shape) + shift.reshape(shape)


def normalize_last(x, dims, eps):
    """(x - mean) / sqrt(var + eps) over the given dims (biased variance).

    A composite, for layer_norm and group_norm: neither is on the hot path of the d2l
    CNNs, and the autograd of mean/sub/mul/rsqrt gives correct higher derivatives for free.
    """
    mean = x.mean(dims, keepdim=True)
    centred = x - mean
    var = (centred * centred).mean(dims, keepdim=True)
    return centred * (var + eps).rsqrt()
