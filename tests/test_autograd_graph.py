"""Graph drawings (glasstorch.autograd.graph) and next_functions, against PyTorch's graphs.

torch has no drawing of its own; what it has, the node names and the structure of
next_functions, is the oracle: the extracted graph must be the graph torch builds.
"""

import collections
import os

import numpy as np
import pytest

import glasstorch
from glasstorch.autograd import graph as graph_module
from glasstorch.autograd.graph import GraphDrawing, draw, extract, make_dot
from glasstorch.autograd.graph_drawing import layers, ordered_rows
from seed_003 import seed_003 as seed_003_of  # tests/seed_003.py

gt = glasstorch
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# ---- next_functions: numbers in binary ops, left-out arguments ----


NEXT_FUNCTIONS_CASES = {
    "x + 3": lambda lib, x, y: x + 3,
    "3 + x": lambda lib, x, y: 3 + x,
    "3 * x": lambda lib, x, y: 3 * x,
    "x * 3": lambda lib, x, y: x * 3,
    "x - 3": lambda lib, x, y: x - 3,
    "3 - x": lambda lib, x, y: 3 - x,
    "x / 3": lambda lib, x, y: x / 3,
    "3 / x": lambda lib, x, y: 3 / x,
    "x ** 2": lambda lib, x, y: x**2,
    "2 ** x": lambda lib, x, y: 2**x,
    "x ** y": lambda lib, x, y: x**y,
    "x + y": lambda lib, x, y: x + y,
    "x * int tensor": lambda lib, x, y: x * lib.tensor(2),
    "x + True": lambda lib, x, y: x + True,
    "x.add(3, alpha=2)": lambda lib, x, y: x.add(3, alpha=2),
    "x.sub(2, alpha=3)": lambda lib, x, y: x.sub(2, alpha=3),
    "x.mul(2.5)": lambda lib, x, y: x.mul(2.5),
    "x % 2": lambda lib, x, y: x % 2,
    "x.sum(0)": lambda lib, x, y: x.sum(0),
    "x.mean()": lambda lib, x, y: x.mean(),
    "x.view(3, 2)": lambda lib, x, y: x.view(3, 2),
    "x.reshape(6)": lambda lib, x, y: x.reshape(6),
    "x[1:]": lambda lib, x, y: x[1:],
    "x.unsqueeze(0)": lambda lib, x, y: x.unsqueeze(0),
    "where(c, x, y)": lambda lib, x, y: lib.where(x > 2, x, y),
    "where(c, x, 0.)": lambda lib, x, y: lib.where(x > 2, x, 0.0),
    "where(c, 0., y)": lambda lib, x, y: lib.where(x > 2, 0.0, y),
    "clamp": lambda lib, x, y: x.clamp(0, 3),
    "maximum": lambda lib, x, y: lib.maximum(x, y),
    "x @ y.T": lambda lib, x, y: x @ y.T,
    "(x * 2) * 3": lambda lib, x, y: (x * 2) * 3,
    # the integer target and the class weights are not inputs of torch's node
    "nll_loss": lambda lib, x, y: lib.nn.functional.nll_loss(x, lib.tensor([0, 2])),
    "nll_loss weight": lambda lib, x, y: lib.nn.functional.nll_loss(
        x, lib.tensor([0, 2]), weight=lib.tensor([1.0, 2.0, 0.5])),
    "cross_entropy": lambda lib, x, y: lib.nn.functional.cross_entropy(x, lib.tensor([1, 0])),
}


def structure(node, depth=2):
    """(name, ((child, output_nr), ...)) down to depth; leaves as "AccumulateGrad"."""
    if node is None:
        return None
    name = "AccumulateGrad" if "AccumulateGrad" in node.name() else node.name()
    if depth == 0:
        return name
    return (name, tuple((structure(n, depth - 1), nr) for n, nr in node.next_functions))


@pytest.mark.parametrize("case", sorted(NEXT_FUNCTIONS_CASES))
def test_next_functions_as_torch(torch, case):
    fn = NEXT_FUNCTIONS_CASES[case]
    results = []
    for lib in (torch, gt):
        x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        y = lib.tensor([[0.5, 2.5, 1.0], [3.0, 1.5, 2.0]], requires_grad=True)
        out = fn(lib, x, y)
        results.append((structure(out.grad_fn), out.detach().numpy()))
    (expected, expected_values), (actual, actual_values) = results
    assert actual == expected
    np.testing.assert_allclose(actual_values, expected_values, rtol=1e-6)


