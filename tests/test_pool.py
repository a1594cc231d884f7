"""Pooling (max, average, adaptive; 1-d and 2-d) against PyTorch: values, indices, gradients."""

import numpy as np
import pytest

import glasstorch
import glasstorch.nn.functional as F
from glasstorch import nn


def _compare(torch, fn, shape, *, dtype="float32", seed=0, ties=False, atol=1e-5):
    """fn(lib_functional, x) on both libraries: outputs (values and indices) and gradients."""
    rng = np.random.default_rng(seed)
    if ties:  # few distinct values: windows with several maxima
        array = rng.integers(0, 3, shape).astype(dtype)
    else:
        array = rng.standard_normal(shape).astype(dtype)
    x = glasstorch.from_numpy(array.copy()).requires_grad_()
    xt = torch.from_numpy(array.copy()).requires_grad_()
    ours, theirs = fn(F, x), fn(torch.nn.functional, xt)
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    for a, b in zip(ours, theirs):
        assert a.shape == tuple(b.shape)
        assert str(a.dtype) == str(b.dtype)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=atol, rtol=1e-5)
    weights = rng.standard_normal(tuple(theirs[0].shape)).astype(dtype)
    (ours[0] * glasstorch.from_numpy(weights)).sum().backward()
    (theirs[0] * torch.from_numpy(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), atol=atol, rtol=1e-5)


MAX_CASES = [  # kernel_size, stride, padding, dilation, ceil_mode
    (2, None, 0, 1, False),
    (3, 2, 1, 1, False),
    (3, 1, 1, 1, False),
    ((2, 3), (1, 2), (1, 0), 1, False),
    (3, 2, 0, 1, True),
    (2, 2, 1, 1, True),
    (3, 3, 1, 1, True),
    (3, 1, 1, 2, False),
    ((2, 3), 2, (1, 1), (2, 1), True),
    (5, 2, 2, 1, True),
]


@pytest.mark.parametrize("kernel_size, stride, padding, dilation, ceil_mode", MAX_CASES)
@pytest.mark.parametrize("shape", [(2, 3, 7, 9), (1, 1, 8, 8), (3, 6, 5),
                                   (40, 8, 40, 41)])  # split across the thread pool
def test_max_pool2d(torch, shape, kernel_size, stride, padding, dilation, ceil_mode):
    def fn(f, x):
        return f.max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode,
                            return_indices=True)

    _compare(torch, fn, shape)


@pytest.mark.parametrize("kernel_size, stride, padding, dilation, ceil_mode", MAX_CASES)
@pytest.mark.parametrize("shape, dtype", [((2, 3, 7, 9), "float32"), ((3, 6, 5), "float64"),
                                          ((2, 3, 7, 9), "int64"), ((40, 8, 40, 41), "float32")])
def test_max_pool2d_without_grad_matches_torch(torch, shape, dtype, kernel_size, stride, padding,
                                               dilation, ceil_mode):
    # no input needs a gradient (inference): only the values are computed, no indices; the
    # largest shape is split across the thread pool
    rng = np.random.default_rng(0)
    array = (rng.integers(-5, 5, shape) if dtype == "int64" else rng.standard_normal(shape))
    array = array.astype(dtype)
    if dtype != "int64":
        array.reshape(-1)[::7] = np.nan  # a NaN is its window's maximum
    args = (kernel_size, stride, padding, dilation, ceil_mode)
    ours = F.max_pool2d(glasstorch.from_numpy(array), *args)
    theirs = torch.nn.functional.max_pool2d(torch.from_numpy(array), *args)
    assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    x = glasstorch.from_numpy(array).float().requires_grad_()
    with glasstorch.no_grad():
        assert F.max_pool2d(x, *args).grad_fn is None


@pytest.mark.parametrize("kernel_size, stride, padding, dilation, ceil_mode", MAX_CASES[:6])
def test_max_pool2d_ties_take_the_first_maximum(torch, kernel_size, stride, padding, dilation,
                                                ceil_mode):
    def fn(f, x):
        return f.max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode,
                            return_indices=True)

    _compare(torch, fn, (2, 2, 8, 7), ties=True)


AVG_CASES = [  # kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    (2, None, 0, False, True, None),
    (3, 2, 1, False, True, None),
    (3, 2, 1, False, False, None),
    ((2, 3), (1, 2), (1, 1), False, False, None),
    (3, 2, 1, True, True, None),
    (3, 2, 1, True, False, None),
    (2, 3, 1, True, True, None),
    (3, 1, 1, False, True, 2),
    (4, 3, 2, True, False, 5),
]


