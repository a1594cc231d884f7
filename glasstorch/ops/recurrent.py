"""Recurrent networks: the cells' equations and the time loop of RNN, GRU and LSTM.

The cells, as the book writes them (x_t the input, h the hidden state, c the LSTM's memory
cell; W_i* and W_h* the rows of W_ih and W_hh for each gate, in torch's order):

    RNN:  h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)              (or relu)
    GRU:  r = σ(x W_ir^T + b_ir + h W_hr^T + b_hr)                   reset gate
          z = σ(x W_iz^T + b_iz + h W_hz^T + b_hz)                   update gate
          n = tanh(x W_in^T + b_in + r ⊙ (h W_hn^T + b_hn))          candidate state
          h' = (1 - z) ⊙ n + z ⊙ h
    LSTM: i, f, g, o = σ(·), σ(·), tanh(·), σ(·) of x W_ih^T + b_ih + h W_hh^T + b_hh
          c' = f ⊙ c + i ⊙ g;  h' = o ⊙ tanh(c')   (then h' W_hr^T with proj_size)

`rnn_cell`, `gru_cell` and `lstm_cell` are these equations in Tensor ops: nn.RNNCell,
GRUCell and LSTMCell call them. The layers nn.RNN, GRU and LSTM run a whole sequence: the
input projections x W_ih^T + b_ih of all time steps are one GEMM before the loop, and the
loop over time steps is one graph node, `Recurrence`, per layer and direction. Its forward
is the same equations on arrays, one step after another; its backward runs the steps in
reverse (backpropagation through time) and leaves the gradients of W_hh and b_hh to one GEMM
and one sum over all steps at the end.
"""

from ..autograd import grad_mode
from ..autograd.function import Function
from .linalg import product

# ---- the cells in Tensor ops ----


def rnn_cell(x_proj, h, w_hh, b_hh, nonlinearity="tanh"):
    """h' = tanh(x_proj + h W_hh^T + b_hh); x_proj = x W_ih^T + b_ih."""
    pre = x_proj + h.matmul(w_hh.t())
    if b_hh is not None:
        pre = pre + b_hh
    return pre.tanh() if nonlinearity == "tanh" else pre.relu()


def gru_cell(x_proj, h, w_hh, b_hh):
    """The GRU's h' from x_proj = x W_ih^T + b_ih (gates r, z, n along the last dim)."""
    h_proj = h.matmul(w_hh.t())
    if b_hh is not None:
        h_proj = h_proj + b_hh
    x_r, x_z, x_n = x_proj.chunk(3, -1)
    h_r, h_z, h_n = h_proj.chunk(3, -1)
    r = (x_r + h_r).sigmoid()
    z = (x_z + h_z).sigmoid()
    n = (x_n + r * h_n).tanh()
    return (1 - z) * n + z * h


def lstm_cell(x_proj, h, c, w_hh, b_hh, w_hr=None):
    """The LSTM's (h', c') from x_proj = x W_ih^T + b_ih (gates i, f, g, o)."""
    gates = x_proj + h.matmul(w_hh.t())
    if b_hh is not None:
        gates = gates + b_hh
    i, f, g, o = gates.chunk(4, -1)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    c = f * c + i * g
    h = o * c.tanh()
    if w_hr is not None:
        h = h.matmul(w_hr.t())
    return h, c


# ---- the time loop as one node ----


