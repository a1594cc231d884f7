"""TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer, TransformerDecoder and
Transformer against PyTorch: outputs and gradients of inputs and every parameter with the
weights copied both ways, masks, state_dict names, init, dropout, errors."""

import math
import re
import warnings

import numpy as np
import pytest
import standin_cupy

import glasstorch
from glasstorch import nn
from glasstorch.autograd import gradcheck, gradgradcheck
from glasstorch.nn import functional as F

D, HEADS, FF, L, T, N = 8, 2, 16, 5, 4, 3  # d_model, heads, feed-forward, src/tgt length, batch

RNG = np.random.default_rng(0)


def floats(*shape, dtype="float32"):
    return RNG.standard_normal(shape).astype(dtype)


def build(lib, name, *args, **kwargs):
    """nn.<name>: layers given as ('Layer', args, kwargs) are built first (in that library)."""
    args = [build(lib, *a) if isinstance(a, tuple) else a for a in args]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # enable_nested_tensor's note, checked on its own
        return getattr(lib.nn, name)(*args, **kwargs)


def pair(torch, name, *args, **kwargs):
    """The same module in both libraries: torch's with random parameters, loaded into ours."""
    tnet = build(torch, name, *args, **kwargs)
    with torch.no_grad():
        for p in tnet.parameters():
            p.copy_(torch.randn(p.shape) * 0.3)
    net = build(glasstorch, name, *args, **kwargs)
    net.load_state_dict({k: glasstorch.tensor(v.numpy()) for k, v in tnet.state_dict().items()})
    return net, tnet


def loss_weights(shape):
    """The same random weights for both libraries' outputs of a shape."""
    return np.random.default_rng(len(shape)).standard_normal(tuple(shape)).astype("float32")


def run(lib, net, arrays, **masks):
    """net(*inputs, **masks) and the backward of a random-weighted sum of its output."""
    inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
    masks = {k: lib.from_numpy(v.copy()) if isinstance(v, np.ndarray) else v
             for k, v in masks.items()}
    output = net(*inputs, **masks)
    (output * lib.from_numpy(loss_weights(output.shape))).sum().backward()
    return inputs, output


def assert_close(ours, theirs, what, atol=1e-5, rtol=1e-5):
    assert ours is not None and theirs is not None, what
    assert tuple(ours.shape) == tuple(theirs.shape), what
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=atol,
                               rtol=rtol, err_msg=what)


def compare(torch, net, tnet, arrays, atol=1e-5, rtol=1e-5, **masks):
    inputs, output = run(glasstorch, net, arrays, **masks)
    tinputs, toutput = run(torch, tnet, arrays, **masks)
    assert_close(output, toutput, "output", atol, rtol)
    for i, (x, tx) in enumerate(zip(inputs, tinputs)):
        assert_close(x.grad, tx.grad, f"gradient of input {i}", atol, rtol)
    names = [n for n, _ in net.named_parameters()]
    assert names == [n for n, _ in tnet.named_parameters()]
    for name, p, tp in zip(names, net.parameters(), tnet.parameters()):
        assert_close(p.grad, tp.grad, f"gradient of {name}", atol, rtol)
    return output


def sequence(length, batch_first=False, batched=True):
    if not batched:
        return floats(length, D)
    return floats(N, length, D) if batch_first else floats(length, N, D)


def padding(length, batched=True):
    """A bool key padding mask (True: padding), each sequence at least 2 tokens, left-aligned."""
    lengths = RNG.integers(2, length + 1, N if batched else 1)
    mask = np.arange(length) >= lengths[:, None]
    return mask if batched else mask[0]


def causal(length):
    return np.triu(np.full((length, length), -np.inf, "float32"), 1)


LAYER_OPTIONS = {
    "default": {},
    "batch_first": {"batch_first": True},
    "norm_first": {"norm_first": True},
    "gelu": {"activation": "gelu", "batch_first": True},
    "no_bias": {"bias": False, "norm_first": True},
    "eps": {"layer_norm_eps": 1e-3},
}


def options_for(name):
    return dict(LAYER_OPTIONS[name], dim_feedforward=FF, dropout=0.0)


