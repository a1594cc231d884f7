"""Linear algebra: matmul in all its rank combinations, dot, mm, bmm, outer, einsum.

Two primitives do the work: Dot for vectors and Mm for (batches of) matrices;
the other products reshape around them.
"""

import math
import string

from .. import dtypes, threads
from ..autograd import function, grad_mode
from ..autograd.function import Function
from .elementwise import where
from .operands import broadcast_shapes


class Dot(Function):
    """The dot product y = sum_i a_i b_i of two vectors.

    backward: grad_a = grad * b, grad_b = grad * a
    """

    _primitive = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(b if ctx.needs_input_grad[0] else None,
                              a if ctx.needs_input_grad[1] else None)
        return ctx.xp.dot(a, b)

    @staticmethod
    def backward(ctx, grad):
        b, a = ctx.saved_tensors
        return (grad * b if b is not None else None), (grad * a if a is not None else None)


class Mm(Function):
    """a @ b for matrices; batch dims broadcast (an operand needing grad is pre-expanded).

    A small product with a short inner dimension is summed term by term, as PyTorch's CPU
    BLAS sums it, so that it is bit-identical to torch's (see _torch_sums_in_order).

    backward: grad_a = grad @ b.T, grad_b = a.T @ grad
    """

    _primitive = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(b if ctx.needs_input_grad[0] else None,
                              a if ctx.needs_input_grad[1] else None)
        if _torch_sums_in_order(a, b):
            return _summed_in_order(ctx.xp, a, b)
        return product(ctx.xp, a, b)

    @staticmethod
    def backward(ctx, grad):
        b, a = ctx.saved_tensors
        grad_a = Mm.apply(grad, b.mT) if b is not None else None
        grad_b = Mm.apply(a.mT, grad) if a is not None else None
        return grad_a, grad_b


def product(xp, a, b):
    """xp.matmul(a, b), a large one split across the thread pool (see glasstorch.threads).

    The result is cut into bands along its longer side, rows of a or columns of b, and each
    thread writes its band of a preallocated result with one BLAS call: each element is the
    same single-threaded BLAS sum whatever the band, so results repeat exactly.
    """
    m, k, n = a.shape[-2], a.shape[-1], b.shape[-1]
    batch = broadcast_shapes(a.shape[:-2], b.shape[:-2])
    # a multiply-add in BLAS costs about a 30th of an elementwise step's element
    work = math.prod(batch) * m * n * k // 32
    if a.ndim < 2 or b.ndim < 2 or threads.parts(max(m, n), work, a) == 1:
        return xp.matmul(a, b)
    y = xp.empty(batch + (m, n), dtype=xp.result_type(a, b))
    if m >= n:
        def band(start, stop):
            xp.matmul(a[..., start:stop, :], b, out=y[..., start:stop, :])
    else:
        def band(start, stop):
            xp.matmul(a, b[..., start:stop], out=y[..., start:stop])
    threads.parallel(max(m, n), band, work, on=a)
    return y


class Bmm(Mm):
    """y = a @ b, batch by batch.

    Same math as Mm; its own class only to carry torch's node name.

    backward: grad_a = grad @ b.T, grad_b = a.T @ grad  (per batch)
    """


# How PyTorch rounds small float products on the CPU (torch 2.13, MKL 2024.2, AVX2; measured,
# see tests/test_matmul_rounding.py). It adds the rounded products a[i, t] * b[t, j] left to
# right in the cases below, where numpy's BLAS rounds differently (by ~1e-7); the book checks
# that matmul equals its loop of sums (the 1x1 convolution):
# - a matrix product (torch.mm; a batch @ matrix is folded into one) goes to MKL, whose kernel
#   for an inner dimension k <= 4 sums in order, unless the result has >= 4 rows and >= 12
#   columns: there it chains fused multiply-adds, as numpy's BLAS does for float32;
# - a batched product (torch.bmm) uses torch's own loop, in order, below 400 multiply-adds a
#   matrix, and MKL above.
# Only k <= 4 is matched: a longer sum would cost a numpy call per term.
_IN_ORDER_MAX_K = 4
_IN_ORDER_MAX_SIZE = 1024  # result elements; larger products keep BLAS, which is faster


