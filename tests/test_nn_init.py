"""nn.init: gains, fans, and the statistics of every initialiser against torch's formulas."""

import math

import numpy as np
import pytest

import glasstorch
from glasstorch.nn import init


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value)


@pytest.mark.parametrize("args", [
    ("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",), ("leaky_relu",),
    ("leaky_relu", 0.2), ("leaky_relu", 1), ("selu",), ("conv_transpose3d",),
])
def test_calculate_gain_matches_torch(torch, args):
    assert init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)


@pytest.mark.parametrize("args", [("softmax",), ("leaky_relu", "x"), ("leaky_relu", True)])
def test_calculate_gain_errors_match_torch(torch, args):
    assert _error(lambda: init.calculate_gain(*args)) == _error(
        lambda: torch.nn.init.calculate_gain(*args))


@pytest.mark.parametrize("shape", [(3, 5), (8, 4, 3), (16, 3, 5, 5), (2, 3, 2, 2, 2), (7,)])
def test_fan_in_and_fan_out_match_torch(torch, shape):
    got = _fans_or_error(init, glasstorch.empty(*shape))
    want = _fans_or_error(torch.nn.init, torch.empty(*shape))
    assert got == want


def _fans_or_error(module, tensor):
    try:
        return module._calculate_fan_in_and_fan_out(tensor)
    except ValueError as error:
        return str(error)


def test_fill_functions_match_torch(torch):
    for name, args in [("zeros_", ()), ("ones_", ()), ("constant_", (0.3,)), ("eye_", ())]:
        t, tt = glasstorch.empty(3, 4), torch.empty(3, 4)
        assert getattr(init, name)(t, *args) is t
        getattr(torch.nn.init, name)(tt, *args)
        np.testing.assert_array_equal(t.numpy(), tt.numpy())
    assert _error(lambda: init.eye_(glasstorch.empty(2, 2, 2))) == _error(
        lambda: torch.nn.init.eye_(torch.empty(2, 2, 2)))


def test_init_runs_without_grad_on_parameters():
    p = glasstorch.nn.Parameter(glasstorch.empty(40, 30))
    for fn in [init.uniform_, init.normal_, init.zeros_, init.ones_, init.xavier_uniform_,
               init.xavier_normal_, init.kaiming_uniform_, init.kaiming_normal_,
               init.trunc_normal_, init.eye_, lambda t: init.constant_(t, 2.0)]:
        assert fn(p) is p
        assert p.is_leaf and p.grad_fn is None and p.requires_grad
        assert type(p) is glasstorch.nn.Parameter and p.dtype == glasstorch.float32


def test_uniform_and_normal_statistics():
    t = glasstorch.empty(200, 300)
    init.uniform_(t, -2.0, 3.0)
    x = t.numpy()
    assert x.min() >= -2.0 and x.max() <= 3.0 and x.min() < -1.99 and x.max() > 2.99
    np.testing.assert_allclose(x.mean(), 0.5, atol=0.02)
    np.testing.assert_allclose(x.std(), 5 / math.sqrt(12), rtol=0.01)
    init.normal_(t, 1.5, 0.5)
    np.testing.assert_allclose(t.numpy().mean(), 1.5, atol=0.01)
    np.testing.assert_allclose(t.numpy().std(), 0.5, rtol=0.01)


def test_xavier_statistics_match_formula(torch):
    t = glasstorch.empty(300, 200)
    gain = torch.nn.init.calculate_gain("tanh")
    init.xavier_uniform_(t, gain=gain)
    bound = gain * math.sqrt(6.0 / (300 + 200))
    x = t.numpy()
    assert np.abs(x).max() <= bound and np.abs(x).max() > 0.99 * bound
    np.testing.assert_allclose(x.std(), bound / math.sqrt(3), rtol=0.01)
    init.xavier_normal_(t)
    np.testing.assert_allclose(t.numpy().std(), math.sqrt(2.0 / 500), rtol=0.01)
    np.testing.assert_allclose(t.numpy().mean(), 0, atol=0.002)
    conv = glasstorch.empty(32, 16, 3, 3)  # fans include the receptive field
    init.xavier_normal_(conv)
    np.testing.assert_allclose(conv.numpy().std(), math.sqrt(2.0 / (16 * 9 + 32 * 9)), rtol=0.03)


@pytest.mark.parametrize("kwargs", [
    {}, {"a": math.sqrt(5)}, {"mode": "fan_out"}, {"nonlinearity": "relu"},
    {"mode": "fan_out", "nonlinearity": "relu"}, {"a": 0.1, "mode": "FAN_IN"},
])
def test_kaiming_statistics_match_formula(torch, kwargs):
    t = glasstorch.empty(250, 400)
    fan = 250 if kwargs.get("mode", "fan_in").lower() == "fan_out" else 400
    gain = torch.nn.init.calculate_gain(kwargs.get("nonlinearity", "leaky_relu"),
                                        kwargs.get("a", 0))
    std = gain / math.sqrt(fan)
    init.kaiming_uniform_(t, **kwargs)
    x = t.numpy()
    assert np.abs(x).max() <= math.sqrt(3) * std and np.abs(x).max() > 0.99 * math.sqrt(3) * std
    np.testing.assert_allclose(x.std(), std, rtol=0.01)
    init.kaiming_normal_(t, **kwargs)
    np.testing.assert_allclose(t.numpy().std(), std, rtol=0.01)
    np.testing.assert_allclose(t.numpy().mean(), 0, atol=0.1 * std)


def test_kaiming_errors_and_zero_element_warning(torch):
    for name in ["kaiming_uniform_", "kaiming_normal_"]:
        assert _error(lambda: getattr(init, name)(glasstorch.empty(3, 4), mode="fan_avg")) == (
            _error(lambda: getattr(torch.nn.init, name)(torch.empty(3, 4), mode="fan_avg")))
        with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
            getattr(init, name)(glasstorch.empty(0, 3))
    assert _error(lambda: init.xavier_uniform_(glasstorch.empty(5))) == _error(
        lambda: torch.nn.init.xavier_uniform_(torch.empty(5)))


def test_trunc_normal_statistics(torch):
    t = glasstorch.empty(300, 300)
    init.trunc_normal_(t, mean=0.5, std=1.0, a=-1.0, b=1.5)
    x = t.numpy()
    assert x.min() >= -1.0 and x.max() <= 1.5
    tt = torch.nn.init.trunc_normal_(torch.empty(300, 300), mean=0.5, std=1.0, a=-1.0, b=1.5)
    np.testing.assert_allclose(x.mean(), tt.mean().item(), atol=0.01)
    np.testing.assert_allclose(x.std(), tt.std().item(), rtol=0.02)
    init.trunc_normal_(t, std=0.02)  # the common use: bounds far outside, an ordinary normal
    np.testing.assert_allclose(t.numpy().std(), 0.02, rtol=0.01)


def test_seeded_init_is_reproducible():
    glasstorch.manual_seed(3)
    a = glasstorch.nn.Linear(5, 4).weight.detach().numpy().copy()
    glasstorch.manual_seed(3)
    b = glasstorch.nn.Linear(5, 4).weight.detach().numpy().copy()
    np.testing.assert_array_equal(a, b)
    g = glasstorch.Generator().manual_seed(1)
    c = init.normal_(glasstorch.empty(3), generator=g).numpy().copy()
    g.manual_seed(1)
    np.testing.assert_array_equal(c, init.normal_(glasstorch.empty(3), generator=g).numpy())