@pytest.mark.parametrize("args", AVG_CASES)
@pytest.mark.parametrize("shape", [(2, 3, 7, 9), (1, 1, 6, 6), (3, 5, 8),
                                   (40, 8, 40, 41)])  # split across the thread pool
def test_avg_pool2d(torch, shape, args):
    _compare(torch, lambda f, x: f.avg_pool2d(x, *args), shape)


@pytest.mark.parametrize("output_size", [1, (1, 1), 3, (2, 5), (5, 3), (4, None), (7, 9),
                                         (9, 12)])
@pytest.mark.parametrize("shape", [(2, 3, 7, 9), (3, 10, 10)])
def test_adaptive_pool2d(torch, shape, output_size):
    _compare(torch, lambda f, x: f.adaptive_avg_pool2d(x, output_size), shape)
    _compare(torch, lambda f, x: f.adaptive_max_pool2d(x, output_size, True), shape)
    _compare(torch, lambda f, x: f.adaptive_max_pool2d(x, output_size, True), shape, ties=True)


@pytest.mark.parametrize("shape", [(2, 3, 11), (4, 9)])
def test_pool1d(torch, shape):
    _compare(torch, lambda f, x: f.max_pool1d(x, 3, 2, 1, 1, True, True), shape)
    _compare(torch, lambda f, x: f.max_pool1d(x, 2, dilation=2), shape)
    _compare(torch, lambda f, x: f.avg_pool1d(x, 3, 2, 1, True, False), shape)
    _compare(torch, lambda f, x: f.avg_pool1d(x, 2), shape)
    _compare(torch, lambda f, x: f.adaptive_avg_pool1d(x, 4), shape)
    _compare(torch, lambda f, x: f.adaptive_max_pool1d(x, 4, True), shape)


def test_nan_propagates_and_takes_the_gradient(torch):
    array = np.random.default_rng(0).standard_normal((2, 3, 6, 7)).astype("float32")
    array[0, 0, 1, 1] = array[0, 0, 1, 3] = array[1, 2, 4, 4] = array[1, 2, 5, 5] = np.nan
    for fn in (lambda f, x: f.max_pool2d(x, 3, 2, 1, return_indices=True),
               lambda f, x: f.max_pool2d(x, 2, return_indices=True),
               lambda f, x: f.adaptive_max_pool2d(x, (2, 3), return_indices=True)):
        x = glasstorch.from_numpy(array.copy()).requires_grad_()
        xt = torch.from_numpy(array.copy()).requires_grad_()
        (values, indices), (values_t, indices_t) = fn(F, x), fn(torch.nn.functional, xt)
        np.testing.assert_array_equal(values.detach().numpy(), values_t.detach().numpy())
        np.testing.assert_array_equal(indices.numpy(), indices_t.numpy())
        values.sum().backward()
        values_t.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())


def test_float64_and_grad_fn_names(torch):
    _compare(torch, lambda f, x: f.max_pool2d(x, 3, 2, 1), (2, 2, 6, 6), dtype="float64")
    _compare(torch, lambda f, x: f.avg_pool2d(x, 3, 2, 1), (2, 2, 6, 6), dtype="float64")
    x = glasstorch.randn(1, 2, 6, 6, requires_grad=True)
    assert F.max_pool2d(x, 2).grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    assert F.avg_pool2d(x, 2).grad_fn.name() == "AvgPool2DBackward0"
    assert F.adaptive_max_pool2d(x, 4).grad_fn.name() == "AdaptiveMaxPool2DBackward0"
    assert F.adaptive_avg_pool2d(x, 1).grad_fn.name() == "MeanBackward1"
    assert F.max_pool2d(x, 2, return_indices=True)[1].dtype == glasstorch.int64


@pytest.mark.parametrize("fn", [
    lambda x: F.max_pool2d(x, 3, 2, 1),
    lambda x: F.max_pool2d(x, (2, 3), 1, 1, 2, True),
    lambda x: F.avg_pool2d(x, 3, 2, 1, True, False),
    lambda x: F.avg_pool2d(x, 2, 1, 1, divisor_override=3),
    lambda x: F.adaptive_avg_pool2d(x, (3, 4)),
    lambda x: F.adaptive_max_pool2d(x, (4, 3)),
])
def test_gradcheck_float64(fn):
    # distinct values, so max pooling has no ties for the finite differences to straddle
    values = np.random.default_rng(0).permutation(2 * 3 * 7 * 6) / 10.0
    x = glasstorch.tensor(values.reshape(2, 3, 7, 6), dtype=glasstorch.float64,
                          requires_grad=True)
    assert glasstorch.autograd.gradcheck(fn, (x,))


