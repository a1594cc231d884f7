"""The attention chapter's helpers on glasstorch (d2l/attention.py) against the books' own code
on PyTorch (attention_reference_en.py for d2l-en, attention_reference_zh.py for d2l-zh v2):
each helper in each edition's form gets the same inputs and the same weights (torch's
state_dict copied in, after a first call has sized its lazy layers) and must give torch's
outputs, attention weights and gradients of inputs and parameters. Dropout is off (eval mode or
a rate of 0) where numbers are compared: the two libraries draw different random masks.

Then the books' sections (tests/books/en/attention-mechanisms-and-transformers and
tests/books/zh/attention-mechanisms) run as scripts under `glasstorch run`: those without
training as notebooks, each Out[] value and printed line compared with the same code on
PyTorch (random numbers masked: the libraries draw different ones); the Bahdanau and
Transformer sections train on glasstorch's small English-French stand-in corpus, for fewer
epochs (and, for d2l-en, smaller layers), and must learn it.
"""

import os
import re

import attention_reference_en as ref_en
import attention_reference_zh as ref_zh
import numpy as np
import pytest
import torch
from books.notebook import (
    FLOAT,
    agree,
    check_same_outputs,
    normalized,
    outputs,
    printed,
    run_on_torch,
    section_prologue,
)
from books.runner import run_section, section_source

import glasstorch
from glasstorch import d2l
from glasstorch.d2l import torch as d2l_torch

RNG = np.random.default_rng(0)


def floats(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def to_torch(value):
    if isinstance(value, np.ndarray):
        return torch.tensor(value, requires_grad=value.dtype.kind == "f")
    if isinstance(value, (list, tuple)):
        return type(value)(to_torch(v) for v in value)
    return value


def to_glass(value):
    if isinstance(value, np.ndarray):
        return glasstorch.tensor(value, requires_grad=value.dtype.kind == "f")
    if isinstance(value, (list, tuple)):
        return type(value)(to_glass(v) for v in value)
    return value


def tensors(value):
    """The tensors in a (nested) output, in order."""
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in tensors(v)]
    return [] if value is None else [value]


def close(ours, theirs, atol=1e-5, rtol=1e-4):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=atol,
                               rtol=rtol)


def copy_weights(ours, theirs):
    """torch's state_dict loaded into our module (its keys must be torch's)."""
    state = {k: glasstorch.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state)


def same_as_torch(ours, theirs, *inputs, train=False, call=None):
    """Call both modules on the same inputs (numpy arrays; float ones require grad) with the same
    weights (`call(module, *inputs)` if given), compare the outputs, then backpropagate the same
    random weighting of the outputs and compare the gradients of the float inputs and of every
    parameter. Returns the outputs."""
    call = call or (lambda module, *inputs: module(*inputs))
    ours.train(train)
    theirs.train(train)
    torch_inputs = to_torch(inputs)
    expected = call(theirs, *torch_inputs)  # sizes torch's lazy layers
    copy_weights(ours, theirs)
    glass_inputs = to_glass(inputs)
    got = call(ours, *glass_inputs)
    outs, torch_outs = tensors(got), tensors(expected)
    assert len(outs) == len(torch_outs)
    for out, torch_out in zip(outs, torch_outs):
        close(out, torch_out)
    weights = [floats(*t.shape) for t in torch_outs]
    sum(glasstorch.sum(o * glasstorch.tensor(w)) for o, w in zip(outs, weights)).backward()
    sum(torch.sum(o * torch.tensor(w)) for o, w in zip(torch_outs, weights)).backward()
    for x, x_t in zip(tensors(glass_inputs), tensors(torch_inputs)):
        if x_t.requires_grad:
            close(x.grad, x_t.grad)
    params = dict(ours.named_parameters())
    torch_params = dict(theirs.named_parameters())
    assert list(params) == list(torch_params)
    for name, p in params.items():
        close(p.grad, torch_params[name].grad)
    assert str(ours) == str(theirs)  # the same layers, named and sized alike
    return got, expected


# ---- masked softmax and the scoring functions ----


@pytest.mark.parametrize("valid_lens", [None, np.array([2, 3]), np.array([[1, 3], [2, 4]])])
def test_masked_softmax(valid_lens):
    X = floats(2, 2, 4)
    got = d2l.masked_softmax(to_glass(X) * 2, to_glass(valid_lens))
    expected = ref_en.masked_softmax(to_torch(X) * 2, to_torch(valid_lens))
    close(got, expected)
    for zh in (ref_zh.masked_softmax(to_torch(X) * 2, to_torch(valid_lens)),):
        close(got, zh)
    if valid_lens is not None:  # masked positions get no weight at all
        lens = np.repeat(valid_lens, 2) if valid_lens.ndim == 1 else valid_lens.reshape(-1)
        weights = got.detach().numpy().reshape(4, 4)
        assert all((weights[i, n:] == 0).all() for i, n in enumerate(lens))


