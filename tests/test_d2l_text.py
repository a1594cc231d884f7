"""d2l-zh's chapter 8 helpers on glasstorch (d2l/text.py) against the book's code on PyTorch
(text_reference.py): text preprocessing, vocabulary, sequence minibatches, the RNN from
scratch, its training loop and RNNModel.

The time machine text cannot be downloaded here, so a short text of our own stands in for it:
it is placed in the book's cache folder and DATA_HUB's entry is set to its SHA-1, as a reader
registering their own file would; read_time_machine's error without the file is tested too.
Both libraries draw the same minibatches (the iterators use Python's `random`, seeded alike)
and the models start from the same weights.
"""

import hashlib
import os
import random

import numpy as np
import pytest
import text_reference as ref
import torch

import glasstorch
from glasstorch import d2l
from glasstorch.d2l import data_hub

TEXT = """The Time Traveller (for so it will be convenient to speak of him) was
expounding a recondite matter to us. His grey eyes shone and twinkled, and his
usually pale face was flushed and animated. The fire burned brightly, and the
soft radiance of the incandescent lights in the lilies of silver caught the
bubbles that flashed and passed in our glasses.

'You must follow me carefully. I shall have to controvert one or two ideas
that are almost universally accepted.' -- 12 questions, 3 answers!
The time traveller smiled. 'Is not that rather a large thing to expect us to
begin upon?' said Filby, an argumentative person with red hair.
"""
CPU_G, CPU_T = glasstorch.device("cpu"), torch.device("cpu")


