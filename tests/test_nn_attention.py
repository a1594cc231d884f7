"""F.scaled_dot_product_attention, F.multi_head_attention_forward and nn.MultiheadAttention
against PyTorch: values, attention weights, gradients of inputs and parameters, errors."""

import math
import re
import warnings

import numpy as np
import pytest
from oracle import check

import glasstorch
from glasstorch import nn
from glasstorch.autograd import gradcheck
from glasstorch.nn import functional as F

RNG = np.random.default_rng(0)


def floats(*shape, dtype="float32"):
    return RNG.standard_normal(shape).astype(dtype)


def keep_mask(*shape, p=0.3):
    """A random bool mask, True (taking part) with probability 1 - p; key 0 always kept."""
    mask = RNG.random(shape) >= p
    mask[..., 0] = True
    return mask


def additive(mask):
    """A float mask: 0 where mask is True, -inf elsewhere, plus small finite biases."""
    return np.where(mask, RNG.uniform(-1, 1, mask.shape), -np.inf).astype("float32")


# ---- scaled_dot_product_attention ----

SDPA_SHAPES = [  # query, key, value
    ((4, 8), (5, 8), (5, 6)),                      # no batch dims
    ((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6)),    # (N, heads, L, E)
    ((2, 3, 4, 8), (3, 5, 8), (3, 5, 8)),          # key and value broadcast over N
    ((2, 2, 3, 4, 8), (2, 2, 3, 6, 8), (2, 2, 3, 6, 2)),
]


@pytest.mark.parametrize("shapes", SDPA_SHAPES)
@pytest.mark.parametrize("options", [{}, {"is_causal": True}, {"scale": 0.3}])
def test_sdpa_matches_torch(torch, shapes, options):
    check(lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(q, k, v, **options),
          *shapes, atol=1e-5, rtol=1e-5)


