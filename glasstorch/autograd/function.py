"""Function: one differentiable op, and Node: what it leaves in the backward graph.

A Function subclass holds forward and backward side by side. Calling
`MyOp.apply(*args)` runs forward and, when grad mode is on and some input
requires grad, records an instance of MyOp as the output's `grad_fn`: that
instance is both the `ctx` forward and backward see and the graph node.

Two kinds of Function share this machinery:
- glasstorch's own primitives (`_primitive = True`): forward receives and returns
  arrays (numpy or cupy), backward receives and returns Tensors;
- user subclasses of `torch.autograd.Function`: forward receives Tensors, as in PyTorch.
"""

import itertools

from ..device import HAS_CUPY, array_module, default_xp, device_of, move
from . import grad_mode, watchers

Tensor = None  # the Tensor class; glasstorch/_tensor.py (a layer above) sets it on import

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


class _NoInputNeedsGrad:
    """ctx.needs_input_grad when nothing is recorded: False at every position."""

    def __getitem__(self, i):
        return False

    def __iter__(self):
        return iter(())


_NOTHING_NEEDS_GRAD = _NoInputNeedsGrad()


_sequence = itertools.count()
NOT_AN_INPUT = False  # in Node._edges: a forward argument that is not a Tensor (falsy, like None)


class Node:
    """A node of the backward graph: a tensor's `grad_fn`."""

    # per forward argument: (node, output_nr) to send its gradient to; None for a tensor that
    # needs no gradient; NOT_AN_INPUT for a non-Tensor argument (dims, flags, numbers)
    _edges = ()
    _n_outputs = 1
    _output_hooks = None  # {output_nr: [hook, ...]} from Tensor.register_hook on non-leaves
    _saved_entries = ()  # values saved for backward (see FunctionCtx)
    # (input position, shape) of inputs that an elementwise op broadcast: the engine sums
    # their gradients back to these shapes, as torch's engine does
    _sum_to = ()
    _sequence_nr = 0  # creation order; the engine runs later-created nodes first, as torch

    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    _metadata = None

    @property
    def metadata(self):
        """A dict to keep things in, as torch's grad_fn.metadata (anomaly mode keeps the
        forward call's traceback there)."""
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

    # the forward arguments, by position, that torch's node has as inputs, where that is not
    # every Tensor argument: add/sub/mul/div count a number operand too (torch wraps it as a
    # tensor), where() leaves out its condition, `2 ** x` its base (None: the Tensor arguments)
    _torch_inputs = None

    @property
    def next_functions(self):
        # like torch: an entry per input, (None, 0) where no gradient flows
        if self._torch_inputs is not None:
            return tuple(self._edges[i] or (None, 0) for i in self._torch_inputs)
        return tuple(e or (None, 0) for e in self._edges if e is not NOT_AN_INPUT)

    def _add_output_hook(self, output_nr, hook):
        if self._output_hooks is None:
            self._output_hooks = {}
        self._output_hooks.setdefault(output_nr, []).append(hook)
        return _RemovableHandle(self._output_hooks[output_nr], hook)


class AccumulateGrad(Node):
    """The node behind a leaf tensor that requires grad: it adds gradients to `.grad`."""

    _sequence_nr = float("inf")  # run as soon as ready (torch: UINT64_MAX)

    def __init__(self, variable):
        self.variable = variable
        self.hooks = []  # the leaf's tensor hooks, run on the gradient before it is added
        self.post_hooks = []  # register_post_accumulate_grad_hook, run with the leaf after

    def run_hooks(self, grad):
        """The leaf's tensor hooks on its incoming gradient (a hook may return a new one)."""
        for hook in self.hooks:
            result = hook(grad)
            if result is not None:
                grad = result
        return grad

    def accumulate(self, grad, create_graph):
        """Add grad (its hooks already run) into the leaf's .grad."""
        leaf = self.variable
        if leaf._grad is None:
            # a gradient may be shared with other leaves (Add passes one tensor to both
            # inputs) or be the user's own tensor: keep a private copy, like torch does
            leaf._grad = grad if create_graph else Tensor._wrap(grad._data.copy())
        elif create_graph or leaf._grad._requires_grad:
            leaf._grad = leaf._grad + grad
        else:
            leaf._grad._data += grad._data
        for hook in self.post_hooks:
            hook(leaf)


