"""torch.nn.functional's attention: scaled_dot_product_attention and
multi_head_attention_forward (the body of nn.MultiheadAttention), with the mask helpers they
share. Re-exported by nn.functional, where users find them.

Both are compositions of Tensor ops (matmul, softmax, masked_fill, dropout), so autograd and
double backward come for free. All heads run as one batched matmul: (N * heads, L, E / heads).
"""

import math
import warnings

from .. import creation, dtypes
from .._tensor import Tensor
from ..ops.linalg import _c_name
from ..ops.movement import cat
from ..ops.operands import broadcast_shapes
from . import functional as F  # linear, dropout, pad (looked up at call time)

_NEG_INF = float("-inf")


# ---- scaled dot-product attention ----


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(Q Kᵀ · scale + mask) V over the last two dims, batch dims broadcast.

    A bool attn_mask says which keys take part (True); a float one is added to the scores.
    A query row that can attend to no key gives zeros (torch's safe softmax), not NaN.
    See torch.nn.functional.scaled_dot_product_attention.
    """
    _check_sdpa(query, key, value, attn_mask, is_causal)
    if enable_gqa:  # grouped-query attention: each key/value head serves a group of query heads
        key = _repeat_heads(key, query.shape[-3])
        value = _repeat_heads(value, query.shape[-3])
    if scale is None:
        scale = 1 / math.sqrt(query.shape[-1])
    scores = query.matmul(key.transpose(-2, -1)) * scale
    target, source = scores.shape[-2:]
    dead = None  # query rows whose keys are all masked out
    if is_causal:  # query i sees keys 0..i (top-left aligned): every row keeps key 0
        later = creation.arange(target, device=query.device).unsqueeze(-1) < creation.arange(
            source, device=query.device)
        scores = scores.masked_fill(later, _NEG_INF)
    elif attn_mask is not None:
        shape = broadcast_shapes(scores.shape, attn_mask.shape)
        if shape != scores.shape:  # torch adds the mask to the scores in place
            raise RuntimeError(f"output with shape {list(scores.shape)} doesn't match the "
                               f"broadcast shape {list(shape)}")
        if attn_mask.dtype == dtypes.bool:
            scores = scores.masked_fill(attn_mask.logical_not(), _NEG_INF)
            dead = attn_mask.logical_not().all(-1, keepdim=True)
        else:
            scores = scores + attn_mask
            dead = (attn_mask == _NEG_INF).all(-1, keepdim=True)
        if dead.any():
            # a softmax of -inf only would be NaN, and NaN in the backward too: softmax a zero row
            # there, then give those rows weight 0
            scores = scores.masked_fill(dead, 0.0)
        else:
            dead = None
    weights = scores.softmax(-1)
    if dead is not None:
        weights = weights.masked_fill(dead, 0.0)
    if dropout_p > 0.0:  # as torch: dropout whenever asked, training or not
        if dropout_p > 1.0:  # torch's dropout message, as the RuntimeError of its kernel
            raise RuntimeError(f"dropout probability has to be between 0 and 1, but got "
                               f"{dropout_p}")
        weights = F.dropout(weights, dropout_p)
    return weights.matmul(value)


def _check_sdpa(query, key, value, attn_mask, is_causal):
    """torch's checks of the inputs, with its messages."""
    if not query.dtype == key.dtype == value.dtype:
        raise RuntimeError(
            f"Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{_c_name(query)} key.dtype: {_c_name(key)} and value.dtype: {_c_name(value)} "
            "instead.")
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise RuntimeError(
            f"Expected query, key, and value to all be  at least 2 dimensional, but got "
            f"query.dim: {query.ndim} key.dim: {key.ndim} and value.dim: {value.ndim} instead.")
    if attn_mask is not None and attn_mask.dtype not in (dtypes.bool, dtypes.float32,
                                                         query.dtype):
        raise RuntimeError(
            f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
            f"attn_mask.dtype: {_c_name(attn_mask)} and  query.dtype: {_c_name(query)} instead.")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set "
                           "when is_causal=True")
    if not query.is_floating_point():
        raise RuntimeError(f"expected scalar type Float but found "
                           f"{dtypes.scalar_type_name(query.dtype)}")


