"""A section of the book run as its notebook runs it, on glasstorch and on PyTorch.

A notebook shows the value of each top-level expression statement (a cell's Out[]) unless it is
None. `as_notebook` runs code so and reports each such value's repr under the expression's
source text and a count: 'net(X).shape#0', and 'net(X).shape#1' for the second one shown.
On glasstorch it runs in the runner's subprocess (`section_prologue`, whose NOTEBOOK carries
this very function's source); on PyTorch it runs here, in-process (`run_on_torch`), with the
stand-in d2l of torch_d2l.py. The values of both sides are then compared (`check_same_outputs`).
"""

import contextlib
import importlib.util
import inspect
import io
import json
import os
import random
import re
import signal
import sys
import textwrap
import types

import matplotlib
import numpy as np
import torch

BOOKS = os.path.dirname(os.path.abspath(__file__))


def as_notebook(code, filename, first_line, namespace, report):
    """Run `code` (line 1 of which is line `first_line` of `filename`) in `namespace`; each
    top-level expression's value, unless None, goes to report(f'{text}#{count}', repr(value))."""
    import ast  # the subprocess side has this function's source alone

    tree = ast.parse(code)
    seen = {}

    def show(text, value):
        if value is not None:
            count = seen.get(text, 0)
            seen[text] = count + 1
            report(f"{text}#{count}", repr(value))

    for i, node in enumerate(tree.body):
        if isinstance(node, ast.Expr):
            text = ast.get_source_segment(code, node)
            call = ast.Call(ast.Name("_show", ast.Load()), [ast.Constant(text), node.value], [])
            tree.body[i] = ast.copy_location(ast.Expr(call), node)
    ast.fix_missing_locations(tree)
    ast.increment_lineno(tree, first_line - 1)  # tracebacks show the file's lines
    namespace["_show"] = show
    exec(compile(tree, filename, "exec"), namespace)  # noqa: S102 (the book's code)


# ---- glasstorch: the subprocess side ----

# The book's code draws some numbers from Python's and numpy's global generators, which start
# from fresh entropy in each process; fixed seeds make each run repeatable (glasstorch's own
# generator starts from torch's fixed default seed)
SEEDS = """
import random as _random, numpy as _numpy
_random.seed(0)
_numpy.random.seed(0)
"""

# Runs the code after the marker (the book's code and the epilogue, whose reports then run as
# its last cell) with `as_notebook`, then stops the script: the code has run once
MARKER = "# ---- the book's code ----"
NOTEBOOK = inspect.getsource(as_notebook) + f"""

def _run_as_notebook():
    with open(__file__, encoding='utf-8') as file:
        text = file.read()
    head, code = text.split({chr(10) + MARKER + chr(10)!r}, 1)
    as_notebook(code, __file__, head.count('\\n') + 3, globals(), report)
    raise SystemExit(0)


_run_as_notebook()
{MARKER}
"""


def section_prologue(*parts, notebook=True):
    """The prologue for runner.run_section: SEEDS, the `parts` (code, each dedented) and, with
    `notebook`, NOTEBOOK (last: the book's code follows its marker)."""
    code = SEEDS + "".join(textwrap.dedent(part) + "\n" for part in parts)
    return code + (NOTEBOOK if notebook else "")


# ---- PyTorch: the in-process side ----


