"""Tensor printing: PyTorch's repr text for a NumPy array. See torch/_tensor_str.py.

We follow torch's algorithm (one formatter per tensor sizes every element to a
common width; nested brackets indent by one column per level) so that output is
identical character for character, including torch's small quirks, which are
marked below.
"""

import math

import numpy as np

_DEFAULTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}
_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}
_options = dict(_DEFAULTS)


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
):
    """Set options for printing. See torch.set_printoptions."""
    if profile is not None:
        _options.update(_PROFILES[profile])
    for name, value in [
        ("precision", precision),
        ("threshold", threshold),
        ("edgeitems", edgeitems),
        ("linewidth", linewidth),
    ]:
        if value is not None:
            _options[name] = value
    # Like torch, sci_mode is always overwritten: omitting it means "choose automatically".
    _options["sci_mode"] = sci_mode


def get_printoptions():
    """Current options as a dict that can be passed back to set_printoptions."""
    return dict(_options)


def _is_floating(dtype_name):
    return "float" in dtype_name


class _Formatter:
    """Decides how every element of one tensor is written, and the common width.

    Floats are written in one of three modes chosen from the nonzero finite
    values: integer mode (`1.`), fixed point (`1.2500`) or scientific (`1.2500e+10`).
    """

    def __init__(self, values, floating):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        if not floating:
            for value in values.tolist():
                self.max_width = max(self.max_width, len(str(value)))
            return

        shown = values[np.isfinite(values) & (values != 0)]
        if shown.size == 0:
            return  # only zeros, nan and inf: print them as integers, width 1
        magnitudes = np.abs(shown).astype(np.float64)  # float16 would overflow at 1e8
        smallest, largest = magnitudes.min(), magnitudes.max()
        self.int_mode = bool(np.all(shown == np.ceil(shown)))
        if _options["sci_mode"] is None:
            ratio = largest / smallest
            self.sci_mode = bool(ratio > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4)
        else:
            self.sci_mode = _options["sci_mode"]

        # Width is measured on the finite values only; a wider nan/inf is simply not padded.
        for value in shown.tolist():
            self.max_width = max(self.max_width, len(self._text(value)))

    def _text(self, value):
        precision = _options["precision"]
        if not self.floating:
            return str(value)
        if self.sci_mode:
            return f"{value:.{precision}e}"
        if self.int_mode:
            # The trailing dot marks a float tensor; nan and inf need no such mark.
            return f"{value:.0f}" + ("." if math.isfinite(value) else "")
        return f"{value:.{precision}f}"

    def format(self, value):
        return self._text(value).rjust(self.max_width)


def _summarized_values(array, edge):
    """The elements a summarized print shows, flattened (torch's get_summarized_data)."""
    if array.ndim == 0:
        return array.reshape(-1)
    if array.ndim == 1:
        if len(array) > 2 * edge:
            # Quirk kept from torch: with edge == 0, array[-0:] is the whole array.
            return np.concatenate([array[:edge], array[-edge:]])
        return array
    if edge == 0:
        return array.reshape(-1)[:0]
    rows = list(array)
    if len(rows) > 2 * edge:
        rows = rows[:edge] + rows[len(rows) - edge :]
    return np.concatenate([_summarized_values(row, edge) for row in rows])


def _vector_text(array, indent, summarize, formatter):
    edge = _options["edgeitems"]
    element_width = formatter.max_width + 2  # each element is followed by ", "
    per_line = max(1, math.floor((_options["linewidth"] - indent) / element_width))

    if summarize and not edge:
        items = ["..."]
    elif summarize and len(array) > 2 * edge:
        head = [formatter.format(v) for v in array[:edge].tolist()]
        tail = [formatter.format(v) for v in array[-edge:].tolist()]
        items = head + [" ..."] + tail  # the leading space is torch's
    else:
        items = [formatter.format(v) for v in array.tolist()]

    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_text(array, indent, summarize, formatter):
    if array.ndim == 0:
        return formatter.format(array.item())
    if array.ndim == 1:
        return _vector_text(array, indent, summarize, formatter)

    edge = _options["edgeitems"]
    rows = range(len(array))
    if summarize and len(array) > 2 * edge:
        rows = list(range(edge)) + [None] + list(range(len(array) - edge, len(array)))
    parts = [
        "..." if i is None else _nested_text(array[i], indent + 1, summarize, formatter)
        for i in rows
    ]
    # Blocks of rank k are separated by k - 1 blank lines: one for 3-d, two for 4-d...
    separator = "," + "\n" * (array.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(parts) + "]"


def _add_suffixes(text, suffixes, indent):
    # Quirk kept from torch: the last line's length is over-counted by 2.
    line_length = len(text) - text.rfind("\n") + 1
    pieces = [text]
    for suffix in suffixes:
        if line_length + len(suffix) + 2 > _options["linewidth"]:
            pieces.append(",\n" + " " * indent + suffix)
            line_length = indent + len(suffix)
        else:
            pieces.append(", " + suffix)
            line_length += len(suffix) + 2
    return "".join(pieces) + ")"


def format_tensor(array, dtype_name, is_default_dtype, suffixes=()):
    """Return PyTorch's repr text for a tensor holding `array`.

    dtype_name: torch's dtype name ('float32', 'int64', 'bool', ...).
    is_default_dtype: True when torch omits the dtype suffix (the default float
        dtype, int64 and bool).
    suffixes: already formatted extras such as "grad_fn=<AddBackward0>" or
        "requires_grad=True". A "device=..." suffix is placed first, before
        size/dtype, as torch does; the others follow them in the given order.
    """
    array = np.asarray(array)
    prefix = "tensor("
    indent = len(prefix)
    floating = _is_floating(dtype_name)
    size = "size=" + str(tuple(int(n) for n in array.shape))
    dtype = "dtype=torch." + dtype_name

    own = []
    if array.size == 0:
        # No elements to tell int64 from float apart, so only the default float dtype is implied.
        if array.ndim != 1:
            own.append(size)
        if not (is_default_dtype and floating):
            own.append(dtype)
        body = "[]"
    else:
        if not _options["edgeitems"]:
            own.append(size)
        if not is_default_dtype:
            own.append(dtype)
        summarize = array.size > _options["threshold"]
        values = _summarized_values(array, _options["edgeitems"]) if summarize else array
        formatter = _Formatter(values.reshape(-1), floating)
        body = _nested_text(array, indent, summarize, formatter)

    device = [s for s in suffixes if s.startswith("device=")]
    others = [s for s in suffixes if not s.startswith("device=")]
    return _add_suffixes(prefix + body, device + own + others, indent)
