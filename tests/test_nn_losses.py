"""nn.functional losses against PyTorch: values and gradients for every option."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from oracle import check
from strategies import shapes

import glasstorch
import glasstorch.nn.functional as F
from glasstorch.autograd import gradcheck, gradgradcheck

REDUCTIONS = ["mean", "sum", "none"]


def f(lib):
    return lib.nn.functional


def labels(*values):
    return np.array(values, dtype="int64")


# ---- regression losses ----


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)])
@pytest.mark.parametrize("name, kwargs", [
    ("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 0.5}),
    ("smooth_l1_loss", {"beta": 0.0}), ("huber_loss", {}), ("huber_loss", {"delta": 0.3}),
])
def test_regression_losses_match_torch(name, kwargs, shape, reduction):
    check(lambda lib, x, y: getattr(f(lib), name)(x, y, reduction=reduction, **kwargs),
          shape, shape)


def test_bad_beta_and_delta_raise_as_torch():
    check(lambda lib, x, y: f(lib).smooth_l1_loss(x, y, beta=-1.0), (3,), (3,))
    check(lambda lib, x, y: f(lib).huber_loss(x, y, delta=0.0), (3,), (3,))


def test_mse_loss_broadcast_warns_like_torch(torch):
    with pytest.warns(UserWarning, match="Using a target size"):
        ours = F.mse_loss(glasstorch.ones(3, 1), glasstorch.zeros(3))
    with pytest.warns(UserWarning):
        theirs = torch.nn.functional.mse_loss(torch.ones(3, 1), torch.zeros(3))
    assert ours.item() == theirs.item()


def test_bad_reduction_is_a_value_error(torch):
    check(lambda lib, x, y: f(lib).mse_loss(x, y, reduction="avg"), (3,), (3,))
    check(lambda lib, x, y: f(lib).l1_loss(x, y, reduction="avg"), (3,), (3,))
    check(lambda lib, x, t: f(lib).cross_entropy(x, t, reduction="avg"), (2, 3), labels(0, 1))


def test_legacy_size_average_and_reduce(torch):
    check(lambda lib, x, y: f(lib).mse_loss(x, y, size_average=False), (3, 4), (3, 4))
    check(lambda lib, x, y: f(lib).l1_loss(x, y, reduce=False), (3, 4), (3, 4))


# ---- cross-entropy and nll ----


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", [
    [(4, 5), labels(0, 4, 2, 2)],
    [(5,), np.array(3)],
    [(2, 3, 4), labels([0, 2, 1, 1], [2, 2, 0, 1])],
    [(2, 3, 2, 2), labels([[0, 1], [2, 2]], [[1, 0], [0, 0]])],
])
def test_cross_entropy_with_class_indices(case, reduction):
    check(lambda lib, x, t: f(lib).cross_entropy(x, t, reduction=reduction), *case)
    check(lambda lib, x, t: f(lib).nll_loss(f(lib).log_softmax(x, 0 if x.ndim == 1 else 1), t,
                                            reduction=reduction), *case)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.3])
def test_cross_entropy_weight_ignore_index_label_smoothing(reduction, smoothing):
    weight = np.array([0.5, 1.0, 2.0, 3.0, 0.25], "float32")
    target = labels(0, 4, -100, 2, 3, 2)
    check(lambda lib, x, t: f(lib).cross_entropy(x, t, weight=lib.tensor(weight),
                                                 reduction=reduction, label_smoothing=smoothing),
          (6, 5), target)
    target = labels(0, 4, 1, 2, 1, 1)
    check(lambda lib, x, t: f(lib).cross_entropy(x, t, weight=lib.tensor(weight), ignore_index=1,
                                                 reduction=reduction, label_smoothing=smoothing),
          (6, 5), target)
    check(lambda lib, x, t: f(lib).cross_entropy(x, t, ignore_index=4, reduction=reduction,
                                                 label_smoothing=smoothing), (6, 5), target)
    spatial = labels([[0, 1, 4], [2, 2, 3]], [[1, 4, -100], [0, 3, 3]])
    check(lambda lib, x, t: f(lib).cross_entropy(x, t, weight=lib.tensor(weight),
                                                 reduction=reduction, label_smoothing=smoothing),
          (2, 5, 2, 3), spatial)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_weight_and_ignore_index(reduction):
    weight = np.array([0.5, 1.0, 2.0, 3.0], "float32")
    target = labels(0, 3, 2, -100, 3)
    check(lambda lib, x, t: f(lib).nll_loss(x, t, weight=lib.tensor(weight), reduction=reduction),
          (5, 4), target)
    check(lambda lib, x, t: f(lib).nll_loss(x, t, ignore_index=3, reduction=reduction),
          (5, 4), labels(0, 3, 2, 1, 3))


@given(data=st.data())
def test_cross_entropy_over_random_shapes(data):
    shape = data.draw(shapes(min_dims=1, max_dims=4, min_side=1))
    n_classes = shape[0] if len(shape) == 1 else shape[1]
    target_shape = () if len(shape) == 1 else shape[:1] + shape[2:]
    seed = data.draw(st.integers(0, 2**16))
    target = np.random.default_rng(seed).integers(-1, n_classes, target_shape)  # -1: ignored
    reduction = data.draw(st.sampled_from(REDUCTIONS))
    smoothing = data.draw(st.sampled_from([0.0, 0.25]))
    check(lambda lib, x, t: f(lib).cross_entropy(x, t, ignore_index=-1, reduction=reduction,
                                                 label_smoothing=smoothing), shape, target,
          seed=seed)


def test_every_target_ignored_gives_torch_result():
    check(lambda lib, x, t: f(lib).cross_entropy(x, t), (3, 4), labels(-100, -100, -100))
    check(lambda lib, x, t: f(lib).nll_loss(x, t, reduction="sum"), (3, 4), labels(-100, -100, -100))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("shape", [(4, 5), (5,), (2, 5, 3)])
def test_cross_entropy_with_class_probabilities(reduction, smoothing, shape):
    rng = np.random.default_rng(3)
    probs = rng.random(shape).astype("float32")
    probs /= probs.sum(axis=0 if len(shape) == 1 else 1, keepdims=True)
    weight = np.array([0.5, 1.0, 2.0, 3.0, 0.25], "float32")
    check(lambda lib, x, p: f(lib).cross_entropy(x, p, reduction=reduction,
                                                 label_smoothing=smoothing), shape, probs)
    check(lambda lib, x, p, w: f(lib).cross_entropy(x, p, weight=w, reduction=reduction,
                                                    label_smoothing=smoothing),
          shape, probs, weight)


def test_cross_entropy_large_logits_stay_finite(torch):
    logits = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 3.0]], "float32")
    ours, _ = check(lambda lib, x, t: f(lib).cross_entropy(x, t), logits, labels(2, 1))
    assert np.isfinite(ours.item())


@pytest.mark.parametrize("case", [
    [(4, 5), labels(0, 1, 2)],                   # batch sizes differ: ValueError
    [(4, 5), labels(0, 1, 5, 2)],                # class out of range: IndexError
    [(4, 5), labels(0, 1, -3, 2)],               # negative class
    [(4, 5), np.array([0.0, 1.0, 2.0, 3.0], "float32")],  # probabilities of the wrong shape
    [(2, 3, 4), labels([0, 1, 2], [0, 1, 2])],   # spatial size mismatch
    [(4, 5), np.array([0, 1, 2, 3], "int32")],   # class indices must be int64
])
def test_cross_entropy_bad_targets_raise_torch_errors(case):
    check(lambda lib, x, t: f(lib).cross_entropy(x, t), *case)
    check(lambda lib, x, t: f(lib).nll_loss(x, t), *case)


def test_weight_that_requires_grad_is_refused_as_in_torch():
    check(lambda lib, x, t, w: f(lib).cross_entropy(x, t, weight=w), (4, 5), labels(0, 1, 2, 3),
          (5,))
    check(lambda lib, p, y, w: f(lib).binary_cross_entropy(p, y, weight=w), (3,), (3,), (3,),
          low=0.1, high=0.9)
    check(lambda lib, x, y, w: f(lib).binary_cross_entropy_with_logits(x, y, weight=w), (3,),
          (3,), (3,))
    check(lambda lib, x, y, w: f(lib).binary_cross_entropy_with_logits(x, y, pos_weight=w), (3,),
          (3,), (3,))


def test_cross_entropy_bad_weight_and_label_smoothing(torch):
    check(lambda lib, x, t, w: f(lib).cross_entropy(x, t, weight=w), (4, 5), labels(0, 1, 2, 3),
          np.ones(3, "float32"))
    check(lambda lib, x, t: f(lib).cross_entropy(x, t, label_smoothing=1.5), (4, 5),
          labels(0, 1, 2, 3))


def test_cross_entropy_is_one_fused_graph_per_part():
    x = glasstorch.randn(8, 10, requires_grad=True)
    loss = F.cross_entropy(x, glasstorch.randint(0, 10, (8,)))
    assert loss.grad_fn.name() == "NllLossBackward0"
    assert loss.grad_fn.next_functions[0][0].name() == "LogSoftmaxBackward0"


def test_cross_entropy_and_nll_pass_gradcheck():
    rng = np.random.default_rng(0)
    x = glasstorch.tensor(rng.standard_normal((5, 4)), requires_grad=True)
    target = glasstorch.tensor([0, 3, 1, -100, 3])
    weight = glasstorch.tensor([1.0, 2.0, 0.5, 3.0], dtype=glasstorch.float64)
    for reduction in REDUCTIONS:
        def loss(x):
            return F.cross_entropy(x, target, weight=weight, reduction=reduction,
                                   label_smoothing=0.1)
        assert gradcheck(loss, (x,))
        assert gradgradcheck(loss, (x,))
        assert gradcheck(lambda x: F.nll_loss(x, target, weight=weight, reduction=reduction), (x,))
    probs = glasstorch.tensor(rng.random((5, 4)), requires_grad=True)
    assert gradcheck(lambda x, p: F.cross_entropy(x, p), (x, probs))


# ---- binary cross-entropy ----


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(6,), (3, 4)])
def test_binary_cross_entropy_matches_torch(reduction, shape):
    check(lambda lib, p, y: f(lib).binary_cross_entropy(p, y, reduction=reduction),
          shape, shape, low=0.01, high=0.99)
    weight = np.linspace(0.5, 2, shape[-1]).astype("float32")
    check(lambda lib, p, y: f(lib).binary_cross_entropy(p, y, weight=lib.tensor(weight),
                                                        reduction=reduction),
          shape, shape, low=0.01, high=0.99)


def test_binary_cross_entropy_clamps_the_log_at_minus_100(torch):
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5], "float32")
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0], "float32")
    ours, _ = check(lambda lib, p, y: f(lib).binary_cross_entropy(p, y, reduction="none"), p, y,
                    grad=False)
    np.testing.assert_allclose(ours.numpy()[:2], [100.0, 100.0])
    x = glasstorch.tensor(p, requires_grad=True)
    F.binary_cross_entropy(x, glasstorch.tensor(y)).backward()
    assert np.isfinite(x.grad.numpy()).all()  # a saturated sigmoid does not give nan


def test_binary_cross_entropy_errors(torch):
    check(lambda lib, p, y: f(lib).binary_cross_entropy(p, y), (3,), (3, 1), low=0.1, high=0.9)
    check(lambda lib, p, y: f(lib).binary_cross_entropy(p, y), np.array([1.5, 0.5], "float32"),
          np.array([1.0, 0.0], "float32"))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(6,), (3, 4)])
def test_binary_cross_entropy_with_logits_matches_torch(reduction, shape):
    def loss(lib, x, y, *weights, **kwargs):
        return f(lib).binary_cross_entropy_with_logits(x, y, *weights, reduction=reduction,
                                                       **kwargs)
    check(lambda lib, x, y: loss(lib, x, y), shape, shape, low=-20, high=20)
    weight = np.linspace(0.5, 2, shape[-1]).astype("float32")
    check(lambda lib, x, y: loss(lib, x, y, lib.tensor(weight)), shape, shape)
    pos_weight = np.linspace(3, 0.5, shape[-1]).astype("float32")
    check(lambda lib, x, y: loss(lib, x, y, pos_weight=lib.tensor(pos_weight)), shape, shape,
          low=[-5, 0], high=[5, 1])
    check(lambda lib, x, y: loss(lib, x, y, lib.tensor(weight), pos_weight=lib.tensor(pos_weight)),
          shape, shape, low=[-5, 0], high=[5, 1])


def test_binary_cross_entropy_with_logits_is_stable_and_exact_at_zero(torch):
    x = np.array([-1e4, -50.0, 0.0, 0.0, 50.0, 1e4], "float32")
    y = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0], "float32")
    ours, _ = check(lambda lib, x, y: f(lib).binary_cross_entropy_with_logits(x, y), x, y)
    assert np.isfinite(ours.item())
    check(lambda lib, x, y: f(lib).binary_cross_entropy_with_logits(x, y), (3,), (4,))


def test_binary_losses_pass_gradcheck():
    rng = np.random.default_rng(0)
    x = glasstorch.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    p = glasstorch.tensor(rng.uniform(0.05, 0.95, (3, 4)), requires_grad=True)
    y = glasstorch.tensor(rng.random((3, 4)), requires_grad=True)
    pos = glasstorch.tensor(rng.uniform(0.5, 2, 4))
    assert gradcheck(lambda p, y: F.binary_cross_entropy(p, y), (p, y))
    assert gradgradcheck(lambda p, y: F.binary_cross_entropy(p, y), (p, y))
    assert gradcheck(lambda x, y, w: F.binary_cross_entropy_with_logits(x, y, pos_weight=w),
                     (x, y, pos))
