"""Drawings of the backward graph: what `loss.backward()` walks, as a picture or as a tree.

    draw(loss, params=dict(model.named_parameters()))     # a PNG, or inline in Jupyter
    print(draw(loss))                                     # the same graph as an indented tree

torch.autograd.graph holds PyTorch's graph utilities; glasstorch's holds these drawings and
torchviz's `make_dot`, for people coming from torchviz. Two steps, each readable alone:
`extract` walks grad_fn and next_functions into a `Graph` (plain boxes and edges, no
matplotlib), and graph_drawing.py lays that Graph out and paints it with matplotlib.
"""

import os
import sys
import tempfile

from . import function, graph_drawing
from .function import NOT_AN_INPUT, AccumulateGrad

SMALL = 4  # tensors with at most this many elements are shown with their values


class Box:
    """One box of the drawing: a leaf tensor, a backward node or an output tensor."""

    def __init__(self, kind, lines):
        self.kind = kind  # "leaf", "node" or "output"
        self.lines = lines  # its text: a title (name) first, then shape, values, saved values

    @property
    def title(self):
        return self.lines[0]


class Graph:
    """Boxes and the edges between them, as torchviz draws them: from an input to its consumer
    (the way the forward pass went; backward sends gradients the other way)."""

    def __init__(self):
        self.boxes = {}  # key -> Box, outputs first, then in the order the walk found them
        self.edges = []  # (key of input, key of consumer), once per use of the input
        self.outputs = []  # keys of the output boxes

    def inputs(self):
        """key -> the keys of its inputs, in the node's argument order."""
        result = {key: [] for key in self.boxes}
        for source, target in self.edges:
            result[target].append(source)
        return result

    def titles(self, kind):
        """The titles of the boxes of one kind: "leaf", "node" or "output"."""
        return [box.title for box in self.boxes.values() if box.kind == kind]

    def tree(self):
        """The graph as an indented tree from the outputs, one line per box; a box that several
        nodes use is printed once, numbered, and referred to by its number after that."""
        inputs = self.inputs()
        uses = {key: 0 for key in self.boxes}
        for source, _ in self.edges:
            uses[source] += 1
        numbers = {}
        lines = []
        stack = [(key, "", "") for key in reversed(self.outputs)]
        while stack:  # depth-first, iterative: graphs can be deeper than Python's recursion
            key, head, indent = stack.pop()
            box = self.boxes[key]
            if key in numbers:
                lines.append(f"{head}{box.title} [#{numbers[key]}, shown above]")
                continue
            text = "  ".join(box.lines)
            if uses[key] > 1:
                numbers[key] = len(numbers) + 1
                text += f" [#{numbers[key]}]"
            lines.append(head + text)
            children = inputs[key]
            for i in reversed(range(len(children))):
                last = i == len(children) - 1
                stack.append((children[i], indent + ("└─ " if last else "├─ "),
                              indent + ("   " if last else "│  ")))
        return "\n".join(lines)


def extract(output, params=None, saved=True, attrs=False, max_attr_chars=50):
    """The Graph that produced `output` (a tensor or a tuple of tensors).

    Leaves are named from `params` (name -> tensor) and otherwise shown by their shape; a
    leaf's AccumulateGrad node is drawn as the leaf itself, as torchviz does. `saved` adds the
    values each node saved for backward to its box, `attrs` the other values its forward kept.
    """
    Tensor = function.Tensor
    outputs = (output,) if isinstance(output, Tensor) else tuple(output)
    names = {id(t): name for name, t in (params or {}).items()}
    graph = Graph()
    stack = []
    for i, t in enumerate(outputs):
        title = names.get(id(t), "output" if len(outputs) == 1 else f"output {i}")
        graph.boxes[id(t)] = Box("output", [title, describe(t._data)])
        graph.outputs.append(id(t))
        if t.grad_fn is not None:
            graph.edges.append((id(t.grad_fn), id(t)))
            stack.append(t.grad_fn)
    while stack:
        node = stack.pop()
        if id(node) in graph.boxes:
            continue
        if type(node) is AccumulateGrad:
            graph.boxes[id(node)] = Box("leaf", leaf_lines(node.variable, names))
            continue
        lines = [node.name()]
        if saved:
            lines += saved_lines(node)
        if attrs:
            lines += attr_lines(node, max_attr_chars)
        graph.boxes[id(node)] = Box("node", lines)
        inputs = [nxt for nxt, _ in node.next_functions if nxt is not None]
        graph.edges += [(id(nxt), id(node)) for nxt in inputs]
        stack += reversed(inputs)  # the first input is walked first
    return graph