def _torch_sums_in_order(a, b):
    k = a.shape[-1]
    if not 2 <= k <= _IN_ORDER_MAX_K or a.dtype.char not in "fd":  # float32, float64
        return False
    if b.ndim == 2:
        rows, columns, batch = math.prod(a.shape[:-1]), b.shape[-1], 1
        torch_loop = False
    else:
        rows, columns = a.shape[-2], b.shape[-1]
        batch = math.prod(broadcast_shapes(a.shape[:-2], b.shape[:-2]))
        torch_loop = rows * k * columns < 400
    mkl_in_order = rows <= 3 or columns <= 11
    return (torch_loop or mkl_in_order) and batch * rows * columns <= _IN_ORDER_MAX_SIZE


def _summed_in_order(xp, a, b):
    """a @ b as a[..., :, 0] b[..., 0, :] + a[..., :, 1] b[..., 1, :] + ..., each product
    rounded and the sum taken left to right."""
    products = a[..., :, :, None] * b[..., None, :, :]  # [..., i, t, j]: a[i, t] b[t, j]
    y = products[..., 0, :] + products[..., 1, :]
    for t in range(2, a.shape[-1]):
        y += products[..., t, :]
    return xp.ascontiguousarray(y)  # as matmul's; transposed inputs give a transposed sum


class Addmm(Function):
    """c + a @ b for matrices in one node (F.linear's, as in torch: AddmmBackward0).

    c comes pre-expanded to the result's shape, so its gradient is just `grad`.

    backward: grad_c = grad, grad_a = grad @ b.T, grad_b = a.T @ grad
    """

    _primitive = True

    @staticmethod
    def forward(ctx, c, a, b):
        ctx.save_for_backward(b if ctx.needs_input_grad[1] else None,
                              a if ctx.needs_input_grad[2] else None)
        y = product(ctx.xp, a, b)
        y += c  # into the fresh product: no second output array
        return y

    @staticmethod
    def backward(ctx, grad):
        b, a = ctx.saved_tensors
        grad_a = Mm.apply(grad, b.mT) if b is not None else None
        grad_b = Mm.apply(a.mT, grad) if a is not None else None
        return (grad if ctx.needs_input_grad[0] else None), grad_a, grad_b


class Einsum(Function):
    """The einsum of the operands by `equation` (torch.einsum).

    backward: grad_operands[i] = the einsum of grad with the other operands, to operand i's letters
    """

    _primitive = True

    @staticmethod
    def forward(ctx, equation, *operands):
        ctx.equation = equation
        ctx.save_for_backward(*operands)
        return ctx.xp.einsum(equation, *operands)

    @staticmethod
    def backward(ctx, grad):
        operands = ctx.saved_tensors
        inputs, output = _parse_einsum(ctx.equation, len(operands))
        grads = [None]
        for i, (letters, x) in enumerate(zip(inputs, operands)):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            unique = "".join(dict.fromkeys(letters))  # 'ii' (a diagonal) -> 'i'
            sizes = [x.shape[letters.index(c)] for c in unique]
            others = [(s, o) for j, (s, o) in enumerate(zip(inputs, operands)) if j != i]
            present = set(output).union(*(s for s, _ in others))
            kept = "".join(c for c in unique if c in present)
            spec = ",".join([output] + [s for s, _ in others]) + "->" + kept
            g = Einsum.apply(spec, grad, *(o for _, o in others))
            shrink = tuple(d for d, c in enumerate(kept)
                           if sizes[unique.index(c)] == 1 and g.shape[d] != 1)
            if shrink:  # a size-1 dim that broadcast against the other operands: sum it back
                g = g.sum(shrink, keepdim=True)
            if kept != unique:  # letters summed away only in this operand: broadcast back
                for d, c in enumerate(unique):
                    if c not in present:
                        g = g.unsqueeze(d)
                g = g.expand(tuple(sizes))
            if unique != letters:  # a repeated letter: put the gradient on that diagonal
                g = _onto_diagonals(g, unique, letters, sizes, ctx.equation, ctx.xp)
            grads.append(g)
        return tuple(grads)


