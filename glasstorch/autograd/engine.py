"""The backward engine: walk the graph from the outputs and apply each node's backward.

Nodes run in reverse topological order, so every node has all of its gradient
(summed over the consumers of its outputs) before it runs. Backward runs under
no_grad unless create_graph=True; then the gradients get a graph of their own.
"""

from ..device import array_module
from . import function, grad_mode, watchers
from .function import AccumulateGrad, edge_of

_final_callbacks = []  # one list per backward in progress (innermost last)


def queue_callback(callback):
    """Run callback() once the current backward has finished (torch's
    Variable._execution_engine.queue_callback); DistributedDataParallel waits on its
    gradient all-reduces this way."""
    if not _final_callbacks:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    _final_callbacks[-1].append(callback)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """torch.autograd.backward: accumulate d(tensors)/d(leaf) into each leaf's `.grad`."""
    tensors, grad_tensors = _seed(tensors, grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    only = None
    if inputs is not None:
        inputs = (inputs,) if isinstance(inputs, function.Tensor) else tuple(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        only = {edge_of(t) for t in inputs}
    _run(tensors, grad_tensors, retain_graph, create_graph, capture=only, accumulate=True)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    only_inputs=True,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
):
    """torch.autograd.grad: return d(outputs)/d(inputs) without touching any `.grad`."""
    single = isinstance(inputs, function.Tensor)
    inputs = (inputs,) if single else tuple(inputs)
    outputs, grad_outputs = _seed(outputs, grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    targets = [edge_of(t) for t in inputs]
    captured = _run(
        outputs, grad_outputs, retain_graph, create_graph, capture=set(targets), accumulate=False
    )
    result = []
    for t, target in zip(inputs, targets):
        g = captured.get(target)
        if g is None:
            if materialize_grads:
                g = function.Tensor._wrap(t._data * 0)
            elif not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior."
                )
        result.append(g)
    return tuple(result)


def _seed(tensors, grads):
    """Check the outputs and make their initial gradients (ones for scalars)."""
    Tensor = function.Tensor
    tensors = (tensors,) if isinstance(tensors, Tensor) else tuple(tensors)
    if grads is None:
        grads = (None,) * len(tensors)
    elif isinstance(grads, Tensor):
        grads = (grads,)
    else:
        grads = tuple(grads)
    if len(grads) != len(tensors):
        raise RuntimeError(f"got {len(grads)} tensors and {len(tensors)} gradients")
    seeded = []
    for i, (t, g) in enumerate(zip(tensors, grads)):
        if not t.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = Tensor._wrap(array_module(t._data).ones_like(t._data))  # not x*0+1: nan at inf
        elif not isinstance(g, Tensor):
            g = Tensor._wrap(array_module(t._data).full_like(t._data, g))
        elif g.shape != t.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                f"has a shape of {t.shape}."
            )
        seeded.append(g)
    return tensors, seeded


def _count_dependencies(roots):
    """For each node reachable from roots: how many edges lead into it."""
    dependencies = dict.fromkeys(roots, 0)
    stack = list(roots)
    while stack:  # iterative: graphs can be deeper than Python's recursion limit
        for e in stack.pop()._edges:
            if e:  # not None or NOT_AN_INPUT
                nxt = e[0]
                if nxt in dependencies:
                    dependencies[nxt] += 1
                else:
                    dependencies[nxt] = 1
                    stack.append(nxt)
    return dependencies


def _run(tensors, grads, retain_graph, create_graph, capture, accumulate):
    """Propagate grads from tensors; accumulate into leaves and/or capture at `capture` edges.

    A node runs once every edge into it has delivered its gradient, so it sees the
    sum over all the consumers of its outputs (a topological order, as in PyTorch).
    """
    buffers = {}
    for t, g in zip(tensors, grads):
        node, nr = edge_of(t)
        _add(buffers, node, nr, g)
    dependencies = _count_dependencies(list(buffers))
    ready = [node for node in buffers if dependencies[node] == 0]
    captured = {}
    # with targets (autograd.grad, backward(inputs=...)), only the nodes on a path to one run
    needed = None if capture is None else _leading_to({node for node, _ in capture}, buffers)
    callbacks = []
    _final_callbacks.append(callbacks)
    try:
        _propagate(ready, buffers, dependencies, retain_graph, create_graph, capture,
                   accumulate, captured, needed)
    finally:
        _final_callbacks.pop()
    with grad_mode.set_grad_enabled(create_graph):
        while callbacks:  # a callback may queue another
            callbacks.pop(0)()
    return captured