class Recurrence(Function):
    """All time steps of one layer and direction: the states h_t (LSTM: [h_t, c_t]) of every
    step, shape (T, N, P) (LSTM: (T, N, P + H)), from the input projections x_proj (T, N, G·H),
    the initial states and the recurrent weights.

    mode is 'RNN_TANH', 'RNN_RELU', 'GRU' or 'LSTM'; reverse runs from the last step to the
    first (the backward direction of a bidirectional layer). With batch_sizes (packed
    sequences, sorted longest first), only the first batch_sizes[t] rows take step t; the
    others keep their state, and their rows of the output at t are zero.

    backward: through time, from the last step to the first:
        each step's cell derivatives (tanh' = 1 - h², sigmoid' = s (1 - s), products)
        applied to its gradient plus the next step's, summed into the gradients
        of x_proj, h0, c0, w_hh, b_hh and w_hr
    """

    _primitive = True

    def name(self):
        return {"LSTM": "LstmBackward", "GRU": "GruBackward"}.get(self.mode, "RnnBackward")

    @staticmethod
    def forward(ctx, x_proj, h0, c0, w_hh, b_hh, w_hr, mode, reverse, batch_sizes):
        xp = ctx.xp
        steps, n = x_proj.shape[0], x_proj.shape[1]
        hidden = w_hh.shape[1]  # the size of h: hidden_size, or proj_size
        lstm = mode == "LSTM"
        # every row of every step is written unless sequences are packed: then the rows that
        # skip a step stay zero
        new = xp.empty if batch_sizes is None else xp.zeros
        states = new((steps, n, hidden + (c0.shape[1] if lstm else 0)), dtype=x_proj.dtype)
        saved = _arrays_for_backward(new, mode, x_proj, hidden, c0, w_hr)
        h, c = h0, c0
        w_hh_t = xp.ascontiguousarray(w_hh.T)  # a contiguous operand: faster products
        w_hr_t = None if w_hr is None else xp.ascontiguousarray(w_hr.T)
        scale = _lstm_gate_scale(xp, c0.shape[1], x_proj.dtype) if lstm else None
        for t in _order(steps, reverse):
            b = n if batch_sizes is None else int(batch_sizes[t])
            saved["h_prev"][t, :b] = h[:b]
            gates = xp.matmul(h[:b], w_hh_t)  # h W_hh^T: then the cell's equations
            if b_hh is not None:
                gates += b_hh
            if mode == "GRU":
                h_new = _gru_step(xp, x_proj[t, :b], gates, h[:b], saved, t)
            elif lstm:
                gates += x_proj[t, :b]
                h_new, c_new = _lstm_step(xp, gates, c[:b], w_hr_t, saved, t, scale)
                c = c_new if b == n else _update_rows(c, c_new)
                states[t, :b, hidden:] = c_new
            else:
                gates += x_proj[t, :b]
                h_new = _rnn_step(xp, gates, mode)
            h = h_new if b == n else _update_rows(h, h_new)
            states[t, :b, :hidden] = h_new
        ctx.mode, ctx.reverse, ctx.batch_sizes = mode, reverse, batch_sizes
        ctx.arrays = saved, states
        ctx.save_for_backward(x_proj, h0, c0, w_hh, b_hh, w_hr)
        return states

    @staticmethod
    def backward(ctx, grad):
        x_proj, h0, c0, w_hh, b_hh, w_hr = ctx.saved_tensors
        if grad_mode.is_grad_enabled():  # create_graph: the loop again in Tensor ops
            return _backward_in_tensor_ops(ctx, grad, x_proj, h0, c0, w_hh, b_hh, w_hr)
        saved, states = ctx.arrays
        grads = _backward_through_time(
            ctx.xp, ctx.mode, ctx.reverse, ctx.batch_sizes, grad._data, saved, states,
            w_hh._data, None if w_hr is None else w_hr._data, h0._data.shape[1],
            b_hh is not None)
        wrap = type(grad)._wrap
        needs = ctx.needs_input_grad
        return tuple(None if g is None or not needs[i] else wrap(g)
                     for i, g in enumerate(grads)) + (None, None, None)


def _order(steps, reverse):
    return range(steps - 1, -1, -1) if reverse else range(steps)


def _update_rows(state, new_rows):
    """state with its first rows replaced (packed sequences: the rows that took the step)."""
    state = state.copy()
    state[:len(new_rows)] = new_rows
    return state


def _sigmoid(xp, x, out):
    """1 / (1 + exp(-x)) into out."""
    xp.negative(x, out=out)
    xp.exp(out, out=out)
    out += 1
    return xp.reciprocal(out, out=out)


def _arrays_for_backward(new, mode, x_proj, hidden, c0, w_hr):
    """What the backward steps need, one array over all steps each (rows of packed
    sequences that skip a step stay zero): the state entering each step, and per mode the
    gates after their activations and the values their derivatives use."""
    steps, n, gate_size = x_proj.shape

    def over_steps(size):
        return new((steps, n, size), dtype=x_proj.dtype)

    saved = {"h_prev": over_steps(hidden)}
    if mode == "LSTM":
        cell = c0.shape[1]
        saved.update(gates=over_steps(gate_size), c_prev=over_steps(cell), tanh_c=over_steps(cell))
        if w_hr is not None:
            saved["h_full"] = over_steps(cell)  # o ⊙ tanh(c') before the projection
    elif mode == "GRU":
        saved.update(gates=over_steps(gate_size), h_n=over_steps(hidden))
    return saved


def _rnn_step(xp, pre, mode):
    return xp.tanh(pre, out=pre) if mode == "RNN_TANH" else xp.maximum(pre, 0, out=pre)


