"""autograd.explain(): the chain rule step by step, and the `backward:` lines it reads."""

import ast
import importlib
import inspect
import pathlib

import numpy as np
import pytest

import glasstorch
from glasstorch.autograd import watchers
from glasstorch.autograd.explain import backward_formula
from glasstorch.autograd.function import Function
from seed_003 import seed_003 as seed_003_of  # tests/seed_003.py

gt = glasstorch


def seed_003():
    return seed_003_of(gt)


class NodeOrder(watchers.Watcher):
    """The nodes the engine runs, in its order (to compare the steps with)."""

    def __init__(self):
        self.nodes = []

    def node_started(self, node, grads_in):
        self.nodes.append(node)


def passed_on(steps):
    """{label: value} of every gradient the steps passed on."""
    return {p.label: p.grad.item() for step in steps for p in step.grads_out}


def test_seed_003_shows_each_step_of_the_chain_rule_with_the_notes_numbers():
    t = seed_003()
    order = NodeOrder()
    watchers.start(order)
    try:
        with gt.autograd.explain(names=t) as steps:
            t["J"].backward()
    finally:
        watchers.stop(order)
    assert [s.node for s in steps] == order.nodes  # every node, in the engine's order
    assert [s.name for s in steps] == ["MulBackward0", "AddBackward0", "AccumulateGrad",
                                       "MulBackward0", "AccumulateGrad", "AccumulateGrad"]
    assert [s.of for s in steps] == ["J", "v", "a", "u", "c", "b"]
    assert steps[0].node is t["J"].grad_fn and steps[3].node is t["u"].grad_fn
    assert [(label, g.item()) for label, g in steps[0].grads_in] == [("dJ/dJ", 1.0)]
    assert passed_on(steps) == {"dJ/dv": 3.0, "dJ/da": 3.0, "dJ/du": 3.0, "dJ/db": 6.0,
                                "dJ/dc": 9.0}
    # the local derivatives, from the ops' docstrings, with the names and the number filled in
    assert [p.local for p in steps[0].grads_out] == ["grad * 3"]
    assert [(p.label, p.local, p.to) for p in steps[1].grads_out] == [
        ("dJ/da", "grad", "AccumulateGrad"), ("dJ/du", "grad", "MulBackward0")]
    assert [(p.label, p.local) for p in steps[3].grads_out] == [
        ("dJ/db", "grad * c"), ("dJ/dc", "grad * b")]
    assert steps[3].formula == "grad_a = grad * b, grad_b = grad * a"  # Mul's docstring
    assert [(label, g.item()) for label, g in steps[2].grads_in] == [("dJ/da", 3.0)]
    assert steps[2].grads_out == [] and steps[2].formula == "a.grad += grad"
    assert (t["a"].grad.item(), t["b"].grad.item(), t["c"].grad.item()) == (3.0, 6.0, 9.0)

    table = str(steps)
    assert table == repr(steps)
    lines = table.splitlines()
    assert lines[0].split() == ["step", "node", "gradient", "in", "local", "derivative",
                                "passed", "on", "to"]
    assert lines[1].split() == ["1", "MulBackward0", "(J)", "dJ/dJ", "=", "1", "grad", "*", "3",
                                "dJ/dv", "=", "3", "AddBackward0"]
    assert lines[2].split() == ["2", "AddBackward0", "(v)", "dJ/dv", "=", "3", "grad",
                                "dJ/da", "=", "3", "AccumulateGrad"]
    assert lines[3].split() == ["grad", "dJ/du", "=", "3", "MulBackward0"]
    assert lines[6].split() == ["grad", "*", "b", "dJ/dc", "=", "9", "AccumulateGrad"]
    assert "dJ/db = 6" in lines[5] and "grad * c" in lines[5]
    assert len(lines) == 1 + 8  # a line per step, and one per further gradient passed on