def test_a_number_operand_is_a_none_entry_after_the_tensor():
    v = gt.tensor([1.0, 2.0], requires_grad=True)
    entries = (3 * v).grad_fn.next_functions
    assert [type(n).__name__ if n is not None else None for n, _ in entries] == [
        "AccumulateGrad", None]


# ---- seed 003: J = 3(a + bc) ----


def seed_003(lib):
    t = seed_003_of(lib)
    return t["J"], {"a": t["a"], "b": t["b"], "c": t["c"]}


def edge_titles(graph):
    """The edges as a multiset of (input's title, consumer's title)."""
    return collections.Counter(
        (graph.boxes[s].title, graph.boxes[t].title) for s, t in graph.edges)


def torch_name(node):
    # torch's C++ nodes are named "torch::autograd::CopySlices"; torchviz (and glasstorch)
    # show the class name, which is the same for every other node
    return node.name().replace("torch::autograd::", "")


def torch_edge_titles(output, params):
    """The same multiset walked from torch's graph (leaves named from params)."""
    names = {id(t): name for name, t in params.items()}
    edges = collections.Counter({(torch_name(output.grad_fn), "output"): 1})
    stack, seen = [output.grad_fn], set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            if hasattr(nxt, "variable"):
                edges[(names.get(id(nxt.variable), str(tuple(nxt.variable.shape))),
                       torch_name(node))] += 1
            else:
                edges[(torch_name(nxt), torch_name(node))] += 1
                stack.append(nxt)
    return edges


def test_seed_003_graph_has_exactly_its_nodes_and_edges(torch):
    J, params = seed_003(gt)
    graph = extract(J, params)
    assert sorted(graph.titles("node")) == ["AddBackward0", "MulBackward0", "MulBackward0"]
    assert sorted(graph.titles("leaf")) == ["a", "b", "c"]
    assert graph.titles("output") == ["output"]
    assert edge_titles(graph) == collections.Counter({
        ("a", "AddBackward0"): 1, ("b", "MulBackward0"): 1, ("c", "MulBackward0"): 1,
        ("MulBackward0", "AddBackward0"): 1, ("AddBackward0", "MulBackward0"): 1,
        ("MulBackward0", "output"): 1,
    })
    assert edge_titles(graph) == torch_edge_titles(*seed_003(torch))
    boxes = {box.title: box for box in graph.boxes.values()}
    assert boxes["a"].lines == ["a", "() = 5."]
    assert boxes["output"].lines == ["output", "() = 33."]


def test_seed_003_saved_values_named_as_torch_names_them(torch):
    J, params = seed_003(gt)
    tJ, _ = seed_003(torch)
    graph = extract(J, params)
    nodes = {id(J.grad_fn): tJ.grad_fn,
             id(J.grad_fn.next_functions[0][0].next_functions[1][0]):
                 tJ.grad_fn.next_functions[0][0].next_functions[1][0]}
    checked = 0
    for key, torch_node in nodes.items():
        for line in graph.boxes[key].lines[1:]:
            name, value = line.split(": ")
            saved = getattr(torch_node, f"_saved_{name}")  # self, other as torch has them
            assert value.split(" = ")[-1].rstrip(".") == f"{saved.item():g}"
            checked += 1
    assert checked == 3  # J's Mul: other (3); u's Mul: self (b = 3) and other (c = 2)
    assert graph.boxes[id(J.grad_fn)].lines == ["MulBackward0", "other: 3"]


def test_after_backward_leaves_show_grad_and_saved_values_are_freed():
    J, params = seed_003(gt)
    J.backward()
    graph = extract(J, params)
    boxes = {box.title: box for box in graph.boxes.values() if box.kind == "leaf"}
    assert boxes["b"].lines == ["b", "() = 3.", "grad () = 6."]  # dJ/db = 3c
    assert "(saved values freed by backward)" in graph.boxes[id(J.grad_fn)].lines


# ---- a view changed in place ----


def view_add_(lib):
    w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = w * 2
    v = x.view(3, 1)
    v.add_(1)
    return v.sum(), {"w": w}