class _RemovableHandle:
    def __init__(self, hooks, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self):
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


class FunctionCtx:
    """What PyTorch users expect on ctx: save_for_backward, saved_tensors, marks."""

    _saved = ()
    _saved_entries = ()  # after apply: (value, tensor, version) per saved value; None once freed
    materialize_grads = True
    _dirty = ()
    _non_differentiable = ()

    def save_for_backward(self, *values):
        self._saved = values

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = value

    @property
    def saved_tensors(self):
        entries = self._saved_entries
        if entries is None:
            raise RuntimeError(_FREED_MESSAGE)
        if not entries and self._saved:  # read inside forward, before apply stored them
            return self._saved
        return tuple([self._unpack(entry) for entry in entries])

    def _unpack(self, entry):
        kind, value, version = entry
        if kind == "input":  # the input Tensor itself, with its history (for double backward)
            if value._version[0] != version:
                raise _modified_error(value, version, self)
            return value
        if kind == "output":  # rebuild the output without a cycle output -> grad_fn -> output
            output_nr, array, version_box = value
            if version_box[0] != version:
                raise _modified_error_parts(array, version_box[0], version, self, output_nr)
            t = Tensor._wrap(array)
            t._requires_grad = True
            t.grad_fn = self
            t._output_nr = output_nr
            return t
        if kind == "array":
            return Tensor._wrap(value)
        return value  # None or a non-tensor saved by a user Function

    def _release(self):
        """Free the saved values after backward (a second backward then raises)."""
        self._saved_entries = None
        self._saved = ()


def _modified_error(tensor, version, node):
    return _modified_error_parts(tensor._data, tensor._version[0], version, node, None)


def _modified_error_parts(array, now, expected, node, output_nr):
    where = f", which is output {output_nr} of {node.name()}" if output_nr is not None else ""
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{_type_name(array)} {list(array.shape)}]{where}, is at version "
        f"{now}; expected version {expected} instead. Hint: the backtrace further above shows "
        "the operation that failed to compute its gradient."
    )


def _type_name(array):
    names = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long"}
    return f"torch.{names.get(array.dtype.name, array.dtype.name.capitalize())}Tensor"


def edge_of(tensor):
    """Where a gradient for `tensor` goes: its grad_fn, or its leaf accumulator."""
    if tensor.grad_fn is not None:
        return (tensor.grad_fn, tensor._output_nr)
    acc = tensor._accumulator
    if acc is None:
        acc = tensor._accumulator = AccumulateGrad(tensor)
    return (acc, 0)


class Function(FunctionCtx, Node):
    """Base class of every differentiable op; also the public torch.autograd.Function."""

    _primitive = False  # glasstorch's own ops set True: forward works on arrays
    # an elementwise op whose operands numpy broadcasts to the output's shape: a gradient for
    # a smaller operand is summed back to its shape in the engine (see Node._sum_to)
    _broadcasts = False
    xp = default_xp  # the array module of the inputs (set per call only when cupy is around)
    _is_view = False  # the output shares memory (and so the version counter) with input 0

    def name(self):
        return type(self).__name__ + ("Backward0" if self._primitive else "Backward")

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("You must implement the forward function for custom Function.")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("You must implement the backward function for custom Function.")

    @classmethod
    def apply(cls, *args):
        if watchers.active:  # anomaly mode, the profiler: see autograd/watchers.py
            return watchers.watched_apply(cls, args, _apply)
        return _apply(cls, args)


