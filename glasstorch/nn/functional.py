"""torch.nn.functional: activations, dropout, linear, convolution, pooling, normalisation,
one_hot; the losses (_losses.py), pad (_pad.py) and interpolate (_interpolate.py) live beside it.

Everything here is a composition of Tensor ops, except where a primitive of ops/ buys speed
and stability (softmax, log_softmax, convolution, pooling, batch_norm, erf). The modules in
nn/modules/ hold state and call these.
"""

import math
import warnings

from .. import creation, dtypes
from .._tensor import Tensor
from ..autograd.grad_mode import is_grad_enabled, no_grad
from ..ops import pool as _pool
from ..ops.conv import Fold, Unfold, convolution
from ..ops.conv import output_size as _conv_output_size
from ..ops.elementwise import where
from ..ops.embedding import check_indices as _check_embedding_indices
from ..ops.embedding import embedding as _embedding
from ..ops.linalg import _c_name as _c_type
from ..ops.linalg import addmm
from ..ops.norm import BatchNorm, LayerNorm, batch_norm_eval, normalize_last
from ._attention import (  # noqa: F401 (public; the masks' helpers for nn.modules)
    _canonical_mask,
    _none_or_dtype,
    multi_head_attention_forward,
    scaled_dot_product_attention,
)
from ._interpolate import interpolate  # noqa: F401 (public: F.interpolate)
from ._losses import (  # noqa: F401 (public)
    _legacy_reduction,  # noqa: F401 (nn.modules.loss uses it)
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from ._pad import pad  # noqa: F401 (public: F.pad)

# ---- activations ----


def relu(input, inplace=False):
    return input.relu_() if inplace else input.relu()


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    # where, not clamp: torch's gradient is zero at the bounds themselves
    x = input._original() if inplace else input  # backward must not see the overwritten value
    result = where(x <= min_val, min_val, where(x >= max_val, max_val, x))
    return input._inplace(result) if inplace else result


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    x = input._original() if inplace else input
    result = where(x > 0, x, x * negative_slope)
    return input._inplace(result) if inplace else result


def elu(input, alpha=1.0, inplace=False):
    # exp of min(x, 0): the branch where does not pick must not overflow (0 * inf = nan)
    x = input._original() if inplace else input
    result = where(x > 0, x, (x.clamp(max=0).exp() - 1) * alpha)
    return input._inplace(result) if inplace else result


def gelu(input, approximate="none"):
    if approximate == "tanh":
        inner = (input + 0.044715 * input * input * input) * math.sqrt(2 / math.pi)
        return 0.5 * input * (1 + inner.tanh())
    if approximate != "none":
        raise RuntimeError("approximate argument must be either none or tanh.")
    return 0.5 * input * (1 + (input * (1 / math.sqrt(2))).erf())


def silu(input, inplace=False):
    x = input._original() if inplace else input
    result = x * x.sigmoid()
    return input._inplace(result) if inplace else result


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def logsigmoid(input):
    # min(x, 0) - log(1 + exp(-|x|)): finite everywhere; minimum's tie rule gives 1/2 at 0
    return input.minimum(0) - (-input.abs()).exp().log1p()


def softplus(input, beta=1.0, threshold=20.0):
    scaled = input * beta
    # log(1 + exp(z)) = max(z, 0) + log(1 + exp(-|z|)), which never overflows
    smooth = (scaled.maximum(0) + (-scaled.abs()).exp().log1p()) / beta
    return where(scaled > threshold, input, smooth)


def _softmax_dim(name, ndim):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_apply(name, input, dim, dtype):
    if dim is None:
        dim = _softmax_dim(name, input.ndim)
    return getattr(input, name)(dim, dtype)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    return _softmax_apply("softmax", input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    return _softmax_apply("log_softmax", input, dim, dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    return softmax(-input, dim, dtype=dtype)


# ---- dropout and linear ----


def dropout(input, p=0.5, training=True, inplace=False):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        result = input * 0.0
    else:
        x = input._original() if inplace else input
        result = x * creation.dropout_mask(input.shape, p, input.dtype, input.device)
    return input._inplace(result) if inplace else result


def _channel_dropout(input, p, training, inplace, batched=True):
    """Zero whole channels: one Bernoulli draw per (sample, channel), broadcast over the rest."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    x = input._original() if inplace else input
    if p == 1.0:
        result = x * 0.0
    else:
        channel_dims = 2 if batched else 1
        shape = tuple(input.shape[:channel_dims]) + (1,) * (input.ndim - channel_dims)
        result = x * creation.dropout_mask(shape, p, input.dtype, input.device)
    return input._inplace(result) if inplace else result


def dropout1d(input, p=0.5, training=True, inplace=False):
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs).")
    return _channel_dropout(input, p, training, inplace, batched=input.ndim == 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2)
    return _channel_dropout(input, p, training, inplace)


def linear(input, weight, bias=None):
    """y = x Wᵀ + b. See torch.nn.functional.linear."""
    if bias is not None and weight.ndim == 2 and input.ndim >= 1:
        # one fused node on the rows, as torch records it (AddmmBackward0; ViewBackward0 if N-D)
        rows = input if input.ndim == 2 else input.reshape(-1, input.shape[-1])
        result = addmm(bias, rows, weight.t())
        return result if input.ndim == 2 else result.reshape(*input.shape[:-1], weight.shape[0])
    result = input.matmul(weight.t()) if weight.ndim == 2 else input.matmul(weight)
    return result if bias is None else result + bias


def bilinear(input1, input2, weight, bias=None):
    """y_k = x1ᵀ A_k x2 + b_k, with weight A of shape (out, in1, in2). See torch.nn.Bilinear."""
    batch = input1.shape[:-1]
    x1 = input1.reshape(-1, input1.shape[-1])
    x2 = input2.reshape(-1, input2.shape[-1])
    # (N, in1) @ (out, in1, in2) -> (out, N, in2); times x2 and summed over in2 -> (out, N)
    result = (x1.matmul(weight) * x2).sum(-1).t().reshape(*batch, weight.shape[0])
    return result if bias is None else result + bias


# ---- convolution and sliding windows ----


def _tuple(value, dims, name):
    """An int, or a tuple of one per spatial dim, as a tuple (torch's check and message)."""
    if isinstance(value, int):
        return (value,) * dims
    value = tuple(value)
    if len(value) == 1:
        return value * dims
    if len(value) != dims:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {dims} "
                           f"values to match the convolution dimensions, but got "
                           f"{name}={list(value)}")
    return value


def _conv(input, weight, bias, stride, padding, dilation, groups, dims):
    name = f"conv{dims}d"
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")
    if input.ndim == dims + 1:  # one unbatched sample
        return _conv(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups,
                     dims).squeeze(0)
    stride = _tuple(stride, dims, "stride")
    dilation = _tuple(dilation, dims, "dilation")
    kernel_size = weight.shape[2:]
    if isinstance(padding, str):
        if padding == "valid":
            padding = ((0, 0),) * dims
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            # total d(k-1) zeros per dim; an odd total puts the extra zero after, as torch does
            totals = [d * (k - 1) for d, k in zip(dilation, kernel_size)]
            padding = tuple((t // 2, t - t // 2) for t in totals)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        padding = tuple((p, p) for p in _tuple(padding, dims, "padding"))
    _check_conv(input, weight, bias, stride, padding, dilation, groups)
    return convolution(input, weight, bias, stride, padding, dilation, groups)


def _check_conv(input, weight, bias, stride, padding, dilation, groups):
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    if any(p < 0 for pair in padding for p in pair):
        raise RuntimeError("negative padding is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if weight.ndim != input.ndim:
        raise RuntimeError(f"Expected {input.ndim}-dimensional input for {input.ndim}-dimensional "
                           f"weight {list(weight.shape)}, but got {weight.ndim}-dimensional input "
                           f"of size {list(input.shape)} instead")
    if weight.shape[0] == 0 or weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at "
                           f"dimension 0, but got weight of size {list(weight.shape)} instead")
    if input.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
                           f"input{list(input.shape)} to have {weight.shape[1] * groups} channels, "
                           f"but got {input.shape[1]} channels instead")
    if bias is not None and bias.shape != weight.shape[:1]:
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {weight.shape[0]} elements, but got bias of size "
                           f"{list(bias.shape)} instead")
    padded = [n + lo + hi for n, (lo, hi) in zip(input.shape[2:], padding)]
    spans = [d * (k - 1) + 1 for d, k in zip(dilation, weight.shape[2:])]
    if any(s > n for s, n in zip(spans, padded)):
        raise RuntimeError(f"Calculated padded input size per channel: "
                           f"({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, spans))}). Kernel size can't be greater than "
                           "actual input size")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"expected scalar type {dtypes.scalar_type_name(input.dtype)} but found "
                           f"{dtypes.scalar_type_name(weight.dtype)}")
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(f"Input type ({_c_type(input)}) and bias type ({_c_type(bias)}) "
                           "should be the same")


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d cross-correlation over (N, C, L). See torch.nn.functional.conv1d."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d cross-correlation over (N, C, H, W). See torch.nn.functional.conv2d."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2)


def _fold_arguments(kernel_size, dilation, padding, stride):
    kernel_size, dilation, padding, stride = (
        _tuple(v, 2, n) for v, n in ((kernel_size, "kernel_size"), (dilation, "dilation"),
                                     (padding, "padding"), (stride, "stride")))
    for value, what in ((kernel_size, "kernel size"), (dilation, "dilation"), (stride, "stride")):
        if any(v <= 0 for v in value):
            raise RuntimeError(f"{what} should be greater than zero, but got {what.split()[0]}"
                               f"_height: {value[0]} {what.split()[0]}_width: {value[1]}")
    if any(p < 0 for p in padding):
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {padding[0]} "
                           f"pad_width: {padding[1]}")
    return kernel_size, dilation, tuple((p, p) for p in padding), stride


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Each kernel_size window of (N, C, H, W) as a column: (N, C * kh * kw, L).
    See torch.nn.functional.unfold."""
    if input.ndim not in (3, 4) or 0 in input.shape[1:]:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and "
                           f"other non-zero dimensions for input, but got: {list(input.shape)}")
    if input.ndim == 3:
        return unfold(input.unsqueeze(0), kernel_size, dilation, padding, stride).squeeze(0)
    kernel_size, dilation, pairs, stride = _fold_arguments(kernel_size, dilation, padding,
                                                           stride)
    blocks = _conv_output_size(input.shape[2:], kernel_size, dilation, pairs, stride)
    if min(blocks) < 1:
        raise RuntimeError(
            f"Given input with spatial size {tuple(input.shape[2:])}, kernel_size={kernel_size}, "
            f"dilation={dilation}, padding={tuple(p for p, _ in pairs)}, calculated shape of the "
            f"array of sliding blocks as {blocks}, but its components must be at least one.")
    return Unfold.apply(input, kernel_size, dilation, pairs, stride)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum columns (N, C * kh * kw, L) back into (N, C, *output_size), the inverse layout of
    unfold (overlaps add up). See torch.nn.functional.fold."""
    if input.ndim not in (2, 3) or 0 in input.shape[-2:]:
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch "
                           "size and non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    if input.ndim == 2:
        return fold(input.unsqueeze(0), output_size, kernel_size, dilation, padding,
                    stride).squeeze(0)
    size = _tuple(output_size, 2, "output_size")
    kernel_size, dilation, pairs, stride = _fold_arguments(kernel_size, dilation, padding,
                                                           stride)
    if input.shape[1] % math.prod(kernel_size):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={input.shape[1]} and "
                           f"kernel_size={kernel_size}.")
    blocks = _conv_output_size(size, kernel_size, dilation, pairs, stride)
    if input.shape[2] != math.prod(blocks):
        raise RuntimeError(
            f"Given output_size={size}, kernel_size={kernel_size}, dilation={dilation}, "
            f"padding={tuple(p for p, _ in pairs)}, stride={stride}, expected size of input's "
            f"dimension 2 to match the calculated number of sliding blocks "
            f"{' * '.join(map(str, blocks))} = {math.prod(blocks)}, but got "
            f"input.size(2)={input.shape[2]}.")
    return Fold.apply(input, size, kernel_size, dilation, pairs, stride)


