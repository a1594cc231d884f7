"""torch.nn.functional's losses: mse, l1, smooth_l1, huber, nll, cross_entropy, binary
cross-entropy (with logits), and the reduction argument they share.

nll_loss and binary_cross_entropy are primitives of ops/nn_ops.py (speed and stability); the
others are compositions of Tensor ops. Re-exported by nn.functional, where users find them.
"""

import math
import warnings

from .. import dtypes
from ..ops.elementwise import where
from ..ops.nn_ops import BinaryCrossEntropy, NllLoss
from . import functional as F  # log_softmax, logsigmoid (looked up at call time)


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _legacy_reduction(size_average, reduce, reduction):
    """The deprecated size_average / reduce arguments, mapped to reduction as torch does."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    warnings.warn("size_average and reduce args will be deprecated, please use reduction='"
                  f"{'none' if not reduce else 'mean' if size_average else 'sum'}' instead.")
    return "none" if not reduce else "mean" if size_average else "sum"


def _check_sizes(input, target, name, stacklevel=3):
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.", stacklevel=stacklevel)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_sizes(input, target, "mse_loss")
    diff = input - target
    loss = diff * diff
    return _reduce(loss if weight is None else loss * weight, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_sizes(input, target, "l1_loss")
    loss = (input - target).abs()
    return _reduce(loss if weight is None else loss * weight, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_sizes(input, target, "smooth_l1_loss")
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    diff = (input - target).abs()
    if beta == 0.0:
        return _reduce(diff, reduction)
    return _reduce(where(diff < beta, 0.5 * diff * diff / beta, diff - 0.5 * beta), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    _check_sizes(input, target, "huber_loss")
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    diff = (input - target).abs()
    loss = where(diff < delta, 0.5 * diff * diff, delta * (diff - 0.5 * delta))
    return _reduce(loss if weight is None else loss * weight, reduction)


def _check_weight_is_constant(weight, name, argument="weight"):
    if weight is not None and weight.requires_grad:
        raise RuntimeError(f"The function '{name}' is not differentiable with respect to "
                           f"argument '{argument}'. This input cannot have requires_grad True.")


def _rows_and_classes(input, target):
    """(N, C, d1, ...) logits and (N, d1, ...) targets as (M, C) rows and (M,) classes."""
    if input.ndim == 0:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    if input.ndim == 1:  # one sample: (C,) and a 0-d target
        if target.ndim != 0:
            raise RuntimeError(f"1D target tensor expects 0D input, but got {target.ndim}D")
        return input.unsqueeze(0), target.reshape(1)
    if target.ndim == 0 or input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0] if target.ndim else 0}).")
    if input.shape[:1] + input.shape[2:] != target.shape:
        raise RuntimeError(f"size mismatch (got input: {list(input.shape)} , "
                           f"target: {list(target.shape)})")
    if input.ndim > 2:
        input = input.movedim(1, -1).reshape(-1, input.shape[1])
    return input, target.reshape(-1)


def _check_classes(target, n_classes, ignore_index):
    if target.dtype != dtypes.int64:
        raise RuntimeError("expected scalar type Long but found "
                           f"{dtypes.scalar_type_name(target.dtype)}")
    valid = target != ignore_index
    bad = valid & ((target < 0) | (target >= n_classes))
    if bad.any():
        raise IndexError(f"Target {target[bad][0].item()} is out of bounds.")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    _check_weight_is_constant(weight, "nll_loss_forward")
    rows, classes = _rows_and_classes(input, target)
    _check_classes(classes, rows.shape[1], ignore_index)
    if weight is not None and weight.shape != (rows.shape[1],):
        raise RuntimeError(f"weight tensor should be defined either for all {rows.shape[1]} "
                           f"classes or no classes but got weight tensor of shape: "
                           f"{list(weight.shape)}")
    loss = NllLoss.apply(rows, classes, weight, ignore_index, reduction)
    return loss.reshape(target.shape) if reduction == "none" else loss


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 0 if input.ndim == 1 else 1
    logp = F.log_softmax(input, class_dim)
    if target.is_floating_point():
        return _cross_entropy_probabilities(logp, target, weight, reduction, label_smoothing)
    nll = nll_loss(logp, target, weight, None, ignore_index, None, reduction)
    if label_smoothing == 0.0:
        return nll
    # as torch: (1 - ε) nll + ε/C · (-Σ_c w_c log p_c), with the nll's normaliser for the mean
    n_classes = input.shape[class_dim]
    weighted = logp if weight is None else logp * _along_classes(weight, logp.ndim, class_dim)
    smooth = -weighted.sum(class_dim)
    ignored = target == ignore_index
    smooth = where(ignored, 0.0, smooth)
    if reduction == "mean":
        kept = target[~ignored]
        denominator = kept.numel() if weight is None else weight[kept].sum()
        smooth = smooth.sum() / denominator
    else:
        smooth = _reduce(smooth, reduction)
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / n_classes)


def _along_classes(weight, ndim, class_dim):
    """A per-class weight shaped to broadcast along the class dim of an ndim-d input."""
    return weight.reshape((-1,) + (1,) * (ndim - 1 - class_dim))


def _cross_entropy_probabilities(logp, target, weight, reduction, label_smoothing):
    if logp.shape != target.shape:
        raise RuntimeError(f"Expected target size {list(logp.shape)}, got {list(target.shape)}")
    class_dim = 0 if logp.ndim == 1 else 1
    n_classes = logp.shape[class_dim]
    if label_smoothing > 0.0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    terms = logp * target
    if weight is not None:
        terms = terms * _along_classes(weight, logp.ndim, class_dim)
    if reduction == "mean":  # over the samples (and positions), not over the classes
        return -terms.sum() / (logp.numel() / n_classes if logp.numel() else math.nan)
    if reduction == "sum":
        return -terms.sum()
    if reduction == "none":
        return -terms.sum(class_dim)
    raise ValueError(f"{reduction} is not a valid value for reduction")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         "size.")
    _check_weight_is_constant(weight, "binary_cross_entropy")
    loss = BinaryCrossEntropy.apply(input, target.to(input.dtype))
    return _reduce(loss if weight is None else loss * weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    _check_weight_is_constant(weight, "binary_cross_entropy_with_logits")
    _check_weight_is_constant(pos_weight, "binary_cross_entropy_with_logits", "pos_weight")
    # (1 - t) x - log σ(x), the positive term scaled by pos_weight: stable for any x
    log_sigmoid = F.logsigmoid(input)
    if pos_weight is None:
        loss = (1 - target) * input - log_sigmoid
    else:
        loss = (1 - target) * input - ((pos_weight - 1) * target + 1) * log_sigmoid
    return _reduce(loss if weight is None else loss * weight, reduction)


# ---- encodings and padding ----
