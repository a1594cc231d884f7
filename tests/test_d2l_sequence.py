"""d2l-en's recurrent chapters on glasstorch (d2l/sequence.py, the Vocab of d2l/text.py and the
stand-in texts of d2l/data_hub.py) against the book's code on PyTorch (seq_reference_en.py):
the same text, the same weights (copied through state_dict), the same outputs, losses,
gradients and predictions.

The book's timemachine.txt cannot be downloaded here: the tests use the stand-in glasstorch
ships (Alice in Wonderland, d2l.use_stand_in_data), which both sides read from the cache folder.
"""

import os
import random

import numpy as np
import pytest
import seq_reference_en as ref
import torch

import glasstorch
from glasstorch import d2l
from glasstorch.d2l import data_hub


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh ../data next to the working folder, stand-ins on; the text's path."""
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setattr(data_hub, "_stand_ins_on", True)
    return str(tmp_path / "data")


def stand_in_text():
    with open(os.path.join(os.path.dirname(d2l.__file__), "data", "alice29.txt")) as f:
        return f.read()


def same_weights(ours, theirs):
    """Copy theirs' parameters into ours (same state_dict names)."""
    state = {k: glasstorch.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    assert list(state) == list(ours.state_dict())
    ours.load_state_dict(state)


def close(ours, theirs, atol=1e-5):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=atol,
                               rtol=1e-4)


def grads_close(ours, theirs, atol=1e-5):
    named = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        close(param.grad, named[name].grad, atol)


def seeded(seed=0):
    torch.manual_seed(seed)
    glasstorch.manual_seed(seed)


# ---- Vocab: one class for both editions ----


TOKENS = [list("the time machine"), list("by h g wells"), ["the", "<pad>"]]


@pytest.mark.parametrize("kwargs", [{}, {"min_freq": 2}, {"reserved_tokens": ["<pad>", "<bos>"]},
                                    {"min_freq": 3, "reserved_tokens": ["<eos>"]}])
def test_vocab_sorted_is_d2l_ens(kwargs):
    text = stand_in_text()
    for tokens in (TOKENS, list(ref.TimeMachine._preprocess(None, text)), text.split()):
        vocab, vocab_t = d2l.Vocab(tokens, order="sorted", **kwargs), ref.Vocab(tokens, **kwargs)
        assert vocab.idx_to_token == vocab_t.idx_to_token
        assert vocab.token_to_idx == vocab_t.token_to_idx
        assert vocab.token_freqs == vocab_t.token_freqs
        assert vocab.unk == vocab_t.unk and len(vocab) == len(vocab_t)
        assert vocab[["t", "h", "no-such"]] == vocab_t[["t", "h", "no-such"]]
        indices = [1, 2, 3]
        assert vocab.to_tokens(indices) == vocab_t.to_tokens(indices)
        assert vocab.to_tokens(glasstorch.tensor(indices)) == vocab_t.to_tokens(
            torch.tensor(indices))
        assert vocab.to_tokens(glasstorch.tensor([2])) == vocab_t.to_tokens(torch.tensor([2]))
        assert vocab.to_tokens(2) == vocab_t.to_tokens(2)


def test_vocab_orders():
    tokens = list("abracadabra")
    zh, en = d2l.Vocab(tokens), d2l.Vocab(tokens, order="sorted")
    assert zh.idx_to_token == ["<unk>", "a", "b", "r", "c", "d"] and zh.unk == 0
    assert en.idx_to_token == ["<unk>", "a", "b", "c", "d", "r"]
    assert d2l.Vocab(["!", "z"], order="sorted").unk == 1  # '!' sorts before '<unk>'
    # one index, however given, is one token; several are a list
    for one in (3, glasstorch.tensor(3), glasstorch.tensor([3]), np.int64(3)):
        assert en.to_tokens(one) == "c" and zh.to_tokens(one) == "r"
    assert zh.to_tokens([3]) == ["r"] and en.to_tokens(np.array([3, 4])) == ["c", "d"]
    assert d2l.Vocab().idx_to_token == d2l.Vocab(order="sorted").idx_to_token == ["<unk>"]
    with pytest.raises(ValueError, match="order must be 'frequency'"):
        d2l.Vocab(tokens, order="alphabetical")


# ---- the time machine data module ----