# ---- pooling ----


def _pool_pair(value, name):
    """An int or a tuple of one or two ints as (height, width), as torch's pool2d reads it."""
    if isinstance(value, int):
        return (value, value)
    value = tuple(value)
    if len(value) not in (1, 2):
        raise RuntimeError(f"max_pool2d: {name} must either be a single int, or a tuple of "
                           "two ints")
    return value * 2 if len(value) == 1 else value


def _pool_window(input, kernel_size, stride, padding, dilation, ceil_mode):
    """The Window of a 2-d pooling of (N, C, H, W) planes, with torch's checks and messages."""
    kh, kw = _pool_pair(kernel_size, "kernel_size")
    sh, sw = (kh, kw) if stride is None or stride == [] or stride == () else _pool_pair(
        stride, "stride")
    ph, pw = _pool_pair(padding, "padding")
    dh, dw = _pool_pair(dilation, "dilation")
    if sh == 0 or sw == 0:
        raise RuntimeError("stride should not be zero")
    if kh <= 0 or kw <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kh} kW: {kw}")
    if sh < 0 or sw < 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {sh} dW: {sw}")
    if dh <= 0 or dw <= 0:
        raise RuntimeError("dilation should be greater than zero, but got dilationH: "
                           f"{dh} dilationW: {dw}")
    for p, k, d in ((ph, kh, dh), (pw, kw, dw)):
        if p < 0 or p > (d * (k - 1) + 1) // 2:
            raise RuntimeError("pad should be at most half of effective kernel size, but got "
                               f"pad={p}, kernel_size={k} and dilation={d}")
    if ph > kh // 2 or pw > kw // 2:  # torch's max_pool2d checks both: dilation or not
        raise RuntimeError("pad should be smaller than or equal to half of kernel size, but got "
                           f"padW = {pw}, padH = {ph}, kW = {kw}, kH = {kh}")
    channels, height, width = input.shape[-3:]
    out_h = _pool.output_size(height, kh, sh, ph, dh, ceil_mode)
    out_w = _pool.output_size(width, kw, sw, pw, dw, ceil_mode)
    if out_h < 1 or out_w < 1:
        raise RuntimeError(f"Given input size: ({channels}x{height}x{width}). Calculated output "
                           f"size: ({channels}x{out_h}x{out_w}). Output size is too small")
    return _pool.Window(height, width, kh, kw, sh, sw, ph, pw, dh, dw, out_h, out_w)