def test_view_changed_in_place(torch):
    out, params = view_add_(gt)
    graph = extract(out, params)
    # torch: Sum <- AsStrided <- CopySlices <- Mul <- w; glasstorch's CopySlices also has the
    # add_ on the view as its input (torch keeps that inside its CopySlices node)
    assert sorted(graph.titles("node")) == sorted([
        "SumBackward0", "AsStridedBackward0", "CopySlices", "MulBackward0", "AddBackward0",
        "ViewBackward0"])
    assert graph.titles("leaf") == ["w"]
    edges = edge_titles(graph)
    assert edges[("MulBackward0", "CopySlices")] == edges[("MulBackward0", "ViewBackward0")] == 1
    torch_edges = torch_edge_titles(*view_add_(torch))
    assert {name for pair in torch_edges for name in pair} <= set(graph.titles("node")) | {
        "w", "output"}
    for pair in [("AsStridedBackward0", "SumBackward0"), ("CopySlices", "AsStridedBackward0"),
                 ("MulBackward0", "CopySlices"), ("w", "MulBackward0")]:
        assert torch_edges[pair] == edges[pair] == 1
    # the shared Mul node is printed once in the text form and referred to after
    text = str(GraphDrawing(graph))
    assert text.count("MulBackward0") == 2 and "MulBackward0 [#1, shown above]" in text


# ---- an MLP with named parameters ----


def mlp_loss(lib):
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.ReLU(), lib.nn.Linear(8, 3))
    X = lib.randn(5, 4)
    y = lib.tensor([0, 1, 2, 1, 0])
    return lib.nn.functional.cross_entropy(model(X), y), dict(model.named_parameters())


def test_mlp_every_parameter_once_with_its_name_and_shape(torch):
    loss, params = mlp_loss(gt)
    graph = extract(loss, params)
    leaves = {box.title: box for box in graph.boxes.values() if box.kind == "leaf"}
    assert sorted(leaves) == sorted(params) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    for name, p in params.items():
        assert leaves[name].lines[1].startswith(str(tuple(p.shape)))
    assert leaves["2.bias"].lines[1].startswith("(3,) = [")  # small: values shown
    assert leaves["0.weight"].lines[1] == "(8, 4)"  # large: shape only
    # the nodes torch has, with torch's names; glasstorch adds an Expand before each bias
    names = set(graph.titles("node"))
    torch_names = {n for pair in torch_edge_titles(*mlp_loss(torch)) for n in pair} - set(
        params) - {"output"}
    assert torch_names == {"NllLossBackward0", "LogSoftmaxBackward0", "AddmmBackward0",
                           "ReluBackward0", "TBackward0"}
    assert torch_names <= names and names - torch_names == {"ExpandBackward0"}
    text = str(GraphDrawing(graph))
    assert len(text.splitlines()) == len(graph.boxes)  # nothing shared: one line per box
    assert text.splitlines()[0].startswith("output  () = ")


# ---- the text form, the layout ----


def test_text_form_is_one_line_per_node_as_an_indented_tree():
    J, params = seed_003(gt)
    lines = str(GraphDrawing(extract(J, params))).splitlines()
    assert lines == [
        "output  () = 33.",
        "└─ MulBackward0  other: 3",
        "   └─ AddBackward0",
        "      ├─ a  () = 5.",
        "      └─ MulBackward0  other: () = 2.  self: () = 3.",
        "         ├─ b  () = 3.",
        "         └─ c  () = 2.",
    ]


def test_layers_are_longest_paths_from_the_output():
    x = gt.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    out = (y + y.sin() * x).sum()  # x is used at rows 2 (exp's input) and 4 (under Mul)
    graph = extract(out, {"x": x})
    row = layers(graph)
    by_title = {graph.boxes[key].title: r for key, r in row.items()}
    assert by_title["output"] == 0 and by_title["SumBackward0"] == 1
    assert by_title["AddBackward0"] == 2 and by_title["MulBackward0"] == 3
    assert by_title["SinBackward0"] == 4 and by_title["ExpBackward0"] == 5
    assert by_title["x"] == 6  # above its deepest consumer, exp
    for source, target in graph.edges:
        assert row[source] > row[target]
    rows = ordered_rows(graph, row)
    assert sorted(key for r in rows for key in r) == sorted(graph.boxes)


def test_tuple_of_outputs_and_a_tensor_without_graph():
    x = gt.tensor([1.0, 2.0], requires_grad=True)
    graph = extract((x * 2, x.exp()), {"x": x})
    assert graph.titles("output") == ["output 0", "output 1"]
    assert graph.titles("leaf") == ["x"]
    assert len(graph.edges) == 4
    constant = extract(gt.ones(2))
    assert [box.lines for box in constant.boxes.values()] == [["output", "(2,) = [1., 1.]"]]