@pytest.mark.parametrize("name", LAYER_OPTIONS)
@pytest.mark.parametrize("masks", ["none", "causal", "padding", "both"])
def test_encoder_layer_matches_torch(torch, name, masks):
    net, tnet = pair(torch, "TransformerEncoderLayer", D, HEADS, **options_for(name))
    batch_first = LAYER_OPTIONS[name].get("batch_first", False)
    kwargs = {}
    if masks in ("causal", "both"):
        kwargs["src_mask"] = causal(L)
    if masks == "padding":
        kwargs["src_key_padding_mask"] = padding(L)
    if masks == "both":  # float as src_mask is, or torch warns of mismatched masks
        kwargs["src_key_padding_mask"] = np.where(padding(L), -np.inf, 0).astype("float32")
    compare(torch, net, tnet, [sequence(L, batch_first)], **kwargs)


def test_encoder_layer_unbatched_and_is_causal(torch):
    net, tnet = pair(torch, "TransformerEncoderLayer", D, HEADS, FF, 0.0)
    compare(torch, net, tnet, [sequence(L, batched=False)],
            src_key_padding_mask=padding(L, batched=False))
    compare(torch, net, tnet, [sequence(L)], src_mask=causal(L), is_causal=True)


@pytest.mark.parametrize("activation", ["module", "callable"])
def test_custom_activations(torch, activation):
    def make(lib):
        return lib.nn.SiLU() if activation == "module" else (lambda x: x.tanh())

    tnet = torch.nn.TransformerEncoderLayer(D, HEADS, FF, 0.0, activation=make(torch))
    net = nn.TransformerEncoderLayer(D, HEADS, FF, 0.0, activation=make(glasstorch))
    net.load_state_dict({k: glasstorch.tensor(v.numpy()) for k, v in tnet.state_dict().items()})
    assert net.activation_relu_or_gelu == tnet.activation_relu_or_gelu == 0
    compare(torch, net, tnet, [sequence(L)])
    assert [n for n, _ in net.named_modules()] == [n for n, _ in tnet.named_modules()]


def test_relu_and_gelu_are_recognised_like_torch(torch):
    for activation, code in (("relu", 1), ("gelu", 2)):
        assert nn.TransformerEncoderLayer(D, HEADS, activation=activation) \
            .activation_relu_or_gelu == code
    assert nn.TransformerEncoderLayer(D, HEADS, activation=nn.GELU()).activation_relu_or_gelu == 2
    for lib in (torch, glasstorch):
        with pytest.raises(RuntimeError, match="^activation should be relu/gelu, not tanh$"):
            lib.nn.TransformerEncoderLayer(D, HEADS, activation="tanh")


@pytest.mark.parametrize("name", ["default", "batch_first", "norm_first", "gelu"])
@pytest.mark.parametrize("masks", ["none", "all"])
def test_decoder_layer_matches_torch(torch, name, masks):
    net, tnet = pair(torch, "TransformerDecoderLayer", D, HEADS, **options_for(name))
    batch_first = LAYER_OPTIONS[name].get("batch_first", False)
    kwargs = {}
    if masks == "all":
        memory_mask = np.zeros((T, L), bool)
        memory_mask[0, 1] = True  # target position 0 may not see source position 1
        kwargs = {"tgt_mask": causal(T), "memory_mask": memory_mask,
                  # float as tgt_mask is, or torch warns of mismatched masks
                  "tgt_key_padding_mask": np.where(padding(T), -np.inf, 0).astype("float32"),
                  "memory_key_padding_mask": padding(L)}
    compare(torch, net, tnet, [sequence(T, batch_first), sequence(L, batch_first)], **kwargs)


def test_decoder_layer_unbatched(torch):
    net, tnet = pair(torch, "TransformerDecoderLayer", D, HEADS, FF, 0.0)
    compare(torch, net, tnet, [sequence(T, batched=False), sequence(L, batched=False)],
            tgt_mask=causal(T), tgt_is_causal=True)


@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_and_decoder_stacks_match_torch(torch, batch_first):
    layer = ("TransformerEncoderLayer", D, HEADS, FF, 0.0)
    norm = ("LayerNorm", D)
    net, tnet = pair(torch, "TransformerEncoder", layer + ("relu", 1e-5, batch_first), 2, norm)
    compare(torch, net, tnet, [sequence(L, batch_first)], mask=causal(L),
            src_key_padding_mask=np.where(padding(L), -np.inf, 0).astype("float32"))
    compare(torch, net, tnet, [sequence(L, batch_first)], src_key_padding_mask=padding(L))
    layer = ("TransformerDecoderLayer", D, HEADS, FF, 0.0, "gelu", 1e-5, batch_first)
    net, tnet = pair(torch, "TransformerDecoder", layer, 2)
    compare(torch, net, tnet, [sequence(T, batch_first), sequence(L, batch_first)],
            tgt_mask=causal(T), memory_key_padding_mask=padding(L))


