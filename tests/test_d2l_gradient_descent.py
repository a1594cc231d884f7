"""d2l.show_trace, show_trace_2d and train_2d: the note's forms (seed 002) and the book's."""

import math
import os

import numpy as np
import pytest

import glasstorch
from glasstorch import d2l
from glasstorch.d2l import torch as d2l_torch


@pytest.fixture
def drawn(tmp_path, monkeypatch):
    """Work in tmp_path; record each figure the helpers save: [(axes name, [line xy arrays],
    number of contour sets)] per axes, and the saved path."""
    monkeypatch.chdir(tmp_path)
    d2l.plt.close("all")  # a figure left open by an earlier test would be drawn on
    figures = []
    save_figure = d2l_torch.save_figure

    def recording_save_figure(name):
        fig = d2l.plt.gcf()
        axes = [(ax.name, [line.get_xydata() for line in ax.lines], len(ax.collections))
                for ax in fig.axes]
        path = save_figure(name)
        figures.append((axes, path))
        return path

    monkeypatch.setattr(d2l_torch, "save_figure", recording_save_figure)
    return figures


def test_the_helpers_are_the_same_in_d2l_and_d2l_torch():
    assert d2l.show_trace is d2l_torch.show_trace
    assert d2l.show_trace_2d is d2l_torch.show_trace_2d
    assert d2l.train_2d is d2l_torch.train_2d


def test_show_trace_in_the_notes_form_plots_the_f_defined_beside_the_call(drawn, capsys):
    def f(x):
        return x**2

    res = [10, 6.0, 3.5999999999999996]
    path = d2l.show_trace(res)
    ((axes, saved),) = drawn
    assert path == saved and os.path.getsize(path) > 0 and path.endswith(".png")
    assert capsys.readouterr().out == f"figure saved to {path}\n"
    ((name, (curve, trace), _),) = axes
    assert name == "rectilinear"
    f_line = np.arange(-10, 10, 0.01)
    np.testing.assert_array_equal(curve, np.stack([f_line, [f(x) for x in f_line]], 1))
    np.testing.assert_array_equal(trace, [[10, 100], [6, 36], [res[2], res[2] ** 2]])
    assert d2l.plt.get_fignums() == []  # closed: the next plot starts a new figure


