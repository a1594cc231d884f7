"""Primitives behind nn.functional: softmax, log_softmax, nll_loss and erf.

Each could be composed from other ops, but these are on the hot path of every
classifier (softmax regression, the MLP, LeNet, ...): one node each, with a
numerically stable forward (shift by the row maximum) and a short backward.
The compositions (cross_entropy, gelu, the other losses) are in nn/functional.py.
"""

import math

from ..autograd.function import Function
from .indexing import IndexPut
from .operands import normalize_dim


class Softmax(Function):
    """y = exp(x) / sum(exp(x)) along `dim`.

    backward: grad_x = y * (grad - sum(grad * y))  (the sum along dim)
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x, dim):
        xp = ctx.xp
        ctx.dim = dim
        if x.shape[dim] == 0:  # nothing to normalise (and max has no identity)
            ctx.save_for_backward(x)
            return x.copy()
        e = xp.exp(x - x.max(axis=dim, keepdims=True))  # shifted: exp never overflows
        y = e / e.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return y * (grad - (grad * y).sum(ctx.dim, keepdim=True)), None


class LogSoftmax(Function):
    """y = x - log(sum(exp(x))) along `dim`.

    backward: grad_x = grad - exp(y) * sum(grad)  (the sum along dim)
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x, dim):
        xp = ctx.xp
        ctx.dim = dim
        if x.shape[dim] == 0:
            ctx.save_for_backward(x)
            return x.copy()
        shifted = x - x.max(axis=dim, keepdims=True)  # log(sum(exp)) of numbers <= 0: finite
        y = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
        ctx.dim = dim
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad - y.exp() * grad.sum(ctx.dim, keepdim=True), None


class NllLoss(Function):
    """-weight[t] * x[i, t] for rows i of an (N, C) input, with classes t = target[i].

    Rows whose target is ignore_index count for nothing, also in the mean's denominator.

    backward: grad_x = -grad * w_i at (i, target_i), 0 elsewhere
        (w_i = weight[target_i], divided by sum(w) for the mean)
    """

    _primitive = True
    _torch_inputs = (0,)  # torch's node has x only: the target and weights are not inputs

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction):
        xp = ctx.xp
        rows = xp.arange(x.shape[0])
        valid = target != ignore_index
        target = xp.where(valid, target, 0)  # a safe column for ignored rows (weight 0)
        w = valid.astype(x.dtype) if weight is None else weight[target] * valid
        losses = -(x[rows, target] * w)
        ctx.key, ctx.shape = (rows, target), x.shape
        if reduction == "none":
            ctx.save_for_backward(w)
            return losses
        if reduction == "sum":
            ctx.save_for_backward(w)
            return losses.sum()
        total = w.sum()
        if not total:  # every row ignored: the mean is nan and the gradient zero, as in torch
            ctx.save_for_backward(w)
            return xp.asarray(xp.nan, dtype=x.dtype)
        ctx.save_for_backward(w / total)
        return losses.sum() / total

    @staticmethod
    def backward(ctx, grad):
        (w,) = ctx.saved_tensors
        # the gradient of a pick is a put: -w * grad at (i, t_i), zeros elsewhere
        zeros = grad.new_zeros(ctx.shape)
        grad_x = IndexPut.apply(zeros, -(w * grad), ctx.key, True, False)
        return grad_x, None, None, None, None


class BinaryCrossEntropy(Function):
    """-(t log x + (1 - t) log(1 - x)) elementwise, each log clamped at -100 like torch.

    A primitive so that its gradient stays finite where a sigmoid saturated to exactly 0 or 1.

    backward: grad_x = grad * (x - t) / max(x (1 - x), 1e-12),
        grad_t = grad * (log(1 - x) - log(x))  (logs clamped at -100)
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x, t):
        xp = ctx.xp
        if ((x < 0) | (x > 1)).any():
            raise RuntimeError("all elements of input should be between 0 and 1")
        ctx.save_for_backward(x, t)
        return -(t * _clamped_log(x, xp) + (1 - t) * _clamped_log(1 - x, xp))

    @staticmethod
    def backward(ctx, grad):
        x, t = ctx.saved_tensors
        grad_x = grad_t = None
        if ctx.needs_input_grad[0]:
            grad_x = grad * (x - t) / (x * (1 - x)).clamp(min=1e-12)  # torch's EPSILON
        if ctx.needs_input_grad[1]:
            grad_t = grad * ((1 - x).log().clamp(min=-100) - x.log().clamp(min=-100))
        return grad_x, grad_t


def _clamped_log(x, xp):
    positive = x > 0
    log = xp.log(xp.where(positive, x, 1))  # no log(0) warning; those places get -100 below
    return xp.where(positive, xp.maximum(log, -100), -100).astype(x.dtype, copy=False)


# erfc(z) for z >= 0 as a Chebyshev series in t = 2 / (2 + z) (Numerical Recipes, 3rd ed.,
# section 6.2.2): accurate to about 1e-16, using only exp and arithmetic (numpy has no erf)
_ERFC_COEFFICIENTS = (
    -1.3026537197817094, 6.4196979235649026e-1, 1.9476473204185836e-2, -9.561514786808631e-3,
    -9.46595344482036e-4, 3.66839497852761e-4, 4.2523324806907e-5, -2.0278578112534e-5,
    -1.624290004647e-6, 1.303655835580e-6, 1.5626441722e-8, -8.5238095915e-8, 6.529054439e-9,
    5.059343495e-9, -9.91364156e-10, -2.27365122e-10, 9.6467911e-11, 2.394038e-12,
    -6.886027e-12, 8.94487e-13, 3.13092e-13, -1.12708e-13, 3.81e-16, 7.106e-15, -1.523e-15,
    -9.4e-17, 1.21e-16, -2.8e-17,
)


def _erfc_nonnegative(z, xp):
    t = 2 / (2 + z)
    ty = 4 * t - 2
    d = dd = 0.0
    for c in _ERFC_COEFFICIENTS[:0:-1]:  # Clenshaw's recurrence
        d, dd = ty * d - dd + c, d
    return t * xp.exp(-z * z + 0.5 * (_ERFC_COEFFICIENTS[0] + ty * d) - dd)


class Erf(Function):
    """y = erf(x) = 2 / sqrt(pi) * (the integral of exp(-s²) from 0 to x), elementwise.

    backward: grad_x = grad * 2 / sqrt(pi) * exp(-x²)
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        z = xp.abs(x).astype("float64")
        y = xp.sign(x) * (1 - _erfc_nonnegative(z, xp))
        ctx.save_for_backward(x)
        return y.astype(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (2 / math.sqrt(math.pi)) * (-(x * x)).exp()


def _softmax(primitive, name, x, dim, dtype):
    if dtype is not None:
        x = x.to(dtype)
    if not x.is_floating_point():
        word = {"int64": "Long", "int32": "Int", "bool": "Bool"}.get(x._data.dtype.name, "Long")
        raise RuntimeError(f'"{name}_lastdim_kernel_impl" not implemented for \'{word}\'')
    dim = normalize_dim(dim, x.ndim)
    if x.ndim == 0:  # one element: work on it as a vector of one
        return primitive.apply(x.reshape(1), 0).reshape(())
    return primitive.apply(x, dim)


class NnMethods:
    """Tensor methods for the primitives above (mixed into Tensor)."""

    __slots__ = ()

    def softmax(self, dim, dtype=None): return _softmax(Softmax, "softmax", self, dim, dtype)
    def log_softmax(self, dim, dtype=None):
        return _softmax(LogSoftmax, "log_softmax", self, dim, dtype)
    def erf(self): return Erf.apply(self._as_float())