def test_stacks_are_deep_copies_with_torch_names(torch):
    net = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, HEADS, FF), 3,
                                enable_nested_tensor=False)
    tnet = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(D, HEADS, FF), 3,
                                       enable_nested_tensor=False)
    assert list(net.state_dict()) == list(tnet.state_dict())
    assert "layers.2.self_attn.in_proj_weight" in net.state_dict()
    first, second = net.layers[0], net.layers[1]
    assert first.linear1.weight is not second.linear1.weight
    np.testing.assert_array_equal(first.linear1.weight.detach().numpy(),
                                  second.linear1.weight.detach().numpy())  # copies of one layer
    with glasstorch.no_grad():
        first.linear1.weight.add_(1.0)
    assert not np.allclose(first.linear1.weight.detach().numpy(),
                           second.linear1.weight.detach().numpy())
    decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(D, HEADS, FF), 2, nn.LayerNorm(D))
    tdecoder = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(D, HEADS, FF), 2,
                                           torch.nn.LayerNorm(D))
    assert list(decoder.state_dict()) == list(tdecoder.state_dict())
    assert repr(decoder) == repr(tdecoder)
    assert repr(net) == repr(tnet)


@pytest.mark.parametrize("options", [{}, {"batch_first": True, "norm_first": True},
                                     {"activation": "gelu", "bias": False}])
def test_transformer_matches_torch_both_ways(torch, options):
    args = dict(d_model=D, nhead=HEADS, num_encoder_layers=2, num_decoder_layers=2,
                dim_feedforward=FF, dropout=0.0, **options)
    net, tnet = pair(torch, "Transformer", **args)
    batch_first = options.get("batch_first", False)
    src, tgt = sequence(L, batch_first), sequence(T, batch_first)
    mask = nn.Transformer.generate_square_subsequent_mask(T).numpy()
    # four layers deep in float32: gradients of size ~5 differ from torch's by rounding, ~4e-5
    # (float64 agrees to 1e-15: test_transformer_float64_matches_torch)
    compare(torch, net, tnet, [src, tgt], rtol=1e-4, tgt_mask=mask,
            src_key_padding_mask=padding(L), memory_key_padding_mask=padding(L),
            tgt_key_padding_mask=np.where(padding(T), -np.inf, 0).astype("float32"))
    # ours into a fresh torch model: the same outputs
    ours = build(glasstorch, "Transformer", **args)
    theirs = build(torch, "Transformer", **args)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    out = ours(glasstorch.tensor(src), glasstorch.tensor(tgt), tgt_mask=glasstorch.tensor(mask))
    tout = theirs(torch.tensor(src), torch.tensor(tgt), tgt_mask=torch.tensor(mask))
    assert_close(out, tout, "output of torch's model with our parameters")


def test_transformer_float64_matches_torch(torch):
    glasstorch.set_default_dtype(glasstorch.float64)
    torch.set_default_dtype(torch.float64)  # the fixture restores both defaults
    net, tnet = pair(torch, "Transformer", D, HEADS, 2, 2, FF, 0.0, "gelu", bias=False)
    src, tgt = (sequence(n).astype("float64") for n in (L, T))
    compare(torch, net, tnet, [src, tgt], atol=1e-12, rtol=1e-12, tgt_mask=causal(T),
            memory_key_padding_mask=padding(L))


def test_transformer_unbatched(torch):
    net, tnet = pair(torch, "Transformer", D, HEADS, 1, 1, FF, 0.0)
    compare(torch, net, tnet, [sequence(L, batched=False), sequence(T, batched=False)],
            tgt_is_causal=True, tgt_mask=causal(T))


def test_generate_square_subsequent_mask(torch):
    for size in (1, 4):
        ours = nn.Transformer.generate_square_subsequent_mask(size)
        theirs = torch.nn.Transformer.generate_square_subsequent_mask(size)
        assert ours.dtype == glasstorch.float32
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    ours = nn.Transformer.generate_square_subsequent_mask(3, dtype=glasstorch.float64)
    assert ours.dtype == glasstorch.float64


