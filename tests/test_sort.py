"""sort and argsort against torch: values, indices (stable: ties keep their order, NaN is the
largest), gradients, node names, and a float64 gradient check."""

import numpy as np
import pytest
import torch

import glasstorch
from glasstorch.autograd import gradcheck

TIES_AND_NAN = np.array([[3, 1, 2, 1, np.nan, 3, 0], [5, 5, 1, -1, 2, 2, 7]], dtype=np.float32)


@pytest.mark.parametrize("options", [{}, {"descending": True}, {"dim": 0},
                                     {"dim": 0, "descending": True}, {"stable": True},
                                     {"dim": -1, "descending": True, "stable": False}])
def test_sort_as_torch(options):
    weights = np.arange(14.0, dtype=np.float32).reshape(2, 7)
    results = []
    for lib in (glasstorch, torch):
        x = lib.tensor(TIES_AND_NAN, requires_grad=True)
        values, indices = lib.sort(x, **options)
        (lib.where(values.isnan(), 0.0, values) * lib.tensor(weights)).sum().backward()
        results.append((values.detach().numpy(), indices.numpy(), x.grad.numpy(),
                        str(indices.dtype), repr(values.grad_fn).split()[0]))
    ours, theirs = results
    np.testing.assert_array_equal(ours[0], theirs[0])  # NaN in the same places
    for a, b in zip(ours[1:], theirs[1:]):
        assert np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float64"])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_and_argsort_of_other_dtypes_as_torch(dtype, descending):
    data = np.random.default_rng(0).integers(0, 4, (3, 9)).astype(dtype)
    ours = glasstorch.tensor(data).sort(descending=descending)
    theirs = torch.tensor(data).sort(descending=descending, stable=True)
    np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    np.testing.assert_array_equal(
        glasstorch.argsort(glasstorch.tensor(data), dim=0, descending=descending).numpy(),
        torch.argsort(torch.tensor(data), dim=0, descending=descending, stable=True))


def test_sort_of_a_zero_dim_tensor_as_torch():
    ours, theirs = glasstorch.tensor(2.5).sort(), torch.tensor(2.5).sort()
    assert ours.values.item() == theirs.values.item()
    assert ours.indices.item() == theirs.indices.item() == 0
    assert ours.indices.dtype == glasstorch.int64


def test_sort_gradcheck_float64():
    x = glasstorch.tensor(np.random.default_rng(0).standard_normal((3, 5)), requires_grad=True)
    assert gradcheck(lambda x: x.sort(dim=0, descending=True).values, (x,))
