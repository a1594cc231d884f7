"""Elementwise ops: unary math, activations, maximum/minimum/where/clamp, casts.

Arithmetic is in arithmetic.py, comparisons and logic in compare.py.
"""

from .. import dtypes, threads
from ..autograd import function
from ..autograd.function import Function
from ..device import device_of, move
from .operands import binary_operands, broadcast_shapes


def _wrap(x):
    return function.Tensor._wrap(x)


def in_parts(compute, out, *inputs):
    """compute(out_part, *input_parts) on runs of the flat elements, across the thread pool.

    For the activations of CNNs, whose arrays are large: each part writes its own run of `out`
    (allocated by the caller), so the parts never need joining. Arrays must share a shape.
    """
    arrays = (out, *inputs)
    if threads.parts(out.size, out.size, out) == 1 or not all(
            a.flags.c_contiguous for a in arrays):
        compute(*arrays)
        return out
    flat = [a.reshape(-1) for a in arrays]
    threads.parallel(out.size, lambda start, stop: compute(*(a[start:stop] for a in flat)),
                     out.size, on=out)
    return out


# ---- unary math ----


class Exp(Function):
    """y = exp(x), elementwise.

    backward: grad_x = grad * y  (y = exp(x))
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x):
        if x.dtype == ctx.xp.float32:
            # numpy's float32 exp is off by an ulp for ~40% of inputs (the book's exp(12.) shows
            # 162754.7812, torch 162754.7969); through float64 it is the correctly rounded
            # float32, which torch's is for 99% of inputs, at ~3x the cost of the exp alone
            y = ctx.xp.exp(x, dtype=ctx.xp.float64).astype(x.dtype)
        else:
            y = ctx.xp.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


class Log(Function):
    """y = log(x), the natural logarithm, elementwise.

    backward: grad_x = grad / x
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.log(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / x


class Log1P(Function):
    """y = log(1 + x), elementwise.

    backward: grad_x = grad / (1 + x)
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.log1p(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (x + 1)


class Sqrt(Function):
    """y = sqrt(x), elementwise.

    backward: grad_x = grad / (2 * y)  (y = sqrt(x))
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad / (2 * y)


class Sin(Function):
    """y = sin(x), elementwise.

    backward: grad_x = grad * cos(x)
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.cos()


class Cos(Function):
    """y = cos(x), elementwise.

    backward: grad_x = -grad * sin(x)
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.cos(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * -x.sin()


class Sinh(Function):
    """y = sinh(x), elementwise.

    backward: grad_x = grad * cosh(x)
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.sinh(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.cosh()


class Cosh(Function):
    """y = cosh(x), elementwise.

    backward: grad_x = grad * sinh(x)
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.cosh(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.sinh()


class Tan(Function):
    """y = tan(x), elementwise.

    backward: grad_x = grad * (1 + y²)  (y = tan(x))
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.tan(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (1 + y * y)


class Tanh(Function):
    """y = tanh(x), elementwise.

    backward: grad_x = grad * (1 - y²)  (y = tanh(x))
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return TanhBackward.apply(grad, y)


class TanhBackward(Function):
    """grad * (1 - y²) as one node: tanh is on the hot path of small networks.

    backward: grad_grad = grad2 * (1 - y²), grad_y = -2 * grad2 * grad * y
        (grad2: the gradient reaching this node)
    """

    _primitive = True

    @staticmethod
    def forward(ctx, grad, y):
        ctx.save_for_backward(grad, y)
        return grad * (1 - y * y)

    @staticmethod
    def backward(ctx, grad2):
        grad, y = ctx.saved_tensors
        return grad2 * (1 - y * y), grad2 * grad * y * -2


class Sigmoid(Function):
    """y = sigmoid(x) = 1 / (1 + exp(-x)), elementwise.

    A primitive rather than 1 / (1 + exp(-x)) in Tensor ops: one node instead of four.

    backward: grad_x = grad * y * (1 - y)  (y = sigmoid(x))
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp

        def sigmoid(y, x):
            # 1 / (1 + exp(-x)) in place, as torch's kernel computes it: below x = -88 exp(-x)
            # overflows float32 to inf and y is 0, as in torch
            xp.negative(x, out=y)
            xp.exp(y, out=y)
            y += 1
            xp.reciprocal(y, out=y)

        y = in_parts(sigmoid, xp.empty_like(x), x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return SigmoidBackward.apply(grad, y)


class SigmoidBackward(Function):
    """grad * y * (1 - y) as one node, like TanhBackward.

    backward: grad_grad = grad2 * y * (1 - y), grad_y = grad2 * grad * (1 - 2 * y)
        (grad2: the gradient reaching this node)
    """

    _primitive = True

    @staticmethod
    def forward(ctx, grad, y):
        ctx.save_for_backward(grad, y)

        def sigmoid_backward(out, grad, y):
            ctx.xp.subtract(1, y, out=out)
            out *= y
            out *= grad

        return in_parts(sigmoid_backward, ctx.xp.empty_like(y), grad, y)

    @staticmethod
    def backward(ctx, grad2):
        grad, y = ctx.saved_tensors
        return grad2 * y * (1 - y), grad2 * grad * (1 - 2 * y)


class Relu(Function):
    """y = max(x, 0), elementwise.

    backward: grad_x = grad * [y > 0]  (relu'(0) = 0, as in torch)
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        y = in_parts(lambda y, x: xp.maximum(x, 0, out=y), xp.empty_like(x), x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return ThresholdBackward.apply(grad, y)


class ThresholdBackward(Function):
    """grad where y > 0, else 0 (relu'(0) = 0, as in torch), as one node.

    backward: grad_grad = grad2 * [y > 0]  (grad2: the gradient reaching this node)
    """

    _primitive = True

    @staticmethod
    def forward(ctx, grad, y):
        xp = ctx.xp
        positive = xp.empty(y.shape, dtype=bool)
        ctx.save_for_backward(positive)

        def threshold(out, grad, y, positive):
            xp.greater(y, 0, out=positive)
            # a product with the mask, much faster than xp.where on masks that change at
            # random; but inf * 0 is nan, where torch gives 0: redo those few parts with where
            if xp.isfinite(grad).all():
                xp.multiply(grad, positive, out=out)
            else:
                out[...] = xp.where(positive, grad, 0)

        return in_parts(threshold, xp.empty_like(grad), grad, y, positive)

    @staticmethod
    def backward(ctx, grad2):
        (positive,) = ctx.saved_tensors
        return ThresholdBackward.apply(grad2, positive), None


class Abs(Function):
    """y = |x|, elementwise.

    backward: grad_x = grad * sign(x)
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.abs(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.sign()


class _ZeroGradient(Function):
    """Piecewise-constant ops: their gradient is zero wherever it exists (torch's convention).

    backward: grad_x = 0
    """

    _primitive = True

    @staticmethod
    def backward(ctx, grad):
        return grad.new_zeros(grad.shape)


class Sign(_ZeroGradient):
    """y = sign(x) (-1, 0 or 1), elementwise.

    backward: grad_x = 0  (piecewise constant)
    """

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.sign(x)


class Floor(_ZeroGradient):
    """y = floor(x), elementwise.

    backward: grad_x = 0  (piecewise constant)
    """

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.floor(x)


class Ceil(_ZeroGradient):
    """y = ceil(x), elementwise.

    backward: grad_x = 0  (piecewise constant)
    """

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.ceil(x)


class Trunc(_ZeroGradient):
    """y = x rounded towards zero, elementwise.

    backward: grad_x = 0  (piecewise constant)
    """

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.trunc(x)


class Round(_ZeroGradient):
    """y = x rounded to `decimals` decimals, half to even, elementwise.

    backward: grad_x = 0  (piecewise constant)
    """

    @staticmethod
    def forward(ctx, x, decimals):
        return ctx.xp.round(x, decimals)  # half to even, like torch

    @staticmethod
    def backward(ctx, grad):
        return grad.new_zeros(grad.shape), None


# ---- two-input selections ----


class Maximum(Function):
    """Elementwise maximum y = max(a, b).

    backward: grad_a = grad * ([a > b] + [a = b] / 2), grad_b = grad * ([b > a] + [a = b] / 2)
    """

    _primitive = True
    _broadcasts = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        shared = where(a == b, grad / 2, grad)  # ties split the gradient evenly, as in torch
        return where(a < b, 0.0, shared), where(a > b, 0.0, shared)


class Minimum(Function):
    """Elementwise minimum y = min(a, b).

    backward: grad_a = grad * ([a < b] + [a = b] / 2), grad_b = grad * ([b < a] + [a = b] / 2)
    """

    _primitive = True
    _broadcasts = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        shared = where(a == b, grad / 2, grad)
        return where(a > b, 0.0, shared), where(a < b, 0.0, shared)


class Where(Function):
    """y = a where condition, else b (torch.where).

    backward: grad_a = grad * [condition], grad_b = grad * [not condition]
    """

    _primitive = True
    _torch_inputs = (1, 2)  # the condition is no input of torch's node

    @staticmethod
    def forward(ctx, condition, a, b):
        ctx.save_for_backward(condition)
        return ctx.xp.where(condition, a, b)

    @staticmethod
    def backward(ctx, grad):
        (condition,) = ctx.saved_tensors
        grad_a = where(condition, grad, 0.0) if ctx.needs_input_grad[1] else None
        grad_b = where(condition, 0.0, grad) if ctx.needs_input_grad[2] else None
        return None, grad_a, grad_b


class Clamp(Function):
    """y = min(max(x, min), max), elementwise (a bound may be None).

    backward: grad_x = grad * [min <= x <= max]
    """

    _primitive = True

    def name(self):  # torch: ClampBackward1 for number bounds (ClampBackward0 for tensors)
        return "ClampBackward1"

    @staticmethod
    def forward(ctx, x, min, max):
        ctx.save_for_backward(x)
        ctx.min, ctx.max = min, max
        # numpy 1.x may widen a 0-d float32 clipped by Python floats; keep x's dtype
        return ctx.xp.clip(x, min, max).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        inside = x == x  # all True but nan; torch passes the gradient where min <= x <= max
        if ctx.min is not None:
            inside = inside & (x >= ctx.min)
        if ctx.max is not None:
            inside = inside & (x <= ctx.max)
        return where(inside, grad, 0.0), None, None


class ToCopy(Function):
    """A dtype conversion (torch's node for .to(dtype) is ToCopyBackward0).

    backward: grad_x = grad converted back to x's dtype
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.input_dtype = dtypes.from_numpy(x.dtype)
        return x.astype(dtype.np)

    @staticmethod
    def backward(ctx, grad):
        return grad.to(ctx.input_dtype), None


class ToDevice(Function):
    """A copy to another device (torch's node for .to(device) is ToCopyBackward0 too).

    backward: grad_x = grad moved back to x's device
    """

    _primitive = True

    def name(self):
        return "ToCopyBackward0"

    @staticmethod
    def forward(ctx, x, target):
        ctx.source = device_of(x)
        return move(x, target)

    @staticmethod
    def backward(ctx, grad):
        return grad.to(ctx.source), None


class Clone(Function):
    """y = a copy of x.

    backward: grad_x = grad
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


# ---- functions built from the primitives ----


def where(condition, a, b):
    """torch.where(condition, a, b) with a and b Tensors or numbers, all broadcast together."""
    Tensor = function.Tensor
    if not isinstance(condition, Tensor):
        raise TypeError("where(): argument 'condition' must be Tensor")
    if condition._data.dtype.kind != "b":
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {condition.type()[6:-6]}")  # torch.FloatTensor -> Float
    a, b = binary_operands(a, b)  # a Python number may stay a number (a weak scalar)
    shapes = [t._data.shape for t in (a, b) if isinstance(t, Tensor)]
    shape = broadcast_shapes(condition._data.shape, *shapes)
    if isinstance(a, Tensor) and a._requires_grad and a._data.shape != shape:
        a = a.expand(shape)
    if isinstance(b, Tensor) and b._requires_grad and b._data.shape != shape:
        b = b.expand(shape)
    return Where.apply(condition, a, b)


class ElementwiseMethods:
    """Tensor methods for unary math, selections and casts (mixed into Tensor)."""

    __slots__ = ()

    # unary math
    def exp(self): return Exp.apply(self._as_float())
    def log(self): return Log.apply(self._as_float())
    def log1p(self): return Log1P.apply(self._as_float())
    def log2(self): return self.log() * (1 / 0.6931471805599453)
    def log10(self): return self.log() * (1 / 2.302585092994046)
    def expm1(self): return self.exp() - 1
    def sqrt(self): return Sqrt.apply(self._as_float())
    def rsqrt(self): return 1 / self.sqrt()
    def sin(self): return Sin.apply(self._as_float())
    def cos(self): return Cos.apply(self._as_float())
    def sinh(self): return Sinh.apply(self._as_float())
    def cosh(self): return Cosh.apply(self._as_float())
    def tan(self): return Tan.apply(self._as_float())
    def tanh(self): return Tanh.apply(self._as_float())
    def sigmoid(self): return Sigmoid.apply(self._as_float())
    def relu(self): return Relu.apply(self)
    def abs(self): return Abs.apply(self)
    absolute = abs
    def sign(self): return Sign.apply(self)
    def floor(self): return Floor.apply(self)
    def ceil(self): return Ceil.apply(self)
    def trunc(self): return Trunc.apply(self)
    def round(self, *, decimals=0): return Round.apply(self, decimals)

    def _as_float(self):
        """Integer inputs of float functions (exp, log, ...) compute in the default dtype."""
        if self._data.dtype.kind in "fc":
            return self
        return self.to(dtypes.get_default_dtype())

    # selections
    def maximum(self, other): return Maximum.apply(*binary_operands(self, other))
    def minimum(self, other): return Minimum.apply(*binary_operands(self, other))
    def where(self, condition, other): return where(condition, self, other)

    def clamp(self, min=None, max=None):
        Tensor = function.Tensor
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            result = self
            if min is not None:
                result = result.maximum(min)
            if max is not None:
                result = result.minimum(max)
            return result
        dtype = dtypes.result_type(self, *(v for v in (min, max) if v is not None))
        return Clamp.apply(self.to(dtype), min, max)

    clip = clamp
    def clamp_min(self, min): return self.clamp(min=min)
    def clamp_max(self, max): return self.clamp(max=max)

    def lerp(self, end, weight): return self + weight * (end - self)

    # in place: compute out of place, then write into this tensor's memory; where backward
    # needs the value being overwritten, compute from self._original() (see _tensor.py)
    def clamp_(self, min=None, max=None):
        return self._inplace(self._original(min, max).clamp(min, max))
    clip_ = clamp_
    def relu_(self): return self._inplace(self.relu())
    def exp_(self): return self._inplace(self.exp())
    def log_(self): return self._inplace(self._original().log())
    def sqrt_(self): return self._inplace(self.sqrt())
    def abs_(self): return self._inplace(self._original().abs())
    def neg_(self): return self._inplace(-self)
    def sigmoid_(self): return self._inplace(self.sigmoid())
    def tanh_(self): return self._inplace(self.tanh())
    def floor_(self): return self._inplace(self.floor())
    def round_(self, *, decimals=0): return self._inplace(self.round(decimals=decimals))