def test_sdpa_causal_is_top_left_aligned_when_not_square(torch):
    for shapes in (((5, 8), (3, 8), (3, 2)), ((2, 3, 8), (2, 6, 8), (2, 6, 4))):
        check(lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(
            q, k, v, is_causal=True), *shapes, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("mask_shape", [(4, 5), (3, 4, 5), (2, 1, 4, 5), (1, 5)])
@pytest.mark.parametrize("kind", ["bool", "float"])
def test_sdpa_masks_broadcast_like_torch(torch, mask_shape, kind):
    mask = keep_mask(*mask_shape)
    mask = mask if kind == "bool" else additive(mask)  # a float mask gets a gradient too
    check(lambda lib, q, k, v, m: lib.nn.functional.scaled_dot_product_attention(
        q, k, v, attn_mask=m), (2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6), mask,
        atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kind", ["bool", "float"])
def test_sdpa_fully_masked_rows_give_zeros_and_zero_gradients(torch, kind):
    mask = keep_mask(4, 5)
    mask[1] = False  # query 1 may attend to no key
    mask[3, :] = False
    mask = mask if kind == "bool" else np.where(mask, 0.0, -np.inf).astype("float32")
    ours, theirs = check(lambda lib, q, k, v, m: lib.nn.functional.scaled_dot_product_attention(
        q, k, v, attn_mask=m), (2, 4, 8), (2, 5, 8), (2, 5, 6), mask, atol=1e-5, rtol=1e-5)
    assert not np.isnan(ours.detach().numpy()).any()
    assert (ours.detach().numpy()[:, [1, 3]] == 0).all()


def test_sdpa_float64_and_a_float32_mask_like_torch(torch):
    check(lambda lib, q, k, v, m: lib.nn.functional.scaled_dot_product_attention(
        q, k, v, attn_mask=m), (3, 4, 8), (3, 5, 8), (3, 5, 6), additive(keep_mask(4, 5)),
        dtype=("float64", "float64", "float64", "float32"))


def test_sdpa_grouped_query_attention(torch):
    check(lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(
        q, k, v, enable_gqa=True), (2, 6, 4, 8), (2, 3, 5, 8), (2, 2, 5, 6),
        atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("shapes,options", [
    (((8,), (5, 8), (5, 6)), {}),                                 # 1-d query
    (((4, 8), (5, 7), (5, 6)), {}),                               # E of query and key differ
    (((4, 8), (5, 8), (4, 6)), {}),                               # S of key and value differ
    (((3, 4, 8), (2, 5, 8), (2, 5, 6)), {}),                      # batch dims do not broadcast
    (((4, 8), (5, 8), (5, 6)), {"attn_mask": np.ones((4, 5), bool), "is_causal": True}),
    (((4, 8), (5, 8), (5, 6)), {"attn_mask": np.ones((3, 5), bool)}),
    (((4, 8), (5, 8), (5, 6)), {"attn_mask": np.ones((2, 4, 5), bool)}),  # larger than scores
    (((4, 8), (5, 8), (5, 6)), {"attn_mask": np.ones((4, 5), "int64")}),
    (((4, 8), (5, 8), (5, 6)), {"attn_mask": np.ones((4, 5), "float64")}),
    (((2, 4, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)), {"enable_gqa": True}),
    (((4, 8), (5, 8), (5, 6)), {"dropout_p": 1.5}),
])
def test_sdpa_errors_like_torch(torch, shapes, options):
    def attend(lib, q, k, v):
        kwargs = {k: lib.from_numpy(v) if isinstance(v, np.ndarray) else v
                  for k, v in options.items()}
        return lib.nn.functional.scaled_dot_product_attention(q, k, v, **kwargs)

    _, error = check(attend, *shapes)
    assert isinstance(error, RuntimeError)
    with pytest.raises(RuntimeError, match=_escaped(error)):
        attend(glasstorch, *(glasstorch.zeros(s) for s in shapes))


def test_sdpa_mixed_dtypes_error_like_torch(torch):
    q, k = torch.zeros(4, 8), torch.zeros(5, 8)
    with pytest.raises(RuntimeError) as expected:
        torch.nn.functional.scaled_dot_product_attention(q, k, k.double())
    with pytest.raises(RuntimeError, match=_escaped(expected.value)):
        F.scaled_dot_product_attention(glasstorch.zeros(4, 8), glasstorch.zeros(5, 8),
                                       glasstorch.zeros(5, 8, dtype=glasstorch.float64))


def _escaped(error):
    return "^" + re.escape(str(error)) + "$"


def test_sdpa_gradcheck_float64():
    q, k, v = (glasstorch.tensor(floats(*s, dtype="float64"), requires_grad=True)
               for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3)))
    bias = glasstorch.tensor(additive(keep_mask(3, 5)).astype("float64"), requires_grad=True)
    keep = glasstorch.tensor(keep_mask(3, 5))
    sdpa = F.scaled_dot_product_attention
    assert gradcheck(lambda q, k, v: sdpa(q, k, v), (q, k, v))
    assert gradcheck(lambda q, k, v: sdpa(q, k, v, is_causal=True, scale=0.7), (q, k, v))
    assert gradcheck(lambda q, k, v: sdpa(q, k, v, attn_mask=keep), (q, k, v))
    assert gradcheck(lambda q, k, v, m: sdpa(q, k, v, attn_mask=m), (q, k, v, bias))


def test_sdpa_dropout_zeroes_weights_and_scales_the_rest():
    # zero queries give uniform weights 1/S; value = identity returns the weights themselves
    n, length, p = 64, 16, 0.25
    q = glasstorch.zeros(n, length, 8)
    weights = F.scaled_dot_product_attention(q, q, glasstorch.eye(length).expand(n, -1, -1),
                                             dropout_p=p).numpy()
    kept = weights != 0
    assert abs(1 - kept.mean() - p) < 0.02
    np.testing.assert_allclose(weights[kept], 1 / (length * (1 - p)), rtol=1e-6)
    again = F.scaled_dot_product_attention(q, q, glasstorch.eye(length), dropout_p=p).numpy()
    assert (again != 0).any() and not ((again != 0) == kept).all()  # a new draw each call


# ---- MultiheadAttention ----

E, HEADS, L, S, N = 8, 2, 4, 5, 3

CONFIGS = {  # name: constructor options, which inputs are the same tensor
    "self": ({}, "qkv"),
    "self_batch_first": ({"batch_first": True}, "qkv"),
    "cross": ({}, "kv"),            # packed weights, q apart from k is v
    "distinct": ({}, ""),
    "kdim_vdim": ({"kdim": 6, "vdim": 3}, ""),
    "kdim_vdim_batch_first": ({"kdim": 6, "vdim": 3, "batch_first": True}, ""),
    "add_bias_kv": ({"add_bias_kv": True}, "qkv"),
    "add_zero_attn": ({"add_zero_attn": True}, "kv"),
    "both_extra_keys": ({"add_bias_kv": True, "add_zero_attn": True, "batch_first": True}, "kv"),
    "no_bias": ({"bias": False}, "qkv"),
}


def mha_pair(torch, options):
    """The same MultiheadAttention in both libraries: torch's, with random (nonzero) biases,
    loaded into ours."""
    tnet = torch.nn.MultiheadAttention(E, HEADS, **options)
    with torch.no_grad():
        for p in tnet.parameters():
            p.copy_(torch.randn(p.shape) * 0.5)
    net = nn.MultiheadAttention(E, HEADS, **options)
    net.load_state_dict({k: glasstorch.tensor(v.numpy()) for k, v in tnet.state_dict().items()})
    return net, tnet


def mha_inputs(options, same, batched=True):
    """query, key and value arrays; None for a key or value that is the tensor before it."""
    def shape(length, dim):
        if not batched:
            return (length, dim)
        return (N, length, dim) if options.get("batch_first") else (length, N, dim)

    query = floats(*shape(L, E))
    if same == "qkv":
        return query, None, None
    key = floats(*shape(S, options.get("kdim", E)))
    return query, key, (None if same == "kv" else floats(*shape(S, options.get("vdim", E))))


def to_tensors(lib, arrays):
    """Leaves of lib for the arrays; one tensor stands for q, k and v where they are the same."""
    query, key, value = (None if a is None else lib.tensor(a, requires_grad=True)
                         for a in arrays)
    key = query if key is None else key
    value = key if value is None else value
    return query, key, value


def masks(kind, source, batched=True):
    """attn_mask and key_padding_mask as numpy arrays (in MultiheadAttention, True: masked),
    for `source` keys."""
    padding_shape = (N, source) if batched else (source,)
    if kind == "none":
        return None, None
    if kind == "bool_2d":
        return ~keep_mask(L, source), None
    if kind == "float_2d":
        return additive(keep_mask(L, source)), None
    if kind == "bool_3d_and_padding":
        heads = N * HEADS if batched else HEADS
        return ~keep_mask(heads, L, source), ~keep_mask(*padding_shape)
    if kind == "float_padding":
        return None, additive(keep_mask(*padding_shape))
    raise ValueError(kind)


def loss_weights(shape):
    """The same random weights for both libraries' results of a shape."""
    return np.random.default_rng(len(shape)).standard_normal(tuple(shape)).astype("float32")


def run_mha(lib, net, arrays, mask_arrays, **options):
    """forward, then backward of a random-weighted sum of the output and the weights."""
    query, key, value = to_tensors(lib, arrays)
    attn_mask, padding = (None if m is None else lib.from_numpy(m.copy()) for m in mask_arrays)
    output, attn = net(query, key, value, key_padding_mask=padding, attn_mask=attn_mask,
                       **options)
    loss = sum((t * lib.from_numpy(loss_weights(t.shape))).sum() for t in (output, attn)
               if t is not None)
    loss.backward()
    return (query, key, value), output, attn


def assert_close(ours, theirs, what, atol=1e-5, rtol=1e-5):
    assert ours is not None and theirs is not None, what
    assert tuple(ours.shape) == tuple(theirs.shape), what
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=atol,
                               rtol=rtol, err_msg=what)


