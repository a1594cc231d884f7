"""Anomaly detection, as torch.autograd's: find the forward line behind a failing backward.

While it is on (`set_detect_anomaly(True)`, `with detect_anomaly():`), a watcher (see
watchers.py) keeps, for each node an op creates, the traceback of the forward call that
created it, in `grad_fn.metadata["traceback_"]` as torch does. In backward:
- a node whose gradients for its inputs hold a NaN raises torch's RuntimeError
  ("Function 'LogBackward0' returned nan values in its 0th output."), unless check_nan=False;
- when a node's backward raises (that error included), a UserWarning shows the traceback of
  the forward call that created the node, and, for a node created by another node's backward
  (create_graph=True), that node's traceback too. The exception goes on.
Nothing else changes: the gradients are the same with and without it.
"""

import os
import sys
import traceback
import warnings

from . import watchers
from .function import NOT_AN_INPUT

_state = {"enabled": False, "check_nan": True}


def is_anomaly_enabled():
    """torch.is_anomaly_enabled."""
    return _state["enabled"]


def is_anomaly_check_nan_enabled():
    """torch.is_anomaly_check_nan_enabled."""
    return _state["check_nan"]


def set_anomaly_enabled(enabled, check_nan=True):
    """torch.set_anomaly_enabled: switch anomaly mode on or off now."""
    _state["enabled"], _state["check_nan"] = bool(enabled), bool(check_nan)
    if enabled:
        if _WATCHER not in watchers.active:
            watchers.start(_WATCHER)
    else:
        watchers.stop(_WATCHER)


class detect_anomaly:
    """Context manager that turns anomaly detection on inside it (torch.autograd.detect_anomaly);
    like torch's, it warns when made, and it is no decorator."""

    def __init__(self, check_nan=True):
        self.prev = is_anomaly_enabled()
        self.check_nan = check_nan
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", stacklevel=2)

    def __enter__(self):
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *args):
        set_anomaly_enabled(self.prev, self.prev_check_nan)


class set_detect_anomaly:
    """Turns anomaly detection on or off at once; as a context manager, the previous setting
    comes back at its end (torch.autograd.set_detect_anomaly)."""

    def __init__(self, mode, check_nan=True):
        self.prev = is_anomaly_enabled()
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *args):
        set_anomaly_enabled(self.prev, self.prev_check_nan)


class AnomalyWatcher(watchers.Watcher):
    """Records where each node was made; checks and explains the nodes of backward."""

    def __init__(self):
        self.running = []  # the nodes whose backward is running, innermost last

    def op_finished(self, cls, args, out):
        outputs = out if isinstance(out, (tuple, list)) else (out,)
        for t in outputs:
            node = getattr(t, "grad_fn", None)
            # a node made by this op gets its trace; an output that is an older tensor (or
            # whose node an op nested in this one made, and traced) keeps what it has
            if node is None or "traceback_" in node.metadata:
                continue
            node.metadata["traceback_"] = forward_traceback()
            if self.running:  # made by a backward formula (create_graph=True)
                node.metadata["parent_"] = self.running[-1]

    def node_started(self, node, grads_in):
        self.running.append(node)

    def node_finished(self, node, grads_in, grads_out):
        self._left(node)
        if _state["check_nan"]:
            _check_nan(node, grads_out)

    def node_failed(self, node, error):
        self._left(node)
        _warn_forward_traceback(node)

    def _left(self, node):
        if self.running and self.running[-1] is node:  # (not so when switched on in backward)
            self.running.pop()


_WATCHER = AnomalyWatcher()


def _check_nan(node, grads_out):
    """torch's error for a NaN in a gradient the node passes on, numbered as torch numbers its
    node's inputs (as next_functions lists them)."""
    positions = node._torch_inputs
    if positions is None:  # every Tensor argument, not the dims, flags and numbers
        positions = [i for i, e in enumerate(node._edges) if e is not NOT_AN_INPUT]
    for index, i in enumerate(positions):
        g = grads_out[i] if i < len(grads_out) else None
        if g is None or not node._edges[i] or g._data.dtype.kind not in "fc":
            continue
        if g._xp.isnan(g._data).any():
            raise RuntimeError(
                f"Function '{node.name()}' returned nan values in its {index}th output.")


def _warn_forward_traceback(node):
    """torch's warnings for a failing node: where it was made, then where its parents were."""
    trace = node.metadata.get("traceback_")
    if trace is None:
        warnings.warn(f"Error detected in {node.name()}. No forward pass information available. "
                      "Enable detect anomaly during forward pass for more information.")
        return
    warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused the "
                  "error:\n" + "".join(trace))
    parent = node.metadata.get("parent_")
    while parent is not None:
        warnings.warn(f"\n\nPrevious calculation was induced by {parent.name()}. Traceback of "
                      "forward call that induced the previous calculation:\n"
                      + "".join(parent.metadata.get("traceback_", ())))
        parent = parent.metadata.get("parent_")


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# where glasstorch does what torch does in C++ (the op, its Tensor method, graph recording):
# frames there, the innermost of a trace, are left out, as a trace of torch shows none
_MACHINERY = (os.path.join(_PACKAGE, "autograd", ""), os.path.join(_PACKAGE, "ops", ""),
              os.path.join(_PACKAGE, "_tensor.py"))


def forward_traceback():
    """The stack of the running forward call as torch keeps it: a list of formatted frames
    ('  File "...", line N, in f\\n    code\\n'), outermost first, ending at the caller's line."""
    frames = traceback.extract_stack(sys._getframe(1))
    end = len(frames)
    while end and frames[end - 1].filename.startswith(_MACHINERY):
        end -= 1
    return traceback.format_list(frames[:end])
