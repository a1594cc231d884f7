"""The English edition's own code (d2l-en) for chapters 2-5 and 12 run on glasstorch:
preliminaries, linear regression, linear classification, multilayer perceptrons, optimization.

Each section's PyTorch code (tests/books/en/<chapter>/<section>.py, unedited) runs under
`glasstorch run` in a fresh process (tests/books/runner.py) as its notebook runs it: the value
of each top-level expression (a cell's Out[]) is reported (NOTEBOOK). Where a section needs no
d2l, the same code also runs here on PyTorch and the two must agree: exactly where the code draws
no random numbers, up to every float where it does. Sections that use d2l are checked against
what the book states: the values it prints (recomputed here with plain Python or PyTorch from the
section's own formulas), the loss going down (the ProgressBoard's points), accuracy floors on the
real Fashion-MNIST, learned parameters close to the truth. Each edit says why it is there
(mostly fewer epochs and fewer images, so that the file runs in a few minutes on two cores).
"""

import ast
import contextlib
import io
import json
import math
import os
import re
import sys

import pytest
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "books"))
from runner import fashion_mnist_subset, run_section, section_source  # noqa: E402


@pytest.fixture(autouse=True)
def _one_blas_thread(monkeypatch):
    # The sections run in subprocesses on a small machine; OpenBLAS's threads spin-wait for each
    # other and make the many small products of these sections slower, not faster.
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")


# ---- the notebook's Out[] values ----

# Runs the code after the marker as the book's notebook does: each top-level expression's value,
# unless None, is reported as [its source text, its repr] under 'out<n>' (n counts the shown
# values from 0). The same function runs the PyTorch side here (`on_torch`).
AS_NOTEBOOK = """
def _as_notebook(code, filename, first_line, namespace, report):
    import ast
    tree = ast.parse(code)
    shown = []
    def show(text, value):
        if value is not None:
            report(f'out{len(shown)}', [text, repr(value)])
            shown.append(text)
    for i, node in enumerate(tree.body):
        if isinstance(node, ast.Expr):
            text = ast.get_source_segment(code, node)
            call = ast.Call(ast.Name('_show', ast.Load()), [ast.Constant(text), node.value], [])
            tree.body[i] = ast.copy_location(ast.Expr(call), node)
    ast.fix_missing_locations(tree)
    ast.increment_lineno(tree, first_line - 1)  # tracebacks show the file's lines
    namespace['_show'] = show
    exec(compile(tree, filename, 'exec'), namespace)
"""
MARKER = "# ---- the book's code ----"
NOTEBOOK = AS_NOTEBOOK + f"""
def _run_as_notebook():
    with open(__file__, encoding='utf-8') as file:
        text = file.read()
    head, code = text.split({chr(10) + MARKER + chr(10)!r}, 1)
    _as_notebook(code, __file__, head.count('\\n') + 3, globals(), report)
    raise SystemExit(0)  # the code has run once, as a notebook


_run_as_notebook()
{MARKER}
"""


def run(tmp_path, section, edits=None, prologue="", epilogue="", notebook=False):
    """The section on glasstorch: (stdout, reported); with `notebook`, as the notebook runs it
    (the epilogue's reports then run as its last cell)."""
    (tmp_path / "glasstorch").mkdir()
    return run_section(tmp_path / "glasstorch", "en", section, edits,
                       prologue + (NOTEBOOK if notebook else ""), epilogue)


def on_torch(monkeypatch, tmp_path, section):
    """The section's code, which imports no d2l, run here on PyTorch as a notebook, in a folder
    `work` next to `data` as the runner's: (stdout, reported)."""
    code = section_source("en", section)
    assert "d2l" not in code
    work = tmp_path / "torch" / "work"
    work.mkdir(parents=True)
    (tmp_path / "torch" / "data").mkdir()
    monkeypatch.chdir(work)
    reported, namespace, out = {}, {"__name__": "__main__"}, io.StringIO()
    exec(AS_NOTEBOOK, namespace)
    torch.manual_seed(0)
    with contextlib.redirect_stdout(out):
        namespace["_as_notebook"](code, section, 1, namespace, reported.__setitem__)
    return out.getvalue(), reported


def normalized(text):
    """Object addresses masked; glasstorch's classes named as the script sees them (under
    `glasstorch run`, torch.Tensor is glasstorch's Tensor, defined in glasstorch._tensor)."""
    text = re.sub(r"0x[0-9a-f]+", "0x?", text)
    return text.replace("glasstorch._tensor.Tensor", "torch.Tensor")


FLOAT = re.compile(r"-?\d+\.\d*(?:e[+-]?\d+)?")


def outputs(reported):
    return [reported[f"out{i}"] for i in range(len(reported)) if f"out{i}" in reported]


def check_same_as_torch(ours, theirs, random=()):
    """Each Out[] the same as PyTorch's: the same text, or for the cells in `random` (whose
    code draws random numbers) the same text with every float masked (and so the spacing
    that aligns them)."""
    ours, theirs = outputs(ours), outputs(theirs)
    assert [text for text, _ in ours] == [text for text, _ in theirs]
    for (text, value), (_, torch_value) in zip(ours, theirs):
        value, torch_value = normalized(value), normalized(torch_value)
        if text in random:
            value = re.sub(r"\s+", "", FLOAT.sub("F", value))
            torch_value = re.sub(r"\s+", "", FLOAT.sub("F", torch_value))
        assert value == torch_value, f"Out[] of {text!r}:\n{value}\n!=\n{torch_value} (PyTorch)"


