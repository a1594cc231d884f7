"""Anomaly detection against torch's: each program runs on both libraries, in anomaly mode,
and the errors, the warnings and the tracebacks of the forward calls must be torch's."""

import re
import warnings

import numpy as np
import pytest
import torch as _torch

import glasstorch
from glasstorch.autograd import watchers

gt = glasstorch


@pytest.fixture(autouse=True)
def _anomaly_mode_off():
    yield
    for lib in (gt, _torch):
        lib.set_anomaly_enabled(False)


def outcome(program, lib, check_nan=True):
    """Run program(lib) in anomaly mode: (error type and message, user warnings, result)."""
    error, result = None, None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with lib.autograd.set_detect_anomaly(True, check_nan=check_nan):
            try:
                result = program(lib)
            except Exception as e:  # noqa: BLE001 -- the error is the thing compared
                error = (type(e), str(e))
    shown = [(w.category, _without_library_frames(str(w.message))) for w in caught
             if issubclass(w.category, UserWarning)]
    return error, shown, result


def _without_library_frames(message):
    """A warning's text without torch's C++ origin note and without the frames inside either
    library (torch shows some of its Python frames, glasstorch none of its machinery)."""
    message = re.sub(r" \(Triggered internally at [^)]*\)$", "", message)
    frames = re.split(r"(?=^  File )", message, flags=re.MULTILINE)
    kept = [f for f in frames if not re.match(r'  File ".*/(torch|glasstorch)/', f)]
    return "".join(kept)


def same_on_both(program, check_nan=True):
    """The outcome on torch and on glasstorch, which must agree; returns glasstorch's."""
    results = [outcome(program, lib, check_nan) for lib in (_torch, gt)]
    (torch_error, torch_warnings, _), (error, shown, result) = results
    assert error == torch_error
    assert shown == torch_warnings
    return error, shown, result


def test_nan_from_log_raises_torchs_error_and_warns_with_the_forward_line():
    def program(lib):
        x = lib.tensor(0.0, requires_grad=True)
        y = x * x.log()
        y.backward()

    error, shown, _ = same_on_both(program)
    assert error == (RuntimeError, "Function 'LogBackward0' returned nan values in its 0th output.")
    [(category, message)] = shown
    assert category is UserWarning
    assert message.startswith("Error detected in LogBackward0. Traceback of forward call that "
                              "caused the error:\n  File ")
    assert message.endswith("in program\n    y = x * x.log()\n")
    # glasstorch's own frames (Tensor.log, Function.apply, ...) are not in its trace at all
    with (pytest.warns(UserWarning) as caught, pytest.raises(RuntimeError),
          np.errstate(all="ignore"), gt.autograd.set_detect_anomaly(True)):
        program(gt)
    assert str(caught[0].message).endswith("in program\n    y = x * x.log()\n")
    assert "glasstorch/" not in str(caught[0].message)


def test_nan_from_div_names_the_output():
    def both_inputs(lib):
        x = lib.tensor([0.0, 1.0], requires_grad=True)
        y = lib.tensor([0.0, 2.0], requires_grad=True)
        (x / y).sum().backward()

    def divisor_only(lib):
        x = lib.tensor([0.0, 1.0])
        y = lib.tensor([0.0, 2.0], requires_grad=True)
        (x / y).sum().backward()

    for program in (both_inputs, divisor_only):
        error, shown, _ = same_on_both(program)
        assert error == (RuntimeError,
                         "Function 'DivBackward0' returned nan values in its 1th output.")
        assert shown[0][1].endswith("    (x / y).sum().backward()\n")


def test_sqrt_of_a_negative_number():
    def program(lib):
        x = lib.tensor([-1.0, 4.0], requires_grad=True)
        x.sqrt().sum().backward()

    error, _, _ = same_on_both(program)
    assert error == (RuntimeError,
                     "Function 'SqrtBackward0' returned nan values in its 0th output.")


