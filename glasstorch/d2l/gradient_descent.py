"""The book's gradient-descent plotting helpers: show_trace, show_trace_2d and train_2d.

Each takes both forms learners meet: the study note's (seed 002: `show_trace(res)` with the
objective `f` defined beside the call, `train_2d(trainer)` whose trainer maps (x1, x2) to
(x1, x2)) and the current book's (`show_trace(results, f)`, `train_2d(trainer, steps=20,
f_grad=None)` whose trainer maps (x1, x2, s1, s2) to (x1, x2, s1, s2)).

In a notebook the figure is drawn when the cell ends; in a terminal each figure is saved with
d2l.save_figure as NAME_N.png (show_trace_1.png, show_trace_2.png, ...) and then closed, so the
next plot starts a new figure, as the next notebook cell would.
"""

import inspect
import sys

import numpy as np

from . import torch as d2l


def annotate(text, xy, xytext):
    """Write `text` at xytext with an arrow to the point xy of the current plot."""
    d2l._pyplot().gca().annotate(text, xy=xy, xytext=xytext, arrowprops=dict(arrowstyle="->"))


def _show(name):
    """End the figure as a notebook cell would: in a terminal, save it as NAME_N.png."""
    return d2l._finish_figure(d2l._numbered_figure_name(name))


def _objective_beside_the_call():
    """The `f` defined where show_trace(res) was called (the note's form has no f argument)."""
    # The note's show_trace read the notebook's global f; living in this module, it has to look
    # in its caller's frame for it. The only frame inspection in d2l, for that one form.
    caller = sys._getframe(2)  # the frame that called show_trace
    for names in (caller.f_locals, caller.f_globals):
        if "f" in names:
            return names["f"]
    raise TypeError(
        "show_trace() missing 1 required positional argument: 'f' "
        "(and no function f is defined where it was called)"
    )


def show_trace(results, f=None):
    """Plot f and the 1-D trace `results` of an optimizer on it.

    `show_trace(results, f)` is the book's form; `show_trace(res)` is the note's, which plots
    the function named `f` where it is called.
    """
    if f is None:
        f = _objective_beside_the_call()
    res = [float(x) for x in results]  # the book's traces may hold 0-d tensors
    n = max(abs(min(res)), abs(max(res)))
    f_line = np.arange(-n, n, 0.01)
    d2l.set_figsize((3.5, 2.5))
    d2l.plt.plot(f_line, [float(f(x)) for x in f_line], "-")
    d2l.plt.plot(res, [float(f(x)) for x in res], "-o")
    d2l.plt.xlabel("x")
    d2l.plt.ylabel("f(x)")
    return _show("show_trace")


def _takes_state(trainer):
    """True for the book's trainers, which take (x1, x2, s1, s2); the note's take (x1, x2)."""
    try:
        inspect.signature(trainer).bind(0, 0, 0, 0)
    except TypeError:
        return False
    except ValueError:  # no signature to read (some builtins): assume the book's form
        return True
    return True


def train_2d(trainer, steps=20, f_grad=None):
    """Optimize a 2D objective function with a customized trainer, starting at (-5, -2).

    A trainer of (x1, x2) (the note's) prints every step as 'epoch %d, x1 %f, x2 %f'; a trainer
    of (x1, x2, s1, s2) (the book's; with f_grad, of (x1, x2, s1, s2, f_grad)) carries the
    state s1, s2 used by momentum, Adagrad and RMSProp and prints the last step only.
    """
    if f_grad is None and not _takes_state(trainer):
        x1, x2 = -5, -2
        results = [(x1, x2)]
        for i in range(steps):
            x1, x2 = trainer(x1, x2)
            results.append((x1, x2))
            print(f"epoch {i + 1}, x1 {float(x1):f}, x2 {float(x2):f}")  # the note's '%f' format
        return results
    # `s1` and `s2` are internal state variables that will be used in Momentum, adagrad, RMSProp
    x1, x2, s1, s2 = -5, -2, 0, 0
    results = [(x1, x2)]
    for i in range(steps):
        if f_grad:
            x1, x2, s1, s2 = trainer(x1, x2, s1, s2, f_grad)
        else:
            x1, x2, s1, s2 = trainer(x1, x2, s1, s2)
        results.append((x1, x2))
    print(f"epoch {i + 1}, x1: {float(x1):f}, x2: {float(x2):f}")
    return results


def show_trace_2d(f, results):
    """Show the trace of 2D variables during optimization over the contours of f."""
    d2l.set_figsize()
    d2l.plt.plot(*zip(*[(float(x1), float(x2)) for x1, x2 in results]), "-o", color="#ff7f0e")
    x1, x2 = np.meshgrid(np.arange(-5.5, 1.0, 0.1), np.arange(-3.0, 1.0, 0.1))
    d2l.plt.contour(x1, x2, d2l._plottable(f(x1, x2)), colors="#1f77b4")
    d2l.plt.xlabel("x1")
    d2l.plt.ylabel("x2")
    return _show("show_trace_2d")