def test_masked_softmax_gradient_as_torch_and_numerically():
    X, lens = floats(3, 2, 5), np.array([1, 4, 5])
    x, x_t = glasstorch.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    grad = floats(3, 2, 5)
    (d2l.masked_softmax(x * 1, glasstorch.tensor(lens)) * glasstorch.tensor(grad)).sum().backward()
    (ref_en.masked_softmax(x_t * 1, torch.tensor(lens)) * torch.tensor(grad)).sum().backward()
    close(x.grad, x_t.grad)
    x64 = glasstorch.tensor(X.astype(np.float64), requires_grad=True)
    assert glasstorch.autograd.gradcheck(
        lambda x: d2l.masked_softmax(x * 1, glasstorch.tensor(lens)), (x64,))


@pytest.mark.parametrize("valid_lens", [None, np.array([2, 6]), np.array([[1, 3], [10, 4]])])
def test_dot_product_attention(valid_lens):
    queries, keys, values = floats(2, 2, 3), floats(2, 10, 3), floats(2, 10, 4)
    ours, theirs = d2l.DotProductAttention(0.5), ref_en.DotProductAttention(0.5)
    same_as_torch(ours, theirs, queries, keys, values, valid_lens)
    close(ours.attention_weights, theirs.attention_weights)
    zh = ref_zh.DotProductAttention(dropout=0.5).eval()
    close(ours.attention_weights, (zh(*to_torch((queries, keys, values, valid_lens))),
                                   zh.attention_weights)[1])


def test_dot_product_attention_dropout_in_training():
    attention = d2l.DotProductAttention(dropout=0.5)
    out = attention(*to_glass((floats(2, 3, 4), floats(2, 5, 4), np.ones((2, 5, 6), np.float32))))
    values = np.unique(np.round(out.detach().numpy() * 1e4)) / 1e4  # dropped weights sum less
    assert tuple(out.shape) == (2, 3, 6) and values.min() < values.max()


@pytest.mark.parametrize("edition", ["en", "zh", "zh keywords"])
def test_additive_attention_in_each_editions_form(edition):
    queries, keys, values, valid_lens = floats(2, 1, 20), floats(2, 10, 2), floats(2, 10, 4), \
        np.array([2, 6])
    if edition == "en":
        ours, theirs = d2l.AdditiveAttention(8, 0.1), ref_en.AdditiveAttention(8, 0.1)
        assert isinstance(ours.W_k, glasstorch.nn.LazyLinear)
    elif edition == "zh":
        ours, theirs = d2l.AdditiveAttention(2, 20, 8, 0.1), ref_zh.AdditiveAttention(2, 20, 8, 0.1)
    else:
        options = dict(key_size=2, query_size=20, num_hiddens=8, dropout=0.1)
        ours, theirs = d2l.AdditiveAttention(**options), ref_zh.AdditiveAttention(**options)
    same_as_torch(ours, theirs, queries, keys, values, valid_lens)
    close(ours.attention_weights, theirs.attention_weights)


# ---- multi-head attention ----


def test_transpose_qkv_and_transpose_output_as_functions_and_methods():
    X = floats(2, 3, 8)
    got = d2l.transpose_qkv(to_glass(X), 4)
    close(got, ref_zh.transpose_qkv(to_torch(X), 4))
    close(d2l.transpose_output(got, 4), ref_zh.transpose_output(ref_zh.transpose_qkv(
        to_torch(X), 4), 4))
    attention = d2l.MultiHeadAttention(8, 4, 0.0)
    close(attention.transpose_qkv(to_glass(X)), ref_zh.transpose_qkv(to_torch(X), 4))
    close(attention.transpose_output(got), torch.tensor(X))  # back where it started


@pytest.mark.parametrize("valid_lens", [None, np.array([3, 2]), np.array([[1, 2, 3, 4], [6] * 4])])
@pytest.mark.parametrize("bias", [False, True])
def test_multihead_attention_d2l_en(valid_lens, bias):
    X, Y = floats(2, 4, 10), floats(2, 6, 10)
    ours = d2l.MultiHeadAttention(10, 5, 0.5, bias)
    theirs = ref_en.MultiHeadAttention(10, 5, 0.5, bias)
    assert isinstance(ours, d2l.Module)  # d2l-en's base
    same_as_torch(ours, theirs, X, Y, Y, valid_lens)
    close(ours.attention.attention_weights, theirs.attention.attention_weights)