def test_time_machine(cache):
    data = d2l.TimeMachine(batch_size=4, num_steps=7, num_train=50, num_val=20)
    data_t = ref.TimeMachine.__new__(ref.TimeMachine)  # the book's, on the same file
    ref.DataModule.__init__(data_t, root=cache)
    data_t.batch_size, data_t.num_steps, data_t.num_train, data_t.num_val = 4, 7, 50, 20
    corpus_t, vocab_t = data_t.build(data_t._download())
    corpus, vocab = data.build(data._download())
    assert corpus == corpus_t and vocab.idx_to_token == vocab_t.idx_to_token
    assert len(data.vocab) == 28  # 26 letters, space, <unk>, as the book's
    assert data._tokenize(data._preprocess("The Time-Machine!")) == list("the time machine ")
    array = torch.tensor([corpus_t[i:i + 8] for i in range(len(corpus_t) - 7)])
    np.testing.assert_array_equal(data.X.numpy(), array[:, :-1].numpy())
    np.testing.assert_array_equal(data.Y.numpy(), array[:, 1:].numpy())
    assert data.X.dtype == glasstorch.int64
    train, val = data.train_dataloader(), data.val_dataloader()
    assert len(train) == 13 and len(val) == 5  # 50 and 20 sequences in batches of 4
    X, Y = next(iter(val))  # validation is not shuffled: the sequences after the first 50
    np.testing.assert_array_equal(X.numpy(), array[50:54, :-1].numpy())
    np.testing.assert_array_equal(Y.numpy(), array[50:54, 1:].numpy())
    assert data.root == "../data" and os.path.exists(os.path.join(cache, "timemachine.txt"))