def test_reset_parameters_like_torch():
    """xavier_uniform_ on every matrix (in_proj, linear1/2, out_proj); biases untouched: zero
    in attention, Linear's uniform(±1/sqrt(fan_in)) elsewhere; LayerNorm ones and zeros."""
    with pytest.warns(UserWarning, match="enable_nested_tensor is True"):  # as torch warns
        net = nn.Transformer(64, 4, 1, 1, 128, dropout=0.0)
    for name, p in net.named_parameters():
        values = np.abs(p.detach().numpy())
        if p.ndim > 1:
            bound = math.sqrt(6 / sum(p.shape))
            assert 0.9 * bound < values.max() <= bound, name
        elif "in_proj_bias" in name or "out_proj.bias" in name or name.endswith("norm.bias") \
                or re.search(r"norm\d\.bias", name):
            assert (values == 0).all(), name
        elif re.search(r"norm\d?\.weight", name):
            assert (values == 1).all(), name
        else:  # linear1.bias, linear2.bias
            fan_in = 64 if "linear1" in name else 128
            assert 0 < values.max() <= 1 / math.sqrt(fan_in), name


def test_dropout_in_training_only(torch):
    net, tnet = pair(torch, "TransformerEncoderLayer", D, HEADS, FF, 0.5)
    x = glasstorch.tensor(sequence(L))
    first, second = net(x), net(x)
    assert not np.allclose(first.detach().numpy(), second.detach().numpy())
    net.eval()
    tnet.eval()
    assert_close(net(x), tnet(torch.tensor(x.numpy())), "eval output")
    np.testing.assert_array_equal(net(x).detach().numpy(), net(x).detach().numpy())
    assert [m.p for m in net.modules() if isinstance(m, nn.Dropout)] == [0.5] * 3
    assert net.self_attn.dropout == 0.5


def test_encoder_inference_zeroes_padding_like_torch(torch):
    """In eval mode without grad, torch runs a batch_first encoder on nested tensors: its
    output is zero at padded positions (before the final norm)."""
    layer = ("TransformerEncoderLayer", D, HEADS, FF, 0.1, "relu", 1e-5, True)
    net, tnet = pair(torch, "TransformerEncoder", layer, 2)
    net.eval()
    tnet.eval()
    x, pad = sequence(L, batch_first=True), padding(L)
    with glasstorch.no_grad(), torch.no_grad():
        ours = net(glasstorch.tensor(x), src_key_padding_mask=glasstorch.tensor(pad))
        theirs = tnet(torch.tensor(x), src_key_padding_mask=torch.tensor(pad))
    assert_close(ours, theirs, "inference output")
    assert (ours.numpy()[pad] == 0).all()
    with_grad = net(glasstorch.tensor(x), src_key_padding_mask=glasstorch.tensor(pad))
    assert_close(with_grad, tnet(torch.tensor(x), src_key_padding_mask=torch.tensor(pad)),
                 "output with grad")
    assert (with_grad.detach().numpy()[pad] != 0).all()


def test_nested_tensor_warning_like_torch(torch):
    for kwargs in ({}, {"batch_first": True, "norm_first": True}, {"batch_first": True}):
        with warnings.catch_warnings(record=True) as ours:
            warnings.simplefilter("always")
            nn.TransformerEncoder(nn.TransformerEncoderLayer(D, HEADS, **kwargs), 1)
        with warnings.catch_warnings(record=True) as theirs:
            warnings.simplefilter("always")
            torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(D, HEADS, **kwargs), 1)
        assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]


def test_gradcheck_float64():
    glasstorch.set_default_dtype(glasstorch.float64)
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, norm_first=True).eval()
    decoder = nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0).eval()
    glasstorch.set_default_dtype(glasstorch.float32)
    src = glasstorch.tensor(floats(3, 2, 4, dtype="float64"), requires_grad=True)
    tgt = glasstorch.tensor(floats(2, 2, 4, dtype="float64"), requires_grad=True)
    mask = glasstorch.tensor(causal(3).astype("float64"))
    assert gradcheck(lambda x: layer(x, src_mask=mask), (src,))
    assert gradcheck(lambda y, m: decoder(y, m, tgt_mask=mask[:2, :2]), (tgt, src))


