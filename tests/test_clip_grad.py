"""nn.utils.clip_grad_norm_ / clip_grad_value_ against torch.nn.utils: total norm, grads after."""

import math
import warnings

import numpy as np
import pytest

import glasstorch


def make_params(lib, grads, dtype="float32"):
    """Leaf tensors whose .grad holds the given arrays (None: a parameter without a grad)."""
    params = []
    for g in grads:
        shape = (1,) if g is None else g.shape
        p = lib.tensor(np.ones(shape, dtype=dtype), requires_grad=True)
        if g is not None:
            p.grad = lib.tensor(g.astype(dtype))
        params.append(p)
    return params


def random_grads(seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return [rng.normal(0, scale, (3, 4)), None, rng.normal(0, scale, 5), rng.normal(0, scale, ())]


def assert_same_grads(ours, theirs, rtol=1e-6):
    for p, q in zip(ours, theirs):
        assert (p.grad is None) == (q.grad is None)
        if p.grad is not None:
            assert p.grad.dtype.name == str(q.grad.dtype).removeprefix("torch.")
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=rtol, atol=1e-7)


@pytest.mark.parametrize("norm_type", [2, 2.0, 1, float("inf"), "inf", 3, 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 1, 1e3])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_clip_grad_norm_matches_torch(torch, norm_type, max_norm, dtype):
    grads = random_grads(scale=2.0)
    ours, theirs = make_params(glasstorch, grads, dtype), make_params(torch, grads, dtype)
    total = glasstorch.nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, glasstorch.Tensor)
    assert total.shape == () and total.dtype.name == dtype
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-6)
    assert_same_grads(ours, theirs)
    if max_norm < expected.item():  # clipped: the new total norm is max_norm
        after = glasstorch.nn.utils.get_total_norm([p.grad for p in ours if p.grad is not None],
                                                   norm_type)
        np.testing.assert_allclose(after.item(), max_norm, rtol=1e-5)


def test_clip_grad_norm_leaves_small_grads_unchanged(torch):
    grads = random_grads(scale=0.01)
    ours = make_params(glasstorch, grads)
    before = [None if p.grad is None else p.grad.numpy().copy() for p in ours]
    total = glasstorch.nn.utils.clip_grad_norm_(ours, max_norm=10.0)
    assert total.item() < 10.0
    for p, b in zip(ours, before):
        if b is not None:
            np.testing.assert_array_equal(p.grad.numpy(), b)


def test_clip_grad_norm_single_tensor_and_generator(torch):
    grads = random_grads(seed=1, scale=3.0)
    for wrap in (lambda ps: ps[0], lambda ps: iter(ps), lambda ps: (p for p in ps)):
        ours, theirs = make_params(glasstorch, grads), make_params(torch, grads)
        total = glasstorch.nn.utils.clip_grad_norm_(wrap(ours), 1.0)
        expected = torch.nn.utils.clip_grad_norm_(wrap(theirs), 1.0)
        np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-6)
        assert_same_grads(ours, theirs)


def test_clip_grad_norm_on_a_module(torch):
    net = glasstorch.nn.Linear(4, 3)
    tnet = torch.nn.Linear(4, 3)
    tnet.load_state_dict({k: torch.tensor(v.numpy()) for k, v in net.state_dict().items()})
    x = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    (net(glasstorch.tensor(x)) ** 2).sum().backward()
    (tnet(torch.tensor(x)) ** 2).sum().backward()
    total = glasstorch.nn.utils.clip_grad_norm_(net.parameters(), max_norm=0.1)
    expected = torch.nn.utils.clip_grad_norm_(tnet.parameters(), max_norm=0.1)
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-5)
    assert_same_grads(list(net.parameters()), list(tnet.parameters()), rtol=1e-5)
    assert total.grad_fn is None and not total.requires_grad


def test_clip_grad_norm_without_grads(torch):
    ours = make_params(glasstorch, [None, None])
    total = glasstorch.nn.utils.clip_grad_norm_(ours, 1.0)
    expected = torch.nn.utils.clip_grad_norm_(make_params(torch, [None, None]), 1.0)
    assert total.item() == expected.item() == 0.0
    assert total.dtype.name == str(expected.dtype).removeprefix("torch.")