def test_without_names_the_labels_are_neutral_and_the_numbers_the_same():
    t = seed_003()
    with gt.autograd.explain() as steps:
        t["J"].backward()
    assert steps[0].grads_in[0][0] == "d(out)/d(out)"
    assert [p.label for p in steps[0].grads_out] == ["d(out)/d(AddBackward0)"]
    assert [p.label for p in steps[1].grads_out] == ["d(out)/d(leaf)", "d(out)/d(MulBackward0)"]
    assert sorted(p.grad.item() for s in steps for p in s.grads_out) == [3, 3, 3, 6, 9]
    # the docstring's own names where the tensors have none
    assert [p.local for p in steps[3].grads_out] == ["grad * b", "grad * a"]
    assert "MulBackward0 (" not in str(steps)


def test_values_for_small_gradients_shapes_for_larger_ones():
    x = gt.ones(3, 4, requires_grad=True)
    w = gt.tensor([1.0, -2.0], requires_grad=True)
    y = (x.sum(1)[:2] * w).sum()
    with gt.autograd.explain({"x": x, "w": w, "y": y}) as steps:
        y.backward()
    table = str(steps)
    assert "dy/dx = shape (3, 4)" in table
    assert "dy/dw = [4, 4]" in table
    assert "SumBackward1" in table and "grad broadcast back to x's shape" in table


def test_a_docstring_name_that_names_another_tensor_is_replaced():
    x = gt.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp().sum()  # Sum's input (its `x`) is not this x; Exp's output (its `y`) not this y
    with gt.autograd.explain({"x": x, "y": y}) as steps:
        y.backward()
    assert [p.local for p in steps[0].grads_out] == ["grad broadcast back to (ExpBackward0)'s shape"]
    assert [p.local for p in steps[1].grads_out] == [
        "grad * (ExpBackward0)  ((ExpBackward0) = exp(x))"]


def test_nested_ops_of_backward_formulas_are_not_steps():
    x = gt.tensor([0.5, 1.5], requires_grad=True)
    y = x.exp().sum()
    seen = []

    class Ops(watchers.Watcher):
        def op_finished(self, cls, args, out):
            seen.append(cls.__name__)

    ops = Ops()
    watchers.start(ops)
    try:
        with gt.autograd.explain({"x": x, "s": y}) as steps:
            (g,) = gt.autograd.grad(y, x, create_graph=True)
    finally:
        watchers.stop(ops)
    assert "Mul" in seen  # ExpBackward0's formula (grad * y) ran as an op, recording a node
    assert [s.name for s in steps] == ["SumBackward0", "ExpBackward0", "AccumulateGrad"]
    assert [p.local for p in steps[1].grads_out] == ["grad * y  (y = exp(x))"]
    assert steps[0].grads_in[0][0] == "ds/ds"
    np.testing.assert_allclose(g.detach().numpy(), np.exp([0.5, 1.5]), rtol=1e-6)


def test_multi_output_node_and_custom_functions():
    class Split(Function):
        """Two halves of x."""

        @staticmethod
        def forward(ctx, x):
            return x[:2].clone(), x[2:].clone()

        @staticmethod
        def backward(ctx, grad_first, grad_second):
            return gt.cat([grad_first, grad_second])

    class Double(Function):
        """y = 2x.

        backward: grad_x = 2 * grad
        """

        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    x = gt.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    first, second = Split.apply(x)
    z = Double.apply(first).sum() + (second * second).sum()
    with gt.autograd.explain({"x": x, "first": first, "second": second, "z": z}) as steps:
        z.backward()
    split = next(s for s in steps if s.name == "SplitBackward")
    assert split.of == "first, second"
    assert [(label, g.tolist()) for label, g in split.grads_in] == [
        ("dz/dfirst", [2.0, 2.0]), ("dz/dsecond", [6.0, 8.0])]
    assert split.formula == "(custom Function: no formula)"
    assert [p.local for p in split.grads_out] == ["(custom Function: no formula)"]
    double = next(s for s in steps if s.name == "DoubleBackward")
    assert [p.local for p in double.grads_out] == ["2 * grad"]
    assert x.grad.tolist() == [2.0, 2.0, 6.0, 8.0]


def _program(lib, hooks):
    """Several ops, a broadcast, a reused tensor, a hook that changes a gradient, retain_grad."""
    lib.manual_seed(0)
    x = lib.randn(4, 3, requires_grad=True)
    w = lib.randn(3, 2, requires_grad=True)
    b = lib.randn(2, requires_grad=True)
    h = (x @ w + b).tanh()
    if hooks:
        h.register_hook(lambda g: g * 2)
    h.retain_grad()
    y = (h * h.sigmoid() / 3).sum() + (x.exp() ** 2).mean()
    return x, w, b, h, y


