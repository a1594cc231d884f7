"""The small-tensor fast paths (issue 11) give what the general paths give, and what torch gives:
values, dtypes, grad_fn names and gradients."""

import numpy as np
import pytest

import glasstorch
from glasstorch.ops.operands import broadcast_shapes


def _leaf(lib, array):
    return lib.tensor(array, requires_grad=array.dtype.kind == "f")


@pytest.mark.parametrize("shape", [(), (10,), (10, 1), (2, 3, 4)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_full_sum_fast_path_matches_general_path_and_torch(torch, shape, dtype, keepdim):
    array = (np.random.default_rng(0).standard_normal(shape) * 10).astype(dtype)
    fast, general, theirs = _leaf(glasstorch, array), _leaf(glasstorch, array), _leaf(torch, array)
    y_fast = fast.sum(keepdim=keepdim) if keepdim else fast.sum()  # t.sum(): the fast path
    y_general = general.sum(dim=tuple(range(len(shape))), keepdim=keepdim)
    y_torch = theirs.sum(dim=tuple(range(len(shape))), keepdim=keepdim) if keepdim else theirs.sum()
    for y in (y_fast, y_general):
        assert str(y.dtype) == str(y_torch.dtype) and tuple(y.shape) == tuple(y_torch.shape)
        np.testing.assert_allclose(y.detach().numpy(), y_torch.detach().numpy(), rtol=1e-6)
    if dtype.startswith("float"):
        assert y_fast.grad_fn.name() == theirs.sum().grad_fn.name() == "SumBackward0"
        (y_fast * 3).sum().backward()
        (y_torch * 3).sum().backward()
        np.testing.assert_array_equal(fast.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize("a_shape, b_shape", [
    ((10, 1), (1,)), ((1,), (10, 1)), ((10, 3), (3,)), ((4, 1, 3), (1, 1)), ((), (5, 2)),
    ((2, 3), (2, 3)), ((5, 1), (1, 4)), ((3,), (2, 1, 3)),
    ((0, 0), (0, 1)), ((3,), (1, 3)),  # empty; same size and a broadcast rank
])
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_broadcasting_with_grad_matches_torch(torch, a_shape, b_shape, op):
    # the engine sums a broadcast operand's gradient back to its shape (Node._sum_to)
    rng = np.random.default_rng(1)
    a, b = (rng.standard_normal(s).astype("float32") + 3 for s in (a_shape, b_shape))
    (ga, gb), (ta, tb) = ((_leaf(lib, a), _leaf(lib, b)) for lib in (glasstorch, torch))
    y, ty = getattr(ga, op)(gb), getattr(ta, op)(tb)
    assert y.grad_fn.name() == ty.grad_fn.name()
    # straight to the leaves, as in torch: no Expand node for the broadcast operand
    assert ([type(n).__name__ for n, _ in y.grad_fn.next_functions]
            == [type(n).__name__ for n, _ in ty.grad_fn.next_functions] == ["AccumulateGrad"] * 2)
    assert tuple(y.shape) == tuple(ty.shape)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-6)
    weights = rng.standard_normal(tuple(ty.shape)).astype("float32")
    (y * glasstorch.tensor(weights)).sum().backward()
    (ty * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ga.grad.numpy(), ta.grad.numpy(), rtol=1e-5)
    np.testing.assert_allclose(gb.grad.numpy(), tb.grad.numpy(), rtol=1e-5)


def test_broadcast_gradients_second_order_and_hooks_match_torch(torch):
    results = []
    for lib in (glasstorch, torch):
        t = lib.tensor(np.arange(10, dtype="float32").reshape(10, 1), requires_grad=True)
        b = lib.tensor([0.5], requires_grad=True)
        seen = []
        b.register_hook(lambda g: seen.append(tuple(g.shape)))
        y = lib.maximum((t + b) * b, t - 2 * b) / (b + 1)
        (gb,) = lib.autograd.grad(y.sum(), b, create_graph=True)
        (gb2,) = lib.autograd.grad(gb.sum(), b, retain_graph=True)
        y.sum().backward()  # the hook sees the gradient summed back to b's shape
        results.append((gb.detach().numpy(), gb2.numpy(), seen[-1], b.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5)


@pytest.mark.parametrize("shapes", [
    ((10, 1), (1,)), ((1,), (10, 1)), ((3, 1), (3, 1)), ((), (2,)), ((2,), ()), ((1, 1), (4,)),
    ((4,), (1, 1)), ((2, 1, 3), (5, 1)), ((5, 4), (4,)), ((3,), (4,)), ((2, 3), (3, 2)),
])
def test_broadcast_shapes_fast_path_matches_torch(torch, shapes):
    try:
        expected = tuple(torch.broadcast_shapes(*shapes))
    except RuntimeError:
        with pytest.raises(RuntimeError, match="must match the size"):  # the binary ops' message
            broadcast_shapes(*shapes)
        return
    assert broadcast_shapes(*shapes) == expected
    assert type(broadcast_shapes(*shapes)) is tuple


@pytest.mark.parametrize("shape", [(10, 1), (2, 3, 4), (0, 3), (5,)])
def test_reshape_minus_one_fast_path_matches_torch(torch, shape):
    array = np.arange(int(np.prod(shape)), dtype="float32").reshape(shape)
    t, tt = _leaf(glasstorch, array), _leaf(torch, array)
    for y, ty in [(t.reshape(-1), tt.reshape(-1)), (t.view(-1), tt.view(-1))]:
        assert tuple(y.shape) == tuple(ty.shape) and y.grad_fn.name() == ty.grad_fn.name()
        np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    (t.reshape(-1) * 2).sum().backward()
    (tt.reshape(-1) * 2).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), tt.grad.numpy())
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        t.reshape(-1, -1)