def describe(data):
    """An array's shape and, when it is small, its values: "(2,) = [1., 2.]"."""
    shape = str(tuple(data.shape))
    if data.size > SMALL:
        return shape
    return f"{shape} = {_format(data.tolist())}"


def _format(value):
    """Nested lists of numbers as torch prints them: 5. for a float, [1., 2.] for a list."""
    if isinstance(value, list):
        return "[" + ", ".join(_format(v) for v in value) + "]"
    if isinstance(value, float):
        text = f"{value:.4g}"
        return text if any(c in text for c in ".ein") else text + "."  # 5.0 -> "5." (nan, inf)
    return str(value)


def leaf_lines(tensor, names):
    """A leaf's box: its name (if params has it) and shape, values, gradient when small."""
    lines = [describe(tensor._data)]
    if id(tensor) in names:
        lines.insert(0, names[id(tensor)])
    if tensor._grad is not None:
        lines.append(f"grad {describe(tensor._grad._data)}")
    return lines


def saved_lines(node):
    """One line per value the node saved for backward: torch's name for it where known."""
    entries = node._saved_entries
    if entries is None:
        return ["(saved values freed by backward)"]
    lines = []
    for k, (kind, value, _) in enumerate(entries):
        if value is None:  # saved only when an input needs it (Mul keeps one operand)
            continue
        if kind == "output":  # (output_nr, array, version)
            name = "result" if value[0] == 0 else f"result{value[0]}"
            lines.append(f"{name}: {describe(value[1])}")
            continue
        name = torch_argument_name(node, argument_position(node, kind, value))
        name = name or f"saved_tensors[{k}]"
        if kind == "input":
            lines.append(f"{name}: {describe(value._data)}")
        elif hasattr(value, "shape"):
            lines.append(f"{name}: {describe(value)}")
        else:
            lines.append(f"{name}: {value!r}")
    return lines


def argument_position(node, kind, value):
    """Which forward argument of the node a saved value is, where that is certain."""
    edges = node._edges
    if kind == "input" and value._requires_grad:  # the argument whose edge leads to it
        if value.grad_fn is not None:
            edge = (value.grad_fn, value._output_nr)
        else:
            edge = (value._accumulator, 0)
        matches = [i for i, e in enumerate(edges) if e and e[0] is edge[0] and e[1] == edge[1]]
    elif kind == "input":  # a tensor needing no gradient: the one argument with no edge
        matches = [i for i, e in enumerate(edges) if e is None]
    else:  # a number: the one argument that is not a tensor
        matches = [i for i, e in enumerate(edges) if e is NOT_AN_INPUT]
    return matches[0] if len(matches) == 1 else None


def torch_argument_name(node, position):
    """torch's name for a node's input (its saved value is `_saved_<name>` there), where it
    is knowable: `self` for a one-input op, `self`/`other` for binary elementwise ops."""
    inputs = node._torch_inputs
    if inputs is None:
        inputs = [i for i, e in enumerate(node._edges) if e is not NOT_AN_INPUT]
    if position is None or position not in inputs:
        return None
    if len(inputs) == 1:
        return "self"
    if len(inputs) == 2 and (node._broadcasts or node._torch_inputs is not None):
        return ("self", "other")[inputs.index(position)]
    return None