def compare_mha(torch, config, mask_kind="none", batched=True, **options):
    """Forward, attention weights and gradients (inputs, every parameter) against torch."""
    ctor, same = CONFIGS[config]
    net, tnet = mha_pair(torch, ctor)
    arrays = mha_inputs(ctor, same, batched)
    mask_arrays = masks(mask_kind, L if same == "qkv" else S, batched)
    inputs, output, attn = run_mha(glasstorch, net, arrays, mask_arrays, **options)
    tinputs, toutput, tattn = run_mha(torch, tnet, arrays, mask_arrays, **options)
    assert_close(output, toutput, "output")
    assert (attn is None) == (tattn is None)
    if tattn is not None:
        assert_close(attn, tattn, "attention weights")
    for name, x, tx in zip("qkv", inputs, tinputs):
        assert_close(x.grad, tx.grad, f"gradient of {name}")
    for (name, p), tp in zip(net.named_parameters(), tnet.parameters()):
        assert_close(p.grad, tp.grad, f"gradient of {name}")
    return net, tnet


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("mask_kind", ["none", "bool_2d", "bool_3d_and_padding"])
@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention_matches_torch(torch, config, mask_kind, need_weights):
    compare_mha(torch, config, mask_kind, need_weights=need_weights)


@pytest.mark.parametrize("config", ["self", "cross", "kdim_vdim"])
@pytest.mark.parametrize("mask_kind", ["float_2d", "float_padding"])
def test_multihead_attention_float_masks(torch, config, mask_kind):
    for need_weights in (True, False):
        compare_mha(torch, config, mask_kind, need_weights=need_weights)


