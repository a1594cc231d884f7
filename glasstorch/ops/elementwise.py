"""Elementwise ops: arithmetic, unary math, activations, comparisons, casts.

Binary primitives get operands of one dtype (and one shape where a gradient
is needed) from `binary_operands`, so their backward never unbroadcasts.
"""

from .. import dtypes
from ..autograd import function
from ..autograd.function import Function
from ..device import device_of, move
from .operands import a_cast, as_scalar, binary_operands, broadcast_shapes


def _wrap(x):
    return function.Tensor._wrap(x)


# ---- arithmetic ----


class Add(Function):
    _primitive = True

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Sub(Function):
    _primitive = True

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.needs_input_grad[1] else None)


class Rsub(Sub):
    """number - tensor: same math as Sub; its own class only to carry torch's node name."""

    def name(self):
        return "RsubBackward1"


class Mul(Function):
    _primitive = True

    @staticmethod
    def forward(ctx, a, b):
        # keep only what the other operand's gradient needs
        ctx.save_for_backward(b if ctx.needs_input_grad[0] else None,
                              a if ctx.needs_input_grad[1] else None)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        b, a = ctx.saved_tensors
        return (grad * b if b is not None else None), (grad * a if a is not None else None)


class Div(Function):
    _primitive = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_a = grad / b if ctx.needs_input_grad[0] else None
        grad_b = -grad * a / (b * b) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Neg(Function):
    _primitive = True

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Pow(Function):
    """x ** exponent for a Python-number exponent."""

    _primitive = True

    @staticmethod
    def forward(ctx, x, exponent):
        ctx.save_for_backward(x)
        ctx.exponent = exponent
        return (x**exponent).astype(x.dtype, copy=False)  # numpy: bool ** bool is int8

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if ctx.exponent == 0:
            return grad * 0, None
        return grad * ctx.exponent * x ** (ctx.exponent - 1), None


class PowTensor(Function):
    """a ** b for two tensors (torch names its node PowBackward1)."""

    _primitive = True

    def name(self):
        return "PowBackward1"

    @staticmethod
    def forward(ctx, a, b):
        if _kind(a, b) == "b":
            raise NotImplementedError("\"pow\" not implemented for 'Bool'")
        y = a**b
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, grad):
        a, b, y = ctx.saved_tensors
        grad_a = None
        if ctx.needs_input_grad[0]:  # d(a^b)/da = b a^(b-1), taken as 0 where b == 0 (as torch)
            grad_a = where(b == 0, 0.0, grad * b * a ** (b - 1))
        grad_b = None
        if ctx.needs_input_grad[1]:  # d(a^b)/db = a^b log a, taken as 0 where a == 0 and b >= 0
            grad_b = where((a == 0) & (b >= 0), 0.0, grad * y * a.log())
        return grad_a, grad_b


class RPow(PowTensor):
    """number ** tensor: same math as PowTensor; its own class only to carry torch's node name."""

    def name(self):
        return "PowBackward2"


class Remainder(Function):
    _primitive = True

    @staticmethod
    def forward(ctx, a, b):
        _check_integer_division(a, b, "remainder_cpu")
        ctx.save_for_backward(a, b)
        return ctx.xp.remainder(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad, -grad * (a / b).floor()


def _check_integer_division(a, b, name):
    """torch's errors where numpy would quietly answer: bool operands, integer division by 0."""
    kind = _kind(a, b)
    if kind == "b":
        raise NotImplementedError(f"\"{name}\" not implemented for 'Bool'")
    if kind in "iu" and getattr(a, "size", 1) and not b.all():  # (an empty result is fine)
        raise RuntimeError("ZeroDivisionError")


def _kind(a, b):
    """The dtype kind of a primitive's operands (one may be a Python number next to floats)."""
    return (a if hasattr(a, "dtype") else b).dtype.kind


def _is_bool(x):
    return x.__class__ is bool or (isinstance(x, function.Tensor) and x._data.dtype.kind == "b")


def _sub_operands(a, b):
    """binary_operands for a - b, which torch refuses for bool operands."""
    if _is_bool(a) or _is_bool(b):
        if _is_bool(a) and _is_bool(b):
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                               "supported. Use the `^` or `logical_xor()` operator instead.")
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    return binary_operands(a, b)


# ---- unary math ----


class Exp(Function):
    _primitive = True

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