def shown(reported, text):
    """The repr of the Out[] of the expression `text` (the first one with that text)."""
    return next(value for source, value in outputs(reported) if source == text)


def printed(stdout):
    """The lines the book's code prints (not the reports, nor glasstorch's figure notices)."""
    return [line for line in stdout.splitlines()
            if not line.startswith(("REPORT ", "figure saved to "))]


# ---- 2 preliminaries ----


def test_ndarray(tmp_path, monkeypatch):
    stdout, ours = run(tmp_path, "preliminaries/ndarray", notebook=True)
    torch_stdout, theirs = on_torch(monkeypatch, tmp_path, "preliminaries/ndarray")
    check_same_as_torch(ours, theirs, random={"torch.randn(3, 4)"})
    assert re.fullmatch(r"tensor\(\[(\[[-\d., ]+\],?\s*){3}\]\)", shown(ours, "torch.randn(3, 4)"))
    # Y = Y + X allocates a new Y, Z[:] = ... and X += Y write in place (the book's point)
    assert shown(ours, "id(Y) == before") == "False" and shown(ours, "id(X) == before") == "True"
    first, second = [line for line in printed(stdout) if line.startswith("id(Z):")]
    assert first == second


def test_linear_algebra(tmp_path, monkeypatch):
    _, ours = run(tmp_path, "preliminaries/linear-algebra", notebook=True)
    _, theirs = on_torch(monkeypatch, tmp_path, "preliminaries/linear-algebra")
    check_same_as_torch(ours, theirs)
    assert shown(ours, "torch.norm(torch.ones((4, 9)))") == "tensor(6.)"


def test_autograd(tmp_path, monkeypatch):
    _, ours = run(tmp_path, "preliminaries/autograd", notebook=True)
    _, theirs = on_torch(monkeypatch, tmp_path, "preliminaries/autograd")
    check_same_as_torch(ours, theirs)  # the random `a` shows only in `a.grad == d / a`
    assert shown(ours, "a.grad == d / a") == "tensor(True)"
    assert shown(ours, "x.grad == 4 * x") == "tensor([True, True, True, True])"


def test_pandas(tmp_path, monkeypatch):
    stdout, ours = run(tmp_path, "preliminaries/pandas", notebook=True)
    torch_stdout, theirs = on_torch(monkeypatch, tmp_path, "preliminaries/pandas")
    check_same_as_torch(ours, theirs)
    assert printed(stdout) == printed(torch_stdout)
    assert shown(ours, "X, y").count("dtype=torch.float64") == 2


def test_lookup_api(tmp_path, monkeypatch):
    stdout, ours = run(tmp_path, "preliminaries/lookup-api", notebook=True)
    torch_stdout, theirs = on_torch(monkeypatch, tmp_path, "preliminaries/lookup-api")
    check_same_as_torch(ours, theirs)  # torch.ones(4)
    names = ast.literal_eval(printed(stdout)[0])
    torch_names = ast.literal_eval(printed(torch_stdout)[0])
    # glasstorch has fewer distributions than PyTorch, each under PyTorch's name
    assert {"Distribution", "Multinomial", "Normal"} <= set(names) <= set(torch_names)
    assert any(line.startswith("Help on") and "ones" in line for line in printed(stdout))


def test_calculus(tmp_path):
    epilogue = """
        report('lines', [[list(map(float, line.get_xdata())), list(map(float, line.get_ydata()))]
                         for line in d2l.plt.gca().get_lines()])
    """
    stdout, reported = run(tmp_path, "preliminaries/calculus", epilogue=epilogue)

    def f(x):
        return 3 * x ** 2 - 4 * x

    # the numerical limit of (f(1+h) - f(1)) / h approaches f'(1) = 2 as h shrinks
    assert printed(stdout) == [f"h={h:.5f}, numerical limit={(f(1 + h) - f(1)) / h:.5f}"
                               for h in [0.1, 0.01, 0.001, 0.0001, 0.00001]]
    assert abs(float(printed(stdout)[-1].split("=")[-1]) - 2) < 1e-4
    (x, fx), (x2, tangent) = reported["lines"]
    assert x == x2 and len(x) == 30
    assert fx == pytest.approx([f(v) for v in x]) and tangent == pytest.approx([2 * v - 3 for v in x])


def test_probability(tmp_path):
    epilogue = """
        report('heads_tails', [heads, tails])
        report('counts', (counts.sum(dim=0) / 10000).tolist())
        report('estimates', [list(estimates.shape), estimates[-1].tolist()])
    """
    stdout, reported = run(tmp_path, "preliminaries/probability", epilogue=epilogue,
                           notebook=True)
    for text, total in [("Multinomial(100, fair_probs).sample()", 100),
                        ("Multinomial(100, fair_probs).sample() / 100", 1)]:
        counts = [float(x) for x in FLOAT.findall(shown(reported, text))]
        assert len(counts) == 2 and sum(counts) == pytest.approx(total)
    heads, tails = reported["heads_tails"]
    assert heads + tails == 100 and 30 < heads < 70
    shape, last = reported["estimates"]
    assert shape == [10000, 2]
    # after 10000 tosses of a fair coin the estimates are close to 0.5 (5 standard deviations)
    assert abs(last[0] - 0.5) < 0.025 and sum(last) == pytest.approx(1)
    assert reported["counts"] == last
