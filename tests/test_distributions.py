"""torch.distributions Normal and Multinomial: shapes, dtypes, log_prob vs torch, sample statistics."""

import numpy as np
import pytest

import glasstorch
from glasstorch.distributions import Multinomial, Normal


def as_np(t):
    return t.detach().numpy()


# ---- Normal ----


@pytest.mark.parametrize("loc, scale", [
    (0.0, 1.0), ([0.5, -1.0, 2.0], [1.0, 0.5, 3.0]), ([[0.0], [1.0]], [0.5, 2.0, 1.0]),
])
def test_normal_values_match_torch(loc, scale, torch):
    value = np.linspace(-3, 3, 6, dtype="float32").reshape(6, 1, 1)
    ours = Normal(glasstorch.tensor(loc), glasstorch.tensor(scale))
    theirs = torch.distributions.Normal(torch.tensor(loc), torch.tensor(scale))
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    for name in ["mean", "stddev", "variance"]:
        np.testing.assert_allclose(as_np(getattr(ours, name)), getattr(theirs, name).numpy(),
                                   rtol=1e-6)
    np.testing.assert_allclose(as_np(ours.entropy()), theirs.entropy().numpy(), rtol=1e-6)
    for method in ["log_prob", "cdf"]:
        np.testing.assert_allclose(as_np(getattr(ours, method)(glasstorch.tensor(value))),
                                   getattr(theirs, method)(torch.tensor(value)).numpy(),
                                   rtol=1e-5, atol=1e-6)
    assert repr(ours) == repr(theirs)


def test_normal_with_numbers_and_mixed_arguments(torch):
    ours, theirs = Normal(0.0, 1.0), torch.distributions.Normal(0.0, 1.0)
    assert ours.loc.dtype == glasstorch.float32 and ours.batch_shape == glasstorch.Size([])
    assert repr(ours) == repr(theirs) == "Normal(loc: 0.0, scale: 1.0)"
    np.testing.assert_allclose(ours.log_prob(glasstorch.tensor(0.3)).item(),
                               theirs.log_prob(torch.tensor(0.3)).item(), rtol=1e-6)
    mixed = Normal(glasstorch.zeros(3, dtype=glasstorch.float64), 2.0)
    assert mixed.scale.dtype == glasstorch.float64 and mixed.batch_shape == (3,)


def test_normal_sample_shapes_dtypes_and_statistics():
    d = Normal(glasstorch.tensor([1.0, -2.0]), glasstorch.tensor([0.5, 3.0]))
    assert d.sample().shape == (2,)
    samples = d.sample((20000,))
    assert samples.shape == (20000, 2) and samples.dtype == glasstorch.float32
    assert not samples.requires_grad
    np.testing.assert_allclose(as_np(samples.mean(0)), [1.0, -2.0], atol=0.06)
    np.testing.assert_allclose(as_np(samples.std(0)), [0.5, 3.0], rtol=0.03)


def test_normal_rsample_is_differentiable_and_log_prob_gradients_match(torch):
    loc = glasstorch.tensor([0.0, 1.0], requires_grad=True)
    scale = glasstorch.tensor([1.0, 2.0], requires_grad=True)
    x = Normal(loc, scale).rsample((5,))
    assert x.requires_grad
    x.sum().backward()
    np.testing.assert_allclose(as_np(loc.grad), [5.0, 5.0])
    grads = []
    for lib in (glasstorch, torch):
        m = lib.tensor([0.0, 1.0], requires_grad=True)
        s = lib.tensor([1.0, 2.0], requires_grad=True)
        lib.distributions.Normal(m, s).log_prob(lib.tensor([0.3, -1.0])).sum().backward()
        grads.append((m.grad.numpy(), s.grad.numpy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-6)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-6)


def test_normal_rejects_non_positive_scale(torch):
    with pytest.raises(ValueError, match="scale"):
        Normal(glasstorch.zeros(2), glasstorch.tensor([1.0, 0.0]))
    with pytest.raises(ValueError):
        torch.distributions.Normal(torch.zeros(2), torch.tensor([1.0, 0.0]))


# ---- Multinomial ----


