"""explain(): the chain rule, step by step, as the backward engine applies it.

    with glasstorch.autograd.explain(names=dict(a=a, b=b, c=c, u=u, v=v, J=J)) as steps:
        J.backward()
    print(steps)

records, through a watcher (see watchers.py), one Step per node in the order the engine runs
it: the gradient that reached the node (dJ/dv), the local derivative it applied (the
`backward:` line of its op's docstring, with the inputs' names and the numbers filled in) and
the gradient it passed to each input (dJ/da to the leaf a, dJ/du to u's node). `names` maps
names to tensors, leaves or not; unnamed tensors are labelled by their node, in parentheses.
The ops that backward formulas run are not steps: the watcher looks at nodes only. Nothing is
changed: the steps keep copies of the gradients.
"""

import collections
import inspect
import re

from . import function, watchers
from .function import NOT_AN_INPUT, AccumulateGrad

# a gradient a node passed on: its label ('dJ/db'), the gradient, the local derivative that
# made it ('grad * c') and the node it went to ('AccumulateGrad')
Passed = collections.namedtuple("Passed", "label grad local to")

_NO_FORMULA = "(custom Function: no formula)"
_SHOWN_ELEMENTS = 4  # a gradient with more elements is shown by its shape
_OUT = "(out)"  # the output backward started from, when `names` has no name for it


class Step:
    """One node of backward: what reached it, what it applied, what it passed on."""

    def __init__(self, node, of, grads_in, formula):
        self.node = node  # the backward node (J.grad_fn, a leaf's AccumulateGrad, ...)
        self.name = node.name()  # 'MulBackward0'
        self.of = of  # the tensor whose gradient the node received: a name or '(MulBackward0)'
        self.grads_in = grads_in  # [(label, gradient)] per output of the node: ('dJ/du', 3)
        self.formula = formula  # the `backward:` line of the op's docstring
        self.grads_out = []  # a Passed per gradient sent on
        self.failed = False  # the node's backward raised

    def __repr__(self):
        reached = ", ".join(f"{label} = {_value(g)}" for label, g in self.grads_in)
        passed = ", ".join(f"{p.label} = {_value(p.grad)}" for p in self.grads_out)
        return f"<Step {self.name} of {self.of}: {reached} -> {passed or 'nothing passed on'}>"


class Steps:
    """The steps of an explain() block: indexable, and printed as a table."""

    def __init__(self):
        self._steps = []

    def __len__(self):
        return len(self._steps)

    def __getitem__(self, i):
        return self._steps[i]

    def __iter__(self):
        return iter(self._steps)

    def append(self, step):
        self._steps.append(step)

    def __str__(self):
        return table(self._steps)

    __repr__ = __str__


class explain:
    """Context manager: record each backward node the engine runs (see the module docstring).

    `names`: an optional dict name -> tensor (leaves and intermediate results) for the labels.
    """

    def __init__(self, names=None):
        self.steps = Steps()
        self._watcher = ExplainWatcher(self.steps, names or {})

    def __enter__(self):
        watchers.start(self._watcher)
        return self.steps

    def __exit__(self, *args):
        watchers.stop(self._watcher)


