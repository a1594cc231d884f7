"""F.interpolate and nn.Upsample against PyTorch: values and gradients of every mode, errors."""

import numpy as np
import pytest
from oracle import check

import glasstorch
from glasstorch import nn

SIZES = [  # (input h, w), output (h, w): up, down, odd, mixed, to and from one pixel
    ((4, 5), (8, 10)), ((8, 8), (3, 5)), ((7, 5), (13, 9)), ((6, 9), (4, 14)),
    ((1, 3), (3, 1)), ((5, 4), (5, 4)), ((28, 28), (96, 96)), ((28, 28), (9, 11)),
]


def interpolate(**options):
    return lambda lib, x: lib.nn.functional.interpolate(x, **options)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("sizes", SIZES)
@pytest.mark.parametrize("mode, align_corners, antialias", [
    ("bilinear", False, False), ("bilinear", True, False), ("bilinear", False, True),
    ("bilinear", True, True), ("bicubic", False, False), ("bicubic", True, False),
    ("bicubic", False, True), ("nearest", None, False), ("area", None, False),
])
def test_4d_modes_to_a_size(mode, align_corners, antialias, sizes, dtype):
    (h, w), size = sizes
    atol = 5e-5 if dtype == "float32" else None  # float32 gradients sum up to ~12 terms
    check(interpolate(size=size, mode=mode, align_corners=align_corners, antialias=antialias),
          (2, 3, h, w), dtype=dtype, atol=atol)


@pytest.mark.parametrize("sizes", SIZES)
def test_nearest_exact_float32(sizes):
    # torch's float64 nearest-exact computes its indices in float64 forward but float32
    # backward, so only float32 has one answer to match
    (h, w), size = sizes
    check(interpolate(size=size, mode="nearest-exact"), (2, 3, h, w))


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic", "area"])
@pytest.mark.parametrize("recompute_scale_factor", [None, True])
@pytest.mark.parametrize("scale_factor", [2, 0.5, 1.5, 1 / 3, (2.7, 0.6)])
def test_scale_factor(mode, scale_factor, recompute_scale_factor):
    # without recompute_scale_factor the weights use 1 / scale_factor, not in / out
    check(interpolate(scale_factor=scale_factor, mode=mode,
                      recompute_scale_factor=recompute_scale_factor), (1, 2, 7, 10))


def test_antialias_with_scale_factor():
    check(interpolate(scale_factor=0.3, mode="bilinear", antialias=True), (1, 2, 28, 20))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode, align_corners", [
    ("linear", False), ("linear", True), ("nearest", None), ("area", None),
])
@pytest.mark.parametrize("size", [3, 11, 16])
def test_3d(mode, align_corners, size, dtype):
    check(interpolate(size=size, mode=mode, align_corners=align_corners), (2, 3, 7), dtype=dtype)


@pytest.mark.parametrize("mode", ["trilinear", "nearest", "area"])
def test_5d(mode):
    check(interpolate(size=(3, 5, 4), mode=mode), (1, 2, 4, 3, 6))


def test_nearest_keeps_integer_dtypes(torch):
    array = np.arange(12, dtype=np.uint8).reshape(1, 1, 3, 4)
    ours = glasstorch.nn.functional.interpolate(glasstorch.from_numpy(array), size=(5, 7))
    theirs = torch.nn.functional.interpolate(torch.from_numpy(array), size=(5, 7))
    assert ours.dtype == glasstorch.uint8
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_gradcheck_float64():
    x = glasstorch.randn(1, 2, 5, 6, dtype=glasstorch.float64, requires_grad=True)
    for options in [dict(size=(3, 8), mode="bilinear", antialias=True),
                    dict(size=(7, 4), mode="bicubic", align_corners=True)]:
        assert glasstorch.autograd.gradcheck(
            lambda x, options=options: glasstorch.nn.functional.interpolate(x, **options), (x,))


@pytest.mark.parametrize("shape, options", [
    ((1, 1, 4, 4), dict(size=3, mode="nearest", align_corners=True)),
    ((1, 1, 4, 4), dict()),
    ((1, 1, 4, 4), dict(size=3, scale_factor=2)),
    ((1, 1, 4, 4), dict(size=(3,))),
    ((1, 1, 4, 4), dict(size=(3.0, 2))),
    ((1, 1, 4, 4), dict(scale_factor=(2,))),
    ((1, 1, 4, 4), dict(size=3, recompute_scale_factor=True)),
    ((1, 1, 4, 4), dict(size=3, mode="linear")),
    ((1, 1, 4), dict(size=3, mode="bilinear")),
    ((1, 1, 4, 4), dict(size=3, mode="trilinear")),
    ((1, 1, 4, 4), dict(size=3, mode="no-such-mode")),
    ((1, 1, 4, 4), dict(size=3, mode="nearest", antialias=True)),
    ((1, 1, 4), dict(size=3, mode="linear", antialias=True)),
    ((1, 1, 4, 4), dict(size=0, mode="bilinear")),
    ((1, 1, 4, 4), dict(scale_factor=0.1, mode="bilinear")),
    ((4, 4), dict(size=3)),
    ((1, 1, 2, 2, 2, 2), dict(size=3)),
])
def test_errors_as_torch(torch, shape, options):
    _, error = check(interpolate(**options), shape)
    assert isinstance(error, Exception)  # torch refused, and so did glasstorch (same type)
    with pytest.raises(type(error)) as ours:
        glasstorch.nn.functional.interpolate(glasstorch.ones(shape), **options)
    assert str(ours.value) == str(error)


def test_integer_input_to_linear_modes_is_refused():
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        glasstorch.nn.functional.interpolate(glasstorch.ones(1, 1, 4, 4, dtype=glasstorch.int64),
                                             size=3, mode="bilinear")


@pytest.mark.parametrize("options", [
    dict(scale_factor=2, mode="bilinear"), dict(size=(5, 3)),
    dict(scale_factor=(1.5, 2), mode="bicubic", align_corners=True),
])
def test_upsample_module(torch, options):
    check(lambda lib, x: lib.nn.Upsample(**options)(x), (2, 3, 4, 6))
    assert repr(nn.Upsample(**options)) == repr(torch.nn.Upsample(**options))