@pytest.mark.parametrize("config", ["self", "distinct", "kdim_vdim", "add_zero_attn"])
@pytest.mark.parametrize("mask_kind", ["none", "bool_3d_and_padding"])
def test_multihead_attention_unbatched(torch, config, mask_kind):
    for need_weights in (True, False):
        compare_mha(torch, config, mask_kind, batched=False, need_weights=need_weights)


@pytest.mark.parametrize("config", ["self", "both_extra_keys", "kdim_vdim"])
def test_multihead_attention_weights_per_head(torch, config):
    compare_mha(torch, config, "bool_2d", average_attn_weights=False)


@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention_is_causal_hint(torch, need_weights):
    causal = np.triu(np.ones((L, L), bool), 1)
    net, tnet = mha_pair(torch, {})
    x = floats(L, N, E)
    results = []
    for lib, module in ((glasstorch, net), (torch, tnet)):
        t = lib.tensor(x)
        results.append(module(t, t, t, attn_mask=lib.from_numpy(causal.copy()), is_causal=True,
                              need_weights=need_weights))
    assert_close(results[0][0], results[1][0], "output")
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        t = glasstorch.tensor(x)
        net(t, t, t, is_causal=True)


def test_multihead_attention_fully_masked_rows_like_torch(torch):
    """A sample whose keys are all padding: NaN with the weights (torch's plain softmax), zeros
    without them (scaled_dot_product_attention's safe softmax)."""
    net, tnet = mha_pair(torch, {})
    x = floats(L, N, E)
    padding = ~keep_mask(N, L)
    padding[1] = True
    for need_weights in (True, False):
        ours, theirs = (
            m(t, t, t, key_padding_mask=lib.from_numpy(padding.copy()), need_weights=need_weights)
            for lib, m in ((glasstorch, net), (torch, tnet)) for t in [lib.tensor(x)])
        np.testing.assert_allclose(ours[0].detach().numpy(), theirs[0].detach().numpy(),
                                   atol=1e-5, rtol=1e-5, equal_nan=True)
        assert np.isnan(ours[0].detach().numpy()[:, 1]).all() == need_weights


