"""Engine semantics against PyTorch: each test runs the same code on torch and on glasstorch.

`lib` in the helpers is either module; the `torch` fixture is the real PyTorch oracle.
"""

import gc
import re
import warnings
import weakref

import numpy as np
import pytest

import glasstorch

gt = glasstorch


# ---- helpers ----


def to_numpy(value):
    """A tensor (of either library), number or None as something numpy can compare."""
    if value is None:
        return None
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def assert_same(expected, actual, atol=1e-5, rtol=1e-5):
    """Compare nested results: torch's first, glasstorch's second (values, shapes, dtypes)."""
    if isinstance(expected, (tuple, list)):
        assert isinstance(actual, (tuple, list)) and len(actual) == len(expected)
        for e, a in zip(expected, actual):
            assert_same(e, a, atol, rtol)
        return
    if expected is None or actual is None:
        assert expected is None and actual is None, (expected, actual)
        return
    if hasattr(expected, "dtype") and hasattr(expected, "detach"):
        assert str(actual.dtype) == str(expected.dtype)
        assert tuple(actual.shape) == tuple(expected.shape)
    if isinstance(expected, (bool, str)):
        assert actual == expected
        return
    np.testing.assert_allclose(to_numpy(actual), to_numpy(expected), atol=atol, rtol=rtol)


def both(torch, fn, *arrays, requires_grad=True):
    """fn(lib, *tensors) on torch and glasstorch, with leaves made from the same arrays."""
    results = []
    for lib in (torch, gt):
        tensors = [lib.tensor(a, requires_grad=requires_grad) for a in arrays]
        results.append(fn(lib, *tensors))
    return results


def assert_both_raise(torch, fn, *fragments, exc=None):
    """fn(lib) raises the same exception class in both libraries, with every fragment in its
    message (torch's message is checked too, so the fragments stay true to torch)."""
    errors = []
    for lib in (torch, gt):
        with pytest.raises(Exception) as info:
            fn(lib)
        errors.append(info.value)
    expected, actual = errors
    assert type(actual) is type(expected), (expected, actual)
    if exc is not None:
        assert type(expected) is exc
    for fragment in fragments:
        assert fragment in str(expected), (fragment, str(expected))
        assert fragment in str(actual), (fragment, str(actual))
    return expected, actual


