"""Recurrent layers: RNN, GRU and LSTM over whole sequences, and their one-step cells.

The parameters are torch's, by name, shape, gate order and initialisation, so state_dicts
move both ways: for layer k (suffix `_reverse` for the backward direction)
    weight_ih_l{k} (G·H, input), weight_hh_l{k} (G·H, H or proj_size), bias_ih_l{k},
    bias_hh_l{k} (G·H), and weight_hr_l{k} (proj_size, H) for an LSTM with projections,
with G = 1 (RNN), 3 (GRU: r, z, n) or 4 (LSTM: i, f, g, o), all drawn from U(-1/√H, 1/√H).

A layer's forward: for each layer and direction, the input projections x W_ih^T + b_ih of
all time steps as one matrix product, then the loop over time steps (ops/recurrent.py, one
graph node). The cells' equations are in glasstorch/ops/recurrent.py.
"""

import math
import numbers
import warnings

from ... import creation
from ...ops import recurrent
from ...ops.movement import cat, stack
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _uniform_by_hidden_size(module):
    """torch's initialisation of every recurrent weight and bias: U(-1/√H, 1/√H)."""
    bound = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    for weight in module.parameters():
        init.uniform_(weight, -bound, bound)


class RNNBase(Module):
    """What RNN, GRU and LSTM share: the parameters, the checks and the layer loop."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        if (not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1
                or isinstance(dropout, bool)):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        gate_size = _GATES[mode] * hidden_size
        state_size = proj_size or hidden_size  # the size of h
        directions = 2 if bidirectional else 1
        self._flat_weights_names = []
        for layer in range(num_layers):
            for suffix in ["", "_reverse"][:directions]:
                layer_input = input_size if layer == 0 else state_size * directions
                shapes = [("weight_ih", (gate_size, layer_input)),
                          ("weight_hh", (gate_size, state_size))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size:
                    shapes += [("weight_hr", (proj_size, hidden_size))]
                for kind, shape in shapes:
                    name = f"{kind}_l{layer}{suffix}"
                    setattr(self, name,
                            Parameter(creation.empty(shape, device=device, dtype=dtype)))
                    self._flat_weights_names.append(name)
        self.reset_parameters()

    def reset_parameters(self):
        _uniform_by_hidden_size(self)

    @property
    def _flat_weights(self):
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        """The parameters of each layer and direction, as lists (torch's all_weights)."""
        per_layer = len(self._flat_weights_names) // (self.num_layers * self._directions)
        weights = self._flat_weights
        return [weights[i:i + per_layer] for i in range(0, len(weights), per_layer)]

    def flatten_parameters(self):
        """torch packs the weights for cuDNN here; glasstorch has nothing to do."""

    @property
    def _directions(self):
        return 2 if self.bidirectional else 1

    def _layer_weights(self, layer, suffix):
        def get(kind):
            return getattr(self, f"{kind}_l{layer}{suffix}", None)
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"), get("weight_hr")

    def forward(self, input, hx=None):
        from ..utils.rnn import PackedSequence  # here: nn.utils imports the layers' module

        packed = isinstance(input, PackedSequence)
        if packed:
            data, batch_sizes = _padded_from_packed(input)
            hx = _permute_hidden(hx, input.sorted_indices)
        else:
            batch_sizes = None
            data = input
            self._check_input_dims(input)
        batched = packed or data.dim() == 3
        if not batched:
            data = data.unsqueeze(1)
            hx = self._unbatched_hidden(hx)
        elif self.batch_first and not packed:
            data = data.transpose(0, 1)
        if data.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {data.shape[-1]}")
        h0, c0 = self._initial_states(hx, data)
        output, h_n, c_n = self._run_layers(data, h0, c0, batch_sizes)
        if packed:
            output = _packed_from_padded(output, input)
            h_n = _permute_hidden(h_n, input.unsorted_indices)
            c_n = _permute_hidden(c_n, input.unsorted_indices)
        elif not batched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = None if c_n is None else c_n.squeeze(1)
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, ((h_n, c_n) if self.mode == "LSTM" else h_n)

    def _check_input_dims(self, input):
        if input.dim() not in (2, 3):
            name = "RNN" if self.mode.startswith("RNN") else self.mode
            tensor = " tensor" if name == "RNN" else ""  # torch's RNN says so, GRU/LSTM do not
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D{tensor} "
                             "instead")

    def _unbatched_hidden(self, hx):
        if hx is None:
            return None
        if self.mode == "LSTM":
            if hx[0].dim() != 2 or hx[1].dim() != 2:
                raise RuntimeError("For unbatched 2-D input, hx and cx should also be 2-D but "
                                   f"got ({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
            return hx[0].unsqueeze(1), hx[1].unsqueeze(1)
        if hx.dim() != 2:
            raise RuntimeError("For unbatched 2-D input, hx should also be 2-D but got "
                               f"{hx.dim()}-D tensor")
        return hx.unsqueeze(1)

    def _initial_states(self, hx, data):
        """h0 (and c0) of shape (layers * directions, batch, size): given, or zeros."""
        batch = data.shape[1]
        layers = self.num_layers * self._directions
        h_shape = (layers, batch, self.proj_size or self.hidden_size)
        c_shape = (layers, batch, self.hidden_size)
        if hx is None:
            h0 = creation.zeros(h_shape, dtype=data.dtype, device=data.device)
            c0 = creation.zeros(c_shape, dtype=data.dtype, device=data.device)
            return h0, (c0 if self.mode == "LSTM" else None)
        if self.mode == "LSTM":
            h0, c0 = hx
            _check_hidden_size(h0, h_shape, "Expected hidden[0] size {}, got {}")
            _check_hidden_size(c0, c_shape, "Expected hidden[1] size {}, got {}")
            return h0, c0
        _check_hidden_size(hx, h_shape, "Expected hidden size {}, got {}")
        return hx, None

    def _run_layers(self, x, h0, c0, batch_sizes):
        """x (T, B, input_size) through every layer and direction: (output, h_n, c_n)."""
        lstm = self.mode == "LSTM"
        size = self.proj_size or self.hidden_size
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction, suffix in enumerate(["", "_reverse"][:self._directions]):
                k = layer * self._directions + direction
                w_ih, w_hh, b_ih, b_hh, w_hr = self._layer_weights(layer, suffix)
                x_proj = F.linear(x, w_ih, b_ih)  # all time steps in one product
                states = recurrent.Recurrence.apply(
                    x_proj, h0[k], c0[k] if lstm else None, w_hh, b_hh, w_hr, self.mode,
                    bool(direction), batch_sizes)
                h = states[..., :size] if lstm else states
                outputs.append(h)
                h_n.append(_last_states(h, direction, batch_sizes))
                if lstm:
                    c_n.append(_last_states(states[..., size:], direction, batch_sizes))
            x = outputs[0] if len(outputs) == 1 else cat(outputs, -1)
            if self.dropout and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, self.training)
        return x, stack(h_n), (stack(c_n) if lstm else None)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