@pytest.mark.parametrize("valid_lens", [None, np.array([3, 2])])
@pytest.mark.parametrize("bias", [False, True])
def test_multihead_attention_d2l_zh(valid_lens, bias):
    X, K, V = floats(2, 4, 6), floats(2, 5, 7), floats(2, 5, 3)
    ours = d2l.MultiHeadAttention(7, 6, 3, 10, 5, 0.5, bias)
    theirs = ref_zh.MultiHeadAttention(7, 6, 3, 10, 5, 0.5, bias)
    same_as_torch(ours, theirs, X, K, V, valid_lens)
    close(ours.attention.attention_weights, theirs.attention.attention_weights)
    keywords = dict(key_size=7, query_size=6, value_size=3, num_hiddens=10, num_heads=5,
                    dropout=0.5)
    assert str(d2l.MultiHeadAttention(**keywords)) == str(ref_zh.MultiHeadAttention(**keywords))


# ---- positional encoding ----


def test_positional_encoding():
    ours, theirs = d2l.PositionalEncoding(32, 0), ref_en.PositionalEncoding(32, 0)
    assert ours.P.dtype == glasstorch.float32 and tuple(ours.P.shape) == (1, 1000, 32)
    # float32 angles up to 999 radians (one ulp: 6e-5): numpy's pow, sin and cos and torch's
    # round some last bits differently (at most 2e-6 apart here)
    np.testing.assert_allclose(ours.P.numpy(), theirs.P.numpy(), atol=1e-5)
    np.testing.assert_allclose(ours.P.numpy(), ref_zh.PositionalEncoding(32, 0).P.numpy(),
                               atol=1e-5)
    np.testing.assert_allclose(ours.P.numpy()[:, :100], theirs.P.numpy()[:, :100], atol=1e-6)
    X = floats(2, 60, 32)
    got = ours(glasstorch.tensor(X))
    np.testing.assert_allclose(got.numpy(), X + ours.P.numpy()[:, :60], atol=1e-6)
    dropped = d2l.PositionalEncoding(8, 0.5)(glasstorch.zeros((4, 50, 8)))  # training mode
    zeros = (dropped.numpy() == 0).mean()
    assert 0.3 < zeros < 0.7


# ---- the Transformer's blocks ----


@pytest.mark.parametrize("edition", ["en", "zh"])
def test_position_wise_ffn(edition):
    if edition == "en":
        ours, theirs = d2l.PositionWiseFFN(4, 8), ref_en.PositionWiseFFN(4, 8)
    else:
        ours, theirs = d2l.PositionWiseFFN(4, 4, 8), ref_zh.PositionWiseFFN(4, 4, 8)
    same_as_torch(ours, theirs, floats(2, 3, 4))


@pytest.mark.parametrize("form", ["en", "zh", "zh keywords"])
def test_add_norm(form):
    if form == "en":
        ours, theirs = d2l.AddNorm(4, 0.5), ref_en.AddNorm(4, 0.5)
    elif form == "zh":
        ours, theirs = d2l.AddNorm([3, 4], 0.5), ref_zh.AddNorm([3, 4], 0.5)
    else:
        ours = d2l.AddNorm(normalized_shape=[3, 4], dropout=0.5)
        theirs = ref_zh.AddNorm(normalized_shape=[3, 4], dropout=0.5)
    same_as_torch(ours, theirs, floats(2, 3, 4), floats(2, 3, 4))


@pytest.mark.parametrize("valid_lens", [None, np.array([3, 2])])
def test_encoder_block_in_each_editions_name(valid_lens):
    X = floats(2, 10, 24)
    ours, theirs = d2l.TransformerEncoderBlock(24, 48, 8, 0.5), \
        ref_en.TransformerEncoderBlock(24, 48, 8, 0.5)
    same_as_torch(ours, theirs, X, valid_lens)
    ours = d2l.EncoderBlock(24, 24, 24, 24, [10, 24], 24, 48, 8, 0.5, True)
    theirs = ref_zh.EncoderBlock(24, 24, 24, 24, [10, 24], 24, 48, 8, 0.5, True)
    same_as_torch(ours, theirs, X, valid_lens)


def decoder_blocks(edition, i=0):
    if edition == "en":
        return d2l.TransformerDecoderBlock(24, 48, 8, 0.0, i), \
            ref_en.TransformerDecoderBlock(24, 48, 8, 0.0, i)
    return d2l.DecoderBlock(24, 24, 24, 24, [24], 24, 48, 8, 0.0, i), \
        ref_zh.DecoderBlock(24, 24, 24, 24, [24], 24, 48, 8, 0.0, i)


