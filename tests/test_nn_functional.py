"""nn.functional activations, softmax, dropout, linear, one_hot, pad against PyTorch."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from oracle import check
from strategies import arrays, shapes

import glasstorch
import glasstorch.nn.functional as F
from glasstorch.autograd import gradcheck, gradgradcheck
from glasstorch.ops.nn_ops import Erf, LogSoftmax, Softmax

SHAPES = [(7,), (3, 5), (2, 3, 4)]


def f(lib):
    return lib.nn.functional


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name, kwargs", [
    ("relu", {}), ("relu6", {}), ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.2}),
    ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("elu", {}), ("elu", {"alpha": 0.5}),
    ("silu", {}), ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 3.0}),
    ("sigmoid", {}), ("tanh", {}), ("hardtanh", {}), ("logsigmoid", {}),
])
def test_activations_match_torch(name, kwargs, shape):
    check(lambda lib, x: getattr(f(lib), name)(x, **kwargs), shape, low=-8, high=8)


@pytest.mark.parametrize("name", ["relu", "relu6", "leaky_relu", "elu", "silu"])
def test_inplace_activations_write_into_the_input(name, torch):
    x = np.linspace(-8, 8, 12, dtype="float32")
    ours, theirs = glasstorch.tensor(x), torch.tensor(x)
    out_ours = getattr(F, name)(ours, inplace=True)
    out_theirs = getattr(torch.nn.functional, name)(theirs, inplace=True)
    assert out_ours is ours and out_theirs is theirs
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_activations_at_kinks_and_extremes(torch):
    x = np.array([-1e4, -100.0, -6.0, 0.0, 6.0, 100.0, 1e4], dtype="float32")
    for name in ["relu", "relu6", "leaky_relu", "elu", "silu", "softplus", "gelu", "logsigmoid"]:
        check(lambda lib, x: getattr(f(lib), name)(x), x)


def test_gelu_double_precision_and_bad_approximate(torch):
    check(lambda lib, x: f(lib).gelu(x), (4, 5), low=-6, high=6, dtype="float64", atol=1e-13)
    with pytest.raises(RuntimeError):
        F.gelu(glasstorch.ones(2), approximate="fast")


def test_erf_matches_torch_over_a_wide_range(torch):
    x = np.concatenate([np.linspace(-7, 7, 2001), [0.0, 1e-9, -1e-9, 30.0, -30.0]])
    ours = Erf.apply(glasstorch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, torch.erf(torch.tensor(x)).numpy(), atol=2e-15, rtol=0)


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
@pytest.mark.parametrize("shape, dim", [((5,), 0), ((3, 5), 1), ((3, 5), 0), ((2, 3, 4), -1),
                                        ((2, 3, 4), 1), ((), 0)])
def test_softmax_and_log_softmax_match_torch(fn, shape, dim):
    check(lambda lib, x: getattr(f(lib), fn.__name__)(x, dim), shape, low=-5, high=5)


@given(data=st.data())
def test_softmax_over_random_shapes_and_dims(data):
    shape = data.draw(shapes(min_dims=1, max_dims=4))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = data.draw(arrays(shape, low=-10, high=10))
    for name in ("softmax", "log_softmax"):
        check(lambda lib, x: getattr(f(lib), name)(x, dim), x)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_softmax_dtype_argument(name):
    check(lambda lib, x: getattr(f(lib), name)(x, 1, dtype=lib.float64), (3, 4))


def test_log_softmax_stays_finite_for_huge_logits(torch):
    logits = np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4], [-1e4, -1e4 + 1, 5.0]], "float32")
    ours, _ = check(lambda lib, x: f(lib).log_softmax(x, dim=1), logits)
    assert np.isfinite(ours.detach().numpy()).all()
    check(lambda lib, x: f(lib).softmax(x, dim=1), logits)


def test_implicit_softmax_dim_warns_and_follows_torch(torch):
    for shape in [(4,), (3, 4), (2, 3, 4), (2, 3, 4, 5)]:
        x = np.random.default_rng(0).standard_normal(shape).astype("float32")
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
            ours = F.softmax(glasstorch.tensor(x))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = torch.nn.functional.softmax(torch.tensor(x))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_softmax_errors(torch):
    check(lambda lib, x: f(lib).softmax(x, 2), (3, 4))  # IndexError, as torch
    with pytest.raises(RuntimeError):
        F.softmax(glasstorch.tensor([1, 2, 3]), 0)
    with pytest.raises(RuntimeError):
        torch.nn.functional.softmax(torch.tensor([1, 2, 3]), 0)


def test_primitives_pass_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(0)
    x = glasstorch.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    for dim in (0, 1):
        assert gradcheck(lambda x: Softmax.apply(x, dim), (x,))
        assert gradgradcheck(lambda x: Softmax.apply(x, dim), (x,))
        assert gradcheck(lambda x: LogSoftmax.apply(x, dim), (x,))
        assert gradgradcheck(lambda x: LogSoftmax.apply(x, dim), (x,))
    assert gradcheck(Erf.apply, (x,))
    assert gradgradcheck(Erf.apply, (x,))
    for approximate in ("none", "tanh"):
        assert gradcheck(lambda x: F.gelu(x, approximate=approximate), (x,))
    for fn in (F.elu, F.silu, F.softplus, F.logsigmoid, F.leaky_relu):
        assert gradcheck(fn, (x,))


def test_double_backward_through_log_softmax_matches_torch(torch):
    x = np.random.default_rng(1).standard_normal((3, 4))
    results = []
    for lib in (glasstorch, torch):
        t = lib.tensor(x, requires_grad=True)
        y = f(lib).log_softmax(t, dim=1)
        (g,) = lib.autograd.grad((y[:, 0] ** 2).sum(), t, create_graph=True)
        (g * g).sum().backward()
        results.append(t.grad.numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10)


# ---- dropout ----


def test_dropout_statistics_and_scaling():
    x = glasstorch.ones(200, 500, requires_grad=True)
    y = F.dropout(x, p=0.3)
    values = y.detach().numpy()
    kept = values != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(values[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy() != 0, kept)  # the gradient uses the same mask
    assert y.dtype == glasstorch.float32


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_masks_keep_each_element_with_probability_1_minus_p(p):
    # 32 random bits per element; an odd count uses half of the last 64-bit draw
    x = glasstorch.ones(999, 1001, dtype=glasstorch.float64)
    glasstorch.manual_seed(3)
    kept = F.dropout(x, p).numpy() != 0
    n = kept.size
    assert abs(kept.mean() - (1 - p)) < 5 * (p * (1 - p) / n) ** 0.5  # five standard errors
    assert abs(kept[:, ::2].mean() - kept[:, 1::2].mean()) < 0.01  # both halves of the bits
    glasstorch.manual_seed(3)
    np.testing.assert_array_equal(F.dropout(x, p).numpy() != 0, kept)  # reproducible by seed


def test_dropout_eval_zero_and_one(torch):
    x = glasstorch.randn(4, 5)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), np.zeros((4, 5)))
    y = glasstorch.ones(3, 3)
    assert F.dropout(y, 0.5, inplace=True) is y


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_rejects_bad_probability(p, torch):
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        F.dropout(glasstorch.ones(3), p)
    with pytest.raises(ValueError):
        torch.nn.functional.dropout(torch.ones(3), p)


# ---- linear ----


@pytest.mark.parametrize("shapes", [[(4, 3), (5, 3), (5,)], [(2, 6, 3), (5, 3), (5,)],
                                    [(3,), (5, 3), (5,)], [(4, 3), (5, 3)]])
def test_linear_matches_torch(shapes):
    check(lambda lib, *args: f(lib).linear(*args), *shapes)


# ---- one_hot ----


@pytest.mark.parametrize("num_classes", [-1, 6])
def test_one_hot_matches_torch(num_classes):
    labels = np.array([[0, 2, 1], [4, 4, 0]])
    ours, _ = check(lambda lib, t: f(lib).one_hot(t, num_classes), labels, grad=False)
    assert ours.dtype == glasstorch.int64


@pytest.mark.parametrize("labels, num_classes", [
    (np.array([0.0, 1.0]), -1), (np.array([0, -1]), 3), (np.array([0, 3]), 3),
])
def test_one_hot_errors_as_torch(labels, num_classes):
    check(lambda lib, t: f(lib).one_hot(t, num_classes), labels, grad=False)


# ---- pad ----


@pytest.mark.parametrize("pad, value", [((1, 2), None), ((1, 1, 2, 0), 3.5), ((0, 0, 0, 0, 1, 1), 0.0),
                                        ((-1, 2), None), ((2, -1, -1, 1), 1.0)])
def test_constant_pad_matches_torch(pad, value):
    check(lambda lib, x: f(lib).pad(x, pad, value=value), (2, 3, 4))


def test_functions_are_torch_names():
    for name in ["relu", "relu6", "leaky_relu", "gelu", "elu", "silu", "softplus", "sigmoid",
                 "tanh", "softmax", "log_softmax", "dropout", "linear", "mse_loss", "l1_loss",
                 "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss",
                 "binary_cross_entropy", "binary_cross_entropy_with_logits", "one_hot", "pad"]:
        assert callable(getattr(F, name)), name
    assert math.isclose(F.sigmoid(glasstorch.tensor(0.0)).item(), 0.5)