def test_multi_output_nodes():
    def custom(lib):
        class Pair(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, z):
                return x.clone(), z.clone()

            @staticmethod
            def backward(ctx, grad_x, grad_z):
                return grad_x, grad_z * float("nan")

        x = lib.ones(2, requires_grad=True)
        z = lib.ones(2, requires_grad=True)
        first, second = Pair.apply(x, z)
        (first + second).sum().backward()

    def unbound(lib):
        x = lib.tensor([[0.0, 1.0], [2.0, 3.0]], requires_grad=True)
        first, second = x.unbind(0)
        (first.log() * 0 + second).sum().backward()

    error, shown, _ = same_on_both(custom)
    assert error == (RuntimeError, "Function 'PairBackward' returned nan values in its 1th output.")
    assert shown[0][1].endswith("    first, second = Pair.apply(x, z)\n")
    error, shown, _ = same_on_both(unbound)
    assert error == (RuntimeError, "Function 'LogBackward0' returned nan values in its 0th output.")


def test_a_hook_that_makes_nan_is_caught_at_the_next_node():
    def program(lib):
        x = lib.tensor(1.0, requires_grad=True)
        y = x.exp()
        y.register_hook(lambda g: g * float("nan"))
        y.backward()

    error, shown, _ = same_on_both(program)
    assert error == (RuntimeError, "Function 'ExpBackward0' returned nan values in its 0th output.")
    assert shown[0][1].endswith("    y = x.exp()\n")


def test_check_nan_false_lets_nan_through():
    def program(lib):
        x = lib.tensor(0.0, requires_grad=True)
        (x * x.log()).backward()
        return float(x.grad)

    error, shown, result = same_on_both(program, check_nan=False)
    assert error is None and shown == [] and np.isnan(result)