def _onto_diagonals(g, unique, letters, sizes, equation, xp):
    """g over `unique` letters, spread to `letters` (with repeats) as zeros off the diagonals.

    Each repeat gets a fresh letter tied to the first by an identity matrix:
    for 'ii' that is einsum('i,ij->ij', g, eye).
    """
    fresh = iter(c for c in string.ascii_letters if c not in equation)
    renamed, eyes, specs = "", [], [unique]
    for c in letters:
        if c in renamed:
            new = next(fresh)
            n = sizes[unique.index(c)]
            eyes.append(function.Tensor._wrap(xp.eye(n, dtype=g._data.dtype)))
            specs.append(c + new)
            c = new
        renamed += c
    return Einsum.apply(",".join(specs) + "->" + renamed, g, *eyes)


def _spell_out_ellipsis(equation, operands):
    """'...' written as fresh letters for the dims it covers (right-aligned, as broadcasting)."""
    lhs, arrow, output = equation.replace(" ", "").partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(operands):
        return equation  # _parse_einsum reports the wrong count
    covered = [t.ndim - len(s.replace("...", "")) if "..." in s else 0
               for s, t in zip(inputs, operands)]
    fresh = "".join(c for c in string.ascii_letters if c not in equation)[:max(covered)]
    inputs = [s.replace("...", fresh[len(fresh) - n:] if n else "")
              for s, n in zip(inputs, covered)]
    if not arrow:  # implicit output: the '...' dims, then the letters seen once, sorted
        letters = lhs.replace("...", "").replace(",", "")
        output = "..." + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return ",".join(inputs) + "->" + output.replace("...", fresh)


def _parse_einsum(equation, count):
    equation = equation.replace(" ", "")
    if "..." in equation:
        raise NotImplementedError("einsum with '...' is not supported yet")
    if "->" in equation:
        lhs, output = equation.split("->")
    else:
        lhs = equation
        letters = lhs.replace(",", "")
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    inputs = lhs.split(",")
    if len(inputs) != count:
        raise RuntimeError("einsum(): more operands were provided than specified in the equation"
                           if count > len(inputs) else
                           "einsum(): fewer operands were provided than specified in the equation")
    return inputs, output


def _same_dtype(a, b, name="m1", other="m2"):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected {name} and {other} to have the same dtype, but got: "
                           f"{_c_name(a)} != {_c_name(b)}")


def _c_name(t):
    return {"float32": "float", "float64": "double", "int64": "long int", "int32": "int",
            "float16": "c10::Half", "bool": "bool", "uint8": "unsigned char",
            "int8": "signed char", "int16": "short int"}[t._data.dtype.name]


def _matrix_product(a, b, cls=Mm):
    """a @ b with a, b at least 2-D: check shapes, broadcast batches, run the primitive."""
    _same_dtype(a, b)
    a_shape, b_shape = a._data.shape, b._data.shape
    if a_shape[-1] != b_shape[-2]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({'x'.join(map(str, a_shape[-2:]))} and "
            f"{'x'.join(map(str, b_shape[-2:]))})")
    if len(a_shape) > 2 or len(b_shape) > 2:
        batch = broadcast_shapes(a_shape[:-2], b_shape[:-2])
        if grad_mode.state.enabled:
            if a._requires_grad and a_shape[:-2] != batch:
                a = a.expand(batch + a_shape[-2:])
            if b._requires_grad and b_shape[:-2] != batch:
                b = b.expand(batch + b_shape[-2:])
    return cls.apply(a, b)


def addmm(c, a, b):
    """c + a @ b for matrices a and b, c broadcast to the result (torch.addmm, beta=alpha=1)."""
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"{'mat1' if a.ndim != 2 else 'mat2'} must be a matrix")
    _same_dtype(a, b)
    if a._data.shape[1] != b._data.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({'x'.join(map(str, a.shape))} and "
            f"{'x'.join(map(str, b.shape))})")
    shape = (a._data.shape[0], b._data.shape[1])
    c = c.to(a.dtype)
    return Addmm.apply(c if c.shape == shape else c.expand(shape), a, b)