@pytest.mark.parametrize("hooks", [False, True])
def test_gradients_are_the_same_with_and_without_explain(hooks):
    results = []
    for explained in (False, True):
        x, w, b, h, y = _program(gt, hooks)
        if explained:
            with gt.autograd.explain({"x": x, "w": w, "b": b, "h": h, "y": y}) as steps:
                y.backward(retain_graph=True)
                (gx,) = gt.autograd.grad(y, x, create_graph=True)
                (ggx,) = gt.autograd.grad(gx.sum(), x)
            assert len(steps) > 10
        else:
            y.backward(retain_graph=True)
            (gx,) = gt.autograd.grad(y, x, create_graph=True)
            (ggx,) = gt.autograd.grad(gx.sum(), x)
        results.append([t.detach().numpy().copy()
                        for t in (x.grad, w.grad, b.grad, h.grad, gx, ggx)])
        assert gx.requires_grad
    for plain, explained in zip(*results):
        np.testing.assert_array_equal(plain, explained)
    assert not watchers.active


def test_the_watcher_is_gone_after_the_block_even_after_an_error():
    x = gt.tensor(1.0, requires_grad=True)
    with (pytest.raises(RuntimeError, match="does not require grad"),
          gt.autograd.explain() as steps):
        gt.tensor(1.0).backward()
    assert not watchers.active
    with gt.autograd.explain() as steps:
        pass
    (x * 2).backward()  # after the block: not recorded
    assert len(steps) == 0 and not watchers.active


def test_a_failing_node_is_a_step_marked_raised():
    x = gt.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with (gt.autograd.explain() as steps,
          pytest.raises(RuntimeError, match="backward through the graph a second time")):
        y.backward()  # MulBackward0's saved tensors were freed by the first backward
    assert [(s.name, s.failed) for s in steps] == [("SumBackward0", False),
                                                   ("MulBackward0", True)]
    assert steps[1].grads_out == []
    assert "MulBackward0 raised" in str(steps)
    assert not watchers.active


# ---- the `backward:` line of every primitive ----


def _primitive_classes():
    """Every class in glasstorch that sets `_primitive = True`, and the subclasses of those."""
    package = pathlib.Path(glasstorch.__file__).parent
    found = set()
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text())
        names = [node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
                 and any(isinstance(s, ast.Assign) and ast.unparse(s) == "_primitive = True"
                         for s in node.body)]
        if not names:
            continue
        module_name = ".".join(path.relative_to(package.parent).with_suffix("").parts)
        module = importlib.import_module(module_name)
        for name in names:
            found.add(getattr(module, name))
    stack = list(found)
    while stack:  # the subclasses that reuse a primitive's machinery (Rsub, Bmm, Sort, ...)
        for sub in stack.pop().__subclasses__():
            if sub.__module__.startswith("glasstorch.") and sub not in found:
                found.add(sub)
                stack.append(sub)
    return sorted(found, key=lambda c: (c.__module__, c.__name__))


def test_every_primitive_states_what_it_computes_and_its_local_derivative():
    classes = _primitive_classes()
    assert len(classes) > 90
    missing = []
    for cls in classes:
        doc = inspect.cleandoc(cls.__dict__.get("__doc__") or "")  # its own, not inherited
        lines = doc.splitlines()
        backward_lines = [line for line in lines if line.startswith("backward:")]
        if not lines or lines[0].startswith("backward:") or len(backward_lines) != 1:
            missing.append(f"{cls.__module__}.{cls.__name__}")
        assert issubclass(cls, Function) and cls._primitive
    assert not missing, f"primitives without a first line and one `backward:` line: {missing}"


def test_backward_formula_reads_the_line_and_its_continuation():
    from glasstorch.ops.arithmetic import Mul
    from glasstorch.ops.norm import BatchNorm

    assert backward_formula(Mul) == "grad_a = grad * b, grad_b = grad * a"
    formula = backward_formula(BatchNorm)
    assert formula.startswith("grad_x = weight / std") and "grad_bias = sum(grad)" in formula
    assert backward_formula(Function) is None
