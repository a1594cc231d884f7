"""The profiler's watcher, which times every op and backward node, and record_function.

A Recorder is on (in `watchers.active`) only while a profile records; otherwise
Function.apply and the engine pass it by with their one `if watchers.active:` check, and
record_function finds no recorder to tell.

Events are named after what glasstorch runs, which is honest but not always torch's name:
an op's forward after its primitive class ("Mul", "Addmm"; torch: "aten::mul"), so a
composite such as `sigmoid` shows the primitives it is made of; a backward node after its
grad_fn ("MulBackward0", as torch; a leaf's is "AccumulateGrad", torch's
"torch::autograd::AccumulateGrad"). torch's extra "autograd::engine::evaluate_function: ..."
wrapper around each node has no counterpart.
"""

import functools
import itertools
import threading
import time

from ..autograd import function, watchers
from .events import EventList, FunctionEvent

_FORWARD, _BACKWARD = 0, 1  # torch's RecordScope numbers


def _shapes(values):
    """torch's "Input Shapes": a tensor's shape as a list, [] for anything else."""
    return [list(v.shape) if isinstance(v, function.Tensor) else [] for v in values]


class Recorder(watchers.Watcher):
    """Collects the events of one trace (one profile, or one cycle of its schedule)."""

    def __init__(self, record_shapes):
        self.record_shapes = record_shapes
        self.events = []  # every event started, in the order they started
        self._open = {}  # thread id -> the ops and nodes started there and not yet finished
        self._order = itertools.count()

    def begin(self, name, input_shapes, is_user_annotation, scope):
        """Start an event in this thread; the clock is read last, to leave our work out."""
        thread = threading.get_native_id()
        event = FunctionEvent(len(self.events), name, thread, 0, input_shapes,
                              is_user_annotation, scope)
        self.events.append(event)
        event.started_at = next(self._order)
        event.start_ns = time.perf_counter_ns()
        return event

    def end(self, event):
        if event.ended_at is not None:  # a range still open when the trace finished
            return
        event.end_ns = time.perf_counter_ns()
        event.ended_at = next(self._order)

    def _begin_call(self, name, values, scope):
        shapes = _shapes(values) if self.record_shapes else []
        event = self.begin(name, shapes, False, scope)
        self._open.setdefault(event.thread, []).append(event)

    def _end_call(self):
        # ops and nodes finish in the reverse order they started (Function.apply and the
        # engine guarantee it); an empty stack means the call started before recording did
        stack = self._open.get(threading.get_native_id())
        if stack:
            self.end(stack.pop())

    def op_started(self, cls, args):
        self._begin_call(cls.__name__, args, _FORWARD)

    def op_finished(self, cls, args, out):
        self._end_call()

    def node_started(self, node, grads_in):
        self._begin_call(node.name(), grads_in or (), _BACKWARD)

    def node_finished(self, node, grads_in, grads_out):
        self._end_call()

    def node_failed(self, node, error):
        self._end_call()

    def finish(self):
        """Close what is still open (at this moment) and link each event to its parent."""
        now = time.perf_counter_ns()
        for event in self.events:
            if event.ended_at is None:
                event.end_ns = now
                event.ended_at = next(self._order)
        self._open = {}
        _link_parents(self.events)
        return EventList(self.events)


def _link_parents(events):
    """Set cpu_parent and cpu_children: an event's parent is the innermost event of its
    thread that started before it and ended after it."""
    open_by_thread = {}
    for event in sorted(events, key=lambda e: e.started_at):
        stack = open_by_thread.setdefault(event.thread, [])
        while stack and stack[-1].ended_at < event.ended_at:
            stack.pop()  # ended before this one did: not around it
        if stack:
            event.cpu_parent = stack[-1]
            stack[-1].cpu_children.append(event)
        stack.append(event)


class record_function:
    """A named range in the profile, around the code of a `with` block or a decorated
    function (torch.profiler.record_function). Outside a profile it records nothing."""

    def __init__(self, name, args=None):
        self.name = name
        self.args = args
        self._events = []  # (recorder, event) for each profile recording at __enter__

    def __enter__(self):
        for w in watchers.active:
            if isinstance(w, Recorder):
                self._events.append((w, w.begin(self.name, [], True, _FORWARD)))
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        for recorder, event in reversed(self._events):
            recorder.end(event)
        self._events = []
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with record_function(self.name, self.args):  # a fresh range for each call
                return fn(*args, **kwargs)

        return wrapped