# ---- pictures: PNG files, Jupyter, the terminal ----


def assert_png(data):
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 5000  # boxes, text and arrows, not an empty canvas


def test_png_is_written_and_shown_inline(tmp_path):
    loss, params = mlp_loss(gt)
    drawing = draw(loss, params, path=tmp_path / "mlp.png")
    assert_png((tmp_path / "mlp.png").read_bytes())
    assert_png(drawing._repr_png_())  # what Jupyter's display calls
    assert drawing.save(tmp_path / "again.svg").endswith("again.svg")
    assert (tmp_path / "again.svg").read_bytes().lstrip().startswith(b"<?xml")


def test_draw_in_a_terminal_saves_and_prints_the_path(capsys, monkeypatch):
    monkeypatch.delitem(os.sys.modules, "ipykernel", raising=False)
    J, params = seed_003(gt)
    drawing = draw(J, params)
    printed = capsys.readouterr().out.strip()
    assert printed.startswith("graph drawn to ")
    path = printed[len("graph drawn to "):]
    try:
        with open(path, "rb") as file:
            assert_png(file.read())
    finally:
        os.remove(path)
    assert isinstance(drawing, GraphDrawing) and "7 boxes, 6 edges" in repr(drawing)


def test_draw_in_a_notebook_writes_and_prints_nothing(capsys, monkeypatch):
    monkeypatch.setitem(os.sys.modules, "ipykernel", object())
    J, params = seed_003(gt)
    drawing = draw(J, params)
    assert capsys.readouterr().out == ""
    assert_png(drawing._repr_png_())


# ---- make_dot, as torchviz's ----


def test_make_dot_render_as_torchviz(tmp_path):
    J, params = seed_003(gt)
    dot = make_dot(J, params=params)
    assert isinstance(dot, GraphDrawing)
    assert graph_module.make_dot is make_dot
    # torchviz: make_dot(...).render("name", format="png") writes name.png and returns its path
    path = dot.render(str(tmp_path / "seed003"), format="png")
    assert path == str(tmp_path / "seed003.png")
    assert_png((tmp_path / "seed003.png").read_bytes())
    dot.format = "png"
    assert dot.render("graph", directory=str(tmp_path)) == os.path.join(str(tmp_path),
                                                                         "graph.png")
    assert dot.render(outfile=tmp_path / "out.pdf", format="pdf").endswith("out.pdf")
    assert (tmp_path / "out.pdf").read_bytes().startswith(b"%PDF")
    with pytest.raises(ValueError, match="unsupported format 'gif'"):
        dot.render(str(tmp_path / "x"), format="gif")
    with pytest.raises(TypeError, match="params must map names to tensors"):
        make_dot(J, params={"a": 5.0})


def test_make_dot_shows_saved_values_and_attributes_only_when_asked():
    x = gt.tensor([1.0, 2.0], requires_grad=True)
    y = (x**2).sum()
    plain = make_dot(y, {"x": x}).graph
    assert sorted(box.lines[0] for box in plain.boxes.values() if box.kind == "node") == [
        "PowBackward0", "SumBackward0"]
    assert all(len(box.lines) == 1 for box in plain.boxes.values() if box.kind == "node")
    detailed = make_dot(y, {"x": x}, show_attrs=True, show_saved=True).graph
    pow_box = detailed.boxes[id(y.grad_fn.next_functions[0][0])]
    assert pow_box.lines == ["PowBackward0", "self: (2,) = [1., 2.]", "exponent: 2"]
    short = make_dot(y, show_attrs=True, max_attr_chars=3).graph
    sum_box = short.boxes[id(y.grad_fn)]
    assert all(len(line.split(": ")[1]) <= 6 for line in sum_box.lines[1:])


def test_without_matplotlib_drawing_says_what_to_install_and_text_still_works(monkeypatch,
                                                                              tmp_path):
    monkeypatch.setitem(os.sys.modules, "matplotlib.figure", None)  # its import now fails
    x = gt.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 3).sum()
    drawing = make_dot(y, params={"x": x})
    assert "MulBackward0" in str(drawing)
    with pytest.raises(ImportError, match=r"needs matplotlib: pip install 'glasstorch\[d2l\]'"):
        drawing.save(tmp_path / "graph.png")
