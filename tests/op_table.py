"""The op table: one line per public op, the checklist test_ops.py runs against PyTorch.

Each OpSpec runs `fn` on glasstorch and on torch (see oracle.check) for every case in
`shapes` and every dtype in `dtypes`. A case is one shape, e.g. (3, 4), or a list of
inputs (shapes or numpy arrays), e.g. [(3, 4), (4,)]. A `fn` whose first parameter is
named `lib` gets the module (glasstorch or torch) for namespace functions.

`name` is the public name the line exercises: a Tensor method or operator (`"exp"`,
`"__add__"`); the same name covers `glasstorch.exp` when that is the same function.
Namespace-only functions are written `"torch.cat"`. Adding an op: add one line here.
"""

import operator
from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass
class OpSpec:
    name: str
    fn: Callable
    shapes: list = field(default_factory=lambda: [(3, 4)])
    domain: tuple = (-2, 2)  # (low, high) for all inputs, or a list with one pair per input
    grad: bool = True
    dtypes: tuple = ("float32",)
    atol: float = None
    rtol: float = None
    gradcheck: bool = None  # the float64 numerical check; defaults to `grad`
    gradgradcheck: bool = None  # the same for second derivatives; defaults to `gradcheck`

    def __post_init__(self):
        if self.gradcheck is None:
            self.gradcheck = self.grad
        if self.gradgradcheck is None:
            self.gradgradcheck = self.gradcheck

    def cases(self):
        """Each case as a list of inputs."""
        return [[c] if _is_shape(c) or isinstance(c, np.ndarray) else list(c) for c in self.shapes]

    def bounds(self):
        """(low, high), each a number or a per-input list."""
        if isinstance(self.domain, list):
            return [d[0] for d in self.domain], [d[1] for d in self.domain]
        return self.domain


def _is_shape(case):
    return isinstance(case, tuple) and all(isinstance(n, int) for n in case)


def f32(*values):
    return np.array(values, dtype="float32")


def i64(*values):
    return np.array(values, dtype="int64")


# ---- shapes ----
U = [(3, 4), (), (0, 3), (2, 1, 3)]  # unary: a matrix, 0-d, empty, 3-d
U1 = [(3, 4)]
B = [[(3, 4), (3, 4)], [(3, 4), (4,)], [(2, 1, 4), (3, 1)], [(), (3,)], [(3, 1), ()],
     [(0, 3), (3,)]]  # binary, with broadcasting, 0-d and empty
B1 = [[(3, 4), (4,)]]
INPLACE = [[(3, 4), (4,)], [(3, 4), ()], [(2, 3), (2, 3)]]  # in place: only the 2nd broadcasts
R = [(3, 4), (2, 3, 4), ()]  # reductions over everything
RD = [(3, 4), (2, 3, 4)]  # reductions over a dim

# ---- dtypes ----
F = ("float32",)
FD = ("float32", "float64")  # float32 and float64, for ops that take floats only
NUM = ("float32", "float64", "int64", "int32", ("int64", "float32"), ("float32", "float64"),
       ("int32", "int64"), ("bool", "float32"), ("bool", "int64"), "bool", ("uint8", "int8"),
       ("int16", "float16"), ("uint8", "bool"))
NUM1 = ("float32", "float64", "int64", "int32", "bool", "uint8", "int16", "float16")  # unary
INT1 = ("float32", "int64")
LOGIC = ("bool", "int64", "float32", ("bool", "int64"))
BITS = ("bool", "int64", "int32", ("bool", "int64"))

POS = (0.2, 2)  # a domain away from zero
NONZERO = [(-2, 2), (0.5, 2)]  # second operand away from zero
SIGNED = f32(-1.5, 0.7, 1.3, -0.6)  # divisors of both signs




def _setitem(key):
    """y = x * 1; y[key] = v: gradients to the base (except overwritten) and to the value."""

    def f(x, v):
        y = x * 1
        y[key] = v
        return y

    return f


def _setitem_tensor_key(x, v, key):
    y = x * 1
    y[key] = v
    return y


