"""dtypes and PyTorch's type promotion, checked against real PyTorch.

Every dtype pair is tried as tensor/tensor, tensor/0-dim, 0-dim/0-dim and with
Python scalars on either side; we compare promote_types, result_type and the
dtype (and values) that real operators give.
"""

import itertools
import operator

import numpy as np
import pytest

import glasstorch

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
PAIRS = list(itertools.product(NAMES, NAMES))
SCALARS = [True, 3, 2.5]


def make(lib, name, kind):
    """The same tensor in glasstorch or torch: `kind` is 'dims' (shape (3,)) or '0dim'."""
    dtype = getattr(lib, name)
    if name == "bool":
        values = [True, True, True]  # nonzero, so integer division never divides by zero
    else:
        values = [1, 2, 3]
    if kind == "0dim":
        values = values[1]
    return lib.tensor(values, dtype=dtype)


def name_of(dtype):
    return str(dtype).removeprefix("torch.")


def run(lib, fn, *args):
    """fn(*args) in lib, or the exception type it raised."""
    try:
        return fn(*args)
    except Exception as error:  # noqa: BLE001 - we compare the type with torch's
        return type(error)


def check_same(ours, theirs):
    """Same outcome: both raised the same exception type, or same dtype, shape and values."""
    if isinstance(theirs, type):
        assert ours is theirs or (isinstance(ours, type) and issubclass(ours, theirs)), ours
        return
    assert not isinstance(ours, type), f"glasstorch raised {ours.__name__}, torch gave {theirs}"
    assert name_of(ours.dtype) == name_of(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    expected = theirs.numpy()
    tolerance = 1e-3 if expected.dtype == np.float16 else 1e-6
    np.testing.assert_allclose(
        ours.numpy().astype(np.float64), expected.astype(np.float64), rtol=tolerance
    )


# ---- promote_types ----


@pytest.mark.parametrize("a,b", PAIRS)
def test_promote_types_grid(torch, a, b):
    ours = glasstorch.promote_types(getattr(glasstorch, a), getattr(glasstorch, b))
    assert name_of(ours) == name_of(torch.promote_types(getattr(torch, a), getattr(torch, b)))


def test_promote_types_is_symmetric_and_returns_dtype_objects():
    for a, b in PAIRS:
        x, y = getattr(glasstorch, a), getattr(glasstorch, b)
        assert glasstorch.promote_types(x, y) is glasstorch.promote_types(y, x)
        assert isinstance(glasstorch.promote_types(x, y), glasstorch.dtype)


# ---- result_type and the real result of operators ----

KINDS = [("dims", "dims"), ("dims", "0dim"), ("0dim", "dims"), ("0dim", "0dim")]


@pytest.mark.parametrize("kinds", KINDS, ids="-".join)
@pytest.mark.parametrize("a,b", PAIRS)
def test_result_type_tensors(torch, a, b, kinds):
    ours = glasstorch.result_type(make(glasstorch, a, kinds[0]), make(glasstorch, b, kinds[1]))
    theirs = torch.result_type(make(torch, a, kinds[0]), make(torch, b, kinds[1]))
    assert name_of(ours) == name_of(theirs)


@pytest.mark.parametrize("default", ["float32", "float64"])
@pytest.mark.parametrize("scalar", SCALARS, ids=repr)
@pytest.mark.parametrize("kind", ["dims", "0dim"])
@pytest.mark.parametrize("name", NAMES)
def test_result_type_with_python_scalar(torch, name, kind, scalar, default):
    glasstorch.set_default_dtype(getattr(glasstorch, default))
    torch.set_default_dtype(getattr(torch, default))
    t_ours, t_theirs = make(glasstorch, name, kind), make(torch, name, kind)
    assert name_of(glasstorch.result_type(t_ours, scalar)) == name_of(
        torch.result_type(t_theirs, scalar))
    assert name_of(glasstorch.result_type(scalar, t_ours)) == name_of(
        torch.result_type(scalar, t_theirs))


OPERATORS = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "truediv": operator.truediv,
    "floordiv": operator.floordiv,
    "mod": operator.mod,
    "pow": operator.pow,
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "maximum": lambda a, b: a.maximum(b),
}