def test_state_dict_names_shapes_and_loading_into_torch(torch):
    for options in ({}, {"kdim": 6, "vdim": 3, "add_bias_kv": True}, {"bias": False}):
        net = nn.MultiheadAttention(E, HEADS, **options)
        tnet = torch.nn.MultiheadAttention(E, HEADS, **options)
        ours = {k: tuple(v.shape) for k, v in net.state_dict().items()}
        assert ours == {k: tuple(v.shape) for k, v in tnet.state_dict().items()}
        assert list(ours) == list(tnet.state_dict())
        assert [n for n, _ in net.named_parameters()] == [n for n, _ in tnet.named_parameters()]
        # ours into torch: the same outputs
        tnet.load_state_dict({k: torch.tensor(v.numpy()) for k, v in net.state_dict().items()})
        x = floats(L, N, E)
        k = floats(S, N, options.get("kdim", E))
        v = floats(S, N, options.get("vdim", E))
        out, weights = net(glasstorch.tensor(x), glasstorch.tensor(k), glasstorch.tensor(v))
        tout, tweights = tnet(torch.tensor(x), torch.tensor(k), torch.tensor(v))
        assert_close(out, tout, "output")
        assert_close(weights, tweights, "weights")


def test_repr_and_attributes_like_torch(torch):
    net, tnet = nn.MultiheadAttention(E, HEADS), torch.nn.MultiheadAttention(E, HEADS)
    assert repr(net) == repr(tnet)
    assert type(net.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert isinstance(net.out_proj, nn.Linear)
    for name in ("embed_dim", "kdim", "vdim", "num_heads", "dropout", "batch_first",
                 "head_dim", "_qkv_same_embed_dim", "add_zero_attn", "bias_k", "bias_v"):
        assert getattr(net, name) == getattr(tnet, name), name


def test_reset_parameters_like_torch():
    net = nn.MultiheadAttention(64, 4, add_bias_kv=True)
    bound = math.sqrt(6 / (64 + 3 * 64))  # xavier_uniform_ of the (3E, E) stacked weight
    w = net.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert (net.in_proj_bias.detach().numpy() == 0).all()
    assert (net.out_proj.bias.detach().numpy() == 0).all()
    out_bound = 1 / math.sqrt(64)  # out_proj keeps Linear's own initialisation
    assert 0.9 * out_bound < np.abs(net.out_proj.weight.detach().numpy()).max() <= out_bound
    assert net.bias_k.detach().numpy().std() > 0  # xavier_normal_
    separate = nn.MultiheadAttention(8, 2, kdim=4, vdim=6)
    bound = math.sqrt(6 / (8 + 4))
    assert np.abs(separate.k_proj_weight.detach().numpy()).max() <= bound


def test_dropout_on_the_weights_in_training_only(torch):
    net, tnet = mha_pair(torch, {"dropout": 0.5})
    x = glasstorch.tensor(floats(16, 8, E))
    net.eval()
    clean = net(x, x, x, average_attn_weights=False)[1].detach().numpy()
    net.train()
    dropped = net(x, x, x, average_attn_weights=False)[1].detach().numpy()
    kept = dropped != 0
    assert abs(kept.mean() - 0.5) < 0.05
    np.testing.assert_allclose(dropped[kept], 2 * clean[kept], rtol=1e-5)
    net.eval()
    tnet.eval()
    ours = net(x, x, x)
    t = torch.tensor(x.numpy())
    theirs = tnet(t, t, t)
    assert_close(ours[0], theirs[0], "output in eval mode")
    with pytest.warns(UserWarning, match="mismatched key_padding_mask and attn_mask"):
        net(x, x, x, key_padding_mask=glasstorch.zeros(8, 16),
            attn_mask=glasstorch.zeros(16, 16, dtype=glasstorch.bool))


def test_functional_gradcheck_float64():
    x = glasstorch.tensor(floats(3, 2, 4, dtype="float64"), requires_grad=True)
    params = [glasstorch.tensor(floats(*s, dtype="float64") * 0.5, requires_grad=True)
              for s in ((12, 4), (12,), (4, 4), (4,))]
    mask = glasstorch.tensor(~keep_mask(3, 3))
    padding = glasstorch.tensor(~keep_mask(2, 3))

    def attend(x, w_in, b_in, w_out, b_out, need_weights):
        output, weights = F.multi_head_attention_forward(
            x, x, x, 4, 2, w_in, b_in, None, None, False, 0.0, w_out, b_out, training=False,
            key_padding_mask=padding, attn_mask=mask, need_weights=need_weights)
        return (output, weights) if need_weights else output

    assert gradcheck(lambda *t: attend(*t, True), (x, *params))
    assert gradcheck(lambda *t: attend(*t, False), (x, *params))


@pytest.mark.parametrize("make,call", [
    (lambda lib: lib.nn.MultiheadAttention(6, 4), None),
    (lambda lib: lib.nn.MultiheadAttention(0, 2), None),
    (lambda lib: lib.nn.MultiheadAttention(E, HEADS),
     lambda lib, m: m(*(lib.zeros(L, N, E),) * 2, lib.zeros(L, N, E + 1))),
    (lambda lib: lib.nn.MultiheadAttention(E, HEADS),
     lambda lib, m: m(*(lib.zeros(L, N, E),) * 3, attn_mask=lib.zeros(L + 1, L))),
    (lambda lib: lib.nn.MultiheadAttention(E, HEADS),
     lambda lib, m: m(*(lib.zeros(L, N, E),) * 3, attn_mask=lib.zeros(N, L, L))),
    (lambda lib: lib.nn.MultiheadAttention(E, HEADS),
     lambda lib, m: m(*(lib.zeros(L, N, E),) * 3, attn_mask=lib.zeros(1, 1, L, L))),
    (lambda lib: lib.nn.MultiheadAttention(E, HEADS),
     lambda lib, m: m(*(lib.zeros(L, N, E),) * 3, key_padding_mask=lib.zeros(N, L + 1))),
    (lambda lib: lib.nn.MultiheadAttention(E, HEADS),
     lambda lib, m: m(*(lib.zeros(L, N, E),) * 3,
                      key_padding_mask=lib.zeros(N, L, dtype=lib.int64))),
    (lambda lib: lib.nn.MultiheadAttention(E, HEADS),
     lambda lib, m: m(*(lib.zeros(L, N, E + 2),) * 3)),
    (lambda lib: lib.nn.MultiheadAttention(E, HEADS),
     lambda lib, m: m(lib.zeros(L, N, E), lib.zeros(L, E), lib.zeros(L, E))),
    (lambda lib: lib.nn.MultiheadAttention(E, HEADS),
     lambda lib, m: m(*(lib.zeros(L, E),) * 3, attn_mask=lib.zeros(N, L, L))),
    (lambda lib: lib.nn.MultiheadAttention(E, HEADS),
     lambda lib, m: m(*(lib.zeros(2, L, N, E),) * 3)),
])
def test_errors_like_torch(torch, make, call):
    def run(lib):
        module = make(lib)
        return call(lib, module) if call else module

    with pytest.raises(Exception) as expected:
        run(torch)
    with pytest.raises(type(expected.value), match=_escaped(expected.value)):
        run(glasstorch)


def test_torch_cannot_tell_the_difference_in_a_training_loop(torch):
    """A few SGD steps on the same data: the same parameters afterwards. (Not Adam: the key
    bias's gradient is zero but for rounding, since softmax ignores a shift shared by a whole
    row, and Adam would scale that noise up to full steps.)"""
    net, tnet = mha_pair(torch, {"batch_first": True})
    x, target = floats(4, 6, E), floats(4, 6, E)
    for lib, module in ((glasstorch, net), (torch, tnet)):
        opt = lib.optim.SGD(module.parameters(), lr=0.1, momentum=0.9)
        for _ in range(3):
            t = lib.tensor(x)
            loss = ((module(t, t, t, need_weights=False)[0] - lib.tensor(target)) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    for (name, p), tp in zip(net.named_parameters(), tnet.parameters()):
        assert_close(p, tp, name, atol=1e-5, rtol=1e-4)


def test_warnings_are_quiet_in_the_common_case():
    net = nn.MultiheadAttention(E, HEADS)
    x = glasstorch.randn(L, N, E)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net(x, x, x, key_padding_mask=glasstorch.zeros(N, L, dtype=glasstorch.bool),
            attn_mask=glasstorch.zeros(L, L, dtype=glasstorch.bool))