def _gru_step(xp, x_proj, h_proj, h, saved, t):
    """h' from x W_ih^T + b_ih and h W_hh^T + b_hh (b rows each)."""
    b, size = h.shape
    acts = saved["gates"][t, :b]  # r, z, n
    _sigmoid(xp, x_proj[:, :2 * size] + h_proj[:, :2 * size], out=acts[:, :2 * size])
    r, z = acts[:, :size], acts[:, size:2 * size]
    h_n = h_proj[:, 2 * size:]
    saved["h_n"][t, :b] = h_n
    cand = acts[:, 2 * size:]
    xp.tanh(x_proj[:, 2 * size:] + r * h_n, out=cand)
    return cand + z * (h - cand)  # (1 - z) n + z h


def _lstm_gate_scale(xp, size, dtype):
    """1/2 on the columns of the sigmoid gates (i, f, o), 1 on g's: with σ(x) = (1 + tanh(x/2))
    / 2, the four gates' activations are tanh(s x) s + 1 - s, one tanh over all of them."""
    scale = xp.full(4 * size, 0.5, dtype=dtype)
    scale[2 * size:3 * size] = 1
    return scale


def _lstm_step(xp, gates, c, w_hr_t, saved, t, scale):
    """(h', c') from the gates' pre-activations x W_ih^T + b_ih + h W_hh^T + b_hh."""
    b, size = c.shape
    acts = saved["gates"][t, :b]  # i, f, g, o
    gates *= scale
    xp.tanh(gates, out=acts)
    acts *= scale
    acts += 1 - scale
    i, f, g, o = (acts[:, k * size:(k + 1) * size] for k in range(4))
    saved["c_prev"][t, :b] = c
    c_new = f * c
    c_new += i * g
    tanh_c = saved["tanh_c"][t, :b]
    xp.tanh(c_new, out=tanh_c)
    h_new = o * tanh_c
    if w_hr_t is not None:
        saved["h_full"][t, :b] = h_new
        h_new = xp.matmul(h_new, w_hr_t)
    return h_new, c_new


def _backward_through_time(xp, mode, reverse, batch_sizes, grad, saved, states, w_hh, w_hr,
                           hidden, has_bias):
    """The gradients of Recurrence's inputs (x_proj, h0, c0, w_hh, b_hh, w_hr), on arrays."""
    steps, n = grad.shape[0], grad.shape[1]
    lstm, gru = mode == "LSTM", mode == "GRU"
    new = xp.empty if batch_sizes is None else xp.zeros  # as in Recurrence.forward
    grad_x_proj = new((steps, n, w_hh.shape[0]), dtype=grad.dtype)
    # the gradient of h W_hh^T + b_hh: the gates' own but for the GRU's candidate n
    grad_h_proj = new(grad_x_proj.shape, dtype=grad.dtype) if gru else grad_x_proj
    grad_h_out = new((steps, n, hidden), dtype=grad.dtype) if w_hr is not None else None
    dh = xp.zeros((n, hidden), dtype=grad.dtype)
    dc = xp.zeros((n, saved["c_prev"].shape[2]), dtype=grad.dtype) if lstm else None
    h_prev = saved["h_prev"]
    scale = _lstm_gate_scale(xp, dc.shape[1], grad.dtype) if lstm else None
    for t in _order(steps, not reverse):
        b = n if batch_sizes is None else int(batch_sizes[t])
        dh_b = dh[:b] + grad[t, :b, :hidden]
        if lstm:
            if w_hr is not None:
                grad_h_out[t, :b] = dh_b
                dh_b = xp.matmul(dh_b, w_hr)
            dc[:b] = _lstm_step_grads(xp, dh_b, dc[:b] + grad[t, :b, hidden:], saved, t,
                                      grad_x_proj[t, :b], scale)
        elif gru:
            dh_direct = _gru_step_grads(xp, dh_b, h_prev[t, :b], saved, t,
                                        grad_x_proj[t, :b], grad_h_proj[t, :b])
        else:
            h = states[t, :b]
            grad_x_proj[t, :b] = dh_b * (1 - h * h) if mode == "RNN_TANH" else dh_b * (h > 0)
        dh[:b] = xp.matmul(grad_h_proj[t, :b], w_hh)
        if gru:
            dh[:b] += dh_direct
    # the recurrent weights' gradients: sums over all steps, as single products
    rows = grad_h_proj.reshape(-1, grad_h_proj.shape[2])
    grad_w_hh = product(xp, rows.T, h_prev.reshape(-1, hidden))
    grad_b_hh = rows.sum(0) if has_bias else None
    grad_w_hr = None
    if w_hr is not None:
        h_full = saved["h_full"]
        grad_w_hr = product(xp, grad_h_out.reshape(-1, hidden).T,
                            h_full.reshape(-1, h_full.shape[2]))
    return grad_x_proj, dh, dc, grad_w_hh, grad_b_hh, grad_w_hr