@pytest.mark.parametrize("edition", ["en", "zh"])
def test_decoder_block_in_training_masks_the_later_steps(edition):
    X, enc_outputs, valid_lens = floats(2, 5, 24), floats(2, 7, 24), np.array([3, 7])
    ours, theirs = decoder_blocks(edition, i=1)

    def call(block, X, enc_outputs, valid_lens):  # the state as the decoder gives it
        Y, state = block(X, [enc_outputs, valid_lens, [None, None]])
        return Y, state[2][1]  # the block caches its input X as its keys and values

    (Y, cached), _ = same_as_torch(ours, theirs, X, enc_outputs, valid_lens, train=True,
                                   call=call)
    assert cached is not None and np.array_equal(cached.detach().numpy(), X)
    # each query sees itself and the steps before it: changing the last step changes only it
    X2 = X.copy()
    X2[:, -1] += 1
    Y2, _ = ours.train()(glasstorch.tensor(X2), [glasstorch.tensor(enc_outputs),
                                                  glasstorch.tensor(valid_lens), [None, None]])
    np.testing.assert_allclose(Y2.detach().numpy()[:, :-1], Y.detach().numpy()[:, :-1],
                               atol=1e-5)


@pytest.mark.parametrize("edition", ["en", "zh"])
def test_decoder_block_predicting_step_by_step_caches_the_steps(edition):
    ours, theirs = decoder_blocks(edition)
    enc_outputs, valid_lens = floats(2, 7, 24), np.array([3, 7])
    steps = [floats(2, 1, 24) for _ in range(3)]
    theirs.eval()(to_torch(steps[0]), [to_torch(enc_outputs), to_torch(valid_lens), [None]])
    copy_weights(ours, theirs)
    ours.eval()
    state = [glasstorch.tensor(enc_outputs), glasstorch.tensor(valid_lens), [None]]
    state_t = [torch.tensor(enc_outputs), torch.tensor(valid_lens), [None]]
    for step in steps:
        Y, state = ours(glasstorch.tensor(step), state)
        Y_t, state_t = theirs(torch.tensor(step), state_t)
        close(Y, Y_t)
        close(ours.attention1.attention.attention_weights,
              theirs.attention1.attention.attention_weights)
    assert tuple(state[2][0].shape) == (2, 3, 24)


# ---- show_heatmaps ----


@pytest.fixture
def drawn(monkeypatch, tmp_path):
    """Each figure glasstorch saves: (its axes' images, labels and titles, the path)."""
    monkeypatch.chdir(tmp_path)
    figures = []
    save_figure = d2l_torch.save_figure

    def recording_save_figure(name):
        figures.append((describe(d2l.plt.gcf()), save_figure(name)))
        return figures[-1][1]

    monkeypatch.setattr(d2l_torch, "save_figure", recording_save_figure)
    return figures


def describe(fig):
    """What a figure shows: for each of its axes the image's values, colour map, x and y label
    and title (the colour bar's axes are the last)."""
    return [([(image.get_array().tolist(), image.get_cmap().name) for image in ax.images],
             ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) for ax in fig.axes]


@pytest.mark.parametrize("edition", [ref_en, ref_zh])
def test_show_heatmaps_draws_the_books_figure_and_saves_a_png(drawn, capsys, edition):
    d2l.plt.close("all")  # figures other tests left open
    matrices = floats(2, 3, 4, 5)
    titles = ["Head 1", "Head 2", "Head 3"]
    path = d2l.show_heatmaps(glasstorch.tensor(matrices, requires_grad=True), "Keys",
                             "Queries", titles=titles, figsize=(7, 3.5), cmap="Blues")
    ((ours, saved),) = drawn
    assert path == saved and path.endswith(".png") and os.path.getsize(path) > 1000
    with open(path, "rb") as file:
        assert file.read(4) == b"\x89PNG"
    assert capsys.readouterr().out == f"figure saved to {path}\n"
    assert d2l.plt.get_fignums() == []  # closed: the next plot starts a new figure
    edition.show_heatmaps(torch.tensor(matrices), "Keys", "Queries", titles=titles,
                          figsize=(7, 3.5), cmap="Blues")
    theirs = describe(edition.plt.gcf())
    edition.plt.close("all")
    assert ours == theirs and len(ours) == 2 * 3 + 1  # six heatmaps and the colour bar
    assert d2l.show_heatmaps(glasstorch.eye(10).reshape((1, 1, 10, 10)), "Keys",
                             "Queries") != path  # each figure gets its own file


# ---- the Transformer encoder and decoder, and Bahdanau's decoder ----