def test_time_machine_root_and_message(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as error:
        d2l.TimeMachine(2, 5, root=str(tmp_path / "books"))
    message = str(error.value)
    assert f"timemachine.txt is not in {tmp_path / 'books'}" in message
    assert "http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt" in message
    assert "d2l.use_stand_in_data()" in message and "data/alice29.txt" in message
    monkeypatch.setenv("GLASSTORCH_D2L_STAND_INS", "1")  # the environment's switch
    data = d2l.TimeMachine(2, 5, num_train=4, num_val=2, root=str(tmp_path / "books"))
    assert data.root == str(tmp_path / "books") and len(data.vocab) == 28
    monkeypatch.delenv("GLASSTORCH_D2L_STAND_INS")
    with pytest.raises(FileNotFoundError, match="is glasstorch's stand-in"):
        d2l.TimeMachine(2, 5, root=str(tmp_path / "books"))  # the stand-in is not the book's
    # another file under the book's name is neither used nor replaced by the stand-in
    (tmp_path / "books" / "timemachine.txt").write_text("The Time Traveller\n")
    with pytest.raises(FileNotFoundError, match="not the expected 090b5e7e"):
        d2l.TimeMachine(2, 5, root=str(tmp_path / "books"))
    monkeypatch.setenv("GLASSTORCH_D2L_STAND_INS", "1")
    with pytest.raises(FileNotFoundError, match="stand-in .* is used only in place of a missing"):
        d2l.TimeMachine(2, 5, root=str(tmp_path / "books"))
    assert (tmp_path / "books" / "timemachine.txt").read_text() == "The Time Traveller\n"


# ---- the RNN from scratch and its language model ----


def rnnlm_scratch_pair(vocab_size=28, num_hiddens=16, sigma=0.3, lr=1):
    seeded()
    rnn_t = ref.RNNScratch(vocab_size, num_hiddens, sigma)
    model_t = ref.RNNLMScratch(rnn_t, vocab_size, lr)
    rnn = d2l.RNNScratch(vocab_size, num_hiddens, sigma)
    model = d2l.RNNLMScratch(rnn, vocab_size, lr)
    same_weights(model, model_t)
    return model, model_t


def test_rnn_scratch():
    seeded()
    rnn, rnn_t = d2l.RNNScratch(10, 6), ref.RNNScratch(10, 6)
    assert rnn.W_xh.shape == (10, 6) and abs(float(rnn.W_xh.std()) - 0.01) < 0.004
    assert float(rnn.b_h.abs().sum()) == 0
    same_weights(rnn, rnn_t)
    X = torch.randn(5, 3, 10)
    for state in (None, (torch.randn(3, 6),)):
        outputs, H = rnn(glasstorch.tensor(X.numpy()),
                         None if state is None else (glasstorch.tensor(state[0].numpy()),))
        outputs_t, H_t = rnn_t(X, state)
        d2l.check_len(outputs, 5)
        d2l.check_shape(outputs[0], (3, 6))
        for o, o_t in zip(outputs, outputs_t):
            close(o, o_t)
        close(H, H_t)


def test_check_len_and_shape_messages():
    with pytest.raises(AssertionError, match="list's length 2 != expected length 3"):
        d2l.check_len([1, 2], 3)
    with pytest.raises(AssertionError, match=r"tensor's shape torch.Size\(\[2\]\) != expected"):
        d2l.check_shape(glasstorch.zeros(2), (3,))


def test_rnnlm_scratch_loss_gradients_and_prediction(cache):
    model, model_t = rnnlm_scratch_pair()
    X = torch.randint(0, 28, (4, 9))
    Y = torch.randint(0, 28, (4, 9))
    X_g, Y_g = glasstorch.tensor(X.numpy()), glasstorch.tensor(Y.numpy())
    close(model.one_hot(X_g), model_t.one_hot(X))
    out, out_t = model(X_g), model_t(X)
    assert out.shape == (4, 9, 28)
    close(out, out_t)
    l, l_t = model.loss(model(X_g), Y_g), model_t.loss(model_t(X), Y)
    close(l, l_t)
    l.backward()
    l_t.backward()
    grads_close(model, model_t)
    # the Trainer's gradient clipping: the joint norm is cut to 1
    d2l.Trainer(max_epochs=1, gradient_clip_val=1).clip_gradients(0.1, model)
    norm = sum(float((p.grad ** 2).sum()) for p in model.parameters()) ** 0.5
    assert abs(norm - 0.1) < 1e-5
    data = d2l.TimeMachine(batch_size=2, num_steps=5, num_train=10, num_val=5)
    assert model.predict("it has", 20, data.vocab) == model_t.predict("it has", 20, data.vocab)


def test_stacked_rnn_scratch():
    seeded()
    net, net_t = d2l.StackedRNNScratch(8, 5, 3, sigma=0.5), ref.StackedRNNScratch(8, 5, 3, 0.5)
    same_weights(net, net_t)
    X = torch.randn(4, 2, 8)
    outputs, Hs = net(glasstorch.tensor(X.numpy()))
    outputs_t, Hs_t = net_t(X)
    assert outputs.shape == (4, 2, 5) and len(Hs) == 3
    close(outputs, outputs_t)
    for H, H_t in zip(Hs, Hs_t):
        close(H, H_t)
    outputs.sum().backward()
    outputs_t.sum().backward()
    grads_close(net, net_t)


# ---- the concise RNN, GRU and LSTM ----


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_concise_language_models(kind, cache):
    seeded()
    if kind == "GRU":
        rnn, rnn_t = d2l.GRU(28, 12, num_layers=2), ref.GRU(28, 12, num_layers=2)
    else:
        rnn, rnn_t = getattr(d2l, kind)(28, 12), getattr(ref, kind)(28, 12)
    model, model_t = d2l.RNNLM(rnn, vocab_size=28, lr=1), ref.RNNLM(rnn_t, vocab_size=28, lr=1)
    X = torch.randint(0, 28, (3, 6))
    Y = torch.randint(0, 28, (3, 6))
    X_g, Y_g = glasstorch.tensor(X.numpy()), glasstorch.tensor(Y.numpy())
    model(X_g)
    model_t(X)  # the LazyLinear output layers learn their input size
    same_weights(model, model_t)
    close(model(X_g), model_t(X))
    l, l_t = model.loss(model(X_g), Y_g), model_t.loss(model_t(X), Y)
    close(l, l_t)
    l.backward()
    l_t.backward()
    grads_close(model, model_t, atol=1e-4)
    data = d2l.TimeMachine(batch_size=2, num_steps=5, num_train=10, num_val=5)
    assert model.predict("it has", 15, data.vocab) == model_t.predict("it has", 15, data.vocab)


def test_rnn_lm_learns_on_the_stand_in(cache):
    """The book's training of the from-scratch model (lr 1, clipping 1), shortened: perplexity
    falls from about the vocabulary size (28) well below it."""
    random.seed(0)
    seeded()
    data = d2l.TimeMachine(batch_size=256, num_steps=16, num_train=4096, num_val=512)
    rnn = d2l.RNNScratch(num_inputs=len(data.vocab), num_hiddens=32)
    model = d2l.RNNLMScratch(rnn, vocab_size=len(data.vocab), lr=1)
    model.board.display = False
    trainer = d2l.Trainer(max_epochs=6, gradient_clip_val=1)
    trainer.fit(model, data)
    perplexities = [point.y for point in model.board.data["val_ppl"]]
    assert perplexities[0] < 28 and perplexities[-1] < 15, perplexities  # 18.4 -> 13.5 here