def caught_warnings(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn()
    return result, [(w.category, str(w.message)) for w in caught]


rng = np.random.default_rng(0)
X = rng.standard_normal((3, 4)).astype(np.float32)
W = rng.standard_normal((4, 2)).astype(np.float32)
POS = (rng.random((3, 4)) + 0.5).astype(np.float32)


# ---- backward(gradient, retain_graph, create_graph, inputs) ----


def test_scalar_backward_fills_leaf_grads(torch):
    def fn(lib, x, w):
        loss = ((x @ w).tanh() ** 2).mean()
        loss.backward()
        return loss, x.grad, w.grad

    expected, actual = both(torch, fn, X, W)
    assert_same(expected, actual)


def test_backward_with_gradient_argument(torch):
    v = rng.standard_normal((3, 4)).astype(np.float32)

    def fn(lib, x):
        y = x * x + x.sin()
        y.backward(lib.tensor(v))
        return x.grad

    expected, actual = both(torch, fn, X)
    assert_same(expected, actual)


def test_backward_gradient_as_keyword_and_ones_like(torch):
    def fn(lib, x):
        y = x.exp()
        y.backward(gradient=lib.ones_like(y))
        return x.grad

    expected, actual = both(torch, fn, X)
    assert_same(expected, actual)
    np.testing.assert_allclose(to_numpy(actual), np.exp(X), rtol=1e-6)


def test_backward_gradient_of_wrong_shape(torch):
    def fn(lib):
        x = lib.ones(3, requires_grad=True)
        (x * 2).backward(lib.ones(4))

    assert_both_raise(torch, fn, "Mismatch in shape", exc=RuntimeError)


def test_retain_graph_allows_a_second_backward_that_accumulates(torch):
    def fn(lib, x):
        y = (x.exp() * x).sum()
        y.backward(retain_graph=True)
        first = x.grad.clone()
        y.backward()
        return first, x.grad

    expected, actual = both(torch, fn, X)
    assert_same(expected, actual)
    np.testing.assert_allclose(to_numpy(actual[1]), 2 * to_numpy(actual[0]), rtol=1e-6)


def test_second_backward_through_freed_graph_raises(torch):
    def fn(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x.exp() * x).sum()
        y.backward()
        y.backward()

    assert_both_raise(
        torch, fn, "Trying to backward through the graph a second time",
        "Specify retain_graph=True", exc=RuntimeError,
    )


def test_graph_without_saved_tensors_can_be_run_twice(torch):
    # torch only complains when a freed *saved* value is needed: x + 1 saves nothing
    def fn(lib, x):
        y = (x + 1).sum()
        y.backward()
        y.backward()
        return x.grad

    expected, actual = both(torch, fn, X)
    assert_same(expected, actual)


def test_create_graph_gives_differentiable_grads(torch):
    def fn(lib, x):
        y = (x**3).sum()
        y.backward(create_graph=True)
        first = x.grad
        assert first.requires_grad and first.grad_fn is not None
        g = x.grad.clone()
        x.grad = None
        g.sum().backward()
        return g, x.grad

    expected, actual = both(torch, fn, X)
    assert_same(expected, actual, atol=1e-4)
    np.testing.assert_allclose(to_numpy(actual[1]), 6 * X, rtol=1e-5)


def test_create_graph_implies_retain_graph(torch):
    def fn(lib, x):
        y = (x.sin() * x).sum()
        y.backward(create_graph=True)
        y.backward()  # allowed: create_graph kept the graph
        return x.grad

    expected, actual = both(torch, fn, X)
    assert_same(expected, actual)


def test_backward_inputs_limits_accumulation(torch):
    def fn(lib, x, w):
        z = (x @ w).sum()
        z.backward(inputs=[w])
        return x.grad, w.grad

    expected, actual = both(torch, fn, X, W)
    assert_same(expected, actual)
    assert actual[0] is None


def test_backward_inputs_can_be_a_non_leaf(torch):
    def fn(lib, x):
        h = x * 2
        h.retain_grad()
        (h * h).sum().backward(inputs=[h])
        return h.grad, x.grad

    expected, actual = both(torch, fn, X)
    assert_same(expected, actual)


def test_torch_autograd_backward_function(torch):
    def fn(lib, x, w):
        a, b = (x * 2).sum(), (w**2).sum()
        lib.autograd.backward([a, b])
        return x.grad, w.grad

    expected, actual = both(torch, fn, X, W)
    assert_same(expected, actual)


# ---- accumulation into leaves ----


def test_gradients_accumulate_across_backward_calls(torch):
    def fn(lib, x):
        grads = []
        for k in range(1, 4):
            (x * k).sum().backward()
            grads.append(x.grad.clone())
        return grads

    expected, actual = both(torch, fn, X)
    assert_same(expected, actual)
    np.testing.assert_allclose(to_numpy(actual[2]), np.full(X.shape, 6.0))


def test_grad_zero_resets_in_place(torch):
    def fn(lib, x):
        (x * x).sum().backward()
        grad = x.grad
        x.grad.zero_()
        assert x.grad is grad  # zero_ works in place on the same tensor
        x.sum().backward()
        assert x.grad is grad  # and the next backward accumulates into it
        return x.grad

    expected, actual = both(torch, fn, X)
    assert_same(expected, actual)


def test_grad_set_to_none_then_backward(torch):
    def fn(lib, x):
        (x * 3).sum().backward()
        x.grad = None
        (x * 5).sum().backward()
        return x.grad

    expected, actual = both(torch, fn, X)
    assert_same(expected, actual)


def test_leaf_grad_is_none_before_backward_and_has_no_history(torch):
    def fn(lib, x):
        before = x.grad
        (x**2).sum().backward()
        return before, x.grad, x.grad.requires_grad, x.grad.grad_fn is None, x.is_leaf

    expected, actual = both(torch, fn, X)
    assert actual[0] is None
    assert actual[2:] == expected[2:] == (False, True, True)
    assert_same(expected[1], actual[1])


def test_grad_is_a_private_copy_of_the_seed(torch):
    # backward(gradient=g) must not alias g into x.grad: later accumulation would change g
    def fn(lib, x):
        g = lib.ones(3, 4)
        (x * 1).backward(g)
        (x * 1).backward(g)
        return g, x.grad

    expected, actual = both(torch, fn, X)
    assert_same(expected, actual)


def test_same_leaf_used_twice_sums_both_paths(torch):
    def fn(lib, x):
        y = x * x.exp() + x.sin() * x
        y.sum().backward()
        return x.grad

    expected, actual = both(torch, fn, X)
    assert_same(expected, actual)


def test_broadcast_operands_get_grads_of_their_own_shape(torch):
    b = rng.standard_normal((4,)).astype(np.float32)
    c = rng.standard_normal((3, 1)).astype(np.float32)

    def fn(lib, x, b, c):
        (x * b + c).pow(2).sum().backward()
        return x.grad, b.grad, c.grad

    expected, actual = both(torch, fn, X, b, c)
    assert_same(expected, actual, atol=1e-4)


# ---- non-leaf .grad, retain_grad ----


NON_LEAF_WARNING = "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed"


def test_non_leaf_grad_is_none_with_torch_warning(torch):
    messages = []
    for lib in (torch, gt):
        x = lib.ones(2, 2, requires_grad=True)
        y = x + 2
        z = y + x
        z.backward(lib.ones_like(y))
        grad, caught = caught_warnings(lambda: y.grad)
        assert grad is None
        assert len(caught) == 1 and caught[0][0] is UserWarning
        messages.append(caught[0][1])
        # a leaf's .grad does not warn
        _, leaf_caught = caught_warnings(lambda: x.grad)
        assert leaf_caught == []
    torch_message, gt_message = messages
    for fragment in (NON_LEAF_WARNING, "use .retain_grad() on the non-leaf Tensor",
                     "github.com/pytorch/pytorch/pull/30531"):
        assert fragment in torch_message and fragment in gt_message
    # torch appends "(Triggered internally at ...)"; the rest is the same text
    assert torch_message.startswith(gt_message)


def test_retain_grad_populates_non_leaf_grad(torch):
    def fn(lib, x):
        y = x * 2
        y.retain_grad()
        z = (y * y).sum()
        (grad_before, caught) = caught_warnings(lambda: y.grad)
        z.backward()
        grad, caught_after = caught_warnings(lambda: y.grad)
        assert caught == [] and caught_after == []
        return grad_before, grad, y.retains_grad, x.retains_grad, x.grad

    expected, actual = both(torch, fn, X)
    assert actual[0] is None
    assert_same(expected, actual)


def test_retain_grad_accumulates_like_torch(torch):
    def fn(lib, x):
        y = x.exp()
        y.retain_grad()
        (y * 3).sum().backward(retain_graph=True)
        (y * 3).sum().backward()
        return y.grad

    expected, actual = both(torch, fn, X)
    assert_same(expected, actual)


def test_is_leaf_and_requires_grad_flags(torch):
    def fn(lib):
        a = lib.ones(2)
        b = lib.ones(2, requires_grad=True)
        c = a * 2
        d = b * 2
        with lib.no_grad():
            e = b * 2
        return [(t.is_leaf, t.requires_grad, t.grad_fn is None) for t in (a, b, c, d, e)]

    assert fn(torch) == fn(gt)


# ---- detach, .data, requires_grad_ ----


def test_detach_shares_memory_and_has_no_history(torch):
    def fn(lib, x):
        y = x * 2
        u = y.detach()
        u[0, 0] = 100.0  # writes through to y
        return u.requires_grad, u.is_leaf, u.grad_fn is None, float(y[0, 0]), float(u[0, 0])

    expected, actual = both(torch, fn, X)
    assert expected == actual
    assert actual[3] == 100.0


def test_detach_shares_the_version_counter(torch):
    # an in-place change through the detached alias is still seen by backward
    def fn(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x.exp()
        y.detach().add_(1)
        y.sum().backward()

    assert_both_raise(torch, fn, "modified by an inplace operation", exc=RuntimeError)


def test_data_shares_memory_and_is_not_tracked(torch):
    # the same change through .data is invisible to autograd (and gives the stale gradient)
    def fn(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x.exp()
        d = y.data
        d.add_(1)
        y.sum().backward()
        return y, d.requires_grad, x.grad

    expected, actual = fn(torch), fn(gt)
    assert_same(expected, actual)
    np.testing.assert_allclose(to_numpy(actual[0]), np.exp([1.0, 2.0]) + 1, rtol=1e-6)


def test_data_assignment_updates_values_in_training_style(torch):
    # seed 003: w.data = w.data - lr * w.grad keeps w a leaf that requires grad
    def fn(lib, w):
        ident = id(w)
        for _ in range(3):
            if w.grad is not None:
                w.grad.data.zero_()
            loss = ((w * 3 - 1) ** 2).mean()
            loss.backward()
            w.data = w.data - 0.1 * w.grad
        return id(w) == ident, w.is_leaf, w.requires_grad, w

    expected, actual = both(torch, fn, X)
    assert expected[:3] == actual[:3] == (True, True, True)
    assert_same(expected[3], actual[3])


def test_detach_of_a_leaf_and_detach_(torch):
    def fn(lib, x):
        d = x.detach()
        y = x * 2
        y.detach_()
        return d.requires_grad, y.requires_grad, y.is_leaf, y.grad_fn is None

    expected, actual = both(torch, fn, X)
    assert expected == actual


def test_requires_grad_(torch):
    def fn(lib):
        x = lib.arange(4.0)
        same = x.requires_grad_() is x
        on = x.requires_grad
        x.requires_grad_(False)
        off = x.requires_grad
        x.requires_grad = True
        y = 2 * lib.dot(x, x)
        y.backward()
        return same, on, off, y.requires_grad, x.grad

    expected, actual = fn(torch), fn(gt)
    assert_same(expected, actual)
    assert actual[:3] == (True, True, False)


def test_requires_grad_false_on_a_non_leaf_is_an_error(torch):
    def fn(lib):
        x = lib.ones(2, requires_grad=True)
        (x * 2).requires_grad_(False)

    assert_both_raise(torch, fn, "you can only change requires_grad flags of leaf variables",
                      exc=RuntimeError)


# ---- grad modes ----


def test_no_grad_context(torch):
    def fn(lib, x):
        with lib.no_grad():
            y = x * 2
            inside = lib.is_grad_enabled()
        return y.requires_grad, y.grad_fn is None, inside, lib.is_grad_enabled()

    expected, actual = both(torch, fn, X)
    assert expected == actual == (False, True, False, True)


def test_nested_grad_modes(torch):
    def fn(lib, x):
        flags = []
        with lib.no_grad():
            flags.append((x * 2).requires_grad)
            with lib.enable_grad():
                flags.append((x * 2).requires_grad)
                with lib.set_grad_enabled(False):
                    flags.append((x * 2).requires_grad)
                flags.append((x * 2).requires_grad)
            flags.append((x * 2).requires_grad)
        flags.append((x * 2).requires_grad)
        return flags

    expected, actual = both(torch, fn, X)
    assert expected == actual == [False, True, False, True, False, True]


def test_set_grad_enabled_as_function_and_context(torch):
    def fn(lib, x):
        lib.set_grad_enabled(False)
        off = (x * 2).requires_grad
        lib.set_grad_enabled(True)
        on = (x * 2).requires_grad
        with lib.set_grad_enabled(False):
            ctx_off = (x * 2).requires_grad
        with lib.set_grad_enabled(True):
            ctx_on = (x * 2).requires_grad
        return off, on, ctx_off, ctx_on, lib.is_grad_enabled()

    expected, actual = both(torch, fn, X)
    assert expected == actual == (False, True, False, True, True)


def test_grad_modes_as_decorators(torch):
    def fn(lib, x):
        @lib.no_grad()
        def no_grad_fn(t):
            return t * 2

        @lib.no_grad
        def bare_no_grad_fn(t):
            return t * 2

        @lib.enable_grad()
        def enable_grad_fn(t):
            return t * 2

        @lib.set_grad_enabled(False)
        def disabled_fn(t):
            return t * 2

        results = [no_grad_fn(x).requires_grad, bare_no_grad_fn(x).requires_grad,
                   disabled_fn(x).requires_grad, lib.is_grad_enabled()]
        with lib.no_grad():
            results.append(enable_grad_fn(x).requires_grad)
            results.append(lib.is_grad_enabled())
        results.append(no_grad_fn.__name__)
        return results

    expected, actual = both(torch, fn, X)
    assert expected == actual == [False, False, False, True, True, False, "no_grad_fn"]


def test_grad_mode_restored_after_an_exception(torch):
    def fn(lib):
        try:
            with lib.no_grad():
                raise ValueError("boom")
        except ValueError:
            pass
        return lib.is_grad_enabled()

    assert fn(torch) is fn(gt) is True


def test_in_place_leaf_update_under_no_grad(torch):
    # d2l's sgd: param -= lr * param.grad keeps the same leaf object
    def fn(lib, w):
        ident = id(w)
        values = []
        for _ in range(3):
            loss = ((w - 1.0) ** 2).sum()
            loss.backward()
            with lib.no_grad():
                w -= 0.1 * w.grad
                w.grad.zero_()
            values.append(w.detach().clone())
        return id(w) == ident, w.is_leaf, w.requires_grad, w.grad_fn is None, values

    expected, actual = both(torch, fn, X)
    assert expected[:4] == actual[:4] == (True, True, True, True)
    assert_same(expected[4], actual[4])


def test_in_place_ops_under_no_grad_keep_leaf(torch):
    def fn(lib, w):
        with lib.no_grad():
            w.mul_(2)
            w.add_(1)
            w[0] = 0.0
            w.clamp_(-1, 1)
        (w * 3).sum().backward()
        return w, w.grad, w.is_leaf

    expected, actual = both(torch, fn, X)
    assert_same(expected, actual)


# ---- torch.autograd.grad ----


def test_autograd_grad_does_not_touch_dot_grad(torch):
    def fn(lib, x, w):
        y = (x @ w).sigmoid().sum()
        gx, gw = lib.autograd.grad(y, [x, w])
        return gx, gw, x.grad, w.grad

    expected, actual = both(torch, fn, X, W)
    assert_same(expected, actual)


def test_autograd_grad_runs_the_leaf_hooks_like_torch(torch):
    def fn(lib, x):
        seen = []
        x.register_hook(lambda g: (seen.append(g.clone()), g * 10)[1])
        (gx,) = lib.autograd.grad((x * 3).sum(), x)
        return gx, seen[0], x.grad

    expected, actual = both(torch, fn, X)
    assert_same(expected, actual)


def test_autograd_grad_runs_only_the_graph_above_its_inputs(torch):
    # the graph below z (x * 2) was freed by the first call; asking for z's gradient must not
    # run it again (torch runs only the nodes that lead to the inputs)
    def fn(lib, x):
        z = x * 2
        z.register_hook(lambda g: g * 100)
        (gx,) = lib.autograd.grad((z * 3).sum(), x)
        (gz,) = lib.autograd.grad((z * 3).sum(), z)
        z2 = x.exp()
        w = lib.ones(1, requires_grad=True)
        y = (z2 * w).sum()
        y.backward(inputs=[w])  # only w: exp's node is not run, x.grad stays None
        return gx, gz, w.grad, x.grad

    expected, actual = both(torch, fn, X)
    assert_same(expected, actual)


def test_autograd_grad_single_input_returns_tuple(torch):
    def fn(lib, x):
        result = lib.autograd.grad((x**2).sum(), x)
        return type(result).__name__, len(result), result[0]

    expected, actual = both(torch, fn, X)
    assert expected[:2] == actual[:2] == ("tuple", 1)
    assert_same(expected[2], actual[2])


def test_autograd_grad_with_grad_outputs(torch):
    v = rng.standard_normal((3, 4)).astype(np.float32)

    def fn(lib, x):
        y = x.tanh()
        return lib.autograd.grad(y, x, grad_outputs=lib.tensor(v))

    expected, actual = both(torch, fn, X)
    assert_same(expected, actual)


def test_autograd_grad_allow_unused(torch):
    def fn(lib, x, w):
        y = (x * 2).sum()
        return lib.autograd.grad(y, [x, w], allow_unused=True)

    expected, actual = both(torch, fn, X, W)
    assert_same(expected, actual)
    assert actual[1] is None


def test_autograd_grad_unused_input_is_an_error(torch):
    def fn(lib):
        x = lib.ones(2, requires_grad=True)
        w = lib.ones(2, requires_grad=True)
        lib.autograd.grad((x * 2).sum(), [x, w])

    assert_both_raise(torch, fn, "appears to not have been used in the graph",
                      "Set allow_unused=True", exc=RuntimeError)


def test_autograd_grad_input_without_requires_grad(torch):
    def fn(lib):
        x = lib.ones(2, requires_grad=True)
        lib.autograd.grad((x * 2).sum(), [lib.ones(2)])

    assert_both_raise(torch, fn, "One of the differentiated Tensors does not require grad",
                      exc=RuntimeError)


def test_autograd_grad_retain_graph(torch):
    def fn(lib, x):
        y = (x.exp() * x).sum()
        (g1,) = lib.autograd.grad(y, x, retain_graph=True)
        (g2,) = lib.autograd.grad(y, x)
        return g1, g2

    expected, actual = both(torch, fn, X)
    assert_same(expected, actual)


def test_autograd_grad_frees_graph_by_default(torch):
    def fn(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x.exp() * x).sum()
        lib.autograd.grad(y, x)
        lib.autograd.grad(y, x)

    assert_both_raise(torch, fn, "Trying to backward through the graph a second time",
                      exc=RuntimeError)


def test_autograd_grad_create_graph_second_derivative(torch):
    def fn(lib, x):
        y = (x**3 + x.sin()).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        return g.requires_grad, g, gg

    expected, actual = both(torch, fn, X)
    assert expected[0] is actual[0] is True
    assert_same(expected[1:], actual[1:], atol=1e-4)


def test_autograd_grad_of_intermediate(torch):
    def fn(lib, x):
        h = x * 3
        y = (h * h).sum()
        return lib.autograd.grad(y, h)

    expected, actual = both(torch, fn, X)
    assert_same(expected, actual)


# ---- grad_fn names, repr and next_functions ----


GRAD_FN_CASES = {
    "add": lambda lib, x: x + x,
    "add_scalar": lambda lib, x: x + 1,
    "sub": lambda lib, x: x - x.exp(),
    "rsub": lambda lib, x: 4.2 - x,
    "mul": lambda lib, x: x * x,
    "mul_scalar": lambda lib, x: 2 * x,
    "div": lambda lib, x: x / 2,
    "neg": lambda lib, x: -x,
    "pow": lambda lib, x: x**2,
    "pow_tensor": lambda lib, x: x.abs() ** x,
    "rpow": lambda lib, x: 2**x,
    "exp": lambda lib, x: x.exp(),
    "log": lambda lib, x: x.abs().log(),
    "sin": lambda lib, x: x.sin(),
    "cos": lambda lib, x: x.cos(),
    "tanh": lambda lib, x: x.tanh(),
    "sigmoid": lambda lib, x: x.sigmoid(),
    "relu": lambda lib, x: x.relu(),
    "abs": lambda lib, x: x.abs(),
    "sqrt": lambda lib, x: x.abs().sqrt(),
    "sum": lambda lib, x: x.sum(),
    "sum_dim": lambda lib, x: x.sum(0),
    "mean": lambda lib, x: x.mean(),
    "mean_dim": lambda lib, x: x.mean(dim=1),
    "max": lambda lib, x: x.max(),
    "max_dim": lambda lib, x: x.max(dim=0)[0],
    "prod": lambda lib, x: x.prod(),
    "norm": lambda lib, x: x.norm(),
    "view": lambda lib, x: x.view(-1),
    "reshape": lambda lib, x: x.reshape(4, 3),
    "transpose": lambda lib, x: x.transpose(0, 1),
    "t": lambda lib, x: x.t(),
    "permute": lambda lib, x: x.permute(1, 0),
    "unsqueeze": lambda lib, x: x.unsqueeze(0),
    "squeeze_all": lambda lib, x: x.unsqueeze(0).squeeze(),
    "squeeze_dim": lambda lib, x: x.unsqueeze(0).squeeze(0),
    "expand": lambda lib, x: x.expand(2, 3, 4),
    "mm": lambda lib, x: x.mm(x.t()),
    "matmul": lambda lib, x: lib.matmul(x, x.t()),
    "bmm": lambda lib, x: x.unsqueeze(0).bmm(x.t().unsqueeze(0)),
    "dot": lambda lib, x: lib.dot(x[0], x[1]),
    "select": lambda lib, x: x[0],
    "slice": lambda lib, x: x[:, 1:],
    "index": lambda lib, x: x[[0, 2]],
    "cat": lambda lib, x: lib.cat([x, x]),
    "stack": lambda lib, x: lib.stack([x, x]),
    "clone": lambda lib, x: x.clone(),
    "to_double": lambda lib, x: x.double(),
    "clamp": lambda lib, x: x.clamp(0, 1),
    "where": lambda lib, x: lib.where(x > 0, x, 0.0),
    "flip": lambda lib, x: x.flip(0),
    "add_": lambda lib, x: (x * 1).add_(1),
    "mul_": lambda lib, x: (x * 1).mul_(x),
    "number_over_tensor": lambda lib, x: 2.5 / x,
    "reciprocal": lambda lib, x: x.reciprocal(),
    "relu_backward": lambda lib, x: lib.autograd.grad((x.relu() ** 2).sum(), x,
                                                      create_graph=True)[0],
    "sigmoid_backward": lambda lib, x: lib.autograd.grad(x.sigmoid().sum(), x,
                                                         create_graph=True)[0],
    "conv2d": lambda lib, x: lib.nn.functional.conv2d(x.reshape(1, 1, 3, 4), x[:2, :2][None, None]),
}


@pytest.mark.parametrize("case", sorted(GRAD_FN_CASES))
def test_grad_fn_name_and_repr(torch, case):
    fn = GRAD_FN_CASES[case]
    names = []
    for lib in (torch, gt):
        y = fn(lib, lib.tensor(X, requires_grad=True))
        node = y.grad_fn
        assert re.fullmatch(rf"<{node.name()} object at 0x[0-9a-f]+>", repr(node)), repr(node)
        assert f"grad_fn=<{node.name()}>" in repr(y)
        names.append(node.name())
    assert names[1] == names[0]


def structure(node, depth=3):
    """A grad_fn's graph as nested (name, children) with AccumulateGrad for leaves."""
    if node is None:
        return None
    name = type(node).__name__ if "AccumulateGrad" in node.name() else node.name()
    if depth == 0:
        return name
    return (name, tuple((structure(n, depth - 1), nr) for n, nr in node.next_functions))


def test_next_functions_structure(torch):
    def fn(lib, x, w):
        c = lib.ones(3, 4)  # a constant: (None, 0)
        y = (x * c + x.exp()).sum()
        return structure(y.grad_fn), (x @ w).grad_fn.next_functions[0][0].variable is x

    expected, actual = both(torch, fn, X, W)
    assert expected == actual
    assert actual[0] == ("SumBackward0", (
        (("AddBackward0", (
            (("MulBackward0", (("AccumulateGrad", 0), (None, 0))), 0),
            (("ExpBackward0", (("AccumulateGrad", 0),)), 0),
        )), 0),
    ))


def test_next_functions_leaf_accumulator_is_shared(torch):
    def fn(lib, x):
        a, b = x * 2, x * 3
        return a.grad_fn.next_functions[0][0] is b.grad_fn.next_functions[0][0]

    expected, actual = both(torch, fn, X)
    assert expected is actual is True


def test_grad_fn_is_none_for_leaves_and_constants(torch):
    def fn(lib):
        x = lib.ones(2, requires_grad=True)
        c = lib.ones(2)
        return x.grad_fn, (c * 2).grad_fn, repr(c * 2)

    expected, actual = fn(torch), fn(gt)
    assert expected == actual


def test_repr_shows_requires_grad_and_grad_fn(torch):
    def fn(lib):
        x = lib.ones(2, 2, requires_grad=True)
        y = x + 2
        z = y * y * 3
        out = z.mean()
        return [repr(t) for t in (x, y, z, out, (x * 2).sum(1))]

    assert fn(torch) == fn(gt)


# ---- control flow ----


def control_flow_f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


@pytest.mark.parametrize("value", [1.6027, -0.37, 0.002])
def test_python_control_flow(torch, value):
    def fn(lib):
        a = lib.tensor(value, requires_grad=True)
        d = control_flow_f(a)
        d.backward()
        return a.grad, d, bool(a.grad == d / a)

    expected, actual = fn(torch), fn(gt)
    assert_same(expected, actual)
    assert actual[2] is True


def test_data_dependent_branches_per_element(torch):
    def fn(lib, x):
        total = 0
        for row in x:
            total = total + (row.exp().sum() if row.sum() > 0 else (row * row).sum())
        total.backward()
        return total, x.grad

    expected, actual = both(torch, fn, X)
    assert_same(expected, actual)


# ---- hooks ----


def test_leaf_hook_modifies_gradient(torch):
    def fn(lib, x):
        seen = []

        def hook(grad):
            seen.append(grad.clone())
            return grad * 2

        handle = x.register_hook(hook)
        (x * 3).sum().backward()
        after_first = x.grad.clone()
        handle.remove()
        (x * 3).sum().backward()
        return seen, after_first, x.grad

    expected, actual = both(torch, fn, X)
    assert_same(expected, actual)
    assert len(actual[0]) == 1


def test_non_leaf_hook_modifies_what_flows_upstream(torch):
    def fn(lib, x):
        h = x.exp()
        h.register_hook(lambda grad: grad * 0 + 1)  # pretend dL/dh is ones
        (h * h).sum().backward()
        return x.grad

    expected, actual = both(torch, fn, X)
    assert_same(expected, actual)
    np.testing.assert_allclose(to_numpy(actual), np.exp(X), rtol=1e-6)


def test_hook_returning_none_keeps_gradient(torch):
    def fn(lib, x):
        seen = []
        h = x * 2
        h.register_hook(lambda grad: seen.append(grad.sum().item()))
        (h**2).sum().backward()
        return x.grad, seen

    expected, actual = both(torch, fn, X)
    assert_same(expected[0], actual[0])
    np.testing.assert_allclose(actual[1], expected[1], rtol=1e-5)


def test_several_hooks_run_in_order_and_remove(torch):
    def fn(lib, x):
        order = []
        h1 = x.register_hook(lambda g: order.append("first") or g + 1)
        x.register_hook(lambda g: order.append("second") or g * 10)
        x.sum().backward()
        first = x.grad.clone()
        h1.remove()
        x.grad = None
        x.sum().backward()
        return order, first, x.grad

    expected, actual = both(torch, fn, X)
    assert expected[0] == actual[0] == ["first", "second", "second"]
    assert_same(expected[1:], actual[1:])


def test_hook_on_tensor_without_grad_is_an_error(torch):
    def fn(lib):
        lib.ones(2).register_hook(lambda g: g)

    assert_both_raise(torch, fn, "cannot register a hook on a tensor that doesn't require gradient",
                      exc=RuntimeError)


# ---- higher-order derivatives ----


def softmax_by_hand(lib, x):
    e = (x - x.max(dim=1, keepdim=True)[0]).exp()
    return e / e.sum(dim=1, keepdim=True)


HIGHER_ORDER_CASES = {
    "cube": lambda lib, x: x**3,
    "sin": lambda lib, x: x.sin(),
    "exp": lambda lib, x: x.exp(),
    "tanh": lambda lib, x: x.tanh(),
    "sigmoid": lambda lib, x: x.sigmoid(),
    "matmul": lambda lib, x: (x @ x.t()) @ x * x.sum(),
    "sum_mean": lambda lib, x: x.sum(1, keepdim=True) * x.mean() * x,
    "division": lambda lib, x: x / (1 + x * x),
    "log": lambda lib, x: (x * x + 1).log(),
    "softmax": lambda lib, x: softmax_by_hand(lib, x) * x,
    "sqrt_cos": lambda lib, x: (x * x + 1).sqrt() * x.cos(),
}


@pytest.mark.parametrize("case", sorted(HIGHER_ORDER_CASES))
def test_first_second_third_derivatives(torch, case):
    f = HIGHER_ORDER_CASES[case]
    v = rng.standard_normal((3, 4))  # a fixed projection per order keeps it non-trivial

    def fn(lib, x):
        weights = lib.tensor(v)
        y = (f(lib, x) * weights).sum()
        (g1,) = lib.autograd.grad(y, x, create_graph=True)
        (g2,) = lib.autograd.grad((g1 * weights).sum(), x, create_graph=True)
        (g3,) = lib.autograd.grad((g2 * weights).sum(), x)
        return g1, g2, g3

    expected, actual = both(torch, fn, X.astype(np.float64) * 0.7)
    assert_same(expected, actual, atol=1e-9, rtol=1e-7)


def test_hessian_vector_product_through_backward(torch):
    def fn(lib, x, w):
        loss = ((x @ w).tanh() ** 2).sum()
        (gw,) = lib.autograd.grad(loss, w, create_graph=True)
        v = lib.ones_like(w)
        (gw * v).sum().backward()
        return w.grad, x.grad

    expected, actual = both(torch, fn, X.astype(np.float64), W.astype(np.float64))
    assert_same(expected, actual, atol=1e-9, rtol=1e-7)


# ---- custom autograd.Function ----


def make_custom_functions(lib):
    class MyExp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    class ScaledMulAdd(lib.autograd.Function):
        """(a * b + c) * scale, with a Python number argument and needs_input_grad."""

        @staticmethod
        def forward(ctx, a, b, c, scale):
            ctx.save_for_backward(a, b)
            ctx.scale = scale
            ctx.flags = tuple(ctx.needs_input_grad)
            return (a * b + c) * scale

        @staticmethod
        def backward(ctx, grad):
            a, b = ctx.saved_tensors
            grad_a = grad * b * ctx.scale if ctx.needs_input_grad[0] else None
            grad_b = grad * a * ctx.scale if ctx.needs_input_grad[1] else None
            grad_c = grad * ctx.scale if ctx.needs_input_grad[2] else None
            return grad_a, grad_b, grad_c, None

    class SplitTwo(lib.autograd.Function):
        """Two outputs: x * 2 and x ** 2."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2, x * x

        @staticmethod
        def backward(ctx, grad_double, grad_square):
            (x,) = ctx.saved_tensors
            return grad_double * 2 + grad_square * 2 * x

    return MyExp, ScaledMulAdd, SplitTwo


def test_custom_function_save_for_backward(torch):
    def fn(lib, x):
        MyExp, _, _ = make_custom_functions(lib)
        y = MyExp.apply(x)
        (y * y).sum().backward()
        return y, x.grad, y.grad_fn.name()

    expected, actual = both(torch, fn, X)
    assert_same(expected[:2], actual[:2])
    assert expected[2] == actual[2] == "MyExpBackward"


def test_custom_function_multiple_inputs_and_non_tensor_argument(torch):
    b = rng.standard_normal((3, 4)).astype(np.float32)

    def fn(lib, a):
        _, ScaledMulAdd, _ = make_custom_functions(lib)
        bt = lib.tensor(b)  # needs no grad
        c = lib.tensor(b * 0.5, requires_grad=True)
        y = ScaledMulAdd.apply(a, bt, c, 3.0)
        y.sum().backward()
        return y, a.grad, bt.grad, c.grad, y.grad_fn.flags, len(y.grad_fn.next_functions)

    expected, actual = both(torch, fn, X)
    assert_same(expected[:4], actual[:4])
    assert expected[4] == actual[4] == (True, False, True, False)
    assert expected[5] == actual[5]


def test_custom_function_multiple_outputs(torch):
    def fn(lib, x):
        _, _, SplitTwo = make_custom_functions(lib)
        double, square = SplitTwo.apply(x)
        same_node = double.grad_fn is square.grad_fn
        (double * 3 + square.sin()).sum().backward()
        return double, square, x.grad, same_node

    expected, actual = both(torch, fn, X)
    assert_same(expected, actual)


def test_custom_function_one_output_unused(torch):
    # the unused output's gradient is materialized as zeros for backward
    def fn(lib, x):
        _, _, SplitTwo = make_custom_functions(lib)
        double, square = SplitTwo.apply(x)
        square.sum().backward()
        return x.grad

    expected, actual = both(torch, fn, X)
    assert_same(expected, actual)


def test_custom_function_double_backward(torch):
    def fn(lib, x):
        MyExp, _, _ = make_custom_functions(lib)
        y = MyExp.apply(x).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        return g, gg

    expected, actual = both(torch, fn, X.astype(np.float64))
    assert_same(expected, actual)


def test_custom_function_under_no_grad_records_nothing(torch):
    def fn(lib, x):
        MyExp, _, _ = make_custom_functions(lib)
        with lib.no_grad():
            y = MyExp.apply(x)
        return y.requires_grad, y.grad_fn is None

    expected, actual = both(torch, fn, X)
    assert expected == actual == (False, True)


def test_custom_function_saved_tensors_freed_after_backward(torch):
    def fn(lib):
        x = lib.tensor(X, requires_grad=True)
        MyExp, _, _ = make_custom_functions(lib)
        y = MyExp.apply(x)
        node = y.grad_fn
        y.sum().backward()
        node.saved_tensors

    assert_both_raise(torch, fn, "Trying to backward through the graph a second time")


# ---- gradcheck ----


@pytest.mark.parametrize("fn", [
    lambda x: (x * x.sin()).sum(1),
    lambda x: x.exp() / (1 + x.exp()).sum(),
    lambda x: (x @ x.t()).tanh(),
    lambda x: softmax_by_hand(gt, x),
])
def test_gradcheck_passes_on_correct_functions(fn):
    x = gt.tensor(X.astype(np.float64), requires_grad=True)
    assert gt.autograd.gradcheck(fn, (x,)) is True


def test_gradcheck_on_custom_function_with_several_inputs(torch):
    for lib in (torch, gt):
        _, ScaledMulAdd, _ = make_custom_functions(lib)
        a = lib.tensor(X.astype(np.float64), requires_grad=True)
        b = lib.tensor(X.astype(np.float64) + 1, requires_grad=True)
        c = lib.tensor(X.astype(np.float64) * 2, requires_grad=True)
        assert lib.autograd.gradcheck(lambda a, b, c: ScaledMulAdd.apply(a, b, c, 1.5),
                                      (a, b, c)) is True


def make_wrong_function(lib):
    class WrongSquare(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * x  # should be 2 * x

    return WrongSquare


def test_gradcheck_fails_on_a_wrong_gradient(torch):
    for lib in (torch, gt):
        WrongSquare = make_wrong_function(lib)
        x = lib.tensor(X.astype(np.float64), requires_grad=True)
        with pytest.raises(RuntimeError, match="(?i)jacobian mismatch"):
            lib.autograd.gradcheck(WrongSquare.apply, (x,))
        assert lib.autograd.gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False


def test_gradcheck_wants_double_precision():
    x = gt.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match="double precision"):
        gt.autograd.gradcheck(lambda t: t * 2, (x,))


def test_gradgradcheck_passes_and_fails():
    x = gt.tensor(X.astype(np.float64), requires_grad=True)
    assert gt.autograd.gradgradcheck(lambda t: (t**3).sin(), (x,)) is True

    class WrongSecond(gt.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return t**3

        @staticmethod
        def backward(ctx, grad):
            (t,) = ctx.saved_tensors
            return grad * 3 * t.detach() ** 2  # first derivative right, second lost

    assert gt.autograd.gradcheck(WrongSecond.apply, (x,)) is True
    assert gt.autograd.gradgradcheck(WrongSecond.apply, (x,), raise_exception=False) is False


# ---- errors ----


def test_backward_on_non_scalar_without_gradient(torch):
    def fn(lib):
        x = lib.ones(2, 2, requires_grad=True)
        (x + 2).backward()

    assert_both_raise(torch, fn, "grad can be implicitly created only for scalar outputs",
                      exc=RuntimeError)


def test_backward_on_tensor_that_does_not_require_grad(torch):
    def fn(lib):
        lib.ones(3).sum().backward()

    assert_both_raise(torch, fn, "element 0 of tensors does not require grad and does not have a "
                      "grad_fn", exc=RuntimeError)


def test_in_place_change_of_a_saved_output(torch):
    def fn(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x.exp()
        y.add_(1)
        y.sum().backward()

    torch_error, gt_error = assert_both_raise(
        torch, fn, "one of the variables needed for gradient computation has been modified by an "
        "inplace operation", "[torch.FloatTensor [2]]", "is at version 1; expected version 0",
        exc=RuntimeError)


def test_in_place_change_of_a_saved_input(torch):
    def fn(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        a = x * 2
        b = a * a
        a.mul_(3)
        b.sum().backward()

    assert_both_raise(torch, fn, "modified by an inplace operation", "[torch.FloatTensor [2]]",
                      "is at version 1; expected version 0 instead", exc=RuntimeError)


def test_in_place_change_through_a_view_is_detected(torch):
    def fn(lib):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = x.sigmoid()
        with lib.no_grad():
            y[0].mul_(2)  # y[0] is a view of y: same version counter, even untracked
        y.sum().backward()

    assert_both_raise(torch, fn, "modified by an inplace operation", exc=RuntimeError)


def test_in_place_change_not_needed_by_backward_is_fine(torch):
    # add saves nothing, so changing its output in place is allowed
    def fn(lib, x):
        y = x + 1
        y.mul_(2)
        y.sum().backward()
        return y, x.grad

    expected, actual = both(torch, fn, X)
    assert_same(expected, actual)


def test_in_place_on_leaf_that_requires_grad(torch):
    def fn(lib):
        w = lib.ones(3, requires_grad=True)
        w += 1

    assert_both_raise(torch, fn, "a leaf Variable that requires grad is being used in an in-place "
                      "operation.", exc=RuntimeError)


def test_setitem_on_leaf_that_requires_grad(torch):
    def fn(lib):
        w = lib.ones(3, requires_grad=True)
        w[0] = 5.0

    assert_both_raise(torch, fn, "a leaf Variable that requires grad is being used in an in-place "
                      "operation.", exc=RuntimeError)


# ---- setitem with gradients ----


def test_setitem_sends_gradients_to_base_and_value(torch):
    y_value = np.array([7.0, -1.0, 0.5, 2.0], dtype=np.float32)

    def fn(lib, leaf, y):
        x = leaf * 1
        x[0] = y
        (x * x).sum().backward()
        return x, x.grad_fn.name(), leaf.grad, y.grad

    expected, actual = both(torch, fn, X, y_value)
    assert_same(expected[0], actual[0])
    assert_same(expected[2:], actual[2:])
    assert actual[2][0].abs().sum().item() == 0  # the overwritten row gets no gradient


def test_setitem_with_slice_and_broadcast_value(torch):
    def fn(lib, leaf, v):
        x = leaf * 1  # (not exp: it saves its output, which the write would invalidate)
        x[1:, ::2] = v  # v broadcasts over the target
        x.sum().backward()
        return x, leaf.grad, v.grad

    expected, actual = both(torch, fn, X, np.float32(3.0))
    assert_same(expected, actual)


def test_setitem_with_mask_and_fancy_index(torch):
    def fn(lib, leaf):
        x = leaf * 2
        x[x > 0] = 0.0
        x[[0, 2], [1, 3]] = 5.0
        (x * leaf).sum().backward()
        return x, leaf.grad

    expected, actual = both(torch, fn, X)
    assert_same(expected, actual)


def test_setitem_on_leaf_without_grad_with_value_requiring_grad(torch):
    def fn(lib, v):
        x = lib.zeros(3, 4)
        x[1] = v
        (x * 3).sum().backward()
        return x.requires_grad, x.is_leaf, v.grad

    expected, actual = both(torch, fn, X[0])
    assert expected[:2] == actual[:2] == (True, False)
    assert_same(expected[2], actual[2])


def test_setitem_drops_the_values_leading_ones(torch):
    # d2l's sequence section: `preds[i] = net(x)` writes a (1, 1) output into one element
    def fn(lib, v):
        x = lib.zeros(3, 4)
        x[1, 2] = v * 2
        x[0] = v.reshape(1, 1, 1).expand(1, 1, 4).detach()
        (x * 3).sum().backward()
        return x, v.grad

    expected, actual = both(torch, fn, X[:1, :1])
    assert_same(expected, actual)
    for lib in (torch, glasstorch):
        with pytest.raises(RuntimeError):
            lib.zeros(3, 4)[1] = lib.ones(2, 4)  # only size-1 dimensions are dropped


# ---- deep graphs and memory ----


def test_deep_chain_backward_has_no_recursion_limit(torch):
    def fn(lib):
        x = lib.tensor([0.5, -0.25], requires_grad=True)
        y = x
        for i in range(5000):
            y = y * 1.0001 if i % 2 else y + 0.001
        y.sum().backward()
        return y, x.grad

    expected, actual = fn(torch), fn(gt)
    assert_same(expected, actual, rtol=1e-4)


def test_deep_chain_with_create_graph(torch):
    def fn(lib):
        x = lib.tensor([0.3], dtype=lib.float64, requires_grad=True)
        y = x
        for _ in range(3000):
            y = y.sin() * 0.5 + y * 0.5
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        return g, gg

    expected, actual = fn(torch), fn(gt)
    assert_same(expected, actual, rtol=1e-7)


def test_saved_tensors_are_freed_after_backward():
    x = gt.tensor(X, requires_grad=True)
    a = x * 3
    b = a * a  # saves `a` for backward
    a_ref = weakref.ref(a)
    del a
    assert a_ref() is not None  # the graph holds it until backward
    b.sum().backward()
    assert a_ref() is None  # freed at once, without waiting for the garbage collector


def test_retained_graph_keeps_saved_tensors_until_last_backward():
    x = gt.tensor(X, requires_grad=True)
    a = x.exp()
    b = (a * a).sum()
    a_ref = weakref.ref(a)
    del a
    b.backward(retain_graph=True)
    assert a_ref() is not None
    b.backward()
    assert a_ref() is None


def test_graph_is_freed_with_its_output():
    # output -> grad_fn -> saved output must not form a cycle (style guide: no cycles)
    x = gt.tensor(X, requires_grad=True)
    y = x.exp()  # exp saves its output
    node_ref = weakref.ref(y.grad_fn)
    gc.disable()
    try:
        del y
        assert node_ref() is None
    finally:
        gc.enable()


def test_saved_output_after_backward_is_freed(torch):
    def fn(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x.exp()
        y.sum().backward()
        z = y * 2  # y itself is still usable as a value
        return z

    assert_same(fn(torch), fn(gt))
