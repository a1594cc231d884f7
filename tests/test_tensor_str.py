"""glasstorch._tensor_str against torch's own repr, character for character."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from glasstorch._tensor_str import format_tensor, get_printoptions, set_printoptions


def ours(t, suffixes=()):
    is_default = t.dtype in (torch.get_default_dtype(), torch.int64, torch.bool)
    dtype_name = str(t.dtype).removeprefix("torch.")
    return format_tensor(t.detach().numpy(), dtype_name, is_default, suffixes)


def check(t, suffixes=()):
    assert ours(t, suffixes) == repr(t)


@pytest.fixture(autouse=True)
def restore_printoptions():
    yield
    set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


def both_set_printoptions(**kwargs):
    set_printoptions(**kwargs)
    torch.set_printoptions(**kwargs)


gen = torch.Generator().manual_seed(0)

FLOATS = [
    0.0, -0.0, 3.5, 1.0, -2.0, 1e10, 1e-5, 123456789.0, [], [1.0, 2.0], [1.5, -2.25],
    [0.0, -0.0], [-0.0, 1.0], [1e-5, 1.0], [1.0, 1001.0], [1.0, 999.0], [1e8, 1.0], [1e9],
    [float("nan"), 1.0], [float("inf"), -float("inf"), 2.5], [float("nan")], [float("inf"), 1e-5],
    [float("nan"), 1e20, -3.0], [-1.5e-7, 2.0], [0.1, 0.25, 100.0], [[1.0, 2.0], [3.0, 4.5]],
    [1e-4, 1.0], [0.5, 500.0], [0.5, 501.0], [12345.678], [-1234567.5, 0.001], [0.00012],
    [[[1.0, -1.0]], [[1e5, 3.0]]], [float("nan"), float("inf"), 0.0],
]


@pytest.mark.parametrize("data", FLOATS, ids=repr)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16])
def test_float_values(data, dtype):
    if dtype == torch.float16:
        data = np.clip(np.array(data, dtype=np.float64), -6e4, 6e4).tolist()  # stay finite
    check(torch.tensor(data, dtype=dtype))


SHAPES = [(), (0,), (3,), (2, 3), (2, 3, 4), (2, 0, 3), (1, 1, 1), (0, 3), (3, 0), (2, 2, 2, 2),
          (2000,), (50, 50), (1001,), (10, 10, 11), (4, 3, 100), (3, 1, 2, 1, 2)]
DTYPES = [torch.float32, torch.float64, torch.float16, torch.int64, torch.int32, torch.int16,
          torch.int8, torch.uint8, torch.bool]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_shapes_and_dtypes(shape, dtype):
    if dtype == torch.bool:
        t = torch.rand(shape, generator=gen) > 0.5
    elif dtype.is_floating_point:
        t = (torch.randn(shape, generator=gen, dtype=torch.float64) * 10).to(dtype)
    else:
        low = 0 if dtype == torch.uint8 else -100
        t = torch.randint(low, 100, shape, generator=gen, dtype=dtype)
    check(t)


@pytest.mark.parametrize("scale", [1e-8, 1e-3, 1.0, 1e3, 1e6, 1e12, 1e30])
@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 4), (40, 40)], ids=str)
def test_random_magnitudes(scale, shape):
    check(torch.randn(shape, generator=gen) * scale)
    check(torch.randn(shape, generator=gen, dtype=torch.float64) * scale)


def test_integer_valued_floats_and_wrapping():
    check(torch.arange(30.0))
    check(torch.arange(100.0).reshape(2, 50))
    check(torch.arange(-50, 50) * 1_000_000_007)
    check(torch.arange(100.0).reshape(2, 50) / 7)
    check(torch.tensor([[1e10, -1.0], [float("nan"), 0.0]]))


def test_ints():
    check(torch.tensor(7))
    check(torch.tensor([-1, 22, 333]))
    check(torch.tensor([2**62, -(2**62)]))
    check(torch.tensor([1, 2], dtype=torch.int32))
    check(torch.tensor([[True, False], [False, True]]))
    check(torch.tensor(True))


def test_empty_tensors():
    check(torch.tensor([]))
    check(torch.zeros(0, 3))
    check(torch.zeros(0, dtype=torch.int64))
    check(torch.zeros(2, 0, 3, dtype=torch.bool))
    check(torch.zeros(0, dtype=torch.float64))
    check(torch.zeros(0, 4, requires_grad=True), ("requires_grad=True",))


def test_suffixes():
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    check(t, ("requires_grad=True",))
    check(t * 2, ("grad_fn=<MulBackward0>",))
    check(torch.randn(3, 4, dtype=torch.float64, requires_grad=True), ("requires_grad=True",))
    check(torch.tensor(3.5, requires_grad=True), ("requires_grad=True",))
    # a long last line pushes the suffix onto its own line
    wide = torch.randn(12, generator=gen, dtype=torch.float64, requires_grad=True)
    check(wide, ("requires_grad=True",))
    check(torch.randn(2, 9, generator=gen, dtype=torch.float64, requires_grad=True) + 1,
          ("grad_fn=<AddBackward0>",))


def test_device_suffix_goes_first():
    text = format_tensor(np.array([1, 2], np.int32), "int32", False,
                         ("device='cuda:0'", "requires_grad=True"))
    assert text == "tensor([1, 2], device='cuda:0', dtype=torch.int32, requires_grad=True)"


def test_default_dtype_float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        check(torch.tensor([1.5, 2.0]))
        check(torch.tensor([1.5, 2.0], dtype=torch.float32))
        check(torch.zeros(0))
        check(torch.zeros(0, dtype=torch.float32))
    finally:
        torch.set_default_dtype(old)


@pytest.mark.parametrize(
    "options",
    [
        {"precision": 2},
        {"precision": 0},
        {"precision": 8},
        {"sci_mode": False},
        {"sci_mode": True},
        {"threshold": 5},
        {"threshold": 5, "edgeitems": 1},
        {"threshold": 5, "edgeitems": 0},
        {"linewidth": 30},
        {"linewidth": 5},
        {"profile": "short"},
        {"profile": "full"},
    ],
    ids=str,
)
def test_printoptions(options):
    both_set_printoptions(**options)
    assert get_printoptions() == torch._tensor_str.get_printoptions()
    for t in [
        torch.tensor([1.12345, -2.5, 1e-5]),
        torch.tensor([1e10, 1.0]),
        torch.tensor([0.5, 2.0, 100.25]),
        torch.arange(10.0),
        torch.arange(10),
        torch.randn(20, 30, generator=gen),
        torch.randn(3, 4, 5, generator=gen),
        torch.tensor(2.5),
        torch.randn(2000, generator=gen, dtype=torch.float64),
    ]:
        check(t)
    check(torch.randn(4, 8, requires_grad=True), ("requires_grad=True",))


def test_get_printoptions_defaults():
    assert get_printoptions() == torch._tensor_str.get_printoptions()
    set_printoptions(precision=3)
    assert get_printoptions()["precision"] == 3


magnitudes = st.sampled_from([1e-6, 1e-2, 1.0, 1e2, 1e5, 1e9])
shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5)


@settings(max_examples=50, deadline=None)
@given(
    dtype=st.sampled_from(["float32", "float64", "float16", "int64", "int8", "uint8", "bool"]),
    shape=shapes,
    scale=magnitudes,
    data=st.data(),
)
def test_property_random_tensors(dtype, shape, scale, data):
    if dtype.startswith("float"):
        specials = st.sampled_from([float("nan"), float("inf"), -float("inf"), -0.0])
        elements = st.floats(-1e4, 1e4, width=16) | specials
        array = data.draw(hnp.arrays(np.float64, shape, elements=elements))
        with np.errstate(invalid="ignore", over="ignore"):
            array = (array * scale).astype(dtype)
        integral = data.draw(st.booleans())
        if integral:  # exercise integer mode as well
            array = np.round(array)
    elif dtype == "bool":
        array = data.draw(hnp.arrays(np.bool_, shape))
    else:
        array = data.draw(hnp.arrays(dtype, shape))
    check(torch.from_numpy(np.array(array, copy=True)))