def test_empty_generator_warns_like_torch(torch):
    with pytest.warns(UserWarning) as ours:
        glasstorch.nn.utils.clip_grad_norm_((p for p in []), 1.0)
    with pytest.warns(UserWarning) as theirs:
        torch.nn.utils.clip_grad_norm_((p for p in []), 1.0)
    assert str(ours[0].message) == str(theirs[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        glasstorch.nn.utils.clip_grad_norm_([], 1.0)  # an empty list is silent, as in torch


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_nonfinite_norm(torch, bad, norm_type):
    grads = [np.array([1.0, bad, 2.0]), np.array([3.0, 4.0])]
    ours, theirs = make_params(glasstorch, grads), make_params(torch, grads)
    with pytest.raises(RuntimeError) as ours_error:
        glasstorch.nn.utils.clip_grad_norm_(ours, 1.0, norm_type, error_if_nonfinite=True)
    with pytest.raises(RuntimeError) as theirs_error:
        torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type, error_if_nonfinite=True)
    assert str(ours_error.value) == str(theirs_error.value)
    assert_same_grads(ours, theirs)  # nothing was scaled
    # without the check torch scales by max_norm / (nonfinite + 1e-6) anyway
    total = glasstorch.nn.utils.clip_grad_norm_(ours, 1.0, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type)
    np.testing.assert_equal(total.item(), expected.item())
    for p, q in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())


def test_get_total_norm_and_clip_grads_with_norm(torch):
    grads = random_grads(seed=3, scale=2.0)
    ours, theirs = make_params(glasstorch, grads), make_params(torch, grads)
    total = glasstorch.nn.utils.get_total_norm([p.grad for p in ours if p.grad is not None], 1)
    expected = torch.nn.utils.get_total_norm([q.grad for q in theirs if q.grad is not None], 1)
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-6)
    glasstorch.nn.utils.clip_grads_with_norm_(ours, 2.0, total)
    torch.nn.utils.clip_grads_with_norm_(theirs, 2.0, expected)
    assert_same_grads(ours, theirs)


def test_clip_grad_norm_is_deprecated(torch):
    grads = random_grads()
    with pytest.warns(FutureWarning) as ours:
        glasstorch.nn.utils.clip_grad_norm(make_params(glasstorch, grads), 1.0)
    with pytest.warns(FutureWarning) as theirs:
        torch.nn.utils.clip_grad_norm(make_params(torch, grads), 1.0)
    assert str(ours[0].message) == str(theirs[0].message)


@pytest.mark.parametrize("clip_value", [0.1, 1, 5.0])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_clip_grad_value_matches_torch(torch, clip_value, dtype):
    grads = random_grads(seed=2, scale=2.0)
    ours, theirs = make_params(glasstorch, grads, dtype), make_params(torch, grads, dtype)
    assert glasstorch.nn.utils.clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    assert_same_grads(ours, theirs, rtol=0)
    assert max(np.abs(p.grad.numpy()).max() for p in ours if p.grad is not None) <= clip_value
    ours, theirs = make_params(glasstorch, grads, dtype), make_params(torch, grads, dtype)
    glasstorch.nn.utils.clip_grad_value_(ours[0], clip_value)  # a single tensor
    torch.nn.utils.clip_grad_value_(theirs[0], clip_value)
    assert_same_grads(ours, theirs, rtol=0)


def test_torch_paths():
    from glasstorch.nn.utils import clip_grad_norm_, clip_grad_value_

    assert clip_grad_norm_ is glasstorch.nn.utils.clip_grad.clip_grad_norm_
    assert clip_grad_value_ is glasstorch.nn.utils.clip_grad.clip_grad_value_


def test_parameters_to_vector_and_back_as_torch(torch):
    def run(lib):
        params = [lib.nn.Parameter(lib.ones(2, 3)), lib.nn.Parameter(lib.zeros(4))]
        vec = lib.nn.utils.parameters_to_vector(params)
        (vec * lib.arange(10.0)).sum().backward()
        grads = [p.grad.tolist() for p in params]
        source = lib.arange(10.0)
        lib.nn.utils.vector_to_parameters(source, params)
        source[0] = 42.0  # the parameters share the vector's memory
        with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
            lib.nn.utils.vector_to_parameters([1, 2], params)
        return vec.tolist(), vec.grad_fn.name(), grads, [p.tolist() for p in params]

    assert run(glasstorch) == run(torch)