def transformers(edition, vocab_size=20, dropout=0.0):
    """(ours, the book's) ModuleDicts of a Transformer encoder and decoder in `edition`'s form."""
    if edition == "en":
        args = (vocab_size, 16, 32, 4, 2, dropout)
        ours = [d2l.TransformerEncoder(*args), d2l.TransformerDecoder(*args)]
        theirs = [ref_en.TransformerEncoder(*args), ref_en.TransformerDecoder(*args)]
    else:
        args = (vocab_size, 16, 16, 16, 16, [16], 16, 32, 4, 2, dropout)
        ours = [d2l.TransformerEncoder(*args), d2l.TransformerDecoder(*args)]
        theirs = [ref_zh.TransformerEncoder(*args), ref_zh.TransformerDecoder(*args)]
    return (glasstorch.nn.ModuleDict(dict(zip(["encoder", "decoder"], ours))),
            torch.nn.ModuleDict(dict(zip(["encoder", "decoder"], theirs))))


def encode_decode(model, X, valid_lens, Y):
    """The forward of EncoderDecoder: the decoder's output and both attention weights."""
    state = model["decoder"].init_state(model["encoder"](X, valid_lens), valid_lens)
    output, _ = model["decoder"](Y, state)
    return (output, model["encoder"].attention_weights,
            model["decoder"].attention_weights)


@pytest.mark.parametrize("edition", ["en", "zh"])
def test_transformer_encoder_and_decoder_in_training(edition):
    ours, theirs = transformers(edition)
    types = {"en": ("TransformerEncoderBlock", "TransformerDecoderBlock"),
             "zh": ("EncoderBlock", "DecoderBlock")}[edition]
    assert (type(ours["encoder"].blks[0]).__name__, type(ours["decoder"].blks[1]).__name__) \
        == types
    assert isinstance(ours["encoder"], d2l.Encoder)
    assert isinstance(ours["decoder"], (d2l.AttentionDecoder, d2l.Decoder))
    X, Y = RNG.integers(0, 20, (3, 6)), RNG.integers(0, 20, (3, 5))
    same_as_torch(ours, theirs, X, np.array([2, 6, 4]), Y, train=True, call=encode_decode)


def test_transformer_encoder_and_decoder_by_keywords():
    en = dict(vocab_size=20, num_hiddens=16, ffn_num_hiddens=32, num_heads=4, dropout=0.1)
    zh = dict(vocab_size=20, key_size=16, query_size=16, value_size=16, num_hiddens=16,
              norm_shape=[16], ffn_num_input=16, ffn_num_hiddens=32, num_heads=4, num_layers=2,
              dropout=0.1)
    for ours, theirs in ((d2l.TransformerEncoder(**en, num_blks=2, use_bias=True),
                          ref_en.TransformerEncoder(**en, num_blks=2, use_bias=True)),
                         (d2l.TransformerDecoder(**en, num_blks=2),
                          ref_en.TransformerDecoder(**en, num_blks=2)),
                         (d2l.TransformerEncoder(**zh, use_bias=True),
                          ref_zh.TransformerEncoder(**zh, use_bias=True)),
                         (d2l.TransformerDecoder(**zh), ref_zh.TransformerDecoder(**zh))):
        assert str(ours) == str(theirs)
        assert ours.state_dict().keys() == theirs.state_dict().keys()


@pytest.mark.parametrize("edition", ["en", "zh"])
def test_transformer_decoder_predicting_step_by_step(edition):
    ours, theirs = transformers(edition)
    X, valid_lens = RNG.integers(0, 20, (2, 6)), np.array([3, 6])
    encode_decode(theirs.eval(), *to_torch((X, valid_lens, X[:, :1])))  # sizes lazy layers
    copy_weights(ours, theirs)
    ours.eval()
    outputs = []
    for model, lib in ((ours, glasstorch), (theirs, torch)):
        lens = lib.tensor(valid_lens)
        state = model["decoder"].init_state(model["encoder"](lib.tensor(X), lens), lens)
        dec_X, steps = lib.zeros((2, 1), dtype=lib.long), []
        for _ in range(4):  # greedy decoding, as predict_seq2seq and predict_step do
            Y, state = model["decoder"](dec_X, state)
            dec_X = Y.argmax(dim=2)
            steps.append((Y, model["decoder"].attention_weights))
        outputs.append(steps)
    for (Y, weights), (Y_t, weights_t) in zip(*outputs):
        close(Y, Y_t)
        for w, w_t in zip(tensors(weights), tensors(weights_t)):
            close(w, w_t)


def test_attention_decoder_is_the_books_interface():
    decoder = d2l.AttentionDecoder()
    assert isinstance(decoder, d2l.Decoder) and isinstance(decoder, glasstorch.nn.Module)
    with pytest.raises(NotImplementedError):
        decoder.attention_weights
    with pytest.raises(NotImplementedError):
        decoder.init_state(None)


