"""nn.RNN, GRU, LSTM and their cells against torch: outputs, final states and the gradients
of the input, the initial states and every parameter, over the layers' options; float64
gradient checks (also of the create_graph backward); torch's errors and reprs."""

import numpy as np
import pytest
import torch

import glasstorch
from glasstorch.autograd import gradcheck, gradgradcheck
from glasstorch.ops.recurrent import Recurrence

pytestmark = pytest.mark.filterwarnings(
    "ignore:LSTM with projections is not supported with oneDNN")  # torch's, not ours


def _ours(array, requires_grad=False):
    return glasstorch.tensor(array, requires_grad=requires_grad)


def _torch(array, requires_grad=False):
    return torch.tensor(array, requires_grad=requires_grad)


def _pair(name, *args, **kwargs):
    """torch's layer and ours with torch's weights."""
    theirs = getattr(torch.nn, name)(*args, **kwargs)
    if "dtype" in kwargs:
        kwargs["dtype"] = getattr(glasstorch, str(kwargs["dtype"])[6:])
    ours = getattr(glasstorch.nn, name)(*args, **kwargs)
    ours.load_state_dict({k: _ours(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    return theirs, ours


def _states(hidden):
    return list(hidden) if isinstance(hidden, tuple) else [hidden]


def _compare(theirs, ours, inputs, rtol=1e-5, atol=1e-5):
    """Run both on the same inputs (numpy arrays or tuples of them: hidden states), compare
    outputs, then the gradients of a random-weighted sum of all outputs."""
    def make(lib_tensor, value):
        if isinstance(value, tuple):
            return tuple(lib_tensor(v, True) for v in value)
        return lib_tensor(value, True) if value is not None else None

    t_in = [make(_torch, v) for v in inputs]
    o_in = [make(_ours, v) for v in inputs]
    t_out, t_hidden = theirs(*t_in)
    o_out, o_hidden = ours(*o_in)
    t_all, o_all = [t_out] + _states(t_hidden), [o_out] + _states(o_hidden)
    rng = np.random.default_rng(1)
    t_loss, o_loss = 0, 0
    for t, o in zip(t_all, o_all):
        assert tuple(o.shape) == tuple(t.shape)
        assert str(o.dtype) == str(t.dtype)
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)
        weights = rng.standard_normal(tuple(t.shape))
        t_loss = t_loss + (t * _torch(weights.astype(str(t.dtype)[6:]))).sum()
        o_loss = o_loss + (o * _ours(weights.astype(str(t.dtype)[6:]))).sum()
    t_loss.backward()
    o_loss.backward()
    for t, o in zip(_flatten(t_in), _flatten(o_in)):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)
    ours_params = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(ours_params[name].grad.numpy(), p.grad.numpy(), rtol=rtol,
                                   atol=atol, err_msg=name)


def _flatten(values):
    flat = []
    for v in values:
        if isinstance(v, tuple):
            flat.extend(v)
        elif v is not None:
            flat.append(v)
    return flat


LAYER_OPTIONS = [
    {}, {"num_layers": 2}, {"bidirectional": True}, {"num_layers": 3, "bidirectional": True},
    {"bias": False}, {"batch_first": True}, {"num_layers": 2, "dropout": 0.5},
]
MODES = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("GRU", {}), ("LSTM", {})]


def _hidden(name, rng, layers, batch, size, cell_size=None):
    shape = (layers, batch, size) if batch else (layers, size)
    h = rng.standard_normal(shape).astype("float32")
    if name != "LSTM":
        return h
    c_shape = shape[:-1] + (cell_size or size,)
    return (h, rng.standard_normal(c_shape).astype("float32"))


@pytest.mark.parametrize("name, mode_options", MODES)
@pytest.mark.parametrize("options", LAYER_OPTIONS)
@pytest.mark.parametrize("with_hidden", [False, True])
def test_layers_as_torch(name, mode_options, options, with_hidden):
    torch.manual_seed(0)
    theirs, ours = _pair(name, 4, 5, **mode_options, **options)
    theirs.eval(), ours.eval()  # dropout between layers: tested below
    rng = np.random.default_rng(0)
    shape = (3, 6, 4) if options.get("batch_first") else (6, 3, 4)
    x = rng.standard_normal(shape).astype("float32")
    layers = options.get("num_layers", 1) * (2 if options.get("bidirectional") else 1)
    hidden = _hidden(name, rng, layers, 3, 5) if with_hidden else None
    _compare(theirs, ours, [x, hidden])


@pytest.mark.parametrize("options", [{}, {"num_layers": 2, "bidirectional": True},
                                     {"batch_first": True, "bias": False}])