def torch_d2l(extra=""):
    """A fresh d2l.torch stand-in over PyTorch (torch_d2l.py, then the code `extra`): fresh, as
    the sections add methods to its classes."""
    spec = importlib.util.spec_from_file_location("d2l.torch", os.path.join(BOOKS, "torch_d2l.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    exec(extra, module.__dict__)  # noqa: S102 (the book's code)
    return module


@contextlib.contextmanager
def time_limit(seconds):
    """A TimeoutError after `seconds`: a test fails, it does not hang."""

    def expire(signum, frame):
        raise TimeoutError(f"the code on PyTorch did not finish in {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_on_torch(monkeypatch, tmp_path, code, epilogue="", d2l_extra="", timeout=120):
    """`code` and then `epilogue` on PyTorch, here, as a notebook, with SEEDS' seeds and
    torch.manual_seed(0), torch_d2l(d2l_extra) as `d2l`, in a folder tmp_path/torch/work next to
    a `data` folder (as the runner's), within `timeout` seconds: (stdout, reported), the values
    through JSON as the runner reads them."""
    package = types.ModuleType("d2l")
    package.torch = torch_d2l(d2l_extra)
    monkeypatch.setitem(sys.modules, "d2l", package)
    monkeypatch.setitem(sys.modules, "d2l.torch", package.torch)
    work = tmp_path / "torch" / "work"
    work.mkdir(parents=True, exist_ok=True)
    (tmp_path / "torch" / "data").mkdir(exist_ok=True)
    monkeypatch.chdir(work)
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    reported = {}

    def report(name, value):
        reported[name] = json.loads(json.dumps(value))

    out = io.StringIO()
    code += "\n" + textwrap.dedent(epilogue)
    # rc_context: the code's set_figsize and the like stay out of the other tests
    with contextlib.redirect_stdout(out), matplotlib.rc_context(), time_limit(timeout):
        try:
            as_notebook(code, "<torch>", 1, {"__name__": "__main__", "report": report}, report)
        finally:
            if "matplotlib.pyplot" in sys.modules:
                sys.modules["matplotlib.pyplot"].close("all")
    return out.getvalue(), reported


# ---- the two sides compared ----

FLOAT = re.compile(r"-?\d+\.\d*(?:e[+-]?\d+)?")


def outputs(reported):
    """The Out[] values among the reported ones (their names hold '#'), in the order shown."""
    return {name: value for name, value in reported.items() if "#" in name}


def printed(stdout):
    """The lines the book's code prints (not the reports, nor glasstorch's figure notices)."""
    return [line for line in stdout.splitlines()
            if not line.startswith(("REPORT ", "figure saved to "))]


def normalized(text):
    """Object addresses masked; glasstorch's classes named as the script sees them (under
    `glasstorch run`, torch.Tensor is glasstorch's Tensor, defined in glasstorch._tensor)."""
    text = re.sub(r"0x[0-9a-f]+", "0x?", text)
    text = text.replace("glasstorch._tensor.Tensor", "torch.Tensor")
    return text.replace("glasstorch.nn.parameter.Parameter", "torch.nn.parameter.Parameter")


def agree(ours, theirs, random=False):
    """Spacing aside, equal up to the last printed digit of float32 (numpy and PyTorch round
    some functions' last bit differently), or, where the code draws random numbers, with every
    float masked (the layout, shapes, dtypes, integers and words must still be equal)."""
    ours, theirs = (re.sub(r"\s+", "", normalized(text)) for text in (ours, theirs))
    if FLOAT.sub("F", ours) != FLOAT.sub("F", theirs):
        return False
    return random or all(abs(float(a) - float(b)) <= 1e-5 * max(1.0, abs(float(b)))
                         for a, b in zip(FLOAT.findall(ours), FLOAT.findall(theirs)))


def check_same_outputs(ours, theirs, random=(), exact=False):
    """The same Out[] cells as PyTorch's, in the same order, each value agreeing: `random` is
    True or holds the names or source texts of the values with random numbers (floats masked);
    the others with `exact` to the letter, spacing included, else as `agree` has them."""
    ours, theirs = outputs(ours), outputs(theirs)
    assert list(ours) == list(theirs), f"the cells that show a value differ:\n{ours}\n{theirs}"
    for name, value in ours.items():
        masked = random is True or name in random or name.rsplit("#", 1)[0] in random
        if exact and not masked:
            same = normalized(value) == normalized(theirs[name])
        else:
            same = agree(value, theirs[name], masked)
        assert same, f"Out[] of {name!r}:\n{value}\n!=\n{theirs[name]} (PyTorch)"