OPS = [
    # ---- arithmetic: operators with tensors, scalars and reflected forms ----
    OpSpec("__add__", lambda x, y: x + y, B, dtypes=NUM),
    OpSpec("__add__", lambda x: x + 2.5, U, dtypes=NUM1),
    OpSpec("__add__", lambda x: x + 2, U, dtypes=NUM1),
    OpSpec("__add__", lambda x: x + True, U1, dtypes=NUM1),
    OpSpec("__radd__", lambda x: 2 + x, U, dtypes=NUM1),
    OpSpec("__radd__", lambda x: 1.5 + x, U1, dtypes=NUM1),
    OpSpec("__iadd__", lambda x, y: operator.iadd(x * 1, y), INPLACE),
    OpSpec("add", lambda x, y: x.add(y), B, dtypes=NUM),
    OpSpec("add", lambda x, y: x.add(y, alpha=2), B1, dtypes=("float32", "int64")),
    OpSpec("add", lambda lib, x, y: lib.add(x, y), B1),
    OpSpec("add_", lambda x, y: (x * 1).add_(y, alpha=3), INPLACE),
    OpSpec("__sub__", lambda x, y: x - y, B, dtypes=NUM),
    OpSpec("__sub__", lambda x: x - 1.5, U, dtypes=NUM1),
    OpSpec("__rsub__", lambda x: 3 - x, U, dtypes=NUM1),
    OpSpec("__rsub__", lambda x: 0.5 - x, U1, dtypes=NUM1),
    OpSpec("__isub__", lambda x, y: operator.isub(x * 1, y), INPLACE),
    OpSpec("sub", lambda x, y: x.sub(y, alpha=2), B, dtypes=("float32", "int64")),
    OpSpec("subtract", lambda lib, x, y: lib.subtract(x, y), B1),
    OpSpec("subtract", lambda x, y: x.subtract(y, alpha=0.5), B1),
    OpSpec("sub_", lambda x, y: (x * 1).sub_(y), INPLACE),
    OpSpec("__mul__", lambda x, y: x * y, B, dtypes=NUM),
    OpSpec("__mul__", lambda x: x * 2.5, U, dtypes=NUM1),
    OpSpec("__mul__", lambda x: x * 3, U, dtypes=NUM1),
    OpSpec("__rmul__", lambda x: 2 * x, U, dtypes=NUM1),
    OpSpec("__rmul__", lambda x: -0.5 * x, U1, dtypes=NUM1),
    OpSpec("__imul__", lambda x, y: operator.imul(x * 1, y), INPLACE),
    OpSpec("mul", lambda x, y: x.mul(y), B, dtypes=NUM),
    OpSpec("multiply", lambda lib, x, y: lib.multiply(x, y), B1),
    OpSpec("multiply", lambda x, y: x.multiply(y), B1, dtypes=INT1),
    OpSpec("mul_", lambda x, y: (x * 1).mul_(y), INPLACE),
    OpSpec("__truediv__", lambda x, y: x / y, B, domain=NONZERO, dtypes=NUM),
    OpSpec("__truediv__", lambda x, y: x / y, [[(2, 4), SIGNED]]),
    OpSpec("__truediv__", lambda x: x / 2, U, dtypes=NUM1),
    OpSpec("__truediv__", lambda x: x / 0.5, U1, dtypes=NUM1),
    OpSpec("__rtruediv__", lambda x: 2 / x, U, domain=POS, dtypes=NUM1),
    OpSpec("__rtruediv__", lambda x: 1.5 / x, [SIGNED]),
    OpSpec("__itruediv__", lambda x, y: operator.itruediv(x * 1, y), INPLACE, domain=NONZERO),
    OpSpec("div", lambda x, y: x.div(y), B, domain=NONZERO, dtypes=NUM),
    OpSpec("div", lambda x, y: x.div(y, rounding_mode="trunc"), B1, domain=NONZERO,
           dtypes=("float32", "int64"), gradcheck=False),
    OpSpec("div", lambda x, y: x.div(y, rounding_mode="floor"), B1, domain=NONZERO,
           dtypes=("float32", "int64"), gradcheck=False),
    OpSpec("div", lambda x: x.div(-3, rounding_mode="trunc"), [i64(-7, -1, 0, 5, 9)], grad=False),
    OpSpec("divide", lambda lib, x, y: lib.divide(x, y), B1, domain=NONZERO),
    OpSpec("true_divide", lambda lib, x, y: lib.true_divide(x, y), B1, domain=NONZERO,
           dtypes=("float32", "int64")),
    OpSpec("true_divide", lambda x, y: x.true_divide(y), B1, domain=NONZERO, dtypes=INT1),
    OpSpec("div_", lambda x, y: (x * 1).div_(y), INPLACE, domain=NONZERO),
    # torch has no derivative for floor_divide (it raises); ours is 0, checked by gradcheck
    OpSpec("__floordiv__", lambda x, y: x // y, B, domain=NONZERO, dtypes=NUM, grad=False,
           gradcheck=True),
    OpSpec("__floordiv__", lambda x, y: x // y, [[i64(-7, -1, 0, 5, 9), i64(2, -3, 4, -2, 3)]],
           grad=False),
    OpSpec("__floordiv__", lambda x: x // 0.75, U, dtypes=NUM1, grad=False, gradcheck=True),
    OpSpec("__rfloordiv__", lambda x: 5 // x, U1, domain=POS, dtypes=INT1, grad=False,
           gradcheck=True),
    OpSpec("__ifloordiv__", lambda x, y: operator.ifloordiv(x * 1, y), INPLACE, domain=NONZERO,
           grad=False, gradcheck=True),
    OpSpec("floor_divide", lambda lib, x, y: lib.floor_divide(x, y), B1, domain=NONZERO,
           dtypes=("float32", "int64"), grad=False, gradcheck=True),
    OpSpec("__mod__", lambda x, y: x % y, B, domain=NONZERO, dtypes=NUM),
    OpSpec("__mod__", lambda x, y: x % y, [[(2, 4), SIGNED]]),
    OpSpec("__mod__", lambda x, y: x % y, [[i64(-7, -1, 0, 5, 9), i64(2, -3, 4, -2, 3)]],
           grad=False),
    OpSpec("__mod__", lambda x: x % 1.5, U, dtypes=NUM1),
    OpSpec("__rmod__", lambda x: 5 % x, U1, domain=POS, dtypes=INT1, grad=False,
           gradcheck=True),  # torch: "derivative for aten::remainder is not implemented"
    OpSpec("__imod__", lambda x, y: operator.imod(x * 1, y), INPLACE, domain=NONZERO),
    OpSpec("remainder", lambda lib, x, y: lib.remainder(x, y), B1, domain=NONZERO,
           dtypes=("float32", "int64")),
    OpSpec("fmod", lambda x, y: x.fmod(y), B, domain=NONZERO, dtypes=("float32", "int64")),
    OpSpec("fmod", lambda x, y: x.fmod(y), [[(2, 4), SIGNED]]),
    OpSpec("fmod", lambda x: x.fmod(-1.5), U1, dtypes=INT1),
    OpSpec("__pow__", lambda x: x ** 2, U, dtypes=NUM1),
    OpSpec("__pow__", lambda x: x ** 3, U1, dtypes=INT1),
    OpSpec("__pow__", lambda x: x ** 0, U1, dtypes=INT1),
    OpSpec("__pow__", lambda x: x ** 0.5, U, domain=POS),
    OpSpec("__pow__", lambda x: x ** -1.5, U1, domain=POS, dtypes=INT1),
    OpSpec("__pow__", lambda x, y: x ** y, B, domain=[POS, (-2, 2)]),
    OpSpec("__pow__", lambda x, y: x ** y, [[i64(2, 3, 0, 1), i64(3, 0, 2, 5)]], grad=False),
    OpSpec("__rpow__", lambda x: 2 ** x, U, dtypes=INT1[:1]),
    OpSpec("__rpow__", lambda x: 2.5 ** x, U1, dtypes=INT1),
    OpSpec("__ipow__", lambda x: operator.ipow(x * 1, 2), U1),
    OpSpec("pow", lambda x, y: x.pow(y), B1, domain=[POS, (-2, 2)]),
    OpSpec("pow", lambda lib, x: lib.pow(x, 3), U1, dtypes=INT1),
    OpSpec("pow_", lambda x: (x * 1).pow_(3), U1),
    OpSpec("__neg__", lambda x: -x, U, dtypes=("float32", "float64", "int64")),
    OpSpec("neg", lambda lib, x: lib.neg(x), U1, dtypes=INT1),
    OpSpec("negative", lambda x: x.negative(), U1),
    OpSpec("neg_", lambda x: (x * 1).neg_(), U1),
    OpSpec("__pos__", lambda x: +x, U1, dtypes=INT1),
    OpSpec("__abs__", lambda x: abs(x), U, dtypes=("float32", "int64")),
    OpSpec("abs", lambda lib, x: lib.abs(x), U, dtypes=("float32", "int64")),
    OpSpec("absolute", lambda x: x.absolute(), U1),
    OpSpec("abs_", lambda x: (x * 1).abs_(), U1),
    OpSpec("square", lambda x: x.square(), U, dtypes=NUM1),
    OpSpec("reciprocal", lambda x: x.reciprocal(), U, domain=POS, dtypes=INT1),
    OpSpec("reciprocal", lambda x: x.reciprocal(), [SIGNED]),
    OpSpec("lerp", lambda x, y: x.lerp(y, 0.3), B),
    OpSpec("lerp", lambda x, y, w: x.lerp(y, w),
           [[(3, 4), (3, 4), (3, 4)], [(3, 4), (4,), (3, 1)]]),

    # ---- unary math ----
    OpSpec("exp", lambda x: x.exp(), U, dtypes=NUM1),
    OpSpec("exp_", lambda x: (x * 1).exp_(), U1),
    OpSpec("expm1", lambda x: x.expm1(), U, dtypes=INT1),
    OpSpec("log", lambda x: x.log(), U, domain=POS, dtypes=("float32", "float64", "int64")),
    OpSpec("log", lambda x: x.log(), [f32(-1.0, 0.0, 1.0)], grad=False),
    OpSpec("log_", lambda x: (x * 1).log_(), U1, domain=POS),
    OpSpec("log1p", lambda x: x.log1p(), U, domain=(-0.5, 2), dtypes=INT1),
    OpSpec("log2", lambda x: x.log2(), U, domain=POS, dtypes=INT1),
    OpSpec("log10", lambda x: x.log10(), U, domain=POS, dtypes=INT1),
    OpSpec("sqrt", lambda x: x.sqrt(), U, domain=POS, dtypes=("float32", "float64", "int64")),
    OpSpec("sqrt_", lambda x: (x * 1).sqrt_(), U1, domain=POS),
    OpSpec("rsqrt", lambda x: x.rsqrt(), U, domain=POS, dtypes=INT1),
    OpSpec("sin", lambda x: x.sin(), U, dtypes=NUM1),
    OpSpec("cos", lambda x: x.cos(), U, dtypes=NUM1),
    OpSpec("sinh", lambda x: x.sinh(), U, dtypes=NUM1),
    OpSpec("cosh", lambda x: x.cosh(), U, dtypes=NUM1),
    OpSpec("tan", lambda x: x.tan(), U, domain=(-1.2, 1.2), dtypes=INT1),
    OpSpec("tanh", lambda x: x.tanh(), U, dtypes=NUM1),
    OpSpec("tanh_", lambda x: (x * 1).tanh_(), U1),
    OpSpec("sigmoid", lambda x: x.sigmoid(), U, domain=(-6, 6), dtypes=NUM1),
    OpSpec("sigmoid", lambda x: x.sigmoid(), [f32(-200.0, -90.0, 0.0, 90.0, 200.0)]),
    OpSpec("sigmoid_", lambda x: (x * 1).sigmoid_(), U1),
    OpSpec("relu", lambda x: x.relu(), U, dtypes=("float32", "int64")),
    OpSpec("relu", lambda x: x.relu(), [f32(-1.0, 0.0, 2.0)], gradcheck=False),  # relu'(0) = 0
    OpSpec("relu_", lambda x: (x * 1).relu_(), U1),
    OpSpec("sign", lambda x: x.sign(), U, dtypes=NUM1[:4]),
    OpSpec("sign", lambda x: x.sign(), [f32(-1.0, 0.0, 2.0)], gradcheck=False),  # a jump at 0
    OpSpec("floor", lambda x: x.floor(), U, dtypes=("float32", "int64")),
    OpSpec("floor_", lambda x: (x * 1).floor_(), U1),
    OpSpec("ceil", lambda x: x.ceil(), U, dtypes=("float32", "int64")),
    OpSpec("trunc", lambda x: x.trunc(), U, dtypes=("float32", "int64")),
    OpSpec("round", lambda x: x.round(), U, dtypes=("float32", "int64")),
    OpSpec("round", lambda x: x.round(), [f32(-2.5, -1.5, -0.5, 0.5, 1.5, 2.5)],
           gradcheck=False),  # on the jumps
    OpSpec("round", lambda x: x.round(decimals=2), U1, domain=(-20, 20)),
    OpSpec("round_", lambda x: (x * 1).round_(decimals=1), U1),
    OpSpec("clamp", lambda x: x.clamp(-0.5, 0.8), U, dtypes=("float32", "int64")),
    OpSpec("clamp", lambda x: x.clamp(min=0.25), U1, dtypes=("float32", "int64")),
    OpSpec("clamp", lambda x: x.clamp(max=1), U1, dtypes=("float32", "int64")),
    OpSpec("clamp", lambda x, lo, hi: x.clamp(lo, hi), [[(3, 4), (4,), (3, 1)]],
           domain=[(-2, 2), (-2, 0), (0, 2)]),
    OpSpec("clamp", lambda x, lo: x.clamp(min=lo), [[(3, 4), (3, 4)]]),
    OpSpec("clip", lambda lib, x: lib.clip(x, -1, 1), U1),
    OpSpec("clamp_", lambda x: (x * 1).clamp_(-1, 1), U1),
    OpSpec("clip_", lambda x: (x * 1).clip_(min=0), U1),
    OpSpec("clamp_min", lambda x: x.clamp_min(0.5), U1, dtypes=INT1),
    OpSpec("clamp_max", lambda x: x.clamp_max(0.5), U1, dtypes=INT1),

    # ---- selections ----
    OpSpec("maximum", lambda x, y: x.maximum(y), B, dtypes=NUM[:8]),
    # ties: torch splits the gradient, which central differences agree with (not twice)
    OpSpec("maximum", lambda x, y: x.maximum(y), [[f32(1.0, 2.0, 3.0), f32(1.0, 0.0, 3.0)]],
           gradgradcheck=False),
    OpSpec("minimum", lambda x, y: x.minimum(y), B, dtypes=NUM[:8]),
    OpSpec("minimum", lambda x, y: x.minimum(y), [[f32(1.0, 2.0, 3.0), f32(1.0, 0.0, 3.0)]],
           gradgradcheck=False),
    OpSpec("max", lambda x, y: x.max(y), B1),
    OpSpec("min", lambda lib, x, y: lib.min(x, y), B1),
    OpSpec("torch.where", lambda lib, c, x, y: lib.where(c > 0, x, y),
           [[(3, 4), (3, 4), (3, 4)], [(3, 1), (4,), (3, 4)], [(), (3,), ()]]),
    OpSpec("torch.where", lambda lib, c, x: lib.where(c > 0, x, 0.5), [[(3, 4), (3, 4)]]),
    OpSpec("torch.where", lambda lib, c, y: lib.where(c > 0, 2.0, y), [[(3, 4), (4,)]]),
    OpSpec("torch.where", lambda lib, c, x, y: lib.where(c > 0, x, y), [[(3, 4), (3, 4), (3, 4)]],
           dtypes=[("float32", "int64", "float32"), ("float32", "int64", "int64")]),
    OpSpec("where", lambda x, c, y: x.where(c > 0, y), [[(3, 4), (3, 4), (4,)]]),

    # ---- comparisons and logic: bool results, no gradient ----
    OpSpec("__eq__", lambda x, y: x == y, B, grad=False, domain=(-1, 1), dtypes=NUM),
    OpSpec("__eq__", lambda x: x == 1, U, grad=False, domain=(-1, 1), dtypes=NUM1),
    OpSpec("__ne__", lambda x, y: x != y, B, grad=False, domain=(-1, 1), dtypes=NUM),
    OpSpec("__ne__", lambda x: x != 0.5, U1, grad=False, dtypes=NUM1),
    OpSpec("__lt__", lambda x, y: x < y, B, grad=False, domain=(-1, 1), dtypes=NUM),
    OpSpec("__lt__", lambda x: x < 0, U, grad=False, dtypes=NUM1),
    OpSpec("__le__", lambda x, y: x <= y, B, grad=False, domain=(-1, 1), dtypes=NUM),
    OpSpec("__le__", lambda x: x <= 0.5, U1, grad=False, dtypes=NUM1),
    OpSpec("__gt__", lambda x, y: x > y, B, grad=False, domain=(-1, 1), dtypes=NUM),
    OpSpec("__gt__", lambda x: x > 0, U, grad=False, dtypes=NUM1),
    OpSpec("__ge__", lambda x, y: x >= y, B, grad=False, domain=(-1, 1), dtypes=NUM),
    OpSpec("__ge__", lambda x: x >= 1, U1, grad=False, dtypes=NUM1),
    OpSpec("eq", lambda x, y: x.eq(y), B1, grad=False, domain=(-1, 1), dtypes=INT1),
    OpSpec("ne", lambda x, y: x.ne(y), B1, grad=False, domain=(-1, 1), dtypes=INT1),
    OpSpec("not_equal", lambda lib, x, y: lib.not_equal(x, y), B1, grad=False, domain=(-1, 1)),
    OpSpec("lt", lambda x, y: x.lt(y), B1, grad=False, dtypes=INT1),
    OpSpec("less", lambda lib, x, y: lib.less(x, y), B1, grad=False),
    OpSpec("le", lambda x, y: x.le(y), B1, grad=False, dtypes=INT1),
    OpSpec("less_equal", lambda lib, x, y: lib.less_equal(x, y), B1, grad=False),
    OpSpec("gt", lambda x, y: x.gt(y), B1, grad=False, dtypes=INT1),
    OpSpec("greater", lambda lib, x, y: lib.greater(x, y), B1, grad=False),
    OpSpec("ge", lambda x, y: x.ge(y), B1, grad=False, dtypes=INT1),
    OpSpec("greater_equal", lambda lib, x, y: lib.greater_equal(x, y), B1, grad=False),
    OpSpec("equal", lambda x: x.equal(x * 1), U, grad=False, dtypes=INT1),
    OpSpec("equal", lambda lib, x, y: lib.equal(x, y), [[(3, 4), (3, 4)], [(3, 4), (4,)]],
           grad=False),
    OpSpec("isclose", lambda x: x.isclose(x + 1e-6), U, grad=False),
    OpSpec("isclose", lambda lib, x, y: lib.isclose(x, y, atol=0.5), B1, grad=False),
    OpSpec("allclose", lambda x: x.allclose(x + 1e-6), U1, grad=False),
    OpSpec("allclose", lambda lib, x, y: lib.allclose(x, y, rtol=0.1), [[(3, 4), (3, 4)]],
           grad=False),
    OpSpec("logical_not", lambda x: x.logical_not(), U, grad=False, domain=(-1, 1),
           dtypes=LOGIC[:3]),
    OpSpec("logical_and", lambda x, y: x.logical_and(y), B, grad=False, domain=(-1, 1),
           dtypes=LOGIC),
    OpSpec("logical_or", lambda x, y: x.logical_or(y), B, grad=False, domain=(-1, 1),
           dtypes=LOGIC),
    OpSpec("logical_xor", lambda lib, x, y: lib.logical_xor(x, y), B, grad=False,
           domain=(-1, 1), dtypes=LOGIC),
    OpSpec("bitwise_not", lambda x: x.bitwise_not(), U, grad=False, dtypes=BITS[:3]),
    OpSpec("bitwise_and", lambda x, y: x.bitwise_and(y), B, grad=False, dtypes=BITS),
    OpSpec("bitwise_or", lambda x, y: x.bitwise_or(y), B, grad=False, dtypes=BITS),
    OpSpec("bitwise_xor", lambda lib, x, y: lib.bitwise_xor(x, y), B, grad=False, dtypes=BITS),
    OpSpec("__invert__", lambda x: ~x, U, grad=False, dtypes=BITS[:3]),
    OpSpec("__and__", lambda x, y: x & y, B, grad=False, dtypes=BITS),
    OpSpec("__and__", lambda x: x & True, U1, grad=False, dtypes=BITS[:2]),
    OpSpec("__rand__", lambda x: 3 & x, U1, grad=False, dtypes=BITS[1:2]),
    OpSpec("__or__", lambda x, y: x | y, B, grad=False, dtypes=BITS),
    OpSpec("__ror__", lambda x: False | x, U1, grad=False, dtypes=BITS[:2]),
    OpSpec("__xor__", lambda x, y: x ^ y, B, grad=False, dtypes=BITS),
    OpSpec("__rxor__", lambda x: 1 ^ x, U1, grad=False, dtypes=BITS[1:2]),
    OpSpec("isnan", lambda x: x.isnan(), [f32(1.0, np.nan, np.inf, -np.inf), (3, 4)], grad=False),
    OpSpec("isinf", lambda x: x.isinf(), [f32(1.0, np.nan, np.inf, -np.inf), (3, 4)], grad=False),
    OpSpec("isfinite", lambda x: x.isfinite(), [f32(1.0, np.nan, np.inf, -np.inf), (3, 4)],
           grad=False),
    OpSpec("isnan", lambda x: x.isnan(), [(3,)], grad=False, dtypes=("int64", "bool")),

    # ---- dtype conversions ----
    OpSpec("to", lambda lib, x: x.to(lib.float64), U, dtypes=INT1),
    OpSpec("to", lambda lib, x: x.to(lib.int64), U, grad=False, dtypes=FD),
    OpSpec("to", lambda x, y: x.to(y), [[(3, 4), (2,)]], dtypes=[("float32", "float64")]),
    OpSpec("to", lambda x: x.to("cpu"), U1),
    OpSpec("type_as", lambda x, y: x.type_as(y), [[(3, 4), (2,)]],
           dtypes=[("float32", "float64"), ("int64", "float32")]),
    # float64 -> float32/16 loses the precision gradcheck's finite differences need
    OpSpec("float", lambda x: x.float(), U, dtypes=("float64", "int64", "bool"), gradcheck=False),
    OpSpec("double", lambda x: x.double(), U, dtypes=NUM1),
    OpSpec("half", lambda x: x.half(), U1, atol=1e-2, rtol=1e-2, gradcheck=False),
    OpSpec("long", lambda x: x.long(), U1, grad=False, dtypes=NUM1),
    OpSpec("int", lambda x: x.int(), U1, grad=False, dtypes=NUM1),
    OpSpec("short", lambda x: x.short(), U1, grad=False, dtypes=NUM1),
    OpSpec("char", lambda x: x.char(), U1, grad=False, dtypes=NUM1),
    OpSpec("byte", lambda x: x.byte(), U1, grad=False, domain=(0, 3), dtypes=NUM1),
    OpSpec("bool", lambda x: x.bool(), U1, grad=False, domain=(-1, 1), dtypes=NUM1),

    # ---- reductions ----
    OpSpec("sum", lambda x: x.sum(), R + [(0, 3)], dtypes=NUM1),
    OpSpec("sum", lambda x: x.sum(1), RD, dtypes=NUM1),
    OpSpec("sum", lambda x: x.sum(-1, keepdim=True), RD + [(0, 3)]),
    OpSpec("sum", lambda x: x.sum((0, -1)), RD, dtypes=("float32", "int64")),
    OpSpec("sum", lambda x: x.sum([0, 1], True), RD),
    OpSpec("sum", lambda x: x.sum(axis=0, keepdims=True), RD),
    OpSpec("sum", lambda x: x.sum(0), [()]),
    OpSpec("sum", lambda lib, x: lib.sum(x, 0, dtype=lib.float64), RD),
    OpSpec("nansum", lambda x: x.nansum(), [f32(1.0, np.nan, 2.0), (3, 4)]),
    OpSpec("nansum", lambda x: x.nansum(1, keepdim=True), RD),
    OpSpec("mean", lambda x: x.mean(), R + [(0, 3)], dtypes=FD),
    OpSpec("mean", lambda x: x.mean(-1), RD),
    OpSpec("mean", lambda x: x.mean((0, 2), keepdim=True), [(2, 3, 4)]),
    OpSpec("mean", lambda x: x.mean(axis=1, keepdims=True), RD),
    OpSpec("mean", lambda x: x.mean(), [(3,)], grad=False, dtypes=("int64",)),  # an error
    OpSpec("mean", lambda lib, x: lib.mean(x, 0, dtype=lib.float64), RD, dtypes=INT1),
    OpSpec("prod", lambda x: x.prod(), R, domain=(0.5, 1.5), dtypes=("float32", "int64", "bool")),
    OpSpec("prod", lambda x: x.prod(1), RD, domain=(0.5, 1.5), dtypes=("float32", "int64")),
    OpSpec("prod", lambda x: x.prod(-1, keepdim=True), RD, domain=(0.5, 1.5)),
    OpSpec("prod", lambda x: x.prod(0),  # one, two and no zeros per column
           [np.array([[0.0, 2.0, 0.0], [3.0, 0.0, 0.0], [4.0, 5.0, 1.5]], "float32")]),
    OpSpec("prod", lambda x: x.prod(), [f32(2.0, 0.0, 3.0), f32(0.0, 0.0, 3.0)]),
    OpSpec("max", lambda x: x.max(), R, dtypes=("float32", "int64")),
    OpSpec("max", lambda x: x.max(), [f32(1.0, 3.0, 3.0, 2.0)],  # ties share the gradient
           gradgradcheck=False),
    OpSpec("max", lambda x: x.max(1), RD, dtypes=("float32", "int64")),
    OpSpec("max", lambda x: x.max(-1, keepdim=True), RD + [()]),
    OpSpec("max", lambda x: x.max(dim=0), [(3, 4)]),
    OpSpec("max", lambda x: x.max(axis=0, keepdims=True), [(3, 4)]),
    OpSpec("max", lambda x: x.max(0), [(0, 3)], grad=False),
    OpSpec("max", lambda x: x.max(), [(0, 3)], grad=False),  # an error
    OpSpec("min", lambda x: x.min(), R, dtypes=("float32", "int64")),
    OpSpec("min", lambda x: x.min(0), RD, dtypes=("float32", "int64")),
    OpSpec("min", lambda lib, x: lib.min(x, -1, keepdim=True), RD + [()]),
    OpSpec("amax", lambda x: x.amax(), R, dtypes=("float32", "int64")),
    OpSpec("amax", lambda x: x.amax(1), RD),
    OpSpec("amax", lambda x: x.amax((0, -1), keepdim=True), RD),
    OpSpec("amax", lambda x: x.amax(0), [np.array([[1.0, 2.0], [1.0, 0.0], [1.0, 2.0]], "float32")],
           gradcheck=False),  # ties: no derivative; torch's convention splits the gradient
    OpSpec("amin", lambda x: x.amin(), R, dtypes=("float32", "int64")),
    OpSpec("amin", lambda lib, x: lib.amin(x, -1, keepdim=True), RD),
    OpSpec("amin", lambda x: x.amin((0, 1)), [np.array([[1.0, 2.0], [1.0, 1.0]], "float32")],
           gradcheck=False),
    OpSpec("argmax", lambda x: x.argmax(), R, grad=False, dtypes=("float32", "int64")),
    OpSpec("argmax", lambda x: x.argmax(1), RD, grad=False, dtypes=("float32", "int64")),
    OpSpec("argmax", lambda x: x.argmax(-1, keepdim=True), RD, grad=False),
    OpSpec("argmax", lambda x: x.argmax(keepdim=True), RD, grad=False),
    OpSpec("argmax", lambda x: x.argmax(0), [()], grad=False),
    OpSpec("argmax", lambda x: x.argmax(axis=0), [(3, 4)], grad=False),
    OpSpec("argmin", lambda x: x.argmin(), R, grad=False, dtypes=("float32", "int64")),
    OpSpec("argmin", lambda lib, x: lib.argmin(x, 0, keepdim=True), RD, grad=False),
    OpSpec("std", lambda x: x.std(), R[:2]),
    OpSpec("std", lambda x: x.std(1), RD),
    OpSpec("std", lambda x: x.std(0, unbiased=False), RD),
    OpSpec("std", lambda x: x.std((0, -1), keepdim=True, correction=0), RD),
    OpSpec("std", lambda x: x.std(-1, correction=2), RD),
    OpSpec("std", lambda x: x.std(False), RD),
    OpSpec("std", lambda x: x.std(axis=1, keepdims=True), RD),
    OpSpec("var", lambda x: x.var(), R[:2]),
    OpSpec("var", lambda x: x.var(1), RD),
    OpSpec("var", lambda x: x.var(0, unbiased=False, keepdim=True), RD),
    OpSpec("var", lambda lib, x: lib.var(x, (0, 1), correction=0), RD),
    OpSpec("var", lambda x: x.var(0), [(1, 3)], gradcheck=False),  # n - 1 == 0: nan, like torch
    OpSpec("norm", lambda x: x.norm(), R),
    OpSpec("norm", lambda x: x.norm(2, 1), RD),
    OpSpec("norm", lambda x: x.norm("fro", (0, 1)), RD),
    OpSpec("norm", lambda x: x.norm(1, -1, keepdim=True), RD),
    OpSpec("norm", lambda x: x.norm(float("inf"), 0), RD),
    OpSpec("norm", lambda x: x.norm(float("-inf")), RD),
    OpSpec("norm", lambda x: x.norm(3, 1), RD),
    OpSpec("norm", lambda x: x.norm(0), RD, grad=False),
    OpSpec("norm", lambda x: x.norm(), [f32(0.0, 0.0)], gradcheck=False),  # gradient 0 at 0
    OpSpec("norm", lambda lib, x: lib.norm(x, dim=1), RD),
    OpSpec("logsumexp", lambda x: x.logsumexp(1), RD, domain=(-5, 5)),
    OpSpec("logsumexp", lambda x: x.logsumexp((0, -1), keepdim=True), RD),
    OpSpec("logsumexp", lambda x: x.logsumexp(0), [f32(1000.0, 999.0), f32(-np.inf, -np.inf)],
           gradcheck=False),
    OpSpec("logsumexp", lambda lib, x: lib.logsumexp(x, -1), RD),
    OpSpec("cumsum", lambda x: x.cumsum(0), RD + [(5,)], dtypes=("float32", "int64", "bool")),
    OpSpec("cumsum", lambda x: x.cumsum(-1), RD),
    OpSpec("cumsum", lambda x: x.cumsum(0), [()]),
    OpSpec("cumsum", lambda lib, x: lib.cumsum(x, 1, dtype=lib.float64), RD),
    OpSpec("all", lambda x: x.all(), R + [(0,)], grad=False, domain=(-1, 1), dtypes=LOGIC[:3]),
    OpSpec("all", lambda x: x.all(1), RD, grad=False, dtypes=LOGIC[:3]),
    OpSpec("all", lambda x: x.all(-1, keepdim=True), RD, grad=False, dtypes=LOGIC[:2]),
    OpSpec("any", lambda x: x.any(), R + [(0,)], grad=False, domain=(-1, 1), dtypes=LOGIC[:3]),
    OpSpec("any", lambda x: x.any(0), RD, grad=False, dtypes=LOGIC[:3]),
    OpSpec("any", lambda lib, x: lib.any(x, -1, keepdim=True), RD, grad=False, dtypes=LOGIC[:2]),

    # over an empty dim: torch's values (0, nan, -inf) or its IndexError
    OpSpec("sum", lambda x: x.sum(0), [(0, 3)]),
    OpSpec("mean", lambda x: x.mean(0), [(0, 3)]),
    OpSpec("prod", lambda x: x.prod(0), [(0, 3)]),
    OpSpec("amax", lambda x: x.amax(0), [(0, 3)], grad=False),
    OpSpec("amax", lambda x: x.amax(), [(0, 3)], grad=False),
    OpSpec("amin", lambda x: x.amin((0, 1)), [(0, 3)], grad=False),
    OpSpec("amin", lambda x: x.amin(1), [(0, 3)]),
    OpSpec("max", lambda x: x.max(1), [(0, 3)]),
    OpSpec("argmax", lambda x: x.argmax(0), [(0, 3)], grad=False),
    OpSpec("argmin", lambda x: x.argmin(), [(0, 3)], grad=False),
    OpSpec("logsumexp", lambda x: x.logsumexp(0), [(0, 3)]),
    OpSpec("norm", lambda x: x.norm(dim=0), [(0, 3)]),
    OpSpec("cumsum", lambda x: x.cumsum(0), [(0, 3)]),
    OpSpec("all", lambda x: x.all(0), [(0, 3)], grad=False, dtypes=("bool",)),
    OpSpec("any", lambda x: x.any(1), [(0, 3)], grad=False, dtypes=("bool",)),
    # numpy's axis= / keepdims= (used by the book) on the other reductions
    OpSpec("prod", lambda x: x.prod(axis=1, keepdims=True), RD, domain=(0.5, 1.5)),
    OpSpec("min", lambda x: x.min(axis=-1), RD),
    OpSpec("argmin", lambda x: x.argmin(axis=1, keepdims=True), RD, grad=False),
    OpSpec("var", lambda x: x.var(axis=0, keepdims=True), RD),
    OpSpec("all", lambda x: x.all(axis=1), RD, grad=False, dtypes=("bool",)),
    OpSpec("any", lambda x: x.any(axis=0, keepdims=True), RD, grad=False, dtypes=("bool",)),

    # ---- shape ----
    OpSpec("reshape", lambda x: x.reshape(4, 3), [(3, 4), (2, 6)], dtypes=INT1),
    OpSpec("reshape", lambda x: x.reshape((-1,)), [(3, 4), (), (0, 3)]),
    OpSpec("reshape", lambda x: x.reshape(2, -1, 1), [(2, 3, 2)]),
    OpSpec("reshape", lambda x: x.reshape(()), [(1,), (1, 1)]),
    OpSpec("reshape", lambda lib, x: lib.reshape(x, (6, 2)), [(3, 4)]),
    OpSpec("reshape", lambda x: x.reshape(5, -1), [(3, 4)], grad=False),  # an error
    OpSpec("reshape_as", lambda x, y: x.reshape_as(y), [[(3, 4), (2, 6)]]),
    OpSpec("view", lambda x: x.view(-1), [(3, 4), (), (2, 0)], dtypes=INT1),
    OpSpec("view", lambda x: x.view(2, 2, 3), [(3, 4)]),
    OpSpec("view", lambda x: x.t().view(-1), [(3, 4)], grad=False),  # an error: not viewable
    OpSpec("view_as", lambda x, y: x.view_as(y), [[(3, 4), (4, 3)]]),
    OpSpec("flatten", lambda x: x.flatten(), [(2, 3, 4), (), (3,)], dtypes=INT1),
    OpSpec("flatten", lambda x: x.flatten(1), [(2, 3, 4)]),
    OpSpec("flatten", lambda lib, x: lib.flatten(x, 0, -2), [(2, 3, 4)]),
    OpSpec("unflatten", lambda x: x.unflatten(1, (2, -1)), [(3, 4), (3, 4, 2)]),
    OpSpec("ravel", lambda x: x.ravel(), [(2, 3), ()]),
    OpSpec("squeeze", lambda x: x.squeeze(), [(1, 3, 1), (1,), (), (3, 4)], dtypes=INT1),
    OpSpec("squeeze", lambda x: x.squeeze(0), [(1, 3, 1), (3, 1)]),
    OpSpec("squeeze", lambda x: x.squeeze(-1), [(1, 3, 1), ()]),
    OpSpec("squeeze", lambda x: x.squeeze((0, 2)), [(1, 3, 1)]),
    OpSpec("unsqueeze", lambda x: x.unsqueeze(0), [(3, 4), ()], dtypes=INT1),
    OpSpec("unsqueeze", lambda x: x.unsqueeze(-1), [(3, 4), ()]),
    OpSpec("unsqueeze", lambda lib, x: lib.unsqueeze(x, 1), [(3, 4)]),
    OpSpec("permute", lambda x: x.permute(2, 0, 1), [(2, 3, 4)], dtypes=INT1),
    OpSpec("permute", lambda x: x.permute((-1, 0, 1)), [(2, 3, 4)]),
    OpSpec("permute", lambda x: x.permute(()), [()]),
    OpSpec("permute", lambda lib, x: lib.permute(x, (1, 0)), [(3, 4)]),
    OpSpec("transpose", lambda x: x.transpose(0, 1), [(3, 4), (2, 3, 4)], dtypes=INT1),
    OpSpec("transpose", lambda x: x.transpose(-1, 0), [(2, 3, 4)]),
    OpSpec("transpose", lambda lib, x: lib.transpose(x, 0, 0), [(3, 4)]),
    OpSpec("swapaxes", lambda x: x.swapaxes(0, 2), [(2, 3, 4)]),
    OpSpec("swapdims", lambda lib, x: lib.swapdims(x, 1, 2), [(2, 3, 4)]),
    OpSpec("t", lambda x: x.t(), [(3, 4), (3,), ()], dtypes=INT1),
    OpSpec("t", lambda lib, x: lib.t(x), [(3, 4)]),
    OpSpec("T", lambda x: x.T, [(3, 4), (3,), ()]),
    OpSpec("mT", lambda x: x.mT, [(3, 4), (2, 3, 4)]),
    OpSpec("expand", lambda x: x.expand(2, 3, 4), [(3, 1), (4,), (), (1, 4)], dtypes=INT1),
    OpSpec("expand", lambda x: x.expand(-1, 4), [(3, 1)]),
    OpSpec("expand", lambda x: x.expand((3, 0)), [(3, 1)]),
    OpSpec("expand_as", lambda x, y: x.expand_as(y), [[(3, 1), (2, 3, 4)]]),
    OpSpec("broadcast_to", lambda lib, x: lib.broadcast_to(x, (2, 3, 4)), [(3, 1), ()]),
    OpSpec("sum_to_size", lambda x: x.sum_to_size(3, 1), [(2, 3, 4), (3, 4)]),
    OpSpec("sum_to_size", lambda x: x.sum_to_size((1, 4)), [(2, 3, 4)]),
    OpSpec("repeat", lambda x: x.repeat(2, 3), [(3, 4), (4,), ()], dtypes=INT1),
    OpSpec("repeat", lambda x: x.repeat((2, 1, 2)), [(3, 4)]),
    OpSpec("tile", lambda x: x.tile((2,)), [(3, 4), (4,)]),
    OpSpec("tile", lambda lib, x: lib.tile(x, (2, 1, 3)), [(3, 4)]),
    OpSpec("softmax", lambda x: x.softmax(-1), [(3, 4), (5,), ()], domain=(-5, 5)),
    OpSpec("softmax", lambda lib, x: lib.softmax(x, 0, dtype=lib.float64), [(3, 4)]),
    OpSpec("log_softmax", lambda x: x.log_softmax(1), [(3, 4), (2, 3, 4)], domain=(-5, 5)),
    OpSpec("log_softmax", lambda lib, x: lib.log_softmax(x, -1), [(4,), ()]),
    OpSpec("erf", lambda x: x.erf(), [(3, 4), ()], domain=(-4, 4)),
    OpSpec("repeat_interleave", lambda x: x.repeat_interleave(2), [(3, 4), (4,), ()]),
    OpSpec("repeat_interleave", lambda x: x.repeat_interleave(3, dim=-1), [(3, 4)]),
    OpSpec("repeat_interleave", lambda lib, x, r: lib.repeat_interleave(x, r, dim=0),
           [[(3, 4), i64(1, 0, 2)], [(3,), i64(2)]]),
    OpSpec("contiguous", lambda x: x.contiguous(), [(3, 4), ()], dtypes=INT1),
    OpSpec("contiguous", lambda x: x.t().contiguous(), [(3, 4)]),
    OpSpec("clone", lambda x: x.clone(), U, dtypes=NUM1),
    OpSpec("clone", lambda lib, x: lib.clone(x), U1),
    OpSpec("torch.cat", lambda lib, x, y: lib.cat([x, y]),
           [[(3, 4), (2, 4)], [(3,), (0,)], [(0,), (2, 3)]], dtypes=("float32", "int64")),
    OpSpec("torch.cat", lambda lib, x, y: lib.cat((x, y), dim=-1), [[(3, 4), (3, 2)]],
           dtypes=("float32", ("int64", "float32"), ("float32", "float64"))),
    OpSpec("torch.cat", lambda lib, x, y, z: lib.cat([x, y, z], 1), [[(2, 1), (2, 3), (2, 2)]]),
    OpSpec("torch.cat", lambda lib, x, y: lib.cat([x, y], 1), [[(3, 4), (2, 4)]], grad=False),
    OpSpec("torch.concat", lambda lib, x, y: lib.concat([x, y], 0), [[(3, 4), (2, 4)]]),
    OpSpec("torch.concatenate", lambda lib, x, y: lib.concatenate([x, y], 1), [[(3, 4), (3, 2)]]),
    OpSpec("torch.meshgrid", lambda lib, x, y: lib.meshgrid(x, y, indexing="ij"),
           [[(3,), (4,)], [(), (2,)]]),
    OpSpec("torch.meshgrid", lambda lib, x, y, z: lib.meshgrid([x, y, z], indexing="xy"),
           [[(3,), (4,), (2,)]]),
    OpSpec("torch.stack", lambda lib, x, y: lib.stack([x, y]), [[(3, 4), (3, 4)], [(), ()]],
           dtypes=("float32", "int64", ("int64", "float32"))),
    OpSpec("torch.stack", lambda lib, x, y, z: lib.stack((x, y, z), dim=-1),
           [[(3, 4), (3, 4), (3, 4)]]),
    OpSpec("torch.stack", lambda lib, x, y: lib.stack([x, y], 1), [[(3, 4), (2, 4)]], grad=False),
    OpSpec("split", lambda x: x.split(2), [(5, 3), (4,)], dtypes=INT1),
    OpSpec("split", lambda x: x.split([1, 3], dim=1), [(2, 4)]),
    OpSpec("split", lambda lib, x: lib.split(x, 3, -1), [(2, 7)]),
    OpSpec("chunk", lambda x: x.chunk(3), [(5, 3), (6,), (2, 2)], dtypes=INT1),
    OpSpec("chunk", lambda lib, x: lib.chunk(x, 2, dim=-1), [(3, 4)]),
    OpSpec("unbind", lambda x: x.unbind(), [(3, 4), (2,)], dtypes=INT1),
    OpSpec("unbind", lambda lib, x: lib.unbind(x, -1), [(3, 4)]),
    OpSpec("flip", lambda x: x.flip(0), [(3, 4), (5,)], dtypes=INT1),
    OpSpec("flip", lambda x: x.flip(0, -1), [(2, 3, 4)]),
    OpSpec("flip", lambda lib, x: lib.flip(x, (1,)), [(3, 4)]),
    OpSpec("fliplr", lambda x: x.fliplr(), [(3, 4)]),
    OpSpec("flipud", lambda lib, x: lib.flipud(x), [(3, 4)]),
    OpSpec("narrow", lambda x: x.narrow(0, 1, 2), [(4, 3), (3,)], dtypes=INT1),
    OpSpec("narrow", lambda x: x.narrow(-1, -3, 2), [(4, 3)]),
    OpSpec("narrow", lambda lib, x: lib.narrow(x, 1, 0, 0), [(4, 3)]),
    OpSpec("select", lambda x: x.select(1, -1), [(4, 3), (2, 3, 4)], dtypes=INT1),
    OpSpec("select", lambda lib, x: lib.select(x, 0, 2), [(4, 3)]),
    OpSpec("movedim", lambda x: x.movedim(0, -1), [(2, 3, 4)], dtypes=INT1),
    OpSpec("movedim", lambda x: x.movedim((0, 1), (2, 0)), [(2, 3, 4)]),
    OpSpec("moveaxis", lambda lib, x: lib.moveaxis(x, -1, 0), [(2, 3, 4)]),

    # ---- indexing ----
    OpSpec("__getitem__", lambda x: x[1], [(3, 4), (3,), (2, 3, 4)], dtypes=INT1),
    OpSpec("__getitem__", lambda x: x[-1, 1:3], [(3, 4)]),
    OpSpec("__getitem__", lambda x: x[::2, ::3], [(5, 4)]),
    OpSpec("__getitem__", lambda x: x[..., 0], [(2, 3, 4), (3,)]),
    OpSpec("__getitem__", lambda x: x[None, :, None], [(3, 4)]),
    OpSpec("__getitem__", lambda x: x[range(3), [0, 2, 2]], [(3, 4)]),  # d2l's cross_entropy
    OpSpec("__getitem__", lambda x: x[...], [()]),
    OpSpec("__getitem__", lambda x: x[None], [()]),
    OpSpec("__getitem__", lambda x: x[1:1], [(3, 4)]),
    OpSpec("__getitem__", lambda x: x[5:], [(3, 4)]),  # an empty slice past the end
    OpSpec("__getitem__", lambda x, i: x[i], [[(5, 3), i64(0, 2, 0, -1)], [(5,), i64(4, 4, 4)]],
           dtypes=INT1),  # repeated indices: gradients accumulate
    OpSpec("__getitem__", lambda x, i: x[i], [[(5, 3), np.array([[0, 1], [1, 1]])]]),
    OpSpec("__getitem__", lambda x, i: x[:, i], [[(3, 5), i64(1, 1, 4)]]),
    OpSpec("__getitem__", lambda x, i, j: x[i, j], [[(4, 5), i64(0, 3, 0), i64(1, 2, 1)]]),
    OpSpec("__getitem__", lambda x, i: x[i, 1:], [[(4, 5), i64(0, 0)]]),
    OpSpec("__getitem__", lambda x: x[[0, 2, 0]], [(3, 4)]),
    OpSpec("__getitem__", lambda x: x[x > 0], [(3, 4), (3,)], dtypes=INT1),
    OpSpec("__getitem__", lambda x, m: x[m], [[(3, 4), np.array([True, False, True])]]),
    OpSpec("__getitem__", lambda x, m: x[:, m], [[(3, 4), np.array([True, False, True, True])]]),
    OpSpec("__getitem__", lambda x: x[5], [(3, 4)], grad=False),  # an error
    OpSpec("__setitem__", _setitem((slice(1, None), slice(None, None, 2))), [[(3, 4), (2, 2)],
           [(3, 4), (2,)], [(3, 4), ()]]),
    OpSpec("__setitem__", _setitem(1), [[(3, 4), (4,)], [(3, 4), ()]]),
    OpSpec("__setitem__", _setitem((Ellipsis, 0)), [[(2, 3, 4), (2, 3)]]),
    OpSpec("__setitem__", _setitem(np.array([True, False, True])), [[(3, 4), (4,)]]),
    OpSpec("__setitem__", lambda x, v: _setitem_tensor_key(x, v, x > 0), [[(3, 4), ()]]),
    OpSpec("__setitem__", lambda x, v, i: _setitem_tensor_key(x, v, i),
           [[(5, 3), (2, 3), i64(0, 3)], [(5, 3), (3,), i64(4, 1)]]),
    OpSpec("__setitem__", lambda x, v, i: _setitem_tensor_key(x, v, (i, 1)),
           [[(5, 3), (2,), i64(0, 3)]]),
    OpSpec("__setitem__", lambda x: _setitem_tensor_key(x, 2.5, (slice(None), 0)), U1[:1],
           dtypes=INT1),
    OpSpec("index_select", lambda x, i: x.index_select(0, i), [[(5, 3), i64(0, 2, 0)]]),
    OpSpec("index_select", lambda lib, x, i: lib.index_select(x, -1, i), [[(3, 5), i64(4, 4, 1)]],
           dtypes=INT1),
    OpSpec("masked_fill", lambda x: x.masked_fill(x > 0, 0.5), U, dtypes=INT1),
    OpSpec("masked_fill", lambda lib, x, m: lib.masked_fill(x, m > 0, -1.0), [[(3, 4), (4,)]]),
    OpSpec("masked_fill_", lambda x: (x * 1).masked_fill_(x < 0, 2.0), U1),
    OpSpec("masked_select", lambda x: x.masked_select(x > 0), U, dtypes=INT1),
    OpSpec("masked_select", lambda lib, x, m: lib.masked_select(x, m > 0), [[(3, 4), (4,)]]),
    OpSpec("index_put", lambda x, v, i: x.index_put((i,), v), [[(5, 3), (2, 3), i64(0, 3)]]),
    OpSpec("index_put", lambda x, v, i: x.index_put((i,), v, accumulate=True),
           [[(5, 3), (3, 3), i64(0, 3, 0)]]),
    OpSpec("index_put_", lambda x, v, i: (x * 1).index_put_((i,), v, accumulate=True),
           [[(5,), (3,), i64(1, 1, 2)]]),
    OpSpec("nonzero", lambda x: x.nonzero(), [(3, 4), (5,), ()], grad=False, domain=(-1, 1),
           dtypes=("int64", "bool", "float32")),
    OpSpec("nonzero", lambda lib, x: lib.nonzero(x, as_tuple=True), [(3, 4)], grad=False,
           domain=(-1, 1), dtypes=("int64",)),

    # ---- in place fills ----
    OpSpec("fill_", lambda x: (x * 1).fill_(2.5), U1, dtypes=INT1),
    OpSpec("zero_", lambda x: (x * 1).zero_(), U1),
    OpSpec("copy_", lambda x, y: (x * 1).copy_(y), [[(3, 4), (3, 4)], [(3, 4), (4,)]]),
    OpSpec("copy_", lambda x, y: (x * 1).copy_(y), [[(3, 4), (3, 4)]],
           dtypes=[("float32", "int64"), ("float32", "float64")]),

    # ---- products ----
    OpSpec("dot", lambda x, y: x.dot(y), [[(4,), (4,)], [(0,), (0,)]], dtypes=INT1),
    OpSpec("torch.dot", lambda lib, x, y: lib.dot(x, y), [[(4,), (4,)]]),
    OpSpec("inner", lambda x, y: x.inner(y), [[(4,), (4,)]]),
    OpSpec("mv", lambda x, y: x.mv(y), [[(3, 4), (4,)]], dtypes=INT1),
    OpSpec("baddbmm", lambda x, y, z: x.baddbmm(y, z), [[(2, 3, 4), (2, 3, 5), (2, 5, 4)],
                                                      [(4,), (2, 3, 5), (2, 5, 4)]]),
    OpSpec("torch.baddbmm", lambda lib, x, y, z: lib.baddbmm(x, y, z, beta=0.5, alpha=2.0),
           [[(2, 3, 4), (2, 3, 5), (2, 5, 4)]]),
    OpSpec("mm", lambda x, y: x.mm(y), [[(3, 4), (4, 2)], [(3, 0), (0, 2)]], dtypes=INT1),
    OpSpec("mm", lambda lib, x, y: lib.mm(x, y), [[(3, 4), (3, 2)]], grad=False),  # an error
    OpSpec("gather", lambda x: x.gather(1, x.new_tensor([[2, 0], [1, 1]]).long()), [[(2, 3)]]),
    OpSpec("gather", lambda x: x.gather(0, x.new_tensor([[1, 0, 1]]).long()), [[(2, 3)]],
           dtypes=INT1),
    OpSpec("torch.gather", lambda lib, x: lib.gather(x, -1, lib.tensor([[0], [2]])), [[(2, 3)]]),
    OpSpec("triu", lambda x: x.triu(), [[(3, 4)], [(2, 4, 3)]], dtypes=INT1),
    OpSpec("triu", lambda x: x.triu(-1), [[(4, 3)]]),
    OpSpec("tril", lambda x: x.tril(1), [[(3, 4)], [(2, 3, 3)]], dtypes=INT1),
    OpSpec("torch.triu", lambda lib, x: lib.triu(x, diagonal=2), [[(3, 5)]]),
    OpSpec("torch.tril", lambda lib, x: lib.tril(x, -1), [[(3, 5)]]),
    OpSpec("torch.tril", lambda lib, x: lib.tril(x), [[(4,)]], grad=False),  # 1-d: an error
    OpSpec("triu_", lambda x: x.clone().triu_(1), [[(3, 4)]]),
    OpSpec("tril_", lambda x: x.clone().tril_(), [[(3, 4)]]),
    OpSpec("sort", lambda x: x.sort(-1, descending=True), [[(3, 4)], [(5,)]]),
    OpSpec("sort", lambda x: x.sort(0), [[(3, 4)]], dtypes=("int64",), grad=False),
    OpSpec("torch.sort", lambda lib, x: lib.sort(x, dim=0, stable=True), [[(3, 4)]]),
    OpSpec("argsort", lambda x: x.argsort(1), [[(3, 4)]], grad=False),
    OpSpec("torch.argsort", lambda lib, x: lib.argsort(x, dim=0, descending=True), [[(3, 4)]],
           grad=False),
    OpSpec("scatter_add", lambda x, y: x.scatter_add(0, x.new_tensor([[1, 0, 1]]).long(), y),
           [[(2, 3), (1, 3)]]),
    OpSpec("torch.scatter_add",
           lambda lib, x, y: lib.scatter_add(x, 1, lib.tensor([[0, 0], [2, 1]]), y),
           [[(2, 3), (2, 2)]]),
    OpSpec("scatter_add_", lambda x, y: (x * 1).scatter_add_(0, x.new_tensor([[1, 1]]).long(), y),
           [[(2, 3), (1, 2)]]),
    OpSpec("scatter", lambda x, y: x.scatter(1, x.new_tensor([[2, 0], [1, 2]]).long(), y),
           [[(2, 3), (2, 2)]]),
    OpSpec("scatter", lambda x: x.scatter(1, x.new_tensor([[2], [0]]).long(), 5.0), [[(2, 3)]]),
    OpSpec("torch.scatter", lambda lib, x: lib.scatter(x, 0, lib.tensor([[1, 0, 1]]), value=-1.0),
           [[(2, 3)]]),
    OpSpec("scatter_", lambda x, y: (x * 1).scatter_(0, x.new_tensor([[1, 0]]).long(), y),
           [[(2, 3), (1, 2)]]),
    OpSpec("addmm", lambda c, x, y: c.addmm(x, y),
           [[(3, 2), (3, 4), (4, 2)], [(2,), (3, 4), (4, 2)]]),
    OpSpec("torch.addmm", lambda lib, c, x, y: lib.addmm(c, x, y, beta=0.5, alpha=2.0),
           [[(3, 2), (3, 4), (4, 2)], [(1, 2), (3, 4), (4, 2)]]),
    OpSpec("torch.addmm", lambda lib, c, x, y: lib.addmm(c, x, y, beta=0),
           [[(3, 2), (3, 4), (4, 2)]]),
    OpSpec("bmm", lambda x, y: x.bmm(y), [[(2, 3, 4), (2, 4, 5)]], dtypes=INT1),
    OpSpec("matmul", lambda x, y: x.matmul(y),
           [[(4,), (4,)], [(3, 4), (4,)], [(4,), (4, 2)], [(3, 4), (4, 2)],
            [(2, 3, 4), (4,)], [(4,), (2, 4, 3)], [(2, 3, 4), (4, 5)], [(3, 4), (2, 4, 5)],
            [(2, 3, 4), (2, 4, 5)], [(2, 1, 3, 4), (5, 4, 2)], [(1, 3, 4), (2, 4, 5)]],
           dtypes=INT1),
    OpSpec("matmul", lambda x, y: x.matmul(y), [[(3, 4), (3,)], [(), (3,)]], grad=False),  # errors
    OpSpec("torch.matmul", lambda lib, x, y: lib.matmul(x, y), [[(2, 3, 4), (4, 2)]]),
    OpSpec("__matmul__", lambda x, y: x @ y, [[(3, 4), (4, 2)], [(2, 3, 4), (4,)]]),
    OpSpec("__rmatmul__", lambda x, y: x.__rmatmul__(y), [[(3, 4), (2, 3)]]),
    OpSpec("outer", lambda x, y: x.outer(y), [[(3,), (4,)]], dtypes=INT1),
    OpSpec("ger", lambda lib, x, y: lib.ger(x, y), [[(3,), (4,)]]),
    OpSpec("torch.einsum", lambda lib, x, y: lib.einsum("ij,jk->ik", x, y), [[(3, 4), (4, 2)]]),
    OpSpec("torch.einsum", lambda lib, x, y: lib.einsum("bij,bjk->bik", x, y),
           [[(2, 3, 4), (2, 4, 5)]]),
    OpSpec("torch.einsum", lambda lib, x: lib.einsum("ij->ji", x), [(3, 4)]),
    OpSpec("torch.einsum", lambda lib, x, y: lib.einsum("i,i->", x, y), [[(4,), (4,)]]),
    OpSpec("torch.einsum", lambda lib, x: lib.einsum("ij->j", x), [(3, 4)]),
    OpSpec("torch.einsum", lambda lib, x, y: lib.einsum("i,j->ij", [x, y]), [[(3,), (4,)]]),
    OpSpec("torch.einsum", lambda lib, x, y: lib.einsum("ij,kj", x, y), [[(3, 4), (2, 4)]]),
    OpSpec("torch.einsum", lambda lib, x: lib.einsum("ii->i", x), [(3, 3)]),  # diagonal
    OpSpec("torch.einsum", lambda lib, x: lib.einsum("ii", x), [(3, 3)]),  # trace
    OpSpec("torch.einsum", lambda lib, x, y: lib.einsum("iji,j->ij", x, y), [[(3, 2, 3), (2,)]]),
    OpSpec("torch.einsum", lambda lib, x: lib.einsum("iii->", x), [(2, 2, 2)]),
    OpSpec("torch.einsum", lambda lib, x, y: lib.einsum("bij,jk", x, y), [[(2, 3, 4), (4, 5)]]),
    OpSpec("torch.einsum", lambda lib, x, y: lib.einsum("ij,ij->ij", x, y),
           [[(1, 3), (2, 3)], [(2, 1), (1, 3)]]),  # size-1 dims broadcast
    OpSpec("torch.einsum", lambda lib, x, y: lib.einsum("...ij,...jk", x, y),
           [[(3, 4), (4, 2)], [(2, 3, 4), (4, 5)], [(1, 3, 4), (2, 4, 5)], [(2, 2, 3, 4), (4, 1)]]),
    OpSpec("torch.einsum", lambda lib, x, y: lib.einsum("...i,...i->...", x, y),
           [[(3,), (2, 3)], [(2, 1, 3), (4, 3)]]),
    OpSpec("torch.einsum", lambda lib, x: lib.einsum("i...->...", x), [(3, 4, 2), (3,)]),
    OpSpec("torch.einsum", lambda lib, x: lib.einsum("...ii->...i", x), [(2, 3, 3)]),
    OpSpec("torch.broadcast_shapes", lambda lib: lib.broadcast_shapes((2, 1), (3,), ()), [[]],
           grad=False),
    OpSpec("torch.broadcast_shapes", lambda lib: lib.broadcast_shapes((2, 3), (4,)), [[]],
           grad=False),  # an error
]
