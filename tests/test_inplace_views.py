"""In-place ops on views of tensors with a history (ops/views.py): the base's new value and
both gradients as torch's CopySlices gives them. The books' masked_softmax writes -1e6 into a
reshaped view of the attention scores this way."""

import numpy as np
import pytest
import torch

import glasstorch
from glasstorch.autograd import gradcheck, gradgradcheck


def masked_softmax(lib, X, valid_lens):
    """d2l's masked_softmax, as the books write it (an in-place write into X.reshape(...))."""
    def _sequence_mask(X, valid_len, value=0):
        maxlen = X.size(1)
        mask = lib.arange((maxlen), dtype=lib.float32, device=X.device)[None, :] < valid_len[:, None]
        X[~mask] = value
        return X

    shape = X.shape
    if valid_lens.dim() == 1:
        valid_lens = lib.repeat_interleave(valid_lens, shape[1])
    else:
        valid_lens = valid_lens.reshape(-1)
    X = _sequence_mask(X.reshape(-1, shape[-1]), valid_lens, value=-1e6)
    return lib.nn.functional.softmax(X.reshape(shape), dim=-1)


def books_masked_softmax(lib, w):
    return masked_softmax(lib, w * 2, lib.tensor([2, 3]))


def slice_add(lib, w, u):
    x = w * 1
    v = x[1:]
    v += u  # u broadcast over v's rows
    return x * x, v  # the base and the view, both used after the write


def transpose_setitem(lib, w, u):
    x = w * 1.5  # (not exp: it saves its output, and torch refuses the write as we do)
    v = x.t()
    v[0] = u
    return x.sum(0), v.tanh()


def chained_views_mul(lib, w):
    x = w + 1
    v = x.view(3, 4)[1]
    v.mul_(w[1, :4])  # the op's backward reads the view's old value
    return x.sin()


def view_of_a_tensor_without_history(lib, w, u):
    x = lib.zeros(3, 4, dtype=w.dtype)
    v = x[:, 1]
    v.copy_(w)  # the base gains a history: w's gradient flows through x
    return (x * u).sum(1)


def twice(lib, w):
    x = w * 3
    x[0].add_(1)
    x.view(-1)[2:5].mul_(w[1, :3])
    return x


CASES = {
    "the books' masked_softmax": (books_masked_softmax, [(2, 2, 4)]),
    "slice +=": (slice_add, [(3, 4), (4,)]),
    "transpose setitem": (transpose_setitem, [(3, 4), (3,)]),
    "chained views mul_": (chained_views_mul, [(2, 6)]),
    "view of a tensor without history": (view_of_a_tensor_without_history, [(3,), (3, 4)]),
    "two writes": (twice, [(2, 4)]),
}


def _outputs(value):
    return list(value) if isinstance(value, tuple) else [value]


@pytest.mark.parametrize("name", CASES)
def test_values_and_gradients_as_torch(name):
    fn, shapes = CASES[name]
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype("float32") for s in shapes]
    results = []
    for lib in (glasstorch, torch):
        inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
        outputs = _outputs(fn(lib, *inputs))
        loss = sum((o * lib.tensor(rng_weights(o.shape))).sum() for o in outputs)
        loss.backward()
        results.append([o.detach().numpy() for o in outputs] + [i.grad.numpy() for i in inputs])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def rng_weights(shape):
    return np.random.default_rng(len(shape) + sum(shape)).standard_normal(tuple(shape)).astype(
        "float32")


@pytest.mark.parametrize("name", CASES)
def test_gradcheck_float64(name):
    fn, shapes = CASES[name]
    rng = np.random.default_rng(1)
    inputs = [glasstorch.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]

    def run(*xs):
        return tuple(_outputs(fn(glasstorch, *xs)))

    assert gradcheck(run, inputs)
    assert gradgradcheck(run, inputs)


def test_node_names_as_torch():
    for lib in (glasstorch, torch):
        x = lib.randn(2, 3, requires_grad=True) * 1
        v = x.reshape(-1)
        v.mul_(2)
        assert repr(x.grad_fn).startswith("<CopySlices object")
        assert repr(v.grad_fn).startswith("<AsStridedBackward0 object")


def test_a_view_of_a_leaf_that_requires_grad_is_refused_as_torch():
    messages = []
    for lib in (glasstorch, torch):
        w = lib.randn(3, requires_grad=True)
        with pytest.raises(RuntimeError) as error:
            w[:2].add_(1)
        messages.append(str(error.value))
    assert messages[0] == messages[1]


def test_no_grad_writes_leave_the_history_alone():
    w = glasstorch.randn(3, 4, requires_grad=True)
    x = w * 2
    with glasstorch.no_grad():
        x[0].zero_()
    assert repr(x.grad_fn).startswith("<MulBackward0 object")


def test_other_views_taken_before_the_write_are_refused_not_wrong():
    # torch replays such a view on the base's new value; glasstorch refuses to build on it
    w = glasstorch.randn(3, 4, requires_grad=True)
    x = w * 2
    before = x[0]
    x[1].add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        before * 2


@pytest.mark.parametrize("requires_grad", [True, False])
def test_writing_into_an_expanded_view_is_refused_as_torch(requires_grad):
    messages = []
    for lib in (glasstorch, torch):
        w = lib.randn(3, 1, requires_grad=requires_grad)
        expanded = (w * 1).expand(3, 4)
        with pytest.raises(RuntimeError) as error:
            expanded.add_(lib.ones(3, 4))
        messages.append(str(error.value))
    assert messages[0] == messages[1]