def check_operators(torch, ops, ours_args, theirs_args):
    """Every operator in ops on both libraries; report all mismatches together."""
    failures = []
    for op in ops:
        ours = run(glasstorch, OPERATORS[op], *ours_args())
        theirs = run(torch, OPERATORS[op], *theirs_args())
        try:
            check_same(ours, theirs)
        except AssertionError as error:
            failures.append(f"{op}: glasstorch {ours!r} torch {theirs!r} ({error})")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("kinds", KINDS, ids="-".join)
@pytest.mark.parametrize("a,b", PAIRS)
def test_operator_result_tensors(torch, a, b, kinds):
    check_operators(torch, OPERATORS,
                    lambda: (make(glasstorch, a, kinds[0]), make(glasstorch, b, kinds[1])),
                    lambda: (make(torch, a, kinds[0]), make(torch, b, kinds[1])))


SCALAR_OPERATORS = ["add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "lt", "eq"]


@pytest.mark.parametrize("default", ["float32", "float64"])
@pytest.mark.parametrize("scalar", SCALARS, ids=repr)
@pytest.mark.parametrize("kind", ["dims", "0dim"])
@pytest.mark.parametrize("name", NAMES)
def test_operator_result_with_python_scalar(torch, name, kind, scalar, default):
    glasstorch.set_default_dtype(getattr(glasstorch, default))
    torch.set_default_dtype(getattr(torch, default))
    check_operators(torch, SCALAR_OPERATORS, lambda: (make(glasstorch, name, kind), scalar),
                    lambda: (make(torch, name, kind), scalar))
    check_operators(torch, SCALAR_OPERATORS, lambda: (scalar, make(glasstorch, name, kind)),
                    lambda: (scalar, make(torch, name, kind)))


def test_weak_python_scalars():
    assert (glasstorch.tensor([1, 2]) * 2.5).dtype == glasstorch.float32
    assert (glasstorch.tensor([1, 2], dtype=glasstorch.int32) * 2).dtype == glasstorch.int32
    assert (glasstorch.tensor([1.0], dtype=glasstorch.float16) * 2.0).dtype == glasstorch.float16
    assert (glasstorch.tensor([1.0], dtype=glasstorch.float16) * 1e5).dtype == glasstorch.float16
    assert (glasstorch.tensor([True]) + 1).dtype == glasstorch.int64
    assert (glasstorch.tensor([1], dtype=glasstorch.uint8) + 300).dtype == glasstorch.uint8
    assert (glasstorch.tensor([1, 2]) / 2).dtype == glasstorch.float32
    glasstorch.set_default_dtype(glasstorch.float64)
    assert (glasstorch.tensor([1, 2]) * 2.5).dtype == glasstorch.float64
    assert (glasstorch.tensor([1, 2]) / glasstorch.tensor([2, 2])).dtype == glasstorch.float64
    assert (glasstorch.tensor([1.0], dtype=glasstorch.float32) * 2.5).dtype == glasstorch.float32


def test_int_tensor_times_float_value(torch):
    ours = glasstorch.tensor([1, -2, 3]) * 2.5
    theirs = torch.tensor([1, -2, 3]) * 2.5
    check_same(ours, theirs)


def test_in_place_keeps_dtype_or_refuses_like_torch(torch):
    cases = [
        ("int64", 2.5, operator.iadd),
        ("int64", 2, operator.imul),
        ("float16", 2.5, operator.iadd),
        ("float32", 3, operator.itruediv),
        ("int64", 2, operator.itruediv),
        ("uint8", 2, operator.isub),
    ]
    for name, scalar, fn in cases:
        ours = run(glasstorch, fn, make(glasstorch, name, "dims"), scalar)
        theirs = run(torch, fn, make(torch, name, "dims"), scalar)
        check_same(ours, theirs)
    for a, b in [("float32", "int64"), ("int64", "float32"), ("int32", "int64"),
                 ("bool", "int64"), ("float16", "float64"), ("uint8", "int8")]:
        ours = run(glasstorch, operator.iadd, make(glasstorch, a, "dims"),
                   make(glasstorch, b, "dims"))
        theirs = run(torch, operator.iadd, make(torch, a, "dims"), make(torch, b, "dims"))
        check_same(ours, theirs)


# ---- integer division, floor, remainder with negative numbers ----

DIVIDENDS = [7, -7, 6, -6, 0, 5, -1, 3]
DIVISORS = [2, 2, -4, -4, 3, -3, 5, -5]


@pytest.mark.parametrize("dtype", ["int64", "int32", "int8", "float32", "float64"])
def test_division_values_with_negatives(torch, dtype):
    def both(lib):
        d = getattr(lib, dtype)
        return lib.tensor(DIVIDENDS, dtype=d), lib.tensor(DIVISORS, dtype=d)

    fns = [
        lambda a, b: a / b,
        lambda a, b: a // b,
        lambda a, b: a % b,
        lambda a, b: a.div(b, rounding_mode="floor"),
        lambda a, b: a.div(b, rounding_mode="trunc"),
        lambda a, b: a.remainder(b),
        lambda a, b: a.fmod(b),
        lambda a, b: a // 3,
        lambda a, b: a % -3,
        lambda a, b: -7 // b,
        lambda a, b: -7 % b,
        lambda a, b: a.fmod(-3),
        lambda a, b: a.div(-4, rounding_mode="floor"),
        lambda a, b: a.div(-4, rounding_mode="trunc"),
        lambda a, b: a.remainder(2.5),
        lambda a, b: a // 2.5,
    ]
    for fn in fns:
        check_same(run(glasstorch, fn, *both(glasstorch)), run(torch, fn, *both(torch)))


def test_integer_division_by_zero_raises_like_torch(torch):
    for fn in [lambda a, b: a // b, lambda a, b: a % b]:
        ours = run(glasstorch, fn, glasstorch.tensor([1, 2]), glasstorch.tensor([0, 1]))
        theirs = run(torch, fn, torch.tensor([1, 2]), torch.tensor([0, 1]))
        check_same(ours, theirs)
    # true division of ints by zero is float division: inf and nan, no error
    ours = glasstorch.tensor([1, 0, -1]) / glasstorch.tensor([0, 0, 0])
    theirs = torch.tensor([1, 0, -1]) / torch.tensor([0, 0, 0])
    assert ours.dtype == glasstorch.float32
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ---- conversions ----

TYPE_WORDS = {
    "bool": "torch.BoolTensor", "uint8": "torch.ByteTensor", "int8": "torch.CharTensor",
    "int16": "torch.ShortTensor", "int32": "torch.IntTensor", "int64": "torch.LongTensor",
    "float16": "torch.HalfTensor", "float32": "torch.FloatTensor",
    "float64": "torch.DoubleTensor",
}


@pytest.mark.parametrize("name", NAMES)
def test_type_without_arguments(torch, name):
    assert make(glasstorch, name, "dims").type() == make(torch, name, "dims").type()
    assert make(glasstorch, name, "0dim").type() == TYPE_WORDS[name]


@pytest.mark.parametrize("target", NAMES)
@pytest.mark.parametrize("name", ["bool", "int64", "float32", "float16"])
def test_type_converts(torch, name, target):
    ours = make(glasstorch, name, "dims")
    theirs = make(torch, name, "dims")
    check_same(ours.type(getattr(glasstorch, target)), theirs.type(getattr(torch, target)))
    check_same(ours.type(TYPE_WORDS[target]), theirs.type(TYPE_WORDS[target]))
    assert ours.dtype == getattr(glasstorch, name)  # the original is unchanged


def test_type_to_the_same_dtype_returns_self():
    t = glasstorch.tensor([1.0, 2.0])
    assert t.type(glasstorch.float32) is t
    assert t.to(glasstorch.float32) is t


@pytest.mark.parametrize("target", NAMES)
@pytest.mark.parametrize("name", NAMES)
def test_to_dtype(torch, name, target):
    def fn(lib):
        t = lib.tensor([0.0, -1.5, 2.7, 300.0]) if name.startswith("float") else make(
            lib, name, "dims")
        return t.to(getattr(lib, name)).to(getattr(lib, target))

    if target in ("uint8", "int8") and name.startswith("float"):  # out-of-range float->int casts
        return check_same(make(glasstorch, name, "dims").to(getattr(glasstorch, target)),
                          make(torch, name, "dims").to(getattr(torch, target)))
    check_same(fn(glasstorch), fn(torch))


@pytest.mark.parametrize("method", ["float", "double", "long", "int", "bool", "half", "short",
                                    "byte", "char"])
def test_conversion_methods(torch, method):
    for values in ([0.0, -1.5, 2.7, 3.0], [0, 1, 5], [True, False]):
        ours = getattr(glasstorch.tensor(values), method)()
        theirs = getattr(torch.tensor(values), method)()
        if method in ("byte", "char") and values[1] == -1.5:
            continue  # negative float -> uint8 is undefined behaviour in C++
        check_same(ours, theirs)


def test_conversion_keeps_autograd(torch):
    x = glasstorch.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.dtype == glasstorch.float64 and y.requires_grad
    y.sum().backward()
    assert x.grad.dtype == glasstorch.float32
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    assert x.long().requires_grad is False


# ---- the default dtype ----


def test_default_dtype(torch):
    assert glasstorch.get_default_dtype() is glasstorch.float32
    assert glasstorch.tensor([1.0]).dtype is glasstorch.float32
    assert glasstorch.zeros(2).dtype is glasstorch.float32
    glasstorch.set_default_dtype(glasstorch.float64)
    assert glasstorch.get_default_dtype() is glasstorch.float64
    for fn in [lambda lib: lib.tensor([1.0]), lambda lib: lib.zeros(2), lambda lib: lib.rand(2),
               lambda lib: lib.arange(0.0, 1.0, 0.5), lambda lib: lib.tensor([1, 2]) / 2,
               lambda lib: lib.tensor([1, 2]) * 0.5, lambda lib: lib.linspace(0, 1, 3),
               lambda lib: lib.full((2,), 1.5), lambda lib: lib.tensor(2.5)]:
        torch.set_default_dtype(torch.float64)
        assert name_of(fn(glasstorch).dtype) == name_of(fn(torch).dtype) == "float64"
    assert glasstorch.tensor([1, 2]).dtype is glasstorch.int64
    # torch omits the dtype in the repr of default-dtype tensors only
    assert repr(glasstorch.tensor([1.5])) == repr(torch.tensor([1.5]))
    glasstorch.set_default_dtype(glasstorch.float32)
    torch.set_default_dtype(torch.float32)
    assert repr(glasstorch.tensor([1.5], dtype=glasstorch.float64)) == repr(
        torch.tensor([1.5], dtype=torch.float64))
    glasstorch.set_default_dtype(glasstorch.float16)
    assert glasstorch.ones(1).dtype is glasstorch.float16


@pytest.mark.parametrize("name", ["int64", "int32", "bool", "uint8"])
def test_set_default_dtype_rejects_non_float(torch, name):
    with pytest.raises(TypeError) as ours:
        glasstorch.set_default_dtype(getattr(glasstorch, name))
    with pytest.raises(TypeError) as theirs:
        torch.set_default_dtype(getattr(torch, name))
    assert str(theirs.value) in str(ours.value)
    assert glasstorch.get_default_dtype() is glasstorch.float32


# ---- dtype objects ----


@pytest.mark.parametrize("name", NAMES)
def test_dtype_attributes(torch, name):
    ours, theirs = getattr(glasstorch, name), getattr(torch, name)
    assert repr(ours) == repr(theirs) == str(ours)
    assert ours.is_floating_point == theirs.is_floating_point
    assert ours.is_signed == theirs.is_signed
    assert ours.itemsize == theirs.itemsize
    assert ours.is_complex == theirs.is_complex


def test_dtype_aliases(torch):
    for alias in ["half", "float", "double", "short", "int", "long"]:
        assert repr(getattr(glasstorch, alias)) == repr(getattr(torch, alias))


def test_dtype_pickles_to_the_same_object():
    import pickle

    for name in NAMES:
        d = getattr(glasstorch, name)
        assert pickle.loads(pickle.dumps(d)) is d


def test_can_cast(torch):
    for a, b in PAIRS:
        ours = glasstorch.can_cast(getattr(glasstorch, a), getattr(glasstorch, b))
        assert ours == torch.can_cast(getattr(torch, a), getattr(torch, b)), (a, b)
