"""autograd/watchers.py: what a watcher sees of ops and backward nodes."""

import pytest

import glasstorch as torch
from glasstorch.autograd import watchers


class Recorder(watchers.Watcher):
    def __init__(self):
        self.calls = []

    def op_started(self, cls, args):
        self.calls.append(("op_started", cls.__name__))

    def op_finished(self, cls, args, out):
        self.calls.append(("op_finished", cls.__name__, out is not None))

    def node_started(self, node, grads_in):
        self.calls.append(("node_started", node.name()))

    def node_finished(self, node, grads_in, grads_out):
        self.calls.append(("node_finished", node.name(), [g.tolist() for g in grads_in],
                           [None if g is None else g.tolist() for g in grads_out]))

    def node_failed(self, node, error):
        self.calls.append(("node_failed", node.name(), type(error).__name__))


def test_a_watcher_sees_each_op_and_each_node_with_its_gradients():
    a = torch.tensor(2.0, requires_grad=True)
    b = torch.tensor(5.0, requires_grad=True)
    w = Recorder()
    watchers.start(w)
    try:
        y = a * b
        y.backward()
    finally:
        watchers.stop(w)
    assert w.calls == [
        ("op_started", "Mul"), ("op_finished", "Mul", True),
        ("node_started", "MulBackward0"),
        # the backward formula's own ops nest inside the node
        ("op_started", "Mul"), ("op_finished", "Mul", True),
        ("op_started", "Mul"), ("op_finished", "Mul", True),
        ("node_finished", "MulBackward0", [1.0], [5.0, 2.0]),
        ("node_started", "AccumulateGrad"), ("node_finished", "AccumulateGrad", [2.0], []),
        ("node_started", "AccumulateGrad"), ("node_finished", "AccumulateGrad", [5.0], []),
    ]
    assert not watchers.active
    assert (a.grad.item(), b.grad.item()) == (5.0, 2.0)


def test_a_failing_op_and_a_failing_node_are_reported_and_the_error_goes_on():
    class Fails(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            if x.shape[0] == 0:
                raise ValueError("broken forward")
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            raise ValueError("broken backward")

    w = Recorder()
    watchers.start(w)
    try:
        with pytest.raises(ValueError, match="broken forward"):
            Fails.apply(torch.ones(0))
        y = Fails.apply(torch.ones(2, requires_grad=True)).sum()
        with pytest.raises(ValueError, match="broken backward"):
            y.backward()
    finally:
        watchers.stop(w)
    assert w.calls[:2] == [("op_started", "Fails"), ("op_finished", "Fails", False)]
    assert ("node_failed", "FailsBackward", "ValueError") in w.calls