@pytest.fixture(autouse=True)
def time_machine(tmp_path, monkeypatch):
    """The stand-in text in ../data/timemachine.txt, registered with its SHA-1."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "timemachine.txt").write_text(TEXT)
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    url, _ = data_hub.DATA_HUB["time_machine"]
    sha1 = hashlib.sha1(TEXT.encode()).hexdigest()
    monkeypatch.setitem(data_hub.DATA_HUB, "time_machine", (url, sha1))
    return str(tmp_path / "data" / "timemachine.txt")


def same_batches(ours, theirs):
    ours, theirs = list(ours), list(theirs)
    assert len(ours) == len(theirs) > 0
    for (X, Y), (X_t, Y_t) in zip(ours, theirs, strict=True):
        assert X.dtype == glasstorch.int64 and tuple(X.shape) == tuple(X_t.shape)
        np.testing.assert_array_equal(X.numpy(), X_t.numpy())
        np.testing.assert_array_equal(Y.numpy(), Y_t.numpy())


# ---- text preprocessing ----


def test_read_time_machine(time_machine):
    lines = d2l.read_time_machine()
    assert lines == ref.read_time_machine(time_machine)
    assert lines[0] == "the time traveller for so it will be convenient to speak of him was"


def test_read_time_machine_without_the_file_says_where_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setitem(data_hub.DATA_HUB, "time_machine",
                        (d2l.DATA_URL + "timemachine.txt",
                         "090b5e7e70c295757f55df93cb0a180b9691891a"))  # the book's entry
    with pytest.raises(FileNotFoundError) as error:  # our text has another SHA-1
        d2l.read_time_machine()
    assert "090b5e7e70c295757f55df93cb0a180b9691891a" in str(error.value)
    os.remove(tmp_path / "data" / "timemachine.txt")
    with pytest.raises(FileNotFoundError) as error:
        d2l.load_data_time_machine(2, 5)
    message = str(error.value)
    assert "timemachine.txt" in message and str(tmp_path / "data") in message
    assert "http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt" in message


@pytest.mark.parametrize("token", ["word", "char"])
def test_tokenize(time_machine, token):
    lines = d2l.read_time_machine()
    assert d2l.tokenize(lines, token) == ref.tokenize(lines, token)


def test_tokenize_unknown_token_prints_an_error_as_the_book(capsys):
    assert d2l.tokenize(["a b"], "sentence") is None
    assert ref.tokenize(["a b"], "sentence") is None
    printed = capsys.readouterr().out
    assert printed == "ERROR: unknown token type: sentence\n" * 2


def test_count_corpus():
    for tokens in [[["a", "b"], ["b"]], ["a", "b", "b"], [], "abb"]:
        assert d2l.count_corpus(tokens) == ref.count_corpus(tokens)


@pytest.mark.parametrize("kwargs", [{}, {"min_freq": 2}, {"reserved_tokens": ["<pad>", "<bos>"]},
                                    {"min_freq": 3, "reserved_tokens": ["the"]}])
def test_vocab(time_machine, kwargs):
    tokens = d2l.tokenize(d2l.read_time_machine())
    vocab, vocab_t = d2l.Vocab(tokens, **kwargs), ref.Vocab(tokens, **kwargs)
    assert len(vocab) == len(vocab_t)
    assert vocab.idx_to_token == vocab_t.idx_to_token
    assert vocab.token_to_idx == vocab_t.token_to_idx
    assert vocab.token_freqs == vocab_t.token_freqs
    assert vocab.unk == vocab_t.unk == 0
    query = ["the", "time", "no-such-word", ("traveller", "his")]
    assert vocab[query[:3]] == vocab_t[query[:3]]
    assert vocab[query[3]] == vocab_t[query[3]]
    assert vocab["no-such-word"] == 0
    assert vocab.to_tokens([1, 2, 3]) == vocab_t.to_tokens([1, 2, 3])
    assert vocab.to_tokens(4) == vocab_t.to_tokens(4)


def test_empty_vocab():
    assert d2l.Vocab().idx_to_token == ref.Vocab().idx_to_token == ["<unk>"]


@pytest.mark.parametrize("max_tokens", [-1, 100])
def test_load_corpus_time_machine(time_machine, max_tokens):
    corpus, vocab = d2l.load_corpus_time_machine(max_tokens)
    corpus_t, vocab_t = ref.load_corpus_time_machine(time_machine, max_tokens)
    assert corpus == corpus_t
    assert vocab.idx_to_token == vocab_t.idx_to_token
    assert len(corpus) == (100 if max_tokens > 0 else len(corpus_t))


# ---- sequence minibatches ----


@pytest.mark.parametrize("batch_size, num_steps", [(2, 5), (3, 7), (1, 1)])
@pytest.mark.parametrize("kind", ["random", "sequential"])
def test_seq_data_iter(kind, batch_size, num_steps):
    corpus = list(range(35))
    ours = getattr(d2l, f"seq_data_iter_{kind}")
    theirs = getattr(ref, f"seq_data_iter_{kind}")
    for seed in range(3):
        random.seed(seed)
        batches = list(ours(corpus, batch_size, num_steps))
        random.seed(seed)
        same_batches(batches, theirs(corpus, batch_size, num_steps))


@pytest.mark.parametrize("use_random_iter", [False, True])
def test_load_data_time_machine(time_machine, use_random_iter):
    train_iter, vocab = d2l.load_data_time_machine(4, 6, use_random_iter, max_tokens=300)
    train_iter_t, vocab_t = ref.load_data_time_machine(time_machine, 4, 6, use_random_iter, 300)
    assert isinstance(train_iter, d2l.SeqDataLoader)
    assert train_iter.data_iter_fn is (d2l.seq_data_iter_random if use_random_iter
                                       else d2l.seq_data_iter_sequential)
    assert vocab.idx_to_token == vocab_t.idx_to_token
    assert train_iter.corpus == train_iter_t.corpus and len(train_iter.corpus) == 300
    for seed in range(2):  # each pass draws a new offset
        random.seed(seed)
        batches = list(train_iter)
        random.seed(seed)
        same_batches(batches, train_iter_t)


# ---- the RNN from scratch (the chapter's get_params / init_rnn_state / rnn) ----


def scratch_functions(lib, weights):
    """The chapter's from-scratch RNN on `lib`, its parameters set to `weights`."""

    def get_params(vocab_size, num_hiddens, device):
        params = [lib.tensor(w, device=device) for w in weights]  # W_xh, W_hh, b_h, W_hq, b_q
        for param in params:
            param.requires_grad_(True)
        return params

    def init_rnn_state(batch_size, num_hiddens, device):
        return (lib.zeros((batch_size, num_hiddens), device=device), )

    def rnn(inputs, state, params):
        W_xh, W_hh, b_h, W_hq, b_q = params
        H, = state
        outputs = []
        for X in inputs:
            H = lib.tanh(lib.mm(X, W_xh) + lib.mm(H, W_hh) + b_h)
            Y = lib.mm(H, W_hq) + b_q
            outputs.append(Y)
        return lib.cat(outputs, dim=0), (H,)

    return get_params, init_rnn_state, rnn


def scratch_nets(vocab_size, num_hiddens=16, scale=0.5):
    """The from-scratch RNN in both libraries, with the same weights: N(0, scale^2). Training
    runs use the book's 0.01; with large weights and lr=1 rounding differences grow ~10x per
    epoch, and the two runs part after a few epochs."""
    rng = np.random.default_rng(0)
    shapes = [(vocab_size, num_hiddens), (num_hiddens, num_hiddens), (num_hiddens,),
              (num_hiddens, vocab_size), (vocab_size,)]
    weights = [(rng.standard_normal(shape) * scale).astype(np.float32) for shape in shapes]
    net = d2l.RNNModelScratch(vocab_size, num_hiddens, CPU_G,
                              *scratch_functions(glasstorch, weights))
    net_t = ref.RNNModelScratch(vocab_size, num_hiddens, CPU_T,
                                *scratch_functions(torch, weights))
    return net, net_t