def _repeat_heads(x, query_heads):
    if x.ndim < 3 or query_heads % x.shape[-3]:
        # torch's message, cut short as torch cuts it
        raise RuntimeError("Number of heads in key and value must divide the number of heads in ")
    return x.repeat_interleave(query_heads // x.shape[-3], -3)


# ---- the masks of MultiheadAttention and the Transformer layers ----


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A bool mask (True = masked out) as a float mask of target_type: -inf where True, 0
    elsewhere; a float mask as it is. torch's F._canonical_mask."""
    if mask is None:
        return None
    if mask.dtype != dtypes.bool and not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use "
                      "same type for both instead.", stacklevel=3)
    if mask.is_floating_point():
        return mask
    zeros = creation.zeros(mask.shape, dtype=target_type, device=mask.device)
    return zeros.masked_fill(mask, _NEG_INF)


def _none_or_dtype(input):
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


# ---- multi-head attention ----


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """The forward of nn.MultiheadAttention on (L, N, E) or unbatched (L, E) inputs; returns
    (attn_output, attn_weights or None). See torch.nn.functional.multi_head_attention_forward.
    """
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:  # one sequence: a batch of one, squeezed again at the end
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                       _none_or_dtype(attn_mask), "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint alone: scaled_dot_product_attention makes the causal mask
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype,
                                    check_other=False)
        if key_padding_mask is not None:
            is_causal = False  # the masks are merged below; the hint no longer holds
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")

    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match "
                                 f"value's {value.shape[:2]}")
        b_q, b_k, b_v = (None,) * 3 if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = _in_projection(query, key, value, q_proj_weight, k_proj_weight,
                                 v_proj_weight, b_q, b_k, b_v)
    else:
        if key.shape != value.shape:
            raise AssertionError(f"key shape {key.shape} does not match value shape "
                                 f"{value.shape}")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)

    if attn_mask is not None:
        attn_mask = _batched_attn_mask(attn_mask, bsz * num_heads, tgt_len, key.shape[0])
    if bias_k is not None and bias_v is not None:  # one more key and value, learned
        if static_k is not None or static_v is not None:
            raise AssertionError(f"bias cannot be added to static "
                                 f"{'key' if static_k is not None else 'value'}.")
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask = _pad_key(attn_mask)
        key_padding_mask = _pad_key(key_padding_mask)
    elif bias_k is not None or bias_v is not None:
        raise AssertionError(f"bias_{'k' if bias_k is not None else 'v'} is set but "
                             f"bias_{'v' if bias_k is not None else 'k'} is None")

    # all heads side by side as one batch: (L, N, E) -> (N * heads, L, head_dim)
    q = _split_heads(q, bsz * num_heads, head_dim)
    k = _split_heads(k, bsz * num_heads, head_dim) if static_k is None else _static(
        static_k, "static_k", bsz * num_heads, head_dim)
    v = _split_heads(v, bsz * num_heads, head_dim) if static_v is None else _static(
        static_v, "static_v", bsz * num_heads, head_dim)
    if add_zero_attn:  # one more key and value, all zeros
        zeros = creation.zeros((bsz * num_heads, 1, head_dim), dtype=k.dtype, device=k.device)
        k = cat([k, zeros], dim=1)
        v = cat([v, zeros], dim=1)
        attn_mask = _pad_key(attn_mask)
        key_padding_mask = _pad_key(key_padding_mask)
    src_len = k.shape[1]

    if key_padding_mask is not None:  # merged into attn_mask: one row per (sample, head)
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                                 f"{key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask.shape[1]}")
        key_padding_mask = (key_padding_mask.reshape(bsz, 1, 1, src_len)
                            .expand(-1, num_heads, -1, -1)
                            .reshape(bsz * num_heads, 1, src_len))
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask
    if not training:
        dropout_p = 0.0

    if need_weights:
        # the weights are returned: softmax(q kᵀ / sqrt(head_dim) + mask) made here, as torch
        # does it (a plain softmax: a fully masked row gives NaN, as in torch)
        scores = (q * math.sqrt(1.0 / head_dim)).bmm(k.transpose(-2, -1))
        if attn_mask is not None:
            scores = attn_mask + scores
        weights = scores.softmax(-1)
        if dropout_p > 0.0:
            weights = F.dropout(weights, p=dropout_p)
        attn_output = weights.bmm(v)
        attn_output = attn_output.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        attn_output = F.linear(attn_output, out_proj_weight, out_proj_bias)
        attn_output = attn_output.reshape(tgt_len, bsz, attn_output.shape[1])
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not is_batched:
            attn_output, weights = attn_output.squeeze(1), weights.squeeze(0)
        return attn_output, weights

    if attn_mask is not None:  # to sdpa's layout (N, heads, L, S), or (1, 1, L, S)
        if attn_mask.shape[0] == 1:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.reshape(bsz, num_heads, -1, src_len)
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    attn_output = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    attn_output = attn_output.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    attn_output = F.linear(attn_output, out_proj_weight, out_proj_bias)
    attn_output = attn_output.reshape(tgt_len, bsz, attn_output.shape[1])
    if not is_batched:
        attn_output = attn_output.squeeze(1)
    return attn_output, None


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """Whether the inputs are batched (3-D) or one sequence (2-D); torch's AssertionErrors."""
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                f"{key.ndim}-D and {value.ndim}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                f"found {key_padding_mask.ndim}-D tensor instead")
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise AssertionError(
                "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                f"found {attn_mask.ndim}-D tensor instead")
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                f"{key.ndim}-D and {value.ndim}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D "
                f"but found {key_padding_mask.ndim}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                raise AssertionError(
                    "For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                    f"but found {attn_mask.ndim}-D tensor instead")
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.ndim == 3 and attn_mask.shape != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                     f"{attn_mask.shape}")
        return False
    raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                         f"{query.ndim}-D query tensor")