def _lstm_step_grads(xp, dh, dc, saved, t, d_gates, scale):
    """Back through one LSTM step: the gates' pre-activation gradients into d_gates; returns
    dc for the step before."""
    b, size = dh.shape[0], d_gates.shape[1] // 4
    acts = saved["gates"][t, :b]
    i, f, g, o = (acts[:, k * size:(k + 1) * size] for k in range(4))
    tanh_c = saved["tanh_c"][t, :b]
    dc = dc + dh * o * (1 - tanh_c * tanh_c)
    # the gradients of the activations i, f, g, o ...
    xp.multiply(dc, g, out=d_gates[:, :size])
    xp.multiply(dc, saved["c_prev"][t, :b], out=d_gates[:, size:2 * size])
    xp.multiply(dc, i, out=d_gates[:, 2 * size:3 * size])
    xp.multiply(dh, tanh_c, out=d_gates[:, 3 * size:])
    # ... times their derivatives: σ' = σ (1 - σ) and tanh' = (1 + g)(1 - g), in one pass
    d_gates *= (1 - acts) * (acts + (2 * scale - 1))
    return dc * f


def _gru_step_grads(xp, dh, h, saved, t, d_x, d_h):
    """Back through one GRU step: the gradients of x W_ih^T + b_ih into d_x and of
    h W_hh^T + b_hh into d_h; returns the part of dh for the step before that does not go
    through W_hh (z ⊙ dh)."""
    b, size = dh.shape
    acts = saved["gates"][t, :b]
    r, z, cand = acts[:, :size], acts[:, size:2 * size], acts[:, 2 * size:]
    d_cand = dh * (1 - z) * (1 - cand * cand)
    d_x[:, :size] = d_cand * saved["h_n"][t, :b] * r * (1 - r)
    d_x[:, size:2 * size] = dh * (h - cand) * z * (1 - z)
    d_x[:, 2 * size:] = d_cand
    d_h[...] = d_x
    d_h[:, 2 * size:] *= r
    return dh * z


def _backward_in_tensor_ops(ctx, grad, x_proj, h0, c0, w_hh, b_hh, w_hr):
    """Recurrence's backward as a graph (create_graph=True): the steps again with the Tensor
    cells, then autograd.grad of them."""
    from ..autograd import grad as autograd_grad

    with grad_mode.enable_grad():
        states = run_cells(ctx.mode, x_proj, h0, c0, w_hh, b_hh, w_hr, ctx.reverse,
                           ctx.batch_sizes)
    inputs = (x_proj, h0, c0, w_hh, b_hh, w_hr)
    wanted = [i for i, x in enumerate(inputs) if x is not None and ctx.needs_input_grad[i]]
    grads = autograd_grad(states, [inputs[i] for i in wanted], grad, create_graph=True,
                          allow_unused=True)
    result = [None] * 9
    for i, g in zip(wanted, grads):
        result[i] = g
    return tuple(result)


def run_cells(mode, x_proj, h0, c0, w_hh, b_hh, w_hr, reverse, batch_sizes):
    """What Recurrence computes, step by step with the Tensor cells above (a graph per step)."""
    from .movement import cat, stack
    from ..creation import zeros

    steps, n = x_proj.shape[0], x_proj.shape[1]
    h, c = h0, c0
    outputs = [None] * steps
    for t in _order(steps, reverse):
        b = n if batch_sizes is None else int(batch_sizes[t])
        if mode == "LSTM":
            h_new, c_new = lstm_cell(x_proj[t, :b], h[:b], c[:b], w_hh, b_hh, w_hr)
            c = c_new if b == n else cat([c_new, c[b:]])
            out = cat([h_new, c_new], -1)
        elif mode == "GRU":
            out = h_new = gru_cell(x_proj[t, :b], h[:b], w_hh, b_hh)
        else:
            out = h_new = rnn_cell(x_proj[t, :b], h[:b], w_hh, b_hh,
                                   "tanh" if mode == "RNN_TANH" else "relu")
        h = h_new if b == n else cat([h_new, h[b:]])
        if b < n:
            out = cat([out, zeros((n - b, out.shape[1]), dtype=out.dtype, device=out.device)])
        outputs[t] = out
    return stack(outputs)