def attr_lines(node, max_attr_chars):
    """The values forward kept on ctx besides saved tensors (dims, exponents, ...)."""
    lines = []
    for name, value in vars(node).items():
        if name.startswith("_") or name in ("needs_input_grad", "xp"):
            continue
        text = describe(value._data) if isinstance(value, function.Tensor) else repr(value)
        if len(text) > max_attr_chars:
            text = text[:max_attr_chars] + "..."
        lines.append(f"{name}: {text}")
    return lines


class GraphDrawing:
    """A drawn backward graph: shown inline in Jupyter, `.save(path)` writes it as a PNG,
    `str()` is the text form (an indented tree). `graph` holds the boxes and edges."""

    format = "png"  # torchviz's Digraph.format; render() uses it when no format is given

    def __init__(self, graph):
        self.graph = graph

    def __str__(self):
        return self.graph.tree()

    def __repr__(self):
        return (f"<GraphDrawing: {len(self.graph.boxes)} boxes, {len(self.graph.edges)} edges "
                "(print() it for the text form, .save(path) for a PNG)>")

    def _repr_png_(self):  # Jupyter shows the drawing inline
        return graph_drawing.image(self.graph, "png")

    def save(self, path, format=None):
        """Write the drawing to path: PNG, or the format that path's suffix or `format` names
        (png, svg, pdf). Returns the path."""
        if format is None:
            suffix = os.path.splitext(str(path))[1][1:].lower()
            format = suffix if suffix in graph_drawing.FORMATS else "png"
        with open(path, "wb") as file:
            file.write(graph_drawing.image(self.graph, format))
        return str(path)

    def render(self, filename=None, directory=None, view=False, cleanup=False, format=None,
               *, outfile=None):
        """Write the drawing as torchviz's `Digraph.render` does: to `filename + "." + format`
        in `directory` (or to `outfile`), returning that path.

        Differs from graphviz: only the image is written (no DOT source file, so `cleanup`
        has nothing to remove); formats are png (the default here; graphviz's is pdf), svg
        and pdf; `view=True` prints the path instead of opening a viewer.
        """
        format = format or self.format
        if outfile is not None:
            path = str(outfile)
        else:
            path = os.path.join(directory or "", filename or "Digraph.gv") + "." + format
        if format not in graph_drawing.FORMATS:
            raise ValueError(f"unsupported format {format!r}: glasstorch draws "
                             f"{', '.join(graph_drawing.FORMATS)} with matplotlib")
        self.save(path, format)
        if view:
            print(f"graph drawn to {path}")
        return path


def draw(output, params=None, path=None):
    """Draw the backward graph that produced `output` (a tensor or a tuple of tensors).

    Leaves are named from `params` (e.g. `dict(model.named_parameters())`). Outside Jupyter
    the PNG is saved to `path` (or a new file in the temporary directory) and its path
    printed; in Jupyter the returned GraphDrawing shows inline. `print()` it for the text form.
    """
    drawing = GraphDrawing(extract(output, params))
    in_notebook = "ipykernel" in sys.modules
    if path is None and not in_notebook:
        descriptor, path = tempfile.mkstemp(prefix="glasstorch-graph-", suffix=".png")
        os.close(descriptor)
    if path is not None:
        drawing.save(path)
        if not in_notebook:
            print(f"graph drawn to {path}")
    return drawing


def make_dot(var, params=None, show_attrs=False, show_saved=False, max_attr_chars=50):
    """torchviz.make_dot: the graph of `var` (a tensor or tuple), drawn with matplotlib.

    Returns a GraphDrawing, which Jupyter shows inline and which has torchviz's
    `render(filename, format="png")`. Differs from torchviz: no graphviz and no DOT source
    (`.source`, `.attr()` do not exist); saved values (`show_saved`) and attributes
    (`show_attrs`) are lines in their node's box, not separate boxes; `.save(path)` writes
    the image, not DOT source.
    """
    for name, p in (params or {}).items():
        if not isinstance(p, function.Tensor):
            raise TypeError(f"params must map names to tensors; {name!r} is a "
                            f"{type(p).__name__}")
    return GraphDrawing(extract(var, params, saved=show_saved, attrs=show_attrs,
                                max_attr_chars=max_attr_chars))