def _in_projection_packed(q, k, v, w, b=None):
    """q, k, v projected by the thirds of the stacked weight w = [w_q; w_k; w_v].

    torch runs self-attention's projection (q is k is v) as one GEMM on w and slices the
    result in three. Here the slices cost more than the GEMM saves (each slice's backward
    writes a gradient the size of the whole result), so it is three GEMMs on the thirds of w,
    from one contiguous copy of the input (a batch_first input arrives transposed).
    """
    if q is k and k is v:
        q = k = v = q.contiguous()
    elif k is v:
        k = v = k.contiguous()
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return F.linear(q, w_q, b_q), F.linear(k, w_k, b_k), F.linear(v, w_v, b_v)


def _in_projection(q, k, v, w_q, w_k, w_v, b_q=None, b_k=None, b_v=None):
    """q, k, v projected by their own weights (kdim or vdim differ from embed_dim)."""
    eq, ek, ev = q.shape[-1], k.shape[-1], v.shape[-1]
    for name, weight, shape in (("query", w_q, (eq, eq)), ("key", w_k, (eq, ek)),
                                ("value", w_v, (eq, ev))):
        if weight.shape != shape:
            raise AssertionError(f"expecting {name} weights shape of {shape}, but got "
                                 f"{weight.shape}")
    for name, bias in (("query", b_q), ("key", b_k), ("value", b_v)):
        if bias is not None and bias.shape != (eq,):
            raise AssertionError(f"expecting {name} bias shape of {(eq,)}, but got {bias.shape}")
    return F.linear(q, w_q, b_q), F.linear(k, w_k, b_k), F.linear(v, w_v, b_v)


def _batched_attn_mask(attn_mask, batch_heads, tgt_len, src_len):
    """An (L, S) or (N * heads, L, S) attn_mask as 3-D, with torch's shape errors."""
    if attn_mask.ndim == 2:
        if attn_mask.shape != (tgt_len, src_len):
            raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should "
                               f"be {(tgt_len, src_len)}.")
        return attn_mask.unsqueeze(0)
    if attn_mask.ndim == 3:
        if attn_mask.shape != (batch_heads, tgt_len, src_len):
            raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should "
                               f"be {(batch_heads, tgt_len, src_len)}.")
        return attn_mask
    raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")


def _pad_key(mask):
    """A mask with one more key column (0: taking part), for bias_k or add_zero_attn."""
    return None if mask is None else F.pad(mask, (0, 1))


def _split_heads(x, batch_heads, head_dim):
    """(S, N, E) -> (N * heads, S, head_dim): a view, the heads of a sample side by side."""
    return x.reshape(x.shape[0], batch_heads, head_dim).transpose(0, 1)


def _static(x, name, batch_heads, head_dim):
    if x.shape[0] != batch_heads:
        raise AssertionError(f"expecting {name}.size(0) of {batch_heads}, but got {x.shape[0]}")
    if x.shape[2] != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {x.shape[2]}")
    return x