def section_class(edition, section, name, *before):
    """The class `name` as the book's section defines it (tests/books/<edition>/...), run on
    glasstorch: the section's own code, not a copy of it (after the section's classes
    `before`, which it builds on)."""
    chapter = {"en": "attention-mechanisms-and-transformers", "zh": "attention-mechanisms"}
    path = os.path.join(os.path.dirname(__file__), "books", edition, chapter[edition],
                        section + ".py")
    with open(path, encoding="utf-8") as file:
        source = file.read()
    namespace = {"d2l": d2l, "torch": glasstorch, "nn": glasstorch.nn, "math": __import__("math")}
    for each in (*before, name):
        # the class: its line and the lines after it, up to the next unindented one
        code = re.search(rf"^class {each}\(.*?(?=^\S)", source, re.S | re.M).group(0)
        exec(code, namespace)  # noqa: S102 (the book's code)
    return namespace[name]


@pytest.mark.parametrize("edition", ["en", "zh"])
def test_bahdanau_decoder_of_the_book(edition):
    """The Bahdanau section's Seq2SeqAttentionDecoder (its own code) with d2l's
    AdditiveAttention in the section's form, on glasstorch and on PyTorch."""
    Ours = section_class(edition, "bahdanau-attention", "Seq2SeqAttentionDecoder",
                         "AttentionDecoder")
    Theirs = (ref_en if edition == "en" else ref_zh).Seq2SeqAttentionDecoder
    ours, theirs = Ours(10, 8, 16, 2, 0.0), Theirs(10, 8, 16, 2, 0.0)
    assert isinstance(ours, d2l.Decoder)
    outputs, hidden = floats(7, 4, 16), floats(2, 4, 16)  # the GRU encoder's, time major

    def decode(decoder, X, outputs, hidden, valid_lens):
        state = decoder.init_state((outputs, hidden), valid_lens)
        Y, state = decoder(X, state)
        return Y, state[1], decoder.attention_weights

    (Y, _, weights), _ = same_as_torch(ours, theirs, RNG.integers(0, 10, (4, 5)), outputs,
                                       hidden, np.array([7, 3, 1, 5]), train=True, call=decode)
    assert tuple(Y.shape) == (4, 5, 10) and len(weights) == 5
    assert tuple(weights[0].shape) == (4, 1, 7)


# ---- the books' sections ----

CHAPTER = {"en": "attention-mechanisms-and-transformers", "zh": "attention-mechanisms"}

# The stand-in d2l over PyTorch (tests/books/torch_d2l.py) with the chapter's helpers as the
# books define them
TORCH_D2L = {
    "en": """
from attention_reference_en import (
    AdditiveAttention, DotProductAttention, MultiHeadAttention, PositionalEncoding,
    masked_softmax, show_heatmaps)
def check_shape(a, shape):
    assert a.shape == shape, f"tensor's shape {a.shape} != expected shape {shape}"
""",
    "zh": """
from attention_reference_zh import (
    AdditiveAttention, DotProductAttention, MultiHeadAttention, PositionalEncoding,
    masked_softmax, sequence_mask, show_heatmaps)
""",
}

STAND_IN_DATA = """
import glasstorch.d2l as _d2l
_d2l.use_stand_in_data()  # the small English-French corpus in place of fra-eng.zip
"""


def masked_text(lines):
    """The lines as one text, spacing removed and every float masked."""
    return FLOAT.sub("F", "".join("".join(normalized(line).split()) for line in lines))


def run_book(tmp_path, monkeypatch, edition, section, edits=None, on_torch=True, prologue="",
             epilogue=""):
    """The section on glasstorch (stdout, reported); with `on_torch`, run as a notebook on both
    libraries, and each Out[] value and the printed text (floats masked) must agree."""
    (tmp_path / "glasstorch").mkdir()
    name = f"{CHAPTER[edition]}/{section}"
    stdout, ours = run_section(tmp_path / "glasstorch", edition, name, edits,
                               section_prologue(STAND_IN_DATA, prologue, notebook=on_torch),
                               epilogue)
    if on_torch:
        source = section_source(edition, name)
        for old, new in (edits or {}).items():
            source = source.replace(old, new)
        torch_stdout, theirs = run_on_torch(monkeypatch, tmp_path, source,
                                            d2l_extra=TORCH_D2L[edition])
        # in a terminal glasstorch's show_heatmaps returns the saved figure's path, the book's
        # None (a notebook shows the figure)
        shown = {key: value for key, value in outputs(ours).items()
                 if not value.endswith(".png'")}
        check_same_outputs(shown, theirs, random=True)
        assert masked_text(printed(stdout)) == masked_text(printed(torch_stdout))
    return stdout, ours


def figures(stdout):
    """The PNG files glasstorch saved, each checked to be one."""
    paths = [line.split("figure saved to ", 1)[1] for line in stdout.splitlines()
             if line.startswith("figure saved to ")]
    for path in paths:
        with open(path, "rb") as file:
            assert file.read(4) == b"\x89PNG"
    return [os.path.basename(path) for path in paths]


