"""Watchers: code that sees every op and every backward node while it is switched on.

Anomaly mode, `autograd.explain()` and the profiler are watchers. A watcher is an
object with the five methods of `Watcher`; `start(w)` puts it in `active`, `stop(w)`
takes it out. While `active` is empty, Function.apply and the backward engine pay one
check each (`if watchers.active:`) and nothing else.

The calls, in the order they happen:
- `op_started(cls, args)` and `op_finished(cls, args, out)` around each
  `Function.apply` (forward and graph recording; `out` is None when the op raised).
  Ops called inside another op (a user Function's forward, a backward formula) nest.
- `node_started(node, grads_in)` and `node_finished(node, grads_in, grads_out)` around
  each node the engine runs: `grads_in` are the gradients that reached the node's
  outputs (a list, None where none came), `grads_out` those it passes to its inputs,
  one per edge (empty for a leaf's AccumulateGrad: its gradient went into `.grad`).
- `node_failed(node, error)` when running the node raised (the exception goes on).
"""

active = []  # the watchers now on, in the order they started


class Watcher:
    """A watcher that does nothing; subclasses override what they need."""

    def op_started(self, cls, args):
        pass

    def op_finished(self, cls, args, out):
        pass

    def node_started(self, node, grads_in):
        pass

    def node_finished(self, node, grads_in, grads_out):
        pass

    def node_failed(self, node, error):
        pass


def start(watcher):
    active.append(watcher)


def stop(watcher):
    if watcher in active:
        active.remove(watcher)


def watched_apply(cls, args, apply):
    """Function.apply while some watcher is on: apply(cls, args) with the calls around it."""
    for w in list(active):
        w.op_started(cls, args)
    out = None
    try:
        out = apply(cls, args)
        return out
    finally:
        for w in reversed(list(active)):
            w.op_finished(cls, args, out)


def node_started(node, grads_in):
    for w in list(active):
        w.node_started(node, grads_in)


def node_finished(node, grads_in, grads_out):
    for w in reversed(list(active)):
        w.node_finished(node, grads_in, grads_out)


def node_failed(node, error):
    for w in reversed(list(active)):
        w.node_failed(node, error)