def test_show_trace_in_the_books_form_takes_tensor_objectives_and_traces(drawn):
    c = glasstorch.tensor(0.15 * np.pi)  # float32, as in the book

    def f(x):  # the book's: glasstorch ops on a tensor constant
        return x * glasstorch.cos(c * x)

    def g(x):  # another f where show_trace is called: the explicit argument wins
        return 0 * x

    results = [10.0, glasstorch.tensor(-1.5)]
    d2l.show_trace(results, f)
    ((axes, _),) = drawn
    ((_, (curve, trace), _),) = axes
    expected = [[10.0, 10.0 * math.cos(1.5 * np.pi)], [-1.5, -1.5 * math.cos(-0.225 * np.pi)]]
    np.testing.assert_allclose(trace, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(curve[:, 1], curve[:, 0] * np.cos(0.15 * np.pi * curve[:, 0]),
                               rtol=1e-5, atol=1e-5)
    assert g(1) == 0


def test_show_trace_without_f_anywhere_is_a_type_error():
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'f'"):
        d2l_torch.show_trace([1.0, 0.5])  # d2l_torch's module globals hold no `f` either


def test_each_figure_gets_its_own_png(drawn):
    def f(x):
        return x**2

    first = d2l.show_trace([1.0, 0.5])
    second = d2l.show_trace([2.0, 1.0])
    assert first != second
    assert all(os.path.getsize(path) > 0 for path in (first, second))
    assert len(drawn) == 2


def gd_2d_note(x1, x2, eta=0.1):
    return (x1 - eta * 2 * x1, x2 - eta * 4 * x2)


def test_train_2d_with_the_notes_trainer_prints_every_step(capsys):
    results = d2l.train_2d(gd_2d_note)
    lines = capsys.readouterr().out.splitlines()
    x1, x2 = -5, -2  # the note's loop, in plain Python, as the reference
    expected_results, expected_lines = [(x1, x2)], []
    for i in range(20):
        x1, x2 = x1 - 0.1 * 2 * x1, x2 - 0.1 * 4 * x2
        expected_results.append((x1, x2))
        expected_lines.append("epoch %d, x1 %f, x2 %f" % (i + 1, x1, x2))  # noqa: UP031
    assert results == expected_results
    assert lines == expected_lines
    assert lines[0] == "epoch 1, x1 -4.000000, x2 -1.200000"
    assert lines[-1] == "epoch 20, x1 -0.057646, x2 -0.000073"


def test_train_2d_steps(capsys):
    assert len(d2l.train_2d(gd_2d_note, steps=3)) == 4
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_train_2d_with_the_books_trainer_and_f_grad_prints_the_last_step(capsys):
    def f_2d_grad(x1, x2):
        return (2 * x1, 4 * x2)

    def gd_2d(x1, x2, s1, s2, f_grad):
        g1, g2 = f_grad(x1, x2)
        return (x1 - 0.1 * g1, x2 - 0.1 * g2, 0, 0)

    results = d2l.train_2d(gd_2d, f_grad=f_2d_grad)
    assert capsys.readouterr().out == "epoch 20, x1: -0.057646, x2: -0.000073\n"
    x1, x2 = -5, -2
    expected = [(x1, x2)]
    for _ in range(20):
        x1, x2, _, _ = gd_2d(x1, x2, 0, 0, f_2d_grad)
        expected.append((x1, x2))
    assert results == expected


def test_train_2d_carries_the_books_state_s1_s2(capsys):
    def momentum_2d(x1, x2, v1, v2):  # the book's momentum section: eta 0.6, beta 0.5
        v1 = 0.5 * v1 + 0.2 * x1
        v2 = 0.5 * v2 + 4 * x2
        return x1 - 0.6 * v1, x2 - 0.6 * v2, v1, v2

    results = d2l.train_2d(momentum_2d)
    x1, x2, v1, v2 = -5, -2, 0, 0
    for _ in range(20):
        x1, x2, v1, v2 = momentum_2d(x1, x2, v1, v2)
    assert results[-1] == (x1, x2)
    assert capsys.readouterr().out == f"epoch 20, x1: {x1:f}, x2: {x2:f}\n"


def test_show_trace_2d_draws_the_trace_over_the_contours(drawn):
    results = [(-5, -2), (-4.0, -1.2), (-3.2, -0.72)]
    path = d2l.show_trace_2d(lambda x1, x2: x1**2 + 2 * x2**2, results)
    ((axes, saved),) = drawn
    assert path == saved and os.path.getsize(path) > 0
    ((name, (trace,), contour_sets),) = axes
    assert name == "rectilinear"
    np.testing.assert_array_equal(trace, results)
    assert contour_sets >= 1


def test_show_trace_2d_takes_tensor_traces_and_objectives(drawn):
    results = [(glasstorch.tensor(-5.0), glasstorch.tensor(-2.0)), (-4.0, -1.2)]
    d2l.show_trace_2d(lambda x1, x2: glasstorch.tensor(x1**2 + 2 * x2**2), results)
    ((axes, _),) = drawn
    ((_, (trace,), contour_sets),) = axes
    np.testing.assert_allclose(trace, [[-5, -2], [-4, -1.2]], rtol=1e-6)
    assert contour_sets >= 1


BOOK_GD = '''\
import numpy as np
import torch
from d2l import torch as d2l


def f(x):  # Objective function
    return x ** 2


def f_grad(x):  # Gradient (derivative) of the objective function
    return 2 * x


def gd(eta, f_grad):
    x = 10.0
    results = [x]
    for i in range(10):
        x -= eta * f_grad(x)
        results.append(float(x))
    print(f'epoch 10, x: {x:f}')
    return results


results = gd(0.2, f_grad)
d2l.show_trace(results, f)
d2l.show_trace(gd(1.1, f_grad), f)

c = torch.tensor(0.15 * np.pi)


def f(x):  # Objective function
    return x * torch.cos(c * x)


def f_grad(x):  # Gradient of the objective function
    return torch.cos(c * x) - c * x * torch.sin(c * x)


d2l.show_trace(gd(2, f_grad), f)


def f_2d(x1, x2):  # Objective function
    return x1 ** 2 + 2 * x2 ** 2


def f_2d_grad(x1, x2):  # Gradient of the objective function
    return (2 * x1, 4 * x2)


def gd_2d(x1, x2, s1, s2, f_grad):
    g1, g2 = f_grad(x1, x2)
    return (x1 - eta * g1, x2 - eta * g2, 0, 0)


eta = 0.1
d2l.show_trace_2d(f_2d, d2l.train_2d(gd_2d, f_grad=f_2d_grad))
'''


def test_the_books_gradient_descent_code_runs_under_glasstorch_run_as_on_pytorch(
        tmp_path, torch, capsys):
    """The book's own section (torch tensors, d2l.show_trace(results, f), train_2d with f_grad)
    prints under `glasstorch run` what it prints on PyTorch, and saves its four figures."""
    import subprocess
    import sys
    import types

    script = tmp_path / "book_gd.py"
    script.write_text(BOOK_GD)
    result = subprocess.run([sys.executable, "-m", "glasstorch", "run", str(script)],
                            check=False, capture_output=True, text=True, cwd=tmp_path,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    printed = [line for line in lines if not line.startswith("figure saved to ")]
    names = ["show_trace_1", "show_trace_2", "show_trace_3", "show_trace_2d_1"]
    assert [line for line in lines if line.startswith("figure saved to ")] == [
        f"figure saved to {tmp_path / name}.png" for name in names]
    assert all((tmp_path / f"{name}.png").stat().st_size > 0 for name in names)

    from books.torch_d2l import train_2d as books_train_2d  # the book's, as d2l has it

    pytorch_d2l = types.SimpleNamespace(show_trace=lambda results, f: None,
                                        show_trace_2d=lambda f, results: None,
                                        train_2d=books_train_2d)
    source = BOOK_GD.replace("import torch\nfrom d2l import torch as d2l\n", "")
    exec(source, {"torch": torch, "d2l": pytorch_d2l})  # noqa: S102 (the same code on PyTorch)
    expected = capsys.readouterr().out.splitlines()
    assert expected[:2] == ["epoch 10, x: 0.060466", "epoch 10, x: 61.917364"]
    assert expected[3] == "epoch 20, x1: -0.057646, x2: -0.000073"
    assert printed[:2] == expected[:2] and printed[3] == expected[3]
    # x*cos(cx) in float32: PyTorch's vectorized sin/cos are within 1 ulp, glasstorch's (NumPy's)
    # correctly rounded here, and ten oscillating steps carry the difference to the 6th decimal
    assert expected[2].startswith("epoch 10, x: -1.52816") and printed[2].startswith(
        "epoch 10, x: -1.52816")
    assert float(printed[2].split(": ")[1]) == pytest.approx(float(expected[2].split(": ")[1]),
                                                            abs=2e-6)


def test_annotate_puts_the_books_arrow_and_text_on_the_current_axes(drawn):
    d2l.plt.close("all")
    d2l.plot([0.0, 1.0], [0.0, 1.0])
    d2l.annotate("min of\nempirical risk", (1.0, -1.2), (0.5, -1.1))
    (note,) = d2l.plt.gca().texts
    assert note.get_text() == "min of\nempirical risk"
    assert (note.xy, note.xyann) == ((1.0, -1.2), (0.5, -1.1))
    assert note.arrowprops == {"arrowstyle": "->"}
    d2l.plt.close("all")