@pytest.mark.parametrize("edition, section", [("en", "queries-keys-values"),
                                              ("zh", "attention-cues")])
def test_section_heatmaps(tmp_path, monkeypatch, edition, section):
    """The section defines show_heatmaps itself, and draws the identity's heatmap."""
    stdout, ours = run_book(tmp_path, monkeypatch, edition, section,
                            epilogue="report('axes', len(d2l.plt.gcf().axes))")
    assert figures(stdout) == []  # the book's own show_heatmaps saves no file
    assert ours["axes"] == 2  # the heatmap and its colour bar


@pytest.mark.parametrize("edition", ["en", "zh"])
def test_section_attention_scoring_functions(tmp_path, monkeypatch, edition):
    stdout, ours = run_book(tmp_path, monkeypatch, edition, "attention-scoring-functions")
    assert figures(stdout) == ["show_heatmaps_1.png", "show_heatmaps_2.png"]
    if edition == "zh":  # the values are the same rows of 0..39: the output is exactly known
        assert agree(ours["attention(queries, keys, values, valid_lens)#1"],
                     "tensor([[[ 2.0000,  3.0000,  4.0000,  5.0000]],\n\n"
                     "        [[10.0000, 11.0000, 12.0000, 13.0000]]])")


@pytest.mark.parametrize("edition", ["en", "zh"])
def test_section_multihead_attention(tmp_path, monkeypatch, edition):
    _, ours = run_book(tmp_path, monkeypatch, edition, "multihead-attention")
    if edition == "zh":
        assert ours["attention(X, Y, Y, valid_lens).shape#0"] == "torch.Size([2, 4, 100])"


@pytest.mark.parametrize("edition", ["en", "zh"])
def test_section_self_attention_and_positional_encoding(tmp_path, monkeypatch, edition):
    stdout, _ = run_book(tmp_path, monkeypatch, edition,
                         "self-attention-and-positional-encoding")
    assert figures(stdout) == ["show_heatmaps_1.png"]
    assert "7 in binary is 111" in stdout or "7的二进制是：111" in stdout


# Each batch's loss in training: d2l-en's Trainer.fit reports its board's lines (as
# test_books_en's FITS), d2l-zh's train_seq2seq its loss per batch (the sum of the sequences'
# losses over the number of valid tokens)
LOSSES = """
import glasstorch.d2l.torch as _d2l_torch
import glasstorch.d2l.translation as _translation
_fit, _fits, _losses = _d2l_torch.Trainer.fit, [], []
def _fit_and_report(self, model, data):
    _fit(self, model, data)
    _fits.append({label: [float(y) for _, y in line]
                  for label, line in model.board.data.items()})
    report('fits', _fits)
_d2l_torch.Trainer.fit = _fit_and_report
_board_init = _d2l_torch.ProgressBoard.__init__
def _board_without_figure(self, *args, **kwargs):  # no PNG of the board at each epoch's end
    _board_init(self, *args, **kwargs)
    self.display = False
_d2l_torch.ProgressBoard.__init__ = _board_without_figure
_loss_forward = _translation.MaskedSoftmaxCELoss.forward
def _recorded_loss(self, pred, label, valid_len):
    l = _loss_forward(self, pred, label, valid_len)
    _losses.append(float(l.sum()) / float(valid_len.sum()))
    return l
_translation.MaskedSoftmaxCELoss.forward = _recorded_loss
"""

SMALLER_EN = {  # d2l-en trains 30 epochs of layers 256 wide: 4 epochs, 32 wide
    "bahdanau-attention": {
        "max_epochs=30": "max_epochs=4",
        "embed_size, num_hiddens, num_layers, dropout = 256, 256, 2, 0.2":
            "embed_size, num_hiddens, num_layers, dropout = 32, 32, 2, 0.2"},
    "transformer": {
        "max_epochs=30": "max_epochs=4",
        "num_hiddens, num_blks, dropout = 256, 2, 0.2":
            "num_hiddens, num_blks, dropout = 32, 2, 0.2"},
}
SHORTER_ZH = {  # d2l-zh trains 250 and 200 epochs: 5
    "bahdanau-attention": {"lr, num_epochs, device = 0.005, 250, d2l.try_gpu()":
                           "lr, num_epochs, device = 0.005, 5, d2l.try_gpu()"},
    "transformer": {"lr, num_epochs, device = 0.005, 200, d2l.try_gpu()":
                    "lr, num_epochs, device = 0.005, 5, d2l.try_gpu()"},
}


def translations(stdout):
    return [line for line in printed(stdout) if " => " in line and "bleu" in line]