def test_double_backward_avg_pool(torch):
    array = np.random.default_rng(0).standard_normal((2, 2, 5, 5))
    results = []
    for lib in (glasstorch, torch):
        x = lib.tensor(array, requires_grad=True)
        y = lib.nn.functional.avg_pool2d(x, 3, 2, 1, True, False)
        (grad,) = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        (grad * grad).sum().backward()
        results.append(x.grad.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], atol=1e-10)


def test_module_reprs_and_forward(torch):
    assert repr(nn.MaxPool2d(2)) == ("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, "
                                     "ceil_mode=False)")
    assert repr(nn.MaxPool2d((2, 3))) == repr(torch.nn.MaxPool2d((2, 3)))
    assert repr(nn.MaxPool2d(3, 2, 1, return_indices=True)) == repr(
        torch.nn.MaxPool2d(3, 2, 1, return_indices=True))
    assert repr(nn.AvgPool2d(3, 1, 1, True, False, 2)) == "AvgPool2d(kernel_size=3, stride=1, padding=1)"
    assert repr(nn.AdaptiveAvgPool2d((1, 1))) == "AdaptiveAvgPool2d(output_size=(1, 1))"
    for ours, theirs in [(nn.AdaptiveAvgPool2d(1), torch.nn.AdaptiveAvgPool2d(1)),
                         (nn.AdaptiveMaxPool2d((2, None)), torch.nn.AdaptiveMaxPool2d((2, None))),
                         (nn.MaxPool1d(2), torch.nn.MaxPool1d(2)),
                         (nn.AvgPool1d(2), torch.nn.AvgPool1d(2)),
                         (nn.AdaptiveAvgPool1d(3), torch.nn.AdaptiveAvgPool1d(3)),
                         (nn.AdaptiveMaxPool1d(3), torch.nn.AdaptiveMaxPool1d(3))]:
        assert repr(ours) == repr(theirs)
    array = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype("float32")
    pairs = [(nn.MaxPool2d(3, 2, 1), torch.nn.MaxPool2d(3, 2, 1)),
             (nn.AvgPool2d(2), torch.nn.AvgPool2d(2)),
             (nn.AdaptiveAvgPool2d((3, 3)), torch.nn.AdaptiveAvgPool2d((3, 3))),
             (nn.AdaptiveMaxPool2d(2), torch.nn.AdaptiveMaxPool2d(2))]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours(glasstorch.from_numpy(array)).numpy(),
                                   theirs(torch.from_numpy(array)).numpy(), atol=1e-6)
    values, indices = nn.MaxPool2d(2, return_indices=True)(glasstorch.from_numpy(array))
    assert values.shape == indices.shape == (2, 3, 4, 4)


@pytest.mark.parametrize("call", [
    lambda f, x: f.max_pool2d(x, 2, padding=2),
    lambda f, x: f.max_pool2d(x, 3, padding=2, dilation=2),
    lambda f, x: f.avg_pool2d(x, 2, padding=2),
    lambda f, x: f.max_pool2d(x, 7),
    lambda f, x: f.avg_pool2d(x, 7),
    lambda f, x: f.max_pool2d(x, 2, stride=0),
    lambda f, x: f.max_pool2d(x, 2, dilation=0),
    lambda f, x: f.max_pool2d(x[0, 0, 0], 2),
    lambda f, x: f.adaptive_avg_pool2d(x[0, 0, 0], 2),
    lambda f, x: f.adaptive_avg_pool2d(x, (2, 3, 4)),
    lambda f, x: f.avg_pool2d(x, 2, divisor_override=0),
])
def test_errors(torch, call):
    array = np.zeros((2, 3, 5, 5), dtype="float32")
    with pytest.raises(Exception) as expected:
        call(torch.nn.functional, torch.from_numpy(array))
    with pytest.raises(type(expected.value)) as raised:
        call(F, glasstorch.from_numpy(array))
    assert str(raised.value) == str(expected.value)


@pytest.mark.parametrize("shape", [(0, 3, 6, 6), (2, 0, 6, 6), (2, 3, 0, 6), (0, 6, 6)])
@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
                                  "adaptive_max_pool2d"])