def close(ours, theirs, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol, atol)


def test_rnn_model_scratch_forward_and_state():
    net, net_t = scratch_nets(28)
    X = np.array([[1, 5, 3, 2, 7], [0, 4, 27, 9, 9]])
    state, state_t = net.begin_state(2, CPU_G), net_t.begin_state(2, CPU_T)
    Y, new_state = net(glasstorch.tensor(X), state)
    Y_t, new_state_t = net_t(torch.tensor(X), state_t)
    assert tuple(Y.shape) == (10, 28) and len(new_state) == 1
    close(Y, Y_t)
    close(new_state[0], new_state_t[0])


def test_predict_ch8(time_machine):
    _, vocab = d2l.load_corpus_time_machine()
    net, net_t = scratch_nets(len(vocab))
    for prefix in ["time traveller ", "t"]:
        prediction = d2l.predict_ch8(prefix, 10, net, vocab, CPU_G)
        assert prediction == ref.predict_ch8(prefix, 10, net_t, vocab, CPU_T)
        assert len(prediction) == len(prefix) + 10 and prediction.startswith(prefix)


@pytest.mark.parametrize("theta", [1e-3, 1e3])  # clipped, and left alone
def test_grad_clipping(theta):
    net, net_t = scratch_nets(28)
    X = np.array([[1, 5, 3], [0, 4, 27]])
    for model, lib, device in [(net, glasstorch, CPU_G), (net_t, torch, CPU_T)]:
        Y, _ = model(lib.tensor(X), model.begin_state(2, device))
        (Y ** 2).sum().backward()
    before = [p.grad.numpy().copy() for p in net.params]
    d2l.grad_clipping(net, theta)
    ref.grad_clipping(net_t, theta)
    for p, p_t in zip(net.params, net_t.params, strict=True):
        close(p.grad, p_t.grad, rtol=1e-4, atol=1e-5)
    norm = np.sqrt(sum((p.grad.numpy().astype(np.float64) ** 2).sum() for p in net.params))
    if theta < 1:
        assert norm == pytest.approx(theta, rel=1e-4)
    else:
        for p, grad in zip(net.params, before, strict=True):
            np.testing.assert_array_equal(p.grad.numpy(), grad)


@pytest.mark.parametrize("use_random_iter", [False, True])
def test_train_epoch_ch8_scratch(time_machine, use_random_iter):
    train_iter, vocab = d2l.load_data_time_machine(4, 8, use_random_iter, max_tokens=400)
    train_iter_t, _ = ref.load_data_time_machine(time_machine, 4, 8, use_random_iter, 400)
    net, net_t = scratch_nets(len(vocab), scale=0.01)
    loss, loss_t = glasstorch.nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    for epoch in range(3):
        random.seed(epoch)
        ppl, speed = d2l.train_epoch_ch8(net, train_iter, loss,
                                         lambda batch_size: d2l.sgd(net.params, 1, batch_size),
                                         CPU_G, use_random_iter)
        random.seed(epoch)
        ppl_t, _ = ref.train_epoch_ch8(net_t, train_iter_t, loss_t,
                                       lambda batch_size: ref.sgd(net_t.params, 1, batch_size),
                                       CPU_T, use_random_iter)
        assert ppl == pytest.approx(ppl_t, rel=1e-4) and speed > 0
    for p, p_t in zip(net.params, net_t.params, strict=True):
        close(p, p_t, rtol=1e-4, atol=1e-5)


def printed_without_speed(text):
    """The lines train_ch8 prints, with the tokens/sec figure (timing) taken out."""
    lines = [line for line in text.splitlines() if not line.startswith("epoch ")]  # Animator
    return [line.split(",")[0] if line.startswith("perplexity") else line for line in lines]