def _apply(cls, args):
    """Function.apply's work: run forward and record the node."""
    if not cls._primitive:
        return _apply_user_function(cls, args)
    # the hot path of every op: plain loops, no generators
    ctx = _new(cls)
    record = False
    if grad_mode.state.enabled:
        inputs, needs, edges = [], [], []
        for a in args:
            if isinstance(a, Tensor):
                inputs.append(a._data)
                if a._requires_grad:
                    node = a.grad_fn
                    if node is None:
                        edges.append(edge_of(a))
                    else:
                        if node._is_view:
                            _check_view_is_current(a)
                        edges.append((node, a._output_nr))
                    record = True
                    needs.append(True)
                    continue
                edges.append(None)
            else:
                inputs.append(a)
                edges.append(NOT_AN_INPUT)
            needs.append(False)
    else:
        inputs = []  # a loop, not a comprehension: 0.3 µs less per op in Python 3.11
        for a in args:
            inputs.append(a._data if isinstance(a, Tensor) else a)
    if HAS_CUPY:
        ctx.xp = _one_device(args, inputs)
    ctx.needs_input_grad = needs if record else _NOTHING_NEEDS_GRAD
    y = cls.forward(ctx, *inputs)  # a primitive returns one array
    if type(y) is not _NDARRAY and not isinstance(y, array_module(y).ndarray):
        scalar, y = y, default_xp.asarray(y)  # numpy turns 0-d results into scalars
        if ctx._saved:  # a saved output must stay the output, with its graph
            ctx._saved = tuple(y if v is scalar else v for v in ctx._saved)
    out = Tensor._wrap(y)
    if cls._is_view:
        out._version = args[0]._version
        out._base = args[0] if args[0]._base is None else args[0]._base
        ctx._view_version = out._version[0]
    if record:
        ctx._edges = edges
        ctx._sequence_nr = next(_sequence)
        if cls._broadcasts:  # two operands; one needing a gradient may be broadcast
            a, b = inputs
            # equal size and rank: equal shape (no tuples made), except when empty
            size, ndim = y.size, y.ndim
            if (not size or (needs[0] and (a.size != size or a.ndim != ndim))
                    or (needs[1] and (b.size != size or b.ndim != ndim))):
                _note_broadcast_inputs(ctx, args, y.shape)
        if y.dtype.kind == "f":
            out._requires_grad = True
            out.grad_fn = ctx
        if ctx._saved:
            ctx._saved_entries = _saved_entries(ctx._saved, args, inputs, (out,), (y,))
    return out


_new = object.__new__
_NDARRAY = default_xp.ndarray


def _one_device(args, inputs):
    """The array module of an op's tensors, which must share a device, as in torch.

    A 0-d CPU tensor mixes with tensors on a GPU (it is copied there, in `inputs`); any other
    mix raises torch's error.
    """
    for a in args:  # a plain loop: this runs for every op where CuPy is installed
        if isinstance(a, Tensor) and type(a._data) is not _NDARRAY:
            break
    else:
        return default_xp  # the CPU run of a machine with CuPy installed: nothing to check
    tensors = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    # the op's device: its first tensor's, passing over 0-d CPU tensors (they follow)
    cpu_scalar = [type(inputs[i]) is _NDARRAY and inputs[i].ndim == 0 for i in tensors]
    lead = device_of(inputs[tensors[cpu_scalar.index(False)]])
    for i, scalar in zip(tensors, cpu_scalar):
        where = device_of(inputs[i])
        if where == lead:
            continue
        if not scalar:  # lead's tensor comes first: torch names the devices in that order
            raise RuntimeError("Expected all tensors to be on the same device, but found at "
                               f"least two devices, {lead} and {where}!")
        inputs[i] = move(inputs[i], lead)  # a CPU scalar tensor joins the others
    return array_module(inputs[tensors[0]])


def _note_broadcast_inputs(ctx, args, shape):
    """Record the inputs needing a gradient that are smaller than the output (broadcast)."""
    sum_to = []
    for i, a in enumerate(args):
        if isinstance(a, Tensor) and a._requires_grad and a._data.shape != shape:
            sum_to.append((i, a._data.shape))
    if sum_to:
        ctx._sum_to = sum_to