def _check_hidden_size(hx, expected, message):
    if tuple(hx.shape) != expected:
        raise RuntimeError(message.format(expected, list(hx.shape)))


def _last_states(h, direction, batch_sizes):
    """Each sequence's final state from the states of all steps (T, B, size): the last step
    forwards, the first backwards; with packed sequences, each row's own last step."""
    if direction == 1:
        return h[0]
    if batch_sizes is None:
        return h[-1]
    last_step = [sum(b > row for b in batch_sizes) - 1 for row in range(h.shape[1])]
    rows = creation.arange(h.shape[1], device=h.device)
    return h[creation.tensor(last_step, device=h.device), rows]


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu)."""

    def __init__(self, *args, **kwargs):
        nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if len(args) > 3:  # torch's positional order puts nonlinearity fourth
            nonlinearity, args = args[3], args[:3] + args[4:]
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit; the equations are in glasstorch/ops/recurrent.py."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


class LSTM(RNNBase):
    """Long short-term memory; forward returns (output, (h_n, c_n))."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


# ---- packed sequences ----


def _padded_from_packed(packed):
    """The packed data (the rows of step 0, then of step 1, ...) as a zero-padded
    (T, B, features) batch, rows in the packed (longest first) order; and the step sizes."""
    data = packed.data
    sizes = [int(b) for b in packed.batch_sizes]
    steps, start = [], 0
    for b in sizes:
        step = data[start:start + b]
        if b < sizes[0]:
            step = cat([step, creation.zeros((sizes[0] - b, data.shape[1]), dtype=data.dtype,
                                             device=data.device)])
        steps.append(step)
        start += b
    return stack(steps), tuple(sizes)


def _packed_from_padded(padded, packed):
    """(T, B, features) in the packed order back to a PackedSequence like `packed`."""
    rows = [padded[t, :int(b)] for t, b in enumerate(packed.batch_sizes)]
    return type(packed)(cat(rows), packed.batch_sizes, packed.sorted_indices,
                        packed.unsorted_indices)


def _permute_hidden(hx, permutation):
    if hx is None or permutation is None:
        return hx
    if isinstance(hx, tuple):
        return tuple(h.index_select(1, permutation) for h in hx)
    return hx.index_select(1, permutation)


# ---- cells: one time step ----


class RNNCellBase(Module):
    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = Parameter(creation.empty((num_chunks * hidden_size, input_size),
                                                  device=device, dtype=dtype))
        self.weight_hh = Parameter(creation.empty((num_chunks * hidden_size, hidden_size),
                                                  device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(creation.empty(num_chunks * hidden_size, device=device,
                                                    dtype=dtype))
            self.bias_hh = Parameter(creation.empty(num_chunks * hidden_size, device=device,
                                                    dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        _uniform_by_hidden_size(self)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input, hx, name):
        """(batched input, hx or zeros, whether the input was batched), with torch's checks."""
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} "
                               f"expected {self.input_size}")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        states = hx if isinstance(hx, tuple) else (hx,)
        if hx is None:
            zeros = creation.zeros((input.shape[0], self.hidden_size), dtype=input.dtype,
                                   device=input.device)
            states = (zeros,) * (2 if name == "LSTMCell" else 1)
        elif not batched:
            states = tuple(h.unsqueeze(0) for h in states)
        for k, h in enumerate(states):
            if h.shape[0] != input.shape[0]:
                raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{k} "
                                   f"batch size {h.shape[0]}")
            if h.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {h.shape[1]}, "
                                   f"expected {self.hidden_size}")
        return input, states, batched


class RNNCell(RNNCellBase):
    """One step of the Elman RNN: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, hx, "RNNCell")
        h = recurrent.rnn_cell(F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh,
                               self.bias_hh, self.nonlinearity)
        return h if batched else h.squeeze(0)


class GRUCell(RNNCellBase):
    """One GRU step (equations in glasstorch/ops/recurrent.py)."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, hx, "GRUCell")
        h = recurrent.gru_cell(F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh,
                               self.bias_hh)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step; forward returns (h', c')."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        x, (h, c), batched = self._prepare(input, hx, "LSTMCell")
        h, c = recurrent.lstm_cell(F.linear(x, self.weight_ih, self.bias_ih), h, c,
                                   self.weight_hh, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))