def dot(a, b):
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to "
            f"have the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements "
            "respectively")
    if a._data.dtype != b._data.dtype:
        names = [dtypes.scalar_type_name(t.dtype) for t in (a, b)]
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{names[0]} and {names[1]}")
    return Dot.apply(a, b)


def matmul(a, b):
    """torch.matmul: dot, matrix-vector, vector-matrix, matrix and batched products."""
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    if a.ndim == 1 and b.ndim == 1:
        return dot(a, b)
    if b.ndim == 1:
        if a.shape[-1] != b.shape[0]:
            raise RuntimeError(
                f"size mismatch, got input ({a.shape[-2]}), mat ({a.shape[-2]}x{a.shape[-1]}), "
                f"vec ({b.shape[0]})" if a.ndim == 2 else
                f"mat1 and mat2 shapes cannot be multiplied ({'x'.join(map(str, a.shape[-2:]))} "
                f"and {b.shape[0]}x1)")
        return _matrix_product(a, b.unsqueeze(1)).squeeze(-1)
    if a.ndim == 1:
        return _matrix_product(a.unsqueeze(0), b).squeeze(-2)
    return _matrix_product(a, b)


class LinalgMethods:
    """Tensor methods for products (mixed into Tensor)."""

    __slots__ = ()

    def matmul(self, other): return matmul(self, other)
    def __matmul__(self, other): return matmul(self, other)
    def __rmatmul__(self, other): return matmul(other, self)
    def dot(self, other): return dot(self, other)
    inner = dot

    def mm(self, other):
        if self.ndim != 2 or other.ndim != 2:
            raise RuntimeError(f"{'self' if self.ndim != 2 else 'mat2'} must be a matrix")
        return _matrix_product(self, other)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        """beta * self + alpha * (mat1 @ mat2); one Addmm node when beta = alpha = 1."""
        if beta == 1 and alpha == 1:
            return addmm(self, mat1, mat2)
        product = mat1.mm(mat2) * alpha
        if beta == 0:  # self is ignored (its nan and inf too), but gets a zero gradient
            nowhere = function.Tensor._wrap(self._xp.zeros(self._data.shape, dtype=bool))
            return product + where(nowhere, self, 0.0)
        return self * beta + product

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        """beta * self + alpha * (batch1 @ batch2), batch by batch (torch.baddbmm)."""
        product = batch1.bmm(batch2)
        if alpha != 1:
            product = product * alpha
        if beta == 0:  # self is ignored (its nan and inf too), but gets a zero gradient
            nowhere = function.Tensor._wrap(self._xp.zeros(self._data.shape, dtype=bool))
            return product + where(nowhere, self, 0.0)
        return (self if beta == 1 else self * beta) + product

    def bmm(self, other):
        if self.ndim != 3 or other.ndim != 3:
            raise RuntimeError("batch1 must be a 3D tensor" if self.ndim != 3
                               else "batch2 must be a 3D tensor")
        if self.shape[0] != other.shape[0] or self.shape[2] != other.shape[1]:
            raise RuntimeError(
                f"Expected size for first two dimensions of batch2 tensor to be: "
                f"[{self.shape[0]}, {self.shape[2]}] but got: [{other.shape[0]}, {other.shape[1]}].")
        return _matrix_product(self, other, Bmm)

    def mv(self, vec):
        if self.ndim != 2 or vec.ndim != 1:
            raise RuntimeError(f"vector + matrix @ vector expected, got 1, {self.ndim}, "
                               f"{vec.ndim}")
        return matmul(self, vec)

    def outer(self, other):
        return self.unsqueeze(1) * other.unsqueeze(0)

    ger = outer


def einsum(equation, *operands):
    """torch.einsum. See torch.einsum."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if "..." in equation:
        equation = _spell_out_ellipsis(equation, operands)
    dtype = dtypes.result_type(*operands)
    return Einsum.apply(equation, *(t.to(dtype) for t in operands))


def channel_sums(x):
    """x summed over every dim but the channel dim 1: (N, C, ...) -> (C,). One contraction,
    2-3x faster in numpy than .sum((0, 2, ...)) (the bias gradients of conv and batch_norm)."""
    rows = x.reshape(x.shape[0], x.shape[1], math.prod(x.shape[2:]))
    return einsum("ncl->c", rows)