def _batched(input):
    """A 3-d (C, H, W) input as a batch of one, and whether to drop that dim again."""
    if input.ndim not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    if 0 in input.shape[-3:]:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch "
                           f"size for input, but got:{list(input.shape)}")
    return (input.unsqueeze(0), True) if input.ndim == 3 else (input, False)


def _adaptive_batched(input, name, first_checked_dim):
    """_batched for the adaptive pools, with their checks: torch's max pool wants channels."""
    if input.ndim not in (3, 4):
        raise RuntimeError(f"{name}(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    for dim in range(first_checked_dim % input.ndim, input.ndim):
        if input.shape[dim] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {dim} being empty")
    return (input.unsqueeze(0), True) if input.ndim == 3 else (input, False)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    x, unbatched = _batched(input)
    window = _pool_window(x, kernel_size, stride, padding, dilation, ceil_mode)
    if not return_indices and not (x.requires_grad and is_grad_enabled()):
        values = _pool.max_pool2d_values(x, window)  # inference: no indices to find
        return values.squeeze(0) if unbatched else values
    values, indices = _pool.max_pool2d_with_indices(x, window)
    if unbatched:
        values, indices = values.squeeze(0), indices.squeeze(0)
    return (values, indices) if return_indices else values


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    x, unbatched = _batched(input)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    window = _pool_window(x, kernel_size, stride, padding, 1, ceil_mode)
    divisor = _pool.window_divisor(window, count_include_pad, divisor_override, x._data.dtype,
                                   x._xp)
    result = _pool.AvgPool2D.apply(x, window, divisor)
    return result.squeeze(0) if unbatched else result


def _adaptive_size(input, output_size, name):
    size = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
    if len(size) != 2:
        raise RuntimeError(f"{name}: output_size must be 2")
    return tuple(input.shape[-2 + i] if s is None else s for i, s in enumerate(size))


def adaptive_avg_pool2d(input, output_size):
    x, unbatched = _adaptive_batched(input, "adaptive_avg_pool2d", -2)
    out_h, out_w = _adaptive_size(x, output_size, "adaptive_avg_pool2d")
    if (out_h, out_w) == (1, 1):  # global average pooling: a mean, as torch does it
        result = x.mean((-2, -1), keepdim=True)
    else:
        # each output is a weighted average of its window: rows, then columns, by matmul
        rows = _pool.adaptive_average_matrix(x.shape[-2], out_h, x)
        cols = _pool.adaptive_average_matrix(x.shape[-1], out_w, x)
        result = rows.matmul(x).matmul(cols.t())
    return result.squeeze(0) if unbatched else result


def adaptive_max_pool2d(input, output_size, return_indices=False):
    x, unbatched = _adaptive_batched(input, "adaptive_max_pool2d", 1)
    out_h, out_w = _adaptive_size(x, output_size, "adaptive_max_pool2d")
    values, indices = _pool.adaptive_max_pool2d_with_indices(x, out_h, out_w)
    if unbatched:
        values, indices = values.squeeze(0), indices.squeeze(0)
    return (values, indices) if return_indices else values


def _as_2d(input, name):
    """A (N, C, L) or (C, L) input as planes of height 1, for the 1-d pools."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"{name}: Expected 2D or 3D (batch mode) tensor, but got "
                           f"{list(input.shape)}")
    return input.unsqueeze(-2)


def _single(value):
    return value if isinstance(value, int) else value[0]


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    stride = None if stride is None or stride == [] or stride == () else (1, _single(stride))
    result = max_pool2d(_as_2d(input, "max_pool1d()"), (1, _single(kernel_size)), stride,
                        (0, _single(padding)), (1, _single(dilation)), ceil_mode, True)
    values, indices = result[0].squeeze(-2), result[1].squeeze(-2)
    return (values, indices) if return_indices else values


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    stride = None if stride is None or stride == [] or stride == () else (1, _single(stride))
    result = avg_pool2d(_as_2d(input, "avg_pool1d()"), (1, _single(kernel_size)), stride,
                        (0, _single(padding)), ceil_mode, count_include_pad)
    return result.squeeze(-2)


def adaptive_avg_pool1d(input, output_size):
    x = _as_2d(input, "adaptive_avg_pool1d()")
    return adaptive_avg_pool2d(x, (1, _single(output_size))).squeeze(-2)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    x = _as_2d(input, "adaptive_max_pool1d()")
    values, indices = adaptive_max_pool2d(x, (1, _single(output_size)), True)
    values, indices = values.squeeze(-2), indices.squeeze(-2)
    return (values, indices) if return_indices else values


# ---- normalization ----


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-05):
    """Normalise each channel (dim 1). See torch.nn.functional.batch_norm.

    Training uses the batch's statistics and, if given, updates running_mean / running_var
    in place (momentum, unbiased variance); otherwise the running statistics are used.
    """
    if momentum is None:  # the modules turn momentum=None into a cumulative-average factor
        raise TypeError("batch_norm(): argument 'momentum' (position 7) must be float, not "
                        "NoneType")
    channels = input.shape[1] if input.ndim > 1 else 0
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {t.numel()}")
    if not training:
        return batch_norm_eval(input, running_mean, running_var, weight, bias, eps)
    if input.numel() // max(channels, 1) <= 1:
        raise ValueError("Expected more than 1 value per channel when training, got input "
                         f"size {input.shape!r}")
    # the primitive updates the running statistics in its forward, as torch's kernel does
    # (and, like it, without counting a new version of them)
    return BatchNorm.apply(input, weight, bias, running_mean, running_var, momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) \
        else tuple(normalized_shape)
    n = len(normalized_shape)
    if tuple(input.shape[input.ndim - n:]) != normalized_shape or input.ndim < n:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input "
                           f"with shape [*, {', '.join(map(str, normalized_shape))}], but got "
                           f"input of size{list(input.shape)}")
    affine = [t for t in (weight, bias) if t is not None]
    if input.is_floating_point() and all(
            t.dtype == input.dtype and t.shape == normalized_shape for t in affine):
        return LayerNorm.apply(input, weight, bias, n, eps)  # one fused node, as torch's
    result = normalize_last(input, tuple(range(-n, 0)), eps)  # mixed dtypes or shapes
    if weight is not None:
        result = result * weight
    return result if bias is None else result + bias


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    if input.ndim < 2:
        raise RuntimeError("Expected at least 2 dimensions for input tensor but received "
                           f"{input.ndim}")
    channels = input.shape[1]
    # torch's check: more than one value in each group of each sample
    size = [input.shape[0] * channels // num_groups, num_groups, *input.shape[2:]]
    if math.prod(size) // num_groups == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                         f"{size}")
    if channels % num_groups:
        raise RuntimeError("Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    # each group is the channels of one sample: normalise it as one row, then restore the shape
    grouped = input.reshape(input.shape[0], num_groups, -1)
    result = normalize_last(grouped, (-1,), eps).reshape(input.shape)
    shape = (1, channels) + (1,) * (input.ndim - 2)
    if weight is not None:
        result = result * weight.reshape(shape)
    return result if bias is None else result + bias.reshape(shape)


def one_hot(tensor, num_classes=-1):
    if tensor.dtype != dtypes.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if tensor.numel() == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = tensor.max().item() + 1
    if tensor.numel() and tensor.min().item() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if tensor.numel() and tensor.max().item() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    classes = creation.arange(num_classes, device=tensor.device)
    return (tensor.unsqueeze(-1) == classes).long()


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """weight[input]. See torch.nn.functional.embedding. sparse=True is accepted, but the
    weight's gradient stays a dense tensor (glasstorch has no sparse tensors)."""
    if not isinstance(input, Tensor):
        raise TypeError("embedding(): argument 'indices' (position 2) must be Tensor, not "
                        f"{type(input).__name__}")
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= weight.size(0):
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -weight.size(0):
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = weight.size(0) + padding_idx
    else:
        padding_idx = -1
    if max_norm is not None:
        _embedding_renorm_(weight, input, max_norm, norm_type)
    return _embedding(weight, input, padding_idx, scale_grad_by_freq)


def _embedding_renorm_(weight, input, max_norm, norm_type):
    """Scale each row of weight that input looks up down to norm max_norm where its norm is
    larger, in place and outside autograd, as torch.embedding_renorm_."""
    if weight.ndim != 2:
        raise RuntimeError(f"Expected 2-dimensional tensor, but got {weight.ndim}-dimensional "
                           "tensor for argument #1 'self' (while checking arguments for "
                           "embedding_renorm_)")
    indices = _check_embedding_indices(input, weight, 2, "embedding_renorm_")
    with no_grad():
        rows = weight._xp.unique(indices)
        norms = weight[rows].norm(p=norm_type, dim=1, keepdim=True)
        scale = where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight[rows] = weight[rows] * scale  # an in-place change, as torch's: a new version