def test_an_error_in_backward_warns_with_the_forward_call_and_goes_on():
    def program(lib):
        class Broken(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.clone()

            @staticmethod
            def backward(ctx, grad):
                raise ValueError("broken backward")

        x = lib.ones(2, requires_grad=True)
        Broken.apply(x).sum().backward()

    error, shown, _ = same_on_both(program)
    assert error == (ValueError, "broken backward")
    assert shown[0][1].startswith("Error detected in BrokenBackward.")
    assert shown[0][1].endswith("    Broken.apply(x).sum().backward()\n")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's, for log(0) in forward
def test_a_node_made_outside_anomaly_mode_has_no_traceback():
    def make(lib):
        x = lib.tensor(0.0, requires_grad=True)
        return x * x.log()

    for lib in (_torch, gt):
        lib.set_anomaly_enabled(False)
    made = {lib: make(lib) for lib in (_torch, gt)}
    error, shown, _ = same_on_both(lambda lib: made[lib].backward())
    assert error[0] is RuntimeError
    assert shown == [(UserWarning, ("Error detected in LogBackward0. No forward pass information "
                                    "available. Enable detect anomaly during forward pass for more "
                                    "information."))]


def test_a_node_made_by_a_backward_formula_shows_its_parent_too():
    def program(lib):
        x = lib.tensor(0.0, requires_grad=True)
        v = lib.tensor(float("inf"), requires_grad=True)
        y = x.exp()
        (g,) = lib.autograd.grad(y, x, v, create_graph=True)  # g = v * exp(x), made in backward
        (g * 0).backward()

    error, shown, _ = same_on_both(program)
    assert error == (RuntimeError, "Function 'MulBackward0' returned nan values in its 1th output.")
    assert len(shown) == 2
    assert shown[0][1].endswith("(g,) = lib.autograd.grad(y, x, v, create_graph=True)  # g = v * "
                                "exp(x), made in backward\n")
    assert shown[1][1].startswith("\n\nPrevious calculation was induced by ExpBackward0. "
                                  "Traceback of forward call that induced the previous "
                                  "calculation:\n")
    assert shown[1][1].endswith("    y = x.exp()\n")


def test_the_traceback_is_kept_in_the_nodes_metadata_as_torch():
    traces = {}
    for lib in (_torch, gt):
        with lib.autograd.set_detect_anomaly(True):
            x = lib.tensor(1.0, requires_grad=True)
            y = x.exp()
        traces[lib] = [f for f in y.grad_fn.metadata["traceback_"] if "/torch/" not in f]
        assert lib.tensor(1.0, requires_grad=True).exp().grad_fn.metadata == {}
    assert traces[gt][-1].endswith("    y = x.exp()\n")
    assert traces[gt] == traces[_torch]  # the same frames, to the forward line


def test_anomaly_mode_does_not_change_gradients():
    def program(lib):
        lib.manual_seed(0)
        x = lib.randn(4, 3, requires_grad=True)
        w = lib.randn(3, 2, requires_grad=True)
        h = (x @ w).tanh()
        h.register_hook(lambda g: g * 2)
        y = (h * h.sigmoid()).sum() + (x.exp() ** 2).mean()
        (gx,) = lib.autograd.grad(y, x, create_graph=True)
        gx.sum().backward()
        return [t.detach().numpy().copy() for t in (gx, x.grad, w.grad)]

    plain = program(gt)
    error, shown, checked = same_on_both(program)
    assert error is None and shown == []
    for a, b in zip(plain, checked):
        np.testing.assert_array_equal(a, b)
    assert not watchers.active


def test_the_switches_as_torch():
    for lib in (_torch, gt):
        assert (lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled()) == (False, True)
        lib.autograd.set_detect_anomaly(True)  # as a function
        assert lib.is_anomaly_enabled()
        with lib.autograd.set_detect_anomaly(False):  # as a context manager
            assert not lib.is_anomaly_enabled()
        assert lib.is_anomaly_enabled()
        lib.set_anomaly_enabled(True, check_nan=False)
        assert lib.is_anomaly_check_nan_enabled() is False
        lib.set_anomaly_enabled(False)
        assert (lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled()) == (False, True)
    assert not watchers.active


def test_detect_anomaly_warns_when_made_and_restores_the_previous_mode():
    for lib in (_torch, gt):
        with pytest.warns(UserWarning) as caught:
            manager = lib.autograd.detect_anomaly(check_nan=False)
        assert [str(w.message) for w in caught] == [
            ("Anomaly Detection has been enabled. This mode will increase the runtime and should "
             "only be enabled for debugging.")]
        assert caught[0].filename == __file__  # stacklevel: the caller's line
        assert not lib.is_anomaly_enabled()
        with manager:
            assert lib.is_anomaly_enabled() and not lib.is_anomaly_check_nan_enabled()
        assert not lib.is_anomaly_enabled() and lib.is_anomaly_check_nan_enabled()
        with pytest.warns(UserWarning), pytest.raises(TypeError, match="not callable"):
            lib.autograd.detect_anomaly()(lambda: None)  # not a decorator in torch 2.13
    assert not watchers.active


def test_the_names_exist_where_torch_has_them():
    for name in ("is_anomaly_enabled", "is_anomaly_check_nan_enabled", "set_anomaly_enabled"):
        assert hasattr(_torch, name) and hasattr(gt, name)
    for name in ("detect_anomaly", "set_detect_anomaly", "anomaly_mode"):
        assert hasattr(_torch.autograd, name) and hasattr(gt.autograd, name)
    assert gt.autograd.is_anomaly_enabled is gt.is_anomaly_enabled


def test_outputs_are_numbered_as_torch_numbers_its_nodes_inputs():
    def where(lib):
        condition = lib.tensor([True, False])
        a = lib.ones(2, requires_grad=True)
        b = lib.ones(2, requires_grad=True)
        y = lib.where(condition, a, b)
        y.register_hook(lambda g: g * float("nan"))
        y.sum().backward()

    def number_first(lib):
        x = lib.ones(2, requires_grad=True)
        y = 2 * x
        y.register_hook(lambda g: g * float("nan"))
        y.sum().backward()

    error, _, _ = same_on_both(where)  # the condition is no input of torch's node
    assert error == (RuntimeError,
                     "Function 'WhereBackward0' returned nan values in its 0th output.")
    error, _, _ = same_on_both(number_first)
    assert error == (RuntimeError, "Function 'MulBackward0' returned nan values in its 0th output.")