class ExplainWatcher(watchers.Watcher):
    """Turns the engine's node_started / node_finished into Steps."""

    def __init__(self, steps, names):
        self.steps = steps
        self.leaf_names = {}  # id(leaf tensor) -> name
        self.output_names = {}  # (grad_fn, output_nr) -> name
        for name, t in names.items():
            if t.grad_fn is None:
                self.leaf_names[id(t)] = name
            else:
                self.output_names[(t.grad_fn, t._output_nr)] = name
        self._keep = list(names.values())  # the ids above stay theirs while we look them up
        self.user_names = set(names)
        self.root = _OUT  # the output backward started from: J in dJ/dv
        self.root_node = None
        self.pending = set()  # nodes sent a gradient (or None) that have not run yet
        self.open = []  # (step, local derivative per input) of the nodes running

    def node_started(self, node, grads_in):
        if node in self.pending:
            self.pending.discard(node)
        elif not self.pending:  # no gradient was sent here: a new backward starts at node
            self.root_node = node
            self.root = self.label(node, 0)
        else:  # a second output backward starts from (or a nested backward): a sum of them
            self.root = _OUT
        n_outputs = 1 if type(node) is AccumulateGrad else node._n_outputs
        received = grads_in if grads_in is not None else [None] * n_outputs
        grads = [(self.grad_label(node, nr), _copy(g)) for nr, g in enumerate(received)]
        if type(node) is AccumulateGrad:
            formula = f"{self.label(node, 0)}.grad += grad"
            step = Step(node, self.label(node, 0), grads, formula)
            self.open.append((step, {}))
            return
        formula = backward_formula(type(node))
        of = ", ".join(self.label(node, nr) for nr in range(n_outputs))
        step = Step(node, of, grads, formula or _NO_FORMULA)
        self.open.append((step, self.local_derivatives(node, formula)))

    def node_finished(self, node, grads_in, grads_out):
        step, local = self._close(node)
        if step is None:
            return
        whole = step.formula  # shown once where the formula is not split by input
        for i, (edge, g) in enumerate(zip(node._edges, grads_out)):
            if not edge:  # None (no gradient needed) or NOT_AN_INPUT
                continue
            self.pending.add(edge[0])
            if g is None:
                continue
            if i in local:
                text = local[i]
            else:
                text, whole = whole, ""
            label = self.grad_label(*edge)
            step.grads_out.append(Passed(label, _copy(g), text, edge[0].name()))
        self.steps.append(step)

    def node_failed(self, node, error):
        step, _ = self._close(node)
        self.pending.clear()  # the engine stops: the next node starts a new backward
        if step is not None:
            step.failed = True
            self.steps.append(step)

    def _close(self, node):
        if self.open and self.open[-1][0].node is node:
            return self.open.pop()
        return None, None  # the node started before explain() did

    # ---- labels ----

    def label(self, node, output_nr):
        """The name of a node's output (a leaf for an AccumulateGrad), or a neutral label."""
        if type(node) is AccumulateGrad:
            return self.leaf_names.get(id(node.variable), "(leaf)")
        name = self.output_names.get((node, output_nr))
        if name is not None:
            return name
        if node is self.root_node:
            return _OUT
        return f"({node.name()})" if node._n_outputs == 1 else f"({node.name()}[{output_nr}])"

    def grad_label(self, node, output_nr):
        return f"d{self.root}/d{self.label(node, output_nr)}"

    def local_derivatives(self, node, formula):
        """{forward argument position: its part of the formula}, names and numbers filled in."""
        if formula is None:
            return {}
        parts = {}
        for part in re.split(r",\s*(?=grad_\w+(?:\[\w+\])?\s*=)", formula):
            match = re.fullmatch(r"grad_(\w+)(?:\[\w+\])?\s*=\s*(.+)", part.strip())
            if match is None:
                return {}  # not one `grad_<input> = ...` per input: shown whole
            parts[match[1]] = match[2]
        names = _argument_names(type(node), len(node._edges))
        if names is None:
            return {}
        words = self.filled_in(node, names)
        output = self.label(node, 0)
        if "y" not in names and node._n_outputs == 1 and (
                not _neutral(output) or "y" in self.user_names):
            words["y"] = output  # the docstrings call the output y
        local = {}
        for i, name in enumerate(names):
            if name in parts:
                local[i] = _substitute(parts[name], words)
        return local

    def filled_in(self, node, names):
        """{argument name: what to write for it}: the names of the tensors named in `names`,
        and the values of the numbers the node kept (as ctx.<name>, or as the one number it
        saved for backward). An argument whose name `names` gives to another tensor is
        written as its node's label, or as '(input b)'."""
        words, unknown = {}, []
        for name, edge in zip(names, node._edges):
            # `grad` is the incoming gradient; a *args name stands for several arguments
            if name == "grad" or names.count(name) > 1:
                continue
            if edge is NOT_AN_INPUT:
                value = vars(node).get(name)
                if _is_shown(value):
                    words[name] = _number(value)
                else:
                    unknown.append(name)
            elif edge:
                label = self.label(*edge)
                if not _neutral(label) or name in self.user_names:
                    words[name] = label
        saved = [entry[1] for entry in (node._saved_entries or ())
                 if entry[0] == "other" and type(entry[1]) in (int, float)]
        if len(unknown) == 1 and len(saved) == 1:  # Mul(v, 3) saves the 3 for v's gradient
            words[unknown[0]] = _number(saved[0])
        for name in self.user_names.intersection(names).difference(words):
            words[name] = f"(input {name})"
        return words