def _propagate(ready, buffers, dependencies, retain_graph, create_graph, capture, accumulate,
               captured, needed):
    with grad_mode.set_grad_enabled(create_graph):
        while ready:
            node = ready.pop()
            grads_in = buffers.pop(node, None)
            try:
                grads_out = _run_node(node, grads_in, retain_graph, create_graph, capture,
                                      accumulate, captured, needed)
            except Exception as error:
                if watchers.active:
                    watchers.node_failed(node, error)
                raise
            newly_ready = []
            for e, g in zip(node._edges, grads_out):
                if not e:  # None or NOT_AN_INPUT
                    continue
                nxt, nr = e
                if g is not None:
                    slots = buffers.get(nxt)
                    if slots is None:
                        slots = buffers[nxt] = [None] * nxt._n_outputs
                    slots[nr] = g if slots[nr] is None else slots[nr] + g
                remaining = dependencies[nxt] - 1
                dependencies[nxt] = remaining
                if remaining == 0:
                    newly_ready.append(nxt)
            if len(newly_ready) > 1:
                # the latest-created first and leaves at once, as torch's engine orders its
                # ready queue: a layer's .grad (and hooks on it, e.g. DDP's all-reduce) early
                newly_ready.sort(key=_sequence_nr)
            ready.extend(newly_ready)


def _run_node(node, grads_in, retain_graph, create_graph, capture, accumulate, captured,
              needed):
    """Run one node's backward on the gradients that reached it; return what it passes on."""
    received = grads_in  # for the watchers: the gradients as they arrived
    if watchers.active:
        watchers.node_started(node, grads_in)
    if grads_in is None:  # nothing flowed into this node: pass nothing on
        grads_out = (None,) * len(node._edges)
    else:
        if node._output_hooks or capture is not None or type(node) is AccumulateGrad:
            grads_in = _before_backward(node, grads_in, create_graph, capture,
                                        accumulate, captured)
        if grads_in is None:  # a leaf: its gradient went into .grad
            grads_out = ()
        elif needed is not None and node not in needed:  # no target below: not run
            grads_out = (None,) * len(node._edges)
        else:  # the op's backward
            if node._n_outputs > 1 and node.materialize_grads:
                grads_in = _materialize(node, grads_in)
            grads_out = type(node).backward(node, *grads_in)
            if type(grads_out) is not tuple:
                grads_out = (grads_out,)
            if len(grads_out) < len(node._edges):
                raise RuntimeError(
                    f"function {node.name()} returned an incorrect number of gradients "
                    f"(expected {len(node._edges)}, got {len(grads_out)})")
            if node._sum_to:  # inputs the op broadcast: their gradients summed back
                grads_out = _sum_to_inputs(grads_out, node._sum_to)
        if not retain_graph and node._saved_entries:
            node._release()
    if watchers.active:
        watchers.node_finished(node, received, grads_out)
    return grads_out


def _sequence_nr(node):
    return node._sequence_nr


def _leading_to(targets, roots):
    """The nodes below roots with a path to a target node: those whose backward must run."""
    leads = {}  # node -> whether a target lies below it
    stack = [(root, False) for root in roots]
    while stack:  # iterative depth-first, children before parents
        node, children_done = stack.pop()
        if children_done:
            leads[node] = any(e and (e[0] in targets or leads[e[0]]) for e in node._edges)
        elif node not in leads:
            leads[node] = False  # visited; settled when its children are
            stack.append((node, True))
            stack.extend((e[0], False) for e in node._edges if e and e[0] not in leads)
    return {node for node, lead in leads.items() if lead}


def _sum_to_inputs(grads_out, sum_to):
    """Gradients of broadcast inputs summed back to the inputs' shapes (torch's engine does
    the same for every gradient that is larger than its input)."""
    grads_out = list(grads_out)
    for i, shape in sum_to:
        g = grads_out[i]
        if g is not None and g._data.shape != shape:
            grads_out[i] = g.sum_to_size(shape)
    return grads_out


def _before_backward(node, grads_in, create_graph, capture, accumulate, captured):
    """Tensor hooks and autograd.grad captures; a leaf's accumulation into .grad.

    Returns the gradients for the node's backward, or None when the node is a leaf.
    """
    if node._output_hooks:
        _run_output_hooks(node, grads_in)
    if type(node) is AccumulateGrad and node.hooks and grads_in[0] is not None:
        grads_in[0] = node.run_hooks(grads_in[0])  # a leaf's hooks: before capture, as torch
    if capture is not None:
        for nr, g in enumerate(grads_in):
            if (node, nr) in capture and g is not None:
                captured[(node, nr)] = g
    if type(node) is AccumulateGrad:
        if accumulate and (capture is None or (node, 0) in capture):
            node.accumulate(grads_in[0], create_graph)
        return None
    return grads_in


def _add(buffers, node, nr, grad):
    slots = buffers.get(node)
    if slots is None:
        slots = buffers[node] = [None] * node._n_outputs
    slots[nr] = grad if slots[nr] is None else slots[nr] + grad


def _run_output_hooks(node, grads_in):
    for nr, hooks in node._output_hooks.items():
        for hook in list(hooks):
            if grads_in[nr] is None:
                break
            result = hook(grads_in[nr])
            if result is not None:
                grads_in[nr] = result


def _materialize(node, grads_in):
    """Missing gradients of a multi-output node become zeros, as in PyTorch."""
    xp = node.xp
    return [
        g if g is not None else function.Tensor._wrap(xp.zeros(shape, dtype))
        for g, (shape, dtype) in zip(grads_in, node._output_meta)
    ]