def test_empty_inputs(torch, name, shape):
    array = np.zeros(shape, dtype="float32")
    try:
        expected = getattr(torch.nn.functional, name)(torch.from_numpy(array), 2)
    except RuntimeError as error:
        with pytest.raises(RuntimeError) as raised:
            getattr(F, name)(glasstorch.from_numpy(array), 2)
        assert str(raised.value) == str(error)
        return
    assert getattr(F, name)(glasstorch.from_numpy(array), 2).shape == tuple(expected.shape)


def test_integer_inputs(torch):
    array = np.arange(-8, 28).reshape(1, 1, 6, 6)
    for fn in (lambda f, x: f.max_pool2d(x, 3, 2, 1), lambda f, x: f.avg_pool2d(x, 2),
               lambda f, x: f.avg_pool2d(x, 3, 1, 1, count_include_pad=False)):
        ours, theirs = fn(F, glasstorch.from_numpy(array)), fn(torch.nn.functional,
                                                               torch.from_numpy(array))
        assert ours.dtype == glasstorch.int64
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("make", [
    lambda nn: nn.MaxPool2d(3, 2, 1, dilation=1, ceil_mode=True),
    lambda nn: nn.MaxPool2d((2, 3), (1, 2), (1, 0), dilation=(2, 1)),
    lambda nn: nn.MaxPool2d(2, return_indices=True),
    lambda nn: nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
    lambda nn: nn.AvgPool2d((2, 3), (1, 2), (1, 1), count_include_pad=True),
    lambda nn: nn.AvgPool2d(3, divisor_override=4),
    lambda nn: nn.AdaptiveAvgPool2d((2, 3)),
    lambda nn: nn.AdaptiveMaxPool2d((3, None), return_indices=True),
])
@pytest.mark.parametrize("shape", [(1, 2, 7, 6), (3, 5, 7)])  # batch of 1, unbatched
def test_modules_forward_and_backward_match_torch(torch, make, shape):
    ours, theirs = make(nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    _compare(torch, lambda f, x: (ours if f is F else theirs)(x), shape)


@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_max_pool2d_windows_at_the_lowest_value_index_like_torch(torch, dtype):
    """Where a window holds nothing above -inf (or the integer minimum), torch's index is its
    first element inside the plane, not a padding position; the gradient goes there."""
    lowest = -np.inf if dtype == "float32" else np.iinfo(dtype).min
    array = np.full((2, 2, 3, 5), lowest, dtype=dtype)
    array[0, 1, 2, 3] = 7
    calls = [lambda f, x: f.max_pool2d(x, 3, 1, 1, return_indices=True),
             lambda f, x: f.max_pool2d(x, (2, 3), 2, 1, (2, 1), True, True)]
    if dtype == "float32":  # torch has no integer adaptive_max_pool2d
        calls.append(lambda f, x: f.adaptive_max_pool2d(x, (2, 3), True))
    for fn in calls:
        (values, indices), (tvalues, tindices) = (fn(F, glasstorch.from_numpy(array.copy())),
                                                  fn(torch.nn.functional, torch.from_numpy(array)))
        np.testing.assert_array_equal(values.numpy(), tvalues.numpy())
        np.testing.assert_array_equal(indices.numpy(), tindices.numpy())
    if dtype == "float32":
        x = glasstorch.from_numpy(array.copy()).requires_grad_()
        xt = torch.from_numpy(array.copy()).requires_grad_()
        F.max_pool2d(x, 3, 1, 1).sum().backward()
        torch.nn.functional.max_pool2d(xt, 3, 1, 1).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())


def test_max_pool2d_window_of_padding_only(torch):
    """With dilation a window can hold padding only: -inf, and torch's index (past the
    plane's end). Its gradient goes nowhere (torch writes it past the plane's end)."""
    array = np.arange(32, dtype="float32").reshape(1, 2, 2, 8)
    args = ((2, 4), None, (1, 0), (3, 2), False, True)
    (values, indices), (tvalues, tindices) = (F.max_pool2d(glasstorch.from_numpy(array), *args),
                                              torch.nn.functional.max_pool2d(
                                                  torch.from_numpy(array), *args))
    np.testing.assert_array_equal(values.numpy(), tvalues.numpy())
    np.testing.assert_array_equal(indices.numpy(), tindices.numpy())
    x = glasstorch.from_numpy(array).requires_grad_()
    F.max_pool2d(x, (2, 4), None, (1, 0), (3, 2)).sum().backward()
    assert not x.grad.numpy().any()