def test_multinomial_sample_of_one_die_roll_like_the_book():
    fair_probs = glasstorch.ones([6]) / 6
    roll = Multinomial(1, fair_probs).sample()
    assert roll.shape == (6,) and roll.dtype == glasstorch.float32
    assert roll.sum().item() == 1.0 and set(as_np(roll)) <= {0.0, 1.0}


def test_multinomial_many_samples_like_the_book():
    probs = glasstorch.tensor([0.1, 0.2, 0.3, 0.4])
    counts = Multinomial(10, probs).sample((500,))
    assert counts.shape == (500, 4) and counts.dtype == glasstorch.float32
    np.testing.assert_array_equal(as_np(counts.sum(1)), np.full(500, 10.0))
    freq = as_np(counts.sum(0) / counts.sum())
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.3, 0.4], atol=0.02)
    cumulative = counts.cumsum(dim=0)  # the book's running estimates
    estimates = cumulative / cumulative.sum(dim=1, keepdims=True)
    assert estimates.shape == (500, 4)


def test_multinomial_batched_probs_and_unnormalised_weights():
    probs = glasstorch.tensor([[1.0, 1.0, 2.0], [0.0, 3.0, 1.0]])  # rows normalised like torch
    d = Multinomial(100, probs)
    assert d.batch_shape == (2,) and d.event_shape == (3,)
    samples = d.sample((400,))
    assert samples.shape == (400, 2, 3)
    assert (samples[:, 1, 0] == 0).all()  # a zero probability is never drawn
    np.testing.assert_allclose(as_np(samples.mean(0)) / 100, [[0.25, 0.25, 0.5],
                                                              [0.0, 0.75, 0.25]], atol=0.02)
    np.testing.assert_allclose(as_np(d.mean), [[25.0, 25.0, 50.0], [0.0, 75.0, 25.0]], rtol=1e-6)


@pytest.mark.parametrize("kind", ["probs", "logits"])
def test_multinomial_log_prob_matches_torch(kind, torch):
    rng = np.random.default_rng(0)
    param = rng.random((2, 4)).astype("float32")
    if kind == "probs":
        param[1, 2] = 0.0  # a zero probability with a zero count
    values = np.array([[[3, 1, 0, 2], [2, 4, 0, 0]], [[0, 0, 6, 0], [1, 1, 0, 4]]], "float32")
    leaf_ours = glasstorch.tensor(param, requires_grad=True)
    leaf_theirs = torch.tensor(param, requires_grad=True)
    ours = Multinomial(6, **{kind: leaf_ours})
    theirs = torch.distributions.Multinomial(6, **{kind: leaf_theirs})
    lp_ours = ours.log_prob(glasstorch.tensor(values))
    lp_theirs = theirs.log_prob(torch.tensor(values))
    assert lp_ours.shape == (2, 2)
    np.testing.assert_allclose(as_np(lp_ours), lp_theirs.detach().numpy(), rtol=1e-5)
    lp_ours.sum().backward()
    lp_theirs.sum().backward()
    np.testing.assert_allclose(as_np(leaf_ours.grad), leaf_theirs.grad.numpy(), rtol=1e-4,
                               atol=1e-5)
    ours_param = ours.probs if kind == "probs" else ours.logits
    np.testing.assert_allclose(as_np(ours.mean), theirs.mean.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(as_np(ours.variance), theirs.variance.detach().numpy(), rtol=1e-5)
    assert ours_param.shape == (2, 4)
    assert repr(ours) == repr(theirs)


def test_multinomial_argument_errors(torch):
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        Multinomial(3)
    with pytest.raises(ValueError):
        Multinomial(3, probs=glasstorch.ones(2), logits=glasstorch.ones(2))
    with pytest.raises(ValueError):
        Multinomial(3, probs=glasstorch.tensor(1.0))
    with pytest.raises(ValueError):
        torch.distributions.Multinomial(3, probs=torch.tensor(1.0))


def test_distributions_are_importable_like_torch():
    from glasstorch import distributions

    assert distributions.Normal is Normal and distributions.Multinomial is Multinomial
    assert isinstance(Normal(0.0, 1.0), distributions.Distribution)