@pytest.mark.parametrize("with_hidden", [False, True])
def test_lstm_with_projections_as_torch(options, with_hidden):
    torch.manual_seed(0)
    theirs, ours = _pair("LSTM", 4, 6, proj_size=3, **options)
    assert ours.weight_hr_l0.shape == (3, 6) and ours.weight_hh_l0.shape == (24, 3)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 4) if options.get("batch_first") else (5, 2, 4))
    x = x.astype("float32")
    layers = options.get("num_layers", 1) * (2 if options.get("bidirectional") else 1)
    hidden = _hidden("LSTM", rng, layers, 2, 3, cell_size=6) if with_hidden else None
    _compare(theirs, ours, [x, hidden])


@pytest.mark.parametrize("name, mode_options", MODES)
@pytest.mark.parametrize("with_hidden", [False, True])
def test_unbatched_input_as_torch(name, mode_options, with_hidden):
    torch.manual_seed(0)
    theirs, ours = _pair(name, 4, 5, num_layers=2, bidirectional=True, **mode_options)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 4)).astype("float32")
    hidden = _hidden(name, rng, 4, 0, 5) if with_hidden else None
    _compare(theirs, ours, [x, hidden])


@pytest.mark.parametrize("name", ["RNN", "GRU", "LSTM"])
def test_float64_layers_as_torch(name):
    torch.manual_seed(0)
    theirs, ours = _pair(name, 3, 4, num_layers=2, bidirectional=True, dtype=torch.float64)
    assert ours.weight_ih_l0.dtype == glasstorch.float64
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    _compare(theirs, ours, [x], rtol=1e-10, atol=1e-12)


def test_dropout_between_layers_while_training():
    # dropout=1 zeroes the second layer's input whatever the random draw: comparable with torch
    torch.manual_seed(0)
    theirs, ours = _pair("GRU", 4, 5, num_layers=2, dropout=1.0)
    x = np.random.default_rng(0).standard_normal((6, 3, 4)).astype("float32")
    _compare(theirs, ours, [x])
    # with p=0.5 the draws differ from torch's; training differs from eval, eval is repeatable
    ours = glasstorch.nn.LSTM(4, 5, num_layers=2, dropout=0.5)
    x = _ours(x)
    train_out = ours(x)[0]
    ours.eval()
    eval_out = ours(x)[0]
    assert not np.allclose(train_out.detach().numpy(), eval_out.detach().numpy())
    np.testing.assert_array_equal(ours(x)[0].detach().numpy(), eval_out.detach().numpy())


@pytest.mark.parametrize("name", ["RNN", "GRU", "LSTM"])
def test_state_dict_moves_both_ways(name):
    torch.manual_seed(0)
    ours = getattr(glasstorch.nn, name)(3, 4, num_layers=2, bidirectional=True)
    theirs = getattr(torch.nn, name)(3, 4, num_layers=2, bidirectional=True)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 2, 3)).astype("float32")
    np.testing.assert_allclose(ours(_ours(x))[0].detach().numpy(),
                               theirs(_torch(x))[0].detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, gates", [("RNN", 1), ("GRU", 3), ("LSTM", 4)])
def test_initialisation_as_torch(name, gates):
    layer = getattr(glasstorch.nn, name)(10, 16, num_layers=2)
    bound = 1 / 16 ** 0.5
    for p in layer.parameters():
        values = p.detach().numpy()
        assert p.shape[0] == gates * 16
        assert values.min() >= -bound and values.max() <= bound
        assert values.max() - values.min() > bound  # spread over the range, not constant
    assert [n for n, _ in layer.named_parameters()] == [
        n for n, _ in getattr(torch.nn, name)(10, 16, num_layers=2).named_parameters()]


@pytest.mark.parametrize("mode, gates", [("RNN_TANH", 1), ("RNN_RELU", 1), ("GRU", 3),
                                         ("LSTM", 4)])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("batch_sizes", [None, (3, 2, 2, 1)])
def test_recurrence_gradcheck_float64(mode, gates, reverse, batch_sizes):
    """The time loop's backward (and, through create_graph, its double backward), numerically;
    batch_sizes: packed sequences of lengths 4, 3, 1."""
    rng = np.random.default_rng(0)

    def tensor(*shape):
        return glasstorch.tensor(rng.standard_normal(shape) * 0.7, requires_grad=True)

    size = 3
    x_proj, h0, c0 = tensor(4, 3, gates * size), tensor(3, size), tensor(3, size)
    w_hh, b_hh = tensor(gates * size, size), tensor(gates * size)
    if mode == "RNN_RELU":  # away from relu's kink, where the derivative jumps
        x_proj = glasstorch.tensor(x_proj.detach().numpy() + 0.5 * np.sign(
            x_proj.detach().numpy()), requires_grad=True)

    def run(x_proj, h0, c0, w_hh, b_hh):
        return Recurrence.apply(x_proj, h0, c0 if mode == "LSTM" else None, w_hh, b_hh, None,
                                mode, reverse, batch_sizes)

    inputs = (x_proj, h0, c0, w_hh, b_hh)
    assert gradcheck(run, inputs)
    assert gradgradcheck(run, inputs)


def test_recurrence_with_projections_gradcheck_float64():
    rng = np.random.default_rng(0)

    def tensor(*shape):
        return glasstorch.tensor(rng.standard_normal(shape) * 0.7, requires_grad=True)

    inputs = (tensor(3, 2, 16), tensor(2, 2), tensor(2, 4), tensor(16, 2), tensor(16),
              tensor(2, 4))

    def run(*inputs):
        return Recurrence.apply(*inputs, "LSTM", False, None)

    assert gradcheck(run, inputs)
    assert gradgradcheck(run, inputs)


def test_backward_graph():
    x = glasstorch.randn(3, 2, 4, requires_grad=True)
    out, (h, c) = glasstorch.nn.LSTM(4, 5)(x)
    assert out.requires_grad and h.requires_grad and c.requires_grad
    with glasstorch.no_grad():
        out, h = glasstorch.nn.GRU(4, 5)(x)
    assert out.grad_fn is None and not h.requires_grad


# ---- cells ----

CELLS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("GRUCell", {}),
         ("LSTMCell", {}), ("GRUCell", {"bias": False}), ("LSTMCell", {"bias": False})]