@pytest.mark.parametrize("section, figures_saved", [("bahdanau-attention", 1),
                                                    ("transformer", 3)])
def test_section_training_d2l_en(tmp_path, monkeypatch, section, figures_saved):
    stdout, reported = run_book(tmp_path, monkeypatch, "en", section, SMALLER_EN[section],
                                on_torch=False, prologue=LOSSES)
    ((fit,),) = [reported["fits"]]
    train, val = fit["train_loss"], fit["val_loss"]
    assert len(val) == 4 and train[-1] < 0.8 * train[0] and val[-1] < 0.8 * val[0], fit
    assert [line.split(" =>")[0] for line in translations(stdout)] == [
        "go .", "i lost .", "he's calm .", "i'm home ."]
    assert figures(stdout) == [f"show_heatmaps_{i}.png" for i in range(1, figures_saved + 1)]


@pytest.mark.parametrize("section, figures_saved", [("bahdanau-attention", 1),
                                                    ("transformer", 3)])
def test_section_training_d2l_zh(tmp_path, monkeypatch, section, figures_saved):
    stdout, reported = run_book(tmp_path, monkeypatch, "zh", section, SHORTER_ZH[section],
                                on_torch=False, prologue=LOSSES,
                                epilogue="report('losses', _losses)")
    losses = reported["losses"]
    batches = len(losses) // 5
    assert batches >= 5 and np.mean(losses[-batches:]) < 0.5 * losses[0], losses
    assert len(translations(stdout)) == 4
    assert figures(stdout) == [f"show_heatmaps_{i}.png" for i in range(1, figures_saved + 1)]


# ---- on a GPU ----


@pytest.mark.parametrize("edition", ["en", "zh"])
def test_transformer_on_the_device_as_on_the_cpu(edition):
    """The Transformer encoder-decoder on device 'cuda' of the stand-in CuPy (arrays that refuse
    any implicit trip to the host, tests/standin_cupy.py): the same outputs, attention weights
    and gradients as on the CPU (masked_softmax's mask and the positional encoding are made on
    the input's device)."""
    import standin_cupy

    X, Y, valid_lens = RNG.integers(0, 20, (3, 6)), RNG.integers(0, 20, (3, 5)), [2, 6, 4]
    results, weights = [], None
    for device in ("cpu", "cuda"):
        with standin_cupy.installed():
            model, _ = transformers(edition)
            encode_decode(model, *(glasstorch.tensor(a) for a in (X, valid_lens, Y)))  # sizes
            if weights is None:  # d2l-en's lazy layers, on the CPU: the same weights on both
                weights = model.state_dict()
            model.load_state_dict(weights)
            model.to(device)
            inputs = [glasstorch.tensor(a, device=device) for a in (X, valid_lens, Y)]
            output, enc_weights, dec_weights = encode_decode(model.train(), *inputs)
            output.sum().backward()
            assert output.device.type == device
            results.append([t.detach().cpu().numpy() for t in tensors(
                (output, enc_weights, dec_weights, [p.grad for p in model.parameters()]))])
    for cpu, cuda in zip(*results):
        np.testing.assert_allclose(cuda, cpu, atol=1e-5, rtol=1e-4)


def test_section_attention_pooling_en(tmp_path, monkeypatch):
    """Nadaraya-Watson attention pooling (the book sorts its random training inputs with
    torch.sort): run as a notebook on both libraries, the values shown agreeing."""
    epilogue = """
y_hat, attention_w = nadaraya_watson(x_train, y_train, x_val, gaussian)
report('sorted', bool((x_train[1:] >= x_train[:-1]).all()))
report('shapes', (tuple(y_hat.shape), tuple(attention_w.shape)))
report('columns sum to one', bool(((attention_w.sum(0) - 1).abs() < 1e-5).all()))
"""
    _, ours = run_book(tmp_path, monkeypatch, "en", "attention-pooling", epilogue=epilogue)
    assert ours["sorted"] is True and ours["columns sum to one"] is True
    assert ours["shapes"] == [[50], [40, 50]]  # reported as JSON


def test_section_nadaraya_watson_zh(tmp_path, monkeypatch):
    """d2l-zh's Nadaraya-Watson section: the parametric model's training loss falls (the
    stand-in d2l over PyTorch has no Animator, so this one runs on glasstorch only)."""
    stdout, _ = run_book(tmp_path, monkeypatch, "zh", "nadaraya-waston", on_torch=False)
    losses = {int(line.split()[1][:-1]): float(line.split("loss ")[1])
              for line in stdout.splitlines() if line.startswith("epoch ")}
    assert sorted(losses) == [1, 2, 3, 4, 5] and losses[5] < losses[1]
    assert figures(stdout)
