"""Arithmetic: + - * / // % ** with reflected and in-place forms.

Binary primitives get operands of one dtype from `binary_operands`; they are marked
`_broadcasts`, and the engine sums a broadcast operand's gradient back to its shape, so
their backward never unbroadcasts.
"""

from .. import dtypes
from ..autograd import function
from ..autograd.function import Function
from .elementwise import where
from .operands import a_cast, as_scalar, binary_operands


class Add(Function):
    """Elementwise sum y = a + b.

    backward: grad_a = grad, grad_b = grad
    """

    _primitive = True
    _broadcasts = True
    _torch_inputs = (0, 1)  # a number operand too, as (None, 0)

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Sub(Function):
    """Elementwise difference y = a - b.

    backward: grad_a = grad, grad_b = -grad
    """

    _primitive = True
    _broadcasts = True
    _torch_inputs = (0, 1)  # a number operand too, as (None, 0)

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.needs_input_grad[1] else None)


class Rsub(Sub):
    """number - tensor: same math as Sub; its own class only to carry torch's node name.

    backward: grad_a = grad, grad_b = -grad
    """

    _torch_inputs = (1,)  # torch's rsub(tensor, number) has the tensor only

    def name(self):
        return "RsubBackward1"


class Mul(Function):
    """Elementwise product y = a * b.

    backward: grad_a = grad * b, grad_b = grad * a
    """

    _primitive = True
    _broadcasts = True
    _torch_inputs = (0, 1)  # a number operand too, as (None, 0)

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
    """Elementwise quotient y = a / b.

    backward: grad_a = grad / b, grad_b = -grad * a / b²
    """

    _primitive = True
    _broadcasts = True
    _torch_inputs = (0, 1)  # a number operand too, as (None, 0)

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


class Reciprocal(Function):
    """y = 1 / x, elementwise.

    backward: grad_x = -grad * y²  (y = 1 / x)
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x):
        y = 1 / x
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return -grad * (y * y)


class Neg(Function):
    """y = -x.

    backward: grad_x = -grad
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Pow(Function):
    """x ** exponent for a Python-number exponent.

    backward: grad_x = grad * exponent * x ** (exponent - 1)  (x ** 0 has gradient 0)
    """

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
    """a ** b for two tensors (torch names its node PowBackward1).

    backward: grad_a = grad * b * a ** (b - 1)  (0 where b = 0),
        grad_b = grad * y * log(a)  (y = a ** b; 0 where a = 0 and b >= 0)
    """

    _primitive = True
    _broadcasts = True

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
    """number ** tensor: same math as PowTensor; its own class only to carry torch's node name.

    backward: grad_a = grad * b * a ** (b - 1)  (0 where b = 0),
        grad_b = grad * y * log(a)  (y = a ** b; 0 where a = 0 and b >= 0)
    """

    _torch_inputs = (1,)  # torch's pow(number, tensor) has the exponent only

    def name(self):
        return "PowBackward2"


class Remainder(Function):
    """Elementwise remainder y = a - floor(a / b) * b (the sign of b's), torch.remainder.

    backward: grad_a = grad, grad_b = -grad * floor(a / b)
    """

    _primitive = True
    _broadcasts = True

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


class FloorDivide(Function):
    """Elementwise floor(a / b).

    backward: grad_a = 0, grad_b = 0  (piecewise constant)
    """

    _primitive = True
    _broadcasts = True

    @staticmethod
    def forward(ctx, a, b):
        _check_integer_division(a, b, "div_floor_cpu")
        return ctx.xp.floor_divide(a, b)

    @staticmethod
    def backward(ctx, grad):  # zero for both, as torch's div(rounding_mode="floor")
        zeros = grad.new_zeros(grad.shape)
        return zeros, (zeros if ctx.needs_input_grad[1] else None)


def _true_divide(a, b):
    """a / b; on integers (and bools) it gives the default float dtype, as in torch."""
    a, b = binary_operands(a, b)
    Tensor = function.Tensor
    if isinstance(a, Tensor) and a._data.dtype.kind != "f":
        a, b = binary_operands(a, b, dtypes.get_default_dtype())
    return Div.apply(a, b)


class ArithmeticMethods:
    """Tensor methods for arithmetic (mixed into Tensor)."""

    __slots__ = ()

    def __add__(self, other): return Add.apply(*binary_operands(self, other))
    # tensor first, as torch's x.__radd__(3) is add(x, 3): the same result and the same graph
    def __radd__(self, other): return Add.apply(*binary_operands(self, other))
    def __sub__(self, other): return Sub.apply(*_sub_operands(self, other))
    def __rsub__(self, other): return Rsub.apply(*_sub_operands(other, self))
    def __mul__(self, other): return Mul.apply(*binary_operands(self, other))
    def __rmul__(self, other): return Mul.apply(*binary_operands(self, other))
    def __truediv__(self, other): return self.div(other)
    def __rtruediv__(self, other):
        if type(other) in (int, float):  # 2 / x is reciprocal(x) * 2 in torch: same rounding
            return self.reciprocal() * other
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
    def reciprocal(self): return Reciprocal.apply(self._as_float())
    def neg(self): return Neg.apply(self)
    negative = neg

    # in place: compute out of place, then write into this tensor's memory; where backward
    # needs the value being overwritten, compute from self._original() (see _tensor.py)
    def add_(self, other, *, alpha=1): return self._inplace(self.add(other, alpha=alpha))
    def sub_(self, other, *, alpha=1): return self._inplace(self.sub(other, alpha=alpha))
    def mul_(self, other): return self._inplace(self._original(other) * other)
    def div_(self, other, *, rounding_mode=None):
        return self._inplace(self._original(other).div(other, rounding_mode=rounding_mode))
    def pow_(self, exponent): return self._inplace(self._original(exponent).pow(exponent))