def test_train_ch8_scratch(time_machine, capsys):
    train_iter, vocab = d2l.load_data_time_machine(4, 8, max_tokens=240)
    train_iter_t, _ = ref.load_data_time_machine(time_machine, 4, 8, max_tokens=240)
    net, net_t = scratch_nets(len(vocab), scale=0.01)
    random.seed(0)
    d2l.train_ch8(net, train_iter, vocab, 1, 10, CPU_G)
    ours = capsys.readouterr().out
    random.seed(0)
    ref.train_ch8(net_t, train_iter_t, vocab, 1, 10, CPU_T)
    theirs = capsys.readouterr().out
    assert printed_without_speed(ours) == printed_without_speed(theirs)
    assert "epoch 10: train " in ours  # the Animator's progress line in a terminal
    assert ours.splitlines()[-3].startswith("perplexity ")
    assert ours.splitlines()[-2].startswith("time traveller")


# ---- RNNModel, with a stand-in for nn.RNN (glasstorch has none yet) ----


class StandInRNN(glasstorch.nn.Module):
    """nn.RNN(input_size, hidden_size) (one layer, tanh, time-major): its attributes, its
    parameter names and its maths, for RNNModel to wrap."""

    def __init__(self, input_size, hidden_size, bidirectional=False):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.num_layers, self.bidirectional = 1, bidirectional
        empty = glasstorch.empty
        self.weight_ih_l0 = glasstorch.nn.Parameter(empty(hidden_size, input_size))
        self.weight_hh_l0 = glasstorch.nn.Parameter(empty(hidden_size, hidden_size))
        self.bias_ih_l0 = glasstorch.nn.Parameter(empty(hidden_size))
        self.bias_hh_l0 = glasstorch.nn.Parameter(empty(hidden_size))

    def forward(self, X, state):
        H = state[0]
        outputs = []
        for x in X:
            H = glasstorch.tanh(x @ self.weight_ih_l0.T + self.bias_ih_l0
                                + H @ self.weight_hh_l0.T + self.bias_hh_l0)
            outputs.append(H)
        return glasstorch.stack(outputs), H.unsqueeze(0)


def rnn_models(vocab_size, num_hiddens=16):
    """d2l.RNNModel on the stand-in and the book's RNNModel on torch's nn.RNN, same weights."""
    torch.manual_seed(0)
    net_t = ref.RNNModel(torch.nn.RNN(vocab_size, num_hiddens), vocab_size)
    net = d2l.RNNModel(StandInRNN(vocab_size, num_hiddens), vocab_size)
    assert list(net.state_dict()) == list(net_t.state_dict())
    net.load_state_dict({name: glasstorch.tensor(value.numpy())
                         for name, value in net_t.state_dict().items()})
    return net, net_t


def test_rnn_model_forward_and_begin_state():
    net, net_t = rnn_models(28)
    assert (net.num_hiddens, net.num_directions) == (16, 1)
    assert isinstance(net, glasstorch.nn.Module) and net.linear.in_features == 16
    state, state_t = net.begin_state(CPU_G, batch_size=2), net_t.begin_state(CPU_T, 2)
    assert tuple(state.shape) == tuple(state_t.shape) == (1, 2, 16)
    assert tuple(net.begin_state(CPU_G).shape) == (1, 1, 16)
    X = np.array([[1, 5, 3, 2, 7], [0, 4, 27, 9, 9]])
    Y, new_state = net(glasstorch.tensor(X), state)
    Y_t, new_state_t = net_t(torch.tensor(X), state_t)
    assert tuple(Y.shape) == (10, 28)
    close(Y, Y_t)
    close(new_state, new_state_t)


def test_rnn_model_bidirectional_layer_doubles_the_output_features():
    net = d2l.RNNModel(StandInRNN(28, 8, bidirectional=True), 28)
    net_t = ref.RNNModel(torch.nn.RNN(28, 8, bidirectional=True), 28)
    assert net.num_directions == net_t.num_directions == 2
    assert net.linear.in_features == net_t.linear.in_features == 16
    assert tuple(net.begin_state(CPU_G, 3).shape) == tuple(net_t.begin_state(CPU_T, 3).shape)


def test_train_ch8_concise(time_machine, capsys):
    train_iter, vocab = d2l.load_data_time_machine(4, 8, max_tokens=240)
    train_iter_t, _ = ref.load_data_time_machine(time_machine, 4, 8, max_tokens=240)
    net, net_t = rnn_models(len(vocab))
    random.seed(0)
    d2l.train_ch8(net, train_iter, vocab, 1, 10, CPU_G)  # nn.Module: optim.SGD, state detach_
    ours = capsys.readouterr().out
    random.seed(0)
    ref.train_ch8(net_t, train_iter_t, vocab, 1, 10, CPU_T)
    theirs = capsys.readouterr().out
    assert printed_without_speed(ours) == printed_without_speed(theirs)
    for p, p_t in zip(net.parameters(), net_t.parameters(), strict=True):
        close(p, p_t, rtol=1e-4, atol=1e-5)