@pytest.mark.parametrize("threads", [1, 2])
def test_layer_norm_is_one_fused_node_like_torch(torch, threads):
    """F.layer_norm, the layers' hot path, as one primitive (ops/norm.py's LayerNorm): torch's
    node name, values and gradients, rows split across the thread pool (33 x 64 rows of 256:
    over threads.MIN_ITEMS) or not."""
    x, w, b, u = floats(33, 64, 256) * 3 + 1, floats(256), floats(256), floats(33, 64, 256)
    saved = glasstorch.get_num_threads()
    glasstorch.set_num_threads(threads)
    try:
        results = []
        for lib in (glasstorch, torch):
            tensors = [lib.tensor(a, requires_grad=True) for a in (x, w, b)]
            y = lib.nn.functional.layer_norm(tensors[0], (256,), tensors[1], tensors[2])
            (y * lib.tensor(u)).sum().backward()
            results.append((y, y.grad_fn.name(), *(t.grad for t in tensors)))
    finally:
        glasstorch.set_num_threads(saved)
    (y, name, *grads), (ty, tname, *tgrads) = results
    assert name == tname == "NativeLayerNormBackward0"
    assert_close(y, ty, "output")
    for what, grad, tgrad in zip(("input", "weight", "bias"), grads, tgrads):
        assert_close(grad, tgrad, f"gradient of {what}", atol=1e-4, rtol=1e-5)  # sums of 2112


def test_layer_norm_second_derivatives():
    x = glasstorch.tensor(floats(3, 4, 5, dtype="float64"), requires_grad=True)
    w = glasstorch.tensor(floats(4, 5, dtype="float64"), requires_grad=True)
    b = glasstorch.tensor(floats(4, 5, dtype="float64"), requires_grad=True)
    assert gradgradcheck(lambda x, w, b: F.layer_norm(x, (4, 5), w, b), (x, w, b))
    assert gradgradcheck(lambda x, w: F.layer_norm(x, (5,), w[0]), (x, w))


@pytest.mark.parametrize("call", [
    lambda lib, m: m(lib.zeros(L, N, D), lib.zeros(T, N + 1, D)),
    lambda lib, m: m(lib.zeros(L, N, D + 1), lib.zeros(T, N, D)),
    lambda lib, m: m(lib.zeros(L, N, D), lib.zeros(T, N, D), tgt_mask=lib.zeros(T + 1, T)),
    lambda lib, m: m(lib.zeros(L, N, D), lib.zeros(T, N, D),
                     src_key_padding_mask=lib.zeros(N, L, dtype=lib.int64)),
    lambda lib, m: m(lib.zeros(2, L, N, D), lib.zeros(2, T, N, D)),
])
def test_errors_like_torch(torch, call):
    modules = [build(lib, "Transformer", D, HEADS, 1, 1, FF) for lib in (torch, glasstorch)]
    with pytest.raises(Exception) as expected:
        call(torch, modules[0])
    with pytest.raises(type(expected.value), match="^" + re.escape(str(expected.value)) + "$"):
        call(glasstorch, modules[1])


def _on(where, arrays, masks):
    """A small Transformer (and a MultiheadAttention with its weights, and the encoder's
    inference path) on `where`: outputs and gradients, on the host."""
    glasstorch.manual_seed(0)
    net = nn.Transformer(D, HEADS, 1, 1, FF, dropout=0.0, batch_first=True).to(where)
    attention = nn.MultiheadAttention(D, HEADS, batch_first=True).to(where)
    src, tgt = (glasstorch.tensor(a, device=where, requires_grad=True) for a in arrays)
    masks = {k: glasstorch.tensor(v, device=where) for k, v in masks.items()}
    output = net(src, tgt, **masks)
    full = masks["src_key_padding_mask"].clone()
    full[0] = True  # one sample with no key to attend to: sdpa's zero rows
    attended = attention(src, src, src, key_padding_mask=full, attn_mask=masks["src_mask"],
                         need_weights=False)[0]
    weights = attention(src, src, src, attn_mask=masks["src_mask"])[1]
    (output.sum() + attended.sum() + weights.sum()).backward()
    with glasstorch.no_grad():
        inference = net.eval().encoder(src, src_key_padding_mask=masks["src_key_padding_mask"])
        bare = net.encoder(src, src_key_padding_mask=full)  # dead rows in need_weights=False
    results = [output, attended, weights, src.grad, tgt.grad, inference, bare]
    results += [p.grad for p in [*net.parameters(), *attention.parameters()]]
    assert all(r.device.type == where for r in results)
    return [r.detach().cpu().numpy() for r in results]


def test_on_the_device_as_on_the_cpu():
    """On the stand-in CuPy (tests/standin_cupy.py): no op strays to numpy, same numbers."""
    arrays = [sequence(L, batch_first=True), sequence(T, batch_first=True)]
    masks = {"src_mask": np.triu(np.ones((L, L), bool), 1), "tgt_mask": causal(T),
             "src_key_padding_mask": padding(L)}
    cpu = _on("cpu", arrays, masks)
    with standin_cupy.installed():
        device = _on("cuda", arrays, masks)
    for ours, expected in zip(device, cpu):
        np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-6)