class Log(Function):
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
    _primitive = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.cos(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * -x.sin()


class Tan(Function):
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
    """grad * (1 - y²) as one node: tanh is on the hot path of small networks."""

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
    """A primitive rather than 1 / (1 + exp(-x)): one node instead of four, no overflow."""

    _primitive = True

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        e = xp.exp(-xp.abs(x))  # never overflows; then pick the stable form for each sign
        y = xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return SigmoidBackward.apply(grad, y)


class SigmoidBackward(Function):
    """grad * y * (1 - y) as one node, like TanhBackward."""

    _primitive = True

    @staticmethod
    def forward(ctx, grad, y):
        ctx.save_for_backward(grad, y)
        return grad * y * (1 - y)

    @staticmethod
    def backward(ctx, grad2):
        grad, y = ctx.saved_tensors
        return grad2 * y * (1 - y), grad2 * grad * (1 - 2 * y)


class Relu(Function):
    _primitive = True

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.maximum(x, 0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return where(y > 0, grad, 0.0)  # relu'(0) = 0, as in torch


class Abs(Function):
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
    """Piecewise-constant ops: their gradient is zero wherever it exists (torch's convention)."""

    _primitive = True

    @staticmethod
    def backward(ctx, grad):
        return grad.new_zeros(grad.shape)


class Sign(_ZeroGradient):
    @staticmethod
    def forward(ctx, x):
        return ctx.xp.sign(x)


class Floor(_ZeroGradient):
    @staticmethod
    def forward(ctx, x):
        return ctx.xp.floor(x)


class Ceil(_ZeroGradient):
    @staticmethod
    def forward(ctx, x):
        return ctx.xp.ceil(x)


class Trunc(_ZeroGradient):
    @staticmethod
    def forward(ctx, x):
        return ctx.xp.trunc(x)


class Round(_ZeroGradient):
    @staticmethod
    def forward(ctx, x, decimals):
        return ctx.xp.round(x, decimals)  # half to even, like torch

    @staticmethod
    def backward(ctx, grad):
        return grad.new_zeros(grad.shape), None


class FloorDivide(_ZeroGradient):
    @staticmethod
    def forward(ctx, a, b):
        _check_integer_division(a, b, "div_floor_cpu")
        return ctx.xp.floor_divide(a, b)

    @staticmethod
    def backward(ctx, grad):  # zero for both, as torch's div(rounding_mode="floor")
        zeros = grad.new_zeros(grad.shape)
        return zeros, (zeros if ctx.needs_input_grad[1] else None)


# ---- two-input selections ----


class Maximum(Function):
    _primitive = True

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
    _primitive = True

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
    _primitive = True

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
    """A dtype conversion (torch's node for .to(dtype) is ToCopyBackward0)."""

    _primitive = True

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.input_dtype = dtypes.from_numpy(x.dtype)
        return x.astype(dtype.np)

    @staticmethod
    def backward(ctx, grad):
        return grad.to(ctx.input_dtype), None


class ToDevice(Function):
    """A copy to another device (torch's node for .to(device) is ToCopyBackward0 too)."""

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


def _compare(ufunc, a, b):
    """A comparison: no gradient, a bool result, broadcasting checked like torch."""
    Tensor = function.Tensor
    x = a._data
    if isinstance(b, Tensor):
        y = b._data
        if x.shape != y.shape:
            broadcast_shapes(x.shape, y.shape)
        if x.dtype != y.dtype:  # compare in torch's common dtype: uint8 < int8 0-d wraps
            common = dtypes.result_type(a, b).np
            x, y = x.astype(common, copy=False), y.astype(common, copy=False)
    else:
        y = as_scalar(b)
    return _wrap(ufunc(x, y))


def _true_divide(a, b):
    """a / b; on integers (and bools) it gives the default float dtype, as in torch."""
    a, b = binary_operands(a, b)
    Tensor = function.Tensor
    if isinstance(a, Tensor) and a._data.dtype.kind != "f":
        a, b = binary_operands(a, b, dtypes.get_default_dtype())
    return Div.apply(a, b)


class ElementwiseMethods:
    """Tensor methods for elementwise ops (mixed into Tensor)."""

    __slots__ = ()

    # arithmetic
    def __add__(self, other): return Add.apply(*binary_operands(self, other))
    def __radd__(self, other): return Add.apply(*binary_operands(other, self))
    def __sub__(self, other): return Sub.apply(*_sub_operands(self, other))
    def __rsub__(self, other): return Rsub.apply(*_sub_operands(other, self))
    def __mul__(self, other): return Mul.apply(*binary_operands(self, other))
    def __rmul__(self, other): return Mul.apply(*binary_operands(other, self))
    def __truediv__(self, other): return self.div(other)
    def __rtruediv__(self, other):
        return _true_divide(other, self)
    def __floordiv__(self, other): return self.floor_divide(other)
    def __rfloordiv__(self, other): return FloorDivide.apply(*binary_operands(other, self))
    def __mod__(self, other): return self.remainder(other)
    def __rmod__(self, other): return Remainder.apply(*binary_operands(other, self))
    def __pow__(self, exponent): return self.pow(exponent)
    def __rpow__(self, base):
        exponent, base = a_cast(self, base, None)  # the number as a 0-d tensor: backward logs it
        return RPow.apply(base, exponent)
    def __neg__(self): return Neg.apply(self)
    def __pos__(self): return self
    def __abs__(self): return self.abs()

    def __iadd__(self, other): return self.add_(other)
    def __isub__(self, other): return self.sub_(other)
    def __imul__(self, other): return self.mul_(other)
    def __itruediv__(self, other): return self.div_(other)
    def __ifloordiv__(self, other): return self._inplace(self.floor_divide(other))
    def __imod__(self, other): return self._inplace(self._original(other).remainder(other))
    def __ipow__(self, other): return self.pow_(other)

    def add(self, other, *, alpha=1):
        return self + (other * alpha if alpha != 1 else other)

    def sub(self, other, *, alpha=1):
        return self - (other * alpha if alpha != 1 else other)

    def mul(self, other): return self * other
    def multiply(self, other): return self * other
    def true_divide(self, other): return self.div(other)
    def subtract(self, other, *, alpha=1): return self.sub(other, alpha=alpha)

    def div(self, other, *, rounding_mode=None):
        if rounding_mode == "floor":
            return self.floor_divide(other)
        quotient = _true_divide(self, other)
        if rounding_mode == "trunc":
            result = quotient.trunc()
            return result.to(dtypes.result_type(self, other))
        if rounding_mode is not None:
            raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or "
                               f"'floor' but found '{rounding_mode}'")
        return quotient

    divide = div

    def floor_divide(self, other): return FloorDivide.apply(*binary_operands(self, other))
    def remainder(self, other): return Remainder.apply(*binary_operands(self, other))
    def fmod(self, other):
        a, b = binary_operands(self, other)
        return a - a.div(b, rounding_mode="trunc") * b  # integer division keeps integers

    def pow(self, exponent):
        if type(exponent) in (int, float) and self._data.dtype.kind == "f":
            return Pow.apply(self, exponent)  # the common case: nothing to promote
        if isinstance(exponent, function.Tensor):
            return PowTensor.apply(*binary_operands(self, exponent))
        exponent = as_scalar(exponent)
        dtype = dtypes.result_type(self, exponent)
        base = self.to(dtype)
        if not dtype.is_floating_point and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return Pow.apply(base, exponent)

    def square(self): return self.pow(2)  # bool squares to int64, as in torch
    def reciprocal(self): return 1 / self
    def neg(self): return Neg.apply(self)
    negative = neg

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
    def add_(self, other, *, alpha=1): return self._inplace(self.add(other, alpha=alpha))
    def sub_(self, other, *, alpha=1): return self._inplace(self.sub(other, alpha=alpha))
    def mul_(self, other): return self._inplace(self._original(other) * other)
    def div_(self, other, *, rounding_mode=None):
        return self._inplace(self._original(other).div(other, rounding_mode=rounding_mode))
    def pow_(self, exponent): return self._inplace(self._original(exponent).pow(exponent))
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

    # comparisons and logic: no gradient
    def __eq__(self, other): return self.eq(other)
    def __ne__(self, other): return self.ne(other)
    def __lt__(self, other): return self.lt(other)
    def __le__(self, other): return self.le(other)
    def __gt__(self, other): return self.gt(other)
    def __ge__(self, other): return self.ge(other)
    def eq(self, other): return _compare(self._xp.equal, self, other)
    def ne(self, other): return _compare(self._xp.not_equal, self, other)
    def lt(self, other): return _compare(self._xp.less, self, other)
    def le(self, other): return _compare(self._xp.less_equal, self, other)
    def gt(self, other): return _compare(self._xp.greater, self, other)
    def ge(self, other): return _compare(self._xp.greater_equal, self, other)
    less, less_equal, greater, greater_equal, not_equal = lt, le, gt, ge, ne

    def equal(self, other):
        return self.shape == other.shape and bool((self._data == other._data).all())

    def logical_not(self): return _wrap(self._xp.logical_not(self._data))
    def logical_and(self, other): return _compare(self._xp.logical_and, self, other)
    def logical_or(self, other): return _compare(self._xp.logical_or, self, other)
    def logical_xor(self, other): return _compare(self._xp.logical_xor, self, other)
    def bitwise_not(self): return _wrap(self._xp.invert(self._data))
    def bitwise_and(self, other): return _compare(self._xp.bitwise_and, self, other)
    def bitwise_or(self, other): return _compare(self._xp.bitwise_or, self, other)
    def bitwise_xor(self, other): return _compare(self._xp.bitwise_xor, self, other)
    __invert__ = bitwise_not
    __and__ = __rand__ = bitwise_and
    __or__ = __ror__ = bitwise_or
    __xor__ = __rxor__ = bitwise_xor

    def isnan(self): return _wrap(self._xp.isnan(self._data))
    def isinf(self): return _wrap(self._xp.isinf(self._data))
    def isfinite(self): return _wrap(self._xp.isfinite(self._data))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _wrap(self._xp.isclose(self._data, other._data, rtol, atol, equal_nan))

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return bool(self.isclose(other, rtol, atol, equal_nan).all())
