"""Graph drawings (glasstorch.autograd.graph) and next_functions, against PyTorch's graphs.

torch has no drawing of its own; what it has, the node names and the structure of
next_functions, is the oracle: the extracted graph must be the graph torch builds.
"""

import numpy as np
import pytest

import glasstorch

gt = glasstorch


# ---- next_functions: numbers in binary ops, left-out arguments ----


NEXT_FUNCTIONS_CASES = {
    "x + 3": lambda lib, x, y: x + 3,
    "3 + x": lambda lib, x, y: 3 + x,
    "3 * x": lambda lib, x, y: 3 * x,
    "x * 3": lambda lib, x, y: x * 3,
    "x - 3": lambda lib, x, y: x - 3,
    "3 - x": lambda lib, x, y: 3 - x,
    "x / 3": lambda lib, x, y: x / 3,
    "3 / x": lambda lib, x, y: 3 / x,
    "x ** 2": lambda lib, x, y: x**2,
    "2 ** x": lambda lib, x, y: 2**x,
    "x ** y": lambda lib, x, y: x**y,
    "x + y": lambda lib, x, y: x + y,
    "x * int tensor": lambda lib, x, y: x * lib.tensor(2),
    "x + True": lambda lib, x, y: x + True,
    "x.add(3, alpha=2)": lambda lib, x, y: x.add(3, alpha=2),
    "x.sub(2, alpha=3)": lambda lib, x, y: x.sub(2, alpha=3),
    "x.mul(2.5)": lambda lib, x, y: x.mul(2.5),
    "x % 2": lambda lib, x, y: x % 2,
    "x.sum(0)": lambda lib, x, y: x.sum(0),
    "x.mean()": lambda lib, x, y: x.mean(),
    "x.view(3, 2)": lambda lib, x, y: x.view(3, 2),
    "x.reshape(6)": lambda lib, x, y: x.reshape(6),
    "x[1:]": lambda lib, x, y: x[1:],
    "x.unsqueeze(0)": lambda lib, x, y: x.unsqueeze(0),
    "where(c, x, y)": lambda lib, x, y: lib.where(x > 2, x, y),
    "where(c, x, 0.)": lambda lib, x, y: lib.where(x > 2, x, 0.0),
    "where(c, 0., y)": lambda lib, x, y: lib.where(x > 2, 0.0, y),
    "clamp": lambda lib, x, y: x.clamp(0, 3),
    "maximum": lambda lib, x, y: lib.maximum(x, y),
    "x @ y.T": lambda lib, x, y: x @ y.T,
    "(x * 2) * 3": lambda lib, x, y: (x * 2) * 3,
}


def structure(node, depth=2):
    """(name, ((child, output_nr), ...)) down to depth; leaves as "AccumulateGrad"."""
    if node is None:
        return None
    name = "AccumulateGrad" if "AccumulateGrad" in node.name() else node.name()
    if depth == 0:
        return name
    return (name, tuple((structure(n, depth - 1), nr) for n, nr in node.next_functions))


@pytest.mark.parametrize("case", sorted(NEXT_FUNCTIONS_CASES))
def test_next_functions_as_torch(torch, case):
    fn = NEXT_FUNCTIONS_CASES[case]
    results = []
    for lib in (torch, gt):
        x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        y = lib.tensor([[0.5, 2.5, 1.0], [3.0, 1.5, 2.0]], requires_grad=True)
        out = fn(lib, x, y)
        results.append((structure(out.grad_fn), out.detach().numpy()))
    (expected, expected_values), (actual, actual_values) = results
    assert actual == expected
    np.testing.assert_allclose(actual_values, expected_values, rtol=1e-6)


def test_a_number_operand_is_a_none_entry_after_the_tensor():
    v = gt.tensor([1.0, 2.0], requires_grad=True)
    entries = (3 * v).grad_fn.next_functions
    assert [type(n).__name__ if n is not None else None for n, _ in entries] == [
        "AccumulateGrad", None]