def backward_formula(cls):
    """The text after `backward:` in an op's docstring (its local derivative), or None.

    It may go on over the next lines, indented further.
    """
    lines = (inspect.getdoc(cls) or "").splitlines()
    for i, line in enumerate(lines):
        if line.startswith("backward:"):
            text = [line[len("backward:"):].strip()]
            for more in lines[i + 1:]:
                if not more.startswith(" "):
                    break
                text.append(more.strip())
            return " ".join(text)
    return None


def _argument_names(cls, count):
    """The names of forward's first `count` arguments after ctx (*args repeats its name)."""
    try:
        parameters = list(inspect.signature(cls.forward).parameters.values())[1:]
    except (TypeError, ValueError):
        return None
    names = []
    for p in parameters:
        if p.kind == p.VAR_POSITIONAL:
            return names + [p.name] * (count - len(names))
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
    return names[:count] if len(names) >= count else None


def _substitute(text, words):
    if not words:
        return text
    pattern = r"\b(" + "|".join(re.escape(w) for w in words) + r")\b"
    return re.sub(pattern, lambda m: words[m[1]], text)


def _neutral(label):
    """A label made up here, not a name from `names`: '(leaf)', '(MulBackward0)', '(out)'."""
    return label.startswith("(")


def _is_shown(value):
    return type(value) in (int, float, bool) or (
        type(value) is tuple and len(value) <= 4 and all(type(v) is int for v in value))


def _number(value):
    return f"{value:.4g}" if type(value) is float else str(value)


def _copy(grad):
    """A detached copy of a gradient (None stays None): later in-place changes don't reach it."""
    return None if grad is None else function.Tensor._wrap(grad._data.copy())


# ---- the table ----


def _value(grad):
    """A gradient's values if it has a few elements, else its shape."""
    if grad is None:
        return "None"
    if grad._data.size > _SHOWN_ELEMENTS:
        return f"shape {tuple(grad.shape)}"
    return _numbers(grad.tolist())


def _numbers(values):
    if isinstance(values, list):
        return "[" + ", ".join(_numbers(v) for v in values) + "]"
    return _number(values)


def table(steps):
    """The steps as rows: node, gradient in, local derivative, gradients passed on."""
    header = ("step", "node", "gradient in", "local derivative", "passed on", "to")
    rows = [header]
    for number, step in enumerate(steps, 1):
        reached = [f"{label} = {_value(g)}" for label, g in step.grads_in]
        passed = step.grads_out
        local = [p.local for p in passed] or [step.formula]
        node = step.name if _neutral(step.of) else f"{step.name} ({step.of})"
        if step.failed:
            node += " raised"
        for line in range(max(len(reached), len(passed), len(local), 1)):
            p = passed[line] if line < len(passed) else None
            rows.append((
                str(number) if line == 0 else "",
                node if line == 0 else "",
                reached[line] if line < len(reached) else "",
                local[line] if line < len(local) else "",
                f"{p.label} = {_value(p.grad)}" if p else "",
                p.to if p else "",
            ))
    widths = [max(len(row[c]) for row in rows) for c in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
                     for row in rows)