@pytest.mark.parametrize("name, options", CELLS)
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_hidden", [True, False])
def test_cells_as_torch(name, options, batched, with_hidden):
    torch.manual_seed(0)
    theirs, ours = _pair(name, 4, 5, **options)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4) if batched else (4,)).astype("float32")
    shape = (3, 5) if batched else (5,)
    hidden = None
    if with_hidden:
        hidden = rng.standard_normal(shape).astype("float32")
        if name == "LSTMCell":
            hidden = (hidden, rng.standard_normal(shape).astype("float32"))
    t_x, o_x = _torch(x, True), _ours(x, True)
    t_h = o_h = None
    if hidden is not None:
        t_h = tuple(_torch(h, True) for h in hidden) if name == "LSTMCell" else _torch(hidden, True)
        o_h = tuple(_ours(h, True) for h in hidden) if name == "LSTMCell" else _ours(hidden, True)
    t_out, o_out = _states(theirs(t_x, t_h)), _states(ours(o_x, o_h))
    for t, o in zip(t_out, o_out):
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)
    sum(o.sum() * (k + 1) for k, o in enumerate(o_out)).backward()
    sum(t.sum() * (k + 1) for k, t in enumerate(t_out)).backward()
    np.testing.assert_allclose(o_x.grad.numpy(), t_x.grad.numpy(), rtol=1e-5, atol=1e-6)
    for (n, p), q in zip(theirs.named_parameters(), ours.parameters()):
        np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=n)


# ---- errors and reprs ----


def _same_error(make_theirs, make_ours):
    with pytest.raises(Exception) as theirs:
        make_theirs()
    with pytest.raises(type(theirs.value)) as ours:
        make_ours()
    assert str(ours.value) == str(theirs.value)


def _both(name, *args, **kwargs):
    return getattr(torch.nn, name)(*args, **kwargs), getattr(glasstorch.nn, name)(*args, **kwargs)


@pytest.mark.parametrize("name, args, kwargs", [
    ("LSTM", (10, 20), {"proj_size": 20}), ("LSTM", (10, 20), {"proj_size": -1}),
    ("GRU", (10, 20), {"proj_size": 2}), ("RNN", (10, 20), {"nonlinearity": "sig"}),
    ("RNN", (10, 20), {"dropout": 1.5}), ("RNN", (10, 0), {}),
    ("RNN", (10, 20), {"num_layers": 0}), ("RNN", (10, 20.0), {}),
])
def test_constructor_errors(name, args, kwargs):
    _same_error(lambda: getattr(torch.nn, name)(*args, **kwargs),
                lambda: getattr(glasstorch.nn, name)(*args, **kwargs))


def test_dropout_with_one_layer_warns_as_torch():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        glasstorch.nn.GRU(3, 4, dropout=0.5)


