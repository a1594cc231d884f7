"""Embedding: the rows of a weight matrix picked by integer indices, and its dual.

The forward is weight[indices]. Its gradient is the dual op, EmbeddingDenseBackward: the
incoming gradient rows added into a (num_embeddings, embedding_dim) matrix of zeros at the
rows their indices name (an index seen twice gets both rows). The gradient of that, with
respect to its incoming gradient, is a lookup again: each op is the other's backward, as in
torch (EmbeddingBackward0 and EmbeddingDenseBackwardBackward0).
"""

from ..autograd.function import Function


def _row_factors(xp, indices, num_weights, padding_idx, scale_grad_by_freq, dtype):
    """What each looked-up row's gradient is multiplied by, shaped indices.shape + (1,): 0 where
    the index is padding_idx (that row learns nothing); with scale_grad_by_freq, 1 / the
    number of times the index occurs in this batch. None when every factor is 1."""
    if padding_idx < 0 and not scale_grad_by_freq:
        return None
    if scale_grad_by_freq:
        counts = xp.bincount(indices.ravel(), minlength=num_weights)
        factors = (1 / counts[indices]).astype(dtype)
    else:
        factors = xp.ones(indices.shape, dtype)
    if padding_idx >= 0:
        factors[indices == padding_idx] = 0
    return factors[..., None]


def sum_rows(xp, indices, rows, num_weights):
    """out[i] = the sum of rows[k] over the k with indices[k] == i; indices (n,), rows (n, d).

    Whichever way was measured faster (2 cores, n 640 or 1120, d 8 to 512, num_weights 16 to
    10000): a one-hot matrix times the rows, one GEMM of n * num_weights * d multiply-adds,
    while num_weights <= d; otherwise bincount over (row, column) pairs, summing in float64
    (2-3x faster than the scatter-add xp.add.at), over only the rows used where there are
    more rows than indices (10000 x 256: 1.7 ms against 3.1 without, 2.6 for add.at).
    """
    d = rows.shape[1]
    if num_weights <= d:
        one_hot = (indices[:, None] == xp.arange(num_weights)).astype(rows.dtype)
        return one_hot.T @ rows
    used = None
    if num_weights > indices.shape[0]:  # most rows get nothing: number the used ones 0, 1, ...
        used, indices = xp.unique(indices, return_inverse=True)
    size = num_weights if used is None else used.shape[0]
    pairs = (indices.reshape(-1, 1) * d + xp.arange(d)).ravel()  # each element's flat place
    sums = xp.bincount(pairs, weights=rows.ravel(), minlength=size * d)
    sums = sums.reshape(size, d).astype(rows.dtype)
    if used is None:
        return sums
    out = xp.zeros((num_weights, d), rows.dtype)
    out[used] = sums
    return out


class Embedding(Function):
    """weight[indices]; padding_idx (-1 for none) and scale_grad_by_freq only shape the gradient.

    backward: grad_weight[r] = the sum of the rows of grad whose index is r
        (none for padding_idx; divided by r's count with scale_grad_by_freq)
    """

    _primitive = True

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        ctx.args = (indices, weight.shape[0], padding_idx, scale_grad_by_freq)
        return weight[indices]

    @staticmethod
    def backward(ctx, grad):
        return EmbeddingDenseBackward.apply(grad, *ctx.args), None, None, None


class EmbeddingDenseBackward(Function):
    """The weight's gradient: grad's rows (one per index) summed into the rows they came from.

    backward: grad_grad = grad2[indices]  (times the same factors)
        (grad2: the gradient reaching this node)
    """

    _primitive = True

    @staticmethod
    def forward(ctx, grad, indices, num_weights, padding_idx, scale_grad_by_freq):
        factors = _row_factors(ctx.xp, indices, num_weights, padding_idx, scale_grad_by_freq,
                               grad.dtype)
        ctx.indices = indices
        ctx.save_for_backward(factors)
        if factors is not None:
            grad = grad * factors
        d = grad.shape[-1]
        return sum_rows(ctx.xp, indices.reshape(-1), grad.reshape(-1, d), num_weights)

    @staticmethod
    def backward(ctx, grad):
        (factors,) = ctx.saved_tensors
        rows = Embedding.apply(grad, ctx.indices, -1, False)
        if factors is not None:
            rows = rows * factors
        return rows, None, None, None, None


def check_indices(indices, weight, argument=1, function="embedding"):
    """torch's checks of an embedding's indices: an integer tensor (int32 or int64) on the
    weight's device, every index within the weight's rows. Returns them as an int64 array."""
    array = indices._data
    if array.dtype.kind != "i" or array.dtype.itemsize < 4:
        raise RuntimeError(
            f"Expected tensor for argument #{argument} 'indices' to have one of the following "
            f"scalar types: Long, Int; but got {_tensor_type(indices)} instead (while checking "
            f"arguments for {function})")
    if indices.device != weight.device:
        raise RuntimeError("Expected all tensors to be on the same device, but found at least "
                           f"two devices, {weight.device} and {indices.device}!")
    if array.size and (array.min() < 0 or array.max() >= weight.shape[0]):
        raise IndexError("index out of range in self")
    return array.astype("int64", copy=False)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False):
    """torch.embedding: weight[indices] for a 2-d weight and integer indices (see
    check_indices). padding_idx is a row number, or -1 for none."""
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    array = check_indices(indices, weight)
    return Embedding.apply(weight, array, padding_idx, scale_grad_by_freq)


def _tensor_type(t):
    """torch's name of a tensor's type in argument-check errors."""
    if t.dtype.name == "bool":
        return "CPUBoolType"
    names = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
             "uint8": "Byte", "int8": "Char", "int16": "Short", "complex64": "ComplexFloat",
             "complex128": "ComplexDouble"}
    return f"torch.{names.get(t.dtype.name, t.dtype.name)}Tensor"