def _check_view_is_current(view):
    """A view's graph describes its values when it was made; refuse to build on it once its
    memory was changed in place (torch would replay the view; glasstorch does not yet)."""
    if view._version[0] != view.grad_fn._view_version:
        raise RuntimeError(
            "a view that requires grad is used after it or its base was modified by an inplace "
            "operation; glasstorch cannot yet rebase views (take the view again after the "
            "inplace operation, or use out-of-place operations)")


def _record(ctx, args, outputs):
    """Make ctx the grad_fn of the (floating-point) outputs, with edges to the inputs."""
    ctx._edges = tuple(
        (edge_of(a) if a._requires_grad else None) if isinstance(a, Tensor) else NOT_AN_INPUT
        for a in args
    )
    ctx._sequence_nr = next(_sequence)
    ctx._n_outputs = len(outputs)
    if ctx._n_outputs > 1:
        ctx._output_meta = [(t._data.shape, t._data.dtype) for t in outputs]
    for i, out in enumerate(outputs):
        if out._data.dtype.kind == "f" and not any(out is t for t in ctx._non_differentiable):
            out._requires_grad = True
            out.grad_fn = ctx
            out._output_nr = i


def _apply_user_function(cls, args):
    """apply() for subclasses of torch.autograd.Function: forward sees Tensors."""
    ctx = _new(cls)
    tensors = [a for a in args if isinstance(a, Tensor)]
    if HAS_CUPY and tensors:
        ctx.xp = array_module(tensors[0]._data)
    record = grad_mode.state.enabled and any(t._requires_grad for t in tensors)
    ctx.needs_input_grad = (
        tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        if record else _NOTHING_NEEDS_GRAD
    )
    with grad_mode.no_grad():
        y = cls.forward(ctx, *args)
    values = y if isinstance(y, tuple) else (y,)
    for v in values:
        if not isinstance(v, Tensor):
            raise TypeError(f"custom Function.forward must return Tensors, got {type(v).__name__}")
    # fresh output tensors (sharing memory), so that setting grad_fn never touches an input;
    # but keep the returned objects where forward marked them non-differentiable
    outputs = tuple(v if any(v is t for t in ctx._non_differentiable) else Tensor._wrap(v._data)
                    for v in values)
    if record:
        _record(ctx, args, outputs)
        if ctx._saved:
            ctx._saved_entries = _saved_entries(ctx._saved, args, args, outputs, values)
    return outputs if isinstance(y, tuple) else outputs[0]


def _saved_entries(saved, args, inputs, outputs, values):
    """Tie each saved value to the input or output it is, for version checks at backward."""
    entries = []
    first = values[0]
    for v in saved:
        if v is first:  # the (first) output, which Exp, Tanh, Sqrt, ... keep
            out = outputs[0]
            version = out._version
            entries.append(("output", (0, out._data, version), version[0]))
            continue
        if v is None or type(v) in _PLAIN_VALUES:  # a number (Mul with a Python scalar)
            entries.append(("other", v, 0))
            continue
        entry = None
        for i in range(len(inputs)):  # the input array it is, most often
            if v is inputs[i]:
                a = args[i]
                if isinstance(a, Tensor):
                    entry = ("input", a, a._version[0])
                    break
        else:
            for i, (out, yv) in enumerate(zip(outputs, values)):
                if v is yv:
                    entry = ("output", (i, out._data, out._version), out._version[0])
                    break
        if entry is None:
            if isinstance(v, Tensor):  # a user Function saved some other tensor
                entry = ("input", v, v._version[0])
            elif not hasattr(v, "shape"):
                entry = ("other", v, 0)
            else:
                entry = ("array", v, 0)
        entries.append(entry)
    return entries


_PLAIN_VALUES = (type(None), float, int, bool)


def once_differentiable(fn):
    """Accepted for compatibility: glasstorch backward functions run as they are."""
    return fn