@pytest.mark.parametrize("name, x_shape, hidden_shapes", [
    ("LSTM", (5, 3, 7), None),
    ("LSTM", (5, 3, 10), [(1, 3, 20), (2, 3, 20)]),
    ("LSTM", (5, 3, 10), [(2, 3, 20), (2, 4, 20)]),
    ("LSTM", (3, 10), [(2, 3, 20), (2, 3, 20)]),
    ("LSTM", (2, 5, 3, 10), None),
    ("GRU", (5, 3, 10), [(2, 2, 20)]),
    ("GRU", (5, 10), [(2, 2, 20)]),
    ("RNN", (5, 3, 10, 1), None),
])
def test_forward_errors(name, x_shape, hidden_shapes):
    theirs, ours = _both(name, 10, 20, 2)

    def call(layer, lib):
        hidden = None
        if hidden_shapes is not None:
            hidden = tuple(lib.randn(*s) for s in hidden_shapes)
            hidden = hidden if name == "LSTM" else hidden[0]
        return layer(lib.randn(*x_shape), hidden)

    _same_error(lambda: call(theirs, torch), lambda: call(ours, glasstorch))


@pytest.mark.parametrize("name, x_shape, hidden_shapes", [
    ("LSTMCell", (3, 7), None), ("LSTMCell", (3, 10), [(2, 20), (3, 20)]),
    ("LSTMCell", (2, 3, 10), None), ("GRUCell", (3, 10), [(3, 5)]), ("RNNCell", (3, 10), [(4, 20)]),
])
def test_cell_errors(name, x_shape, hidden_shapes):
    theirs, ours = _both(name, 10, 20)

    def call(cell, lib):
        hidden = None
        if hidden_shapes is not None:
            hidden = tuple(lib.randn(*s) for s in hidden_shapes)
            hidden = hidden if name == "LSTMCell" else hidden[0]
        return cell(lib.randn(*x_shape), hidden)

    _same_error(lambda: call(theirs, torch), lambda: call(ours, glasstorch))


@pytest.mark.parametrize("name, args, kwargs", [
    ("LSTM", (10, 20, 2), {"batch_first": True, "bidirectional": True, "proj_size": 5,
                           "dropout": 0.2}),
    ("RNN", (3, 4), {"nonlinearity": "relu", "bias": False}), ("GRU", (3, 4), {}),
    ("GRUCell", (3, 4), {}), ("LSTMCell", (3, 4), {"bias": False}),
    ("RNNCell", (3, 4), {"nonlinearity": "relu"}),
])
def test_repr_as_torch(name, args, kwargs):
    theirs, ours = _both(name, *args, **kwargs)
    assert repr(ours) == repr(theirs)


# ---- packed sequences ----


@pytest.mark.parametrize("name", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("enforce_sorted, lengths", [(True, [5, 3, 3, 1]), (False, [2, 5, 1, 4])])
@pytest.mark.parametrize("with_hidden", [False, True])
def test_packed_sequences_as_torch(name, enforce_sorted, lengths, with_hidden):
    torch.manual_seed(0)
    theirs, ours = _pair(name, 3, 4, num_layers=2, bidirectional=True)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 4, 3)).astype("float32")
    hidden = _hidden(name, rng, 4, 4, 4) if with_hidden else None
    t_x, o_x = _torch(x, True), _ours(x, True)
    t_h = o_h = None
    if hidden is not None:
        t_h = tuple(_torch(h, True) for h in hidden) if name == "LSTM" else _torch(hidden, True)
        o_h = tuple(_ours(h, True) for h in hidden) if name == "LSTM" else _ours(hidden, True)
    t_packed = torch.nn.utils.rnn.pack_padded_sequence(t_x, lengths,
                                                       enforce_sorted=enforce_sorted)
    o_packed = glasstorch.nn.utils.rnn.pack_padded_sequence(o_x, lengths,
                                                            enforce_sorted=enforce_sorted)
    t_out, t_hidden = theirs(t_packed, t_h)
    o_out, o_hidden = ours(o_packed, o_h)
    assert isinstance(o_out, glasstorch.nn.utils.rnn.PackedSequence)
    np.testing.assert_array_equal(o_out.batch_sizes.numpy(), t_out.batch_sizes.numpy())
    t_padded, _ = torch.nn.utils.rnn.pad_packed_sequence(t_out)
    o_padded, _ = glasstorch.nn.utils.rnn.pad_packed_sequence(o_out)
    t_all, o_all = [t_padded] + _states(t_hidden), [o_padded] + _states(o_hidden)
    for k, (t, o) in enumerate(zip(t_all, o_all)):
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)
    sum((o * (k + 1.5)).sum() for k, o in enumerate(o_all)).backward()
    sum((t * (k + 1.5)).sum() for k, t in enumerate(t_all)).backward()
    for t, o in zip([t_x] + _flatten([t_h]), [o_x] + _flatten([o_h])):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)
    ours_params = dict(ours.named_parameters())
    for n, p in theirs.named_parameters():
        np.testing.assert_allclose(ours_params[n].grad.numpy(), p.grad.numpy(), rtol=1e-5,
                                   atol=1e-6, err_msg=n)
