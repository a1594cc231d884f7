"""Machine translation and seq2seq on glasstorch (d2l/translation.py), both editions, against the
books' code on PyTorch: d2l-zh v2's chapter 9 (seq_reference_zh.py) and d2l-en's
(seq_reference_en.py). Same text, same weights (copied through state_dict), same arrays,
vocabularies, outputs, losses, gradients and translations.

The book's fra-eng.zip cannot be downloaded here: the tests use the English-French corpus
glasstorch ships (d2l.use_stand_in_data), which both sides read from the cache folder.
"""

import os
import zipfile

import numpy as np
import pytest
import seq_reference_en as ref_en
import seq_reference_zh as ref_zh
import torch

import glasstorch
from glasstorch import d2l
from glasstorch.d2l import data_hub


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh ../data next to the working folder, stand-ins on; the folder's path."""
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setattr(data_hub, "_stand_ins_on", True)
    return str(tmp_path / "data")


def g(tensor):
    return glasstorch.tensor(tensor.numpy())


def equal(ours, theirs):
    assert ours.dtype == getattr(glasstorch, str(theirs.dtype).split(".")[1])
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def close(ours, theirs, atol=1e-5):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=atol,
                               rtol=1e-4)


def copy_weights(ours, theirs, rename=lambda name: name):
    """Theirs' parameters into ours; `rename` maps our names to theirs."""
    state = theirs.state_dict()
    ours.load_state_dict({name: g(state[rename(name)]) for name in ours.state_dict()})


def zh_name(name):
    """d2l-zh's Seq2SeqEncoder holds nn.GRU as rnn, ours d2l.GRU (rnn.rnn)."""
    return name.replace("rnn.rnn.", "rnn.")


# ---- the data set: d2l-zh's functions ----


def test_read_and_preprocess(cache):
    text = d2l.read_data_nmt()
    assert text == ref_zh.read_data_nmt(os.path.join(cache, "fra-eng"))
    assert text.startswith("Go.\tBouge\u202f!\nGo.\tEn route\u202f!\nGo.\tVa\u202f!\n")
    processed = d2l.preprocess_nmt(text)
    assert processed == ref_zh.preprocess_nmt(text)
    assert processed.startswith("go .\tbouge !\ngo .\ten route !\ngo .\tva !\n")
    for num_examples in (None, 10, 600):
        source, target = d2l.tokenize_nmt(processed, num_examples)
        assert (source, target) == ref_zh.tokenize_nmt(processed, num_examples)
    assert len(source) == 601 and source[0] == ["go", "."] and target[0] == ["bouge", "!"]
    all_source, _ = d2l.tokenize_nmt(processed)
    assert len(all_source) == 2443  # the stand-in's sentence pairs


def test_truncate_pad_and_build_array(cache):
    assert d2l.truncate_pad([1, 2, 3], 5, 0) == ref_zh.truncate_pad([1, 2, 3], 5, 0)
    assert d2l.truncate_pad([1, 2, 3, 4, 5, 6], 4, 0) == [1, 2, 3, 4]
    source, _ = d2l.tokenize_nmt(d2l.preprocess_nmt(d2l.read_data_nmt()), 300)
    vocab = d2l.Vocab(source, min_freq=2, reserved_tokens=["<pad>", "<bos>", "<eos>"])
    vocab_t = ref_zh.Vocab(source, min_freq=2, reserved_tokens=["<pad>", "<bos>", "<eos>"])
    assert vocab.idx_to_token == vocab_t.idx_to_token
    for num_steps in (4, 10):
        array, valid_len = d2l.build_array_nmt(source, vocab, num_steps)
        array_t, valid_len_t = ref_zh.build_array_nmt(source, vocab_t, num_steps)
        equal(array, array_t)
        equal(valid_len, valid_len_t)


def test_load_data_nmt(cache):
    data_iter, src_vocab, tgt_vocab = d2l.load_data_nmt(batch_size=600, num_steps=8)
    data_iter_t, src_vocab_t, tgt_vocab_t = ref_zh.load_data_nmt(
        os.path.join(cache, "fra-eng"), batch_size=600, num_steps=8)
    assert src_vocab.idx_to_token == src_vocab_t.idx_to_token
    assert tgt_vocab.idx_to_token == tgt_vocab_t.idx_to_token
    # one batch of all 601 examples but the last: the same rows, in another order
    (X, X_valid_len, Y, Y_valid_len), = list(data_iter)[:1]
    arrays_t = data_iter_t.dataset.tensors
    assert X.shape == (600, 8) and X.dtype == glasstorch.int64
    assert str(X_valid_len.dtype) == str(arrays_t[1].dtype) == "torch.int64"  # an int32 sum
    rows = sorted(map(tuple, np.concatenate(
        [X.numpy(), X_valid_len.numpy()[:, None], Y.numpy(), Y_valid_len.numpy()[:, None]], 1)))
    rows_t = set(map(tuple, np.concatenate(
        [arrays_t[0].numpy(), arrays_t[1].numpy()[:, None], arrays_t[2].numpy(),
         arrays_t[3].numpy()[:, None]], 1)))
    assert set(rows) <= rows_t and len(rows_t) >= 590


def test_fra_eng_message(tmp_path, monkeypatch):
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    with pytest.raises(FileNotFoundError) as error:
        d2l.load_data_nmt(2, 8)
    message = str(error.value)
    assert f"fra-eng.zip is not in {tmp_path / 'data'}" in message
    assert "http://d2l-data.s3-accelerate.amazonaws.com/fra-eng.zip" in message
    assert "d2l.use_stand_in_data()" in message and "data/fra-eng-small.txt" in message
    with pytest.raises(FileNotFoundError, match="fra-eng.zip is not in"):
        d2l.MTFraEng(batch_size=2)
    d2l.use_stand_in_data()
    try:
        assert len(d2l.MTFraEng(batch_size=2).src_vocab) > 10
    finally:
        d2l.use_stand_in_data(False)
    with pytest.raises(FileNotFoundError, match="is glasstorch's stand-in"):
        d2l.read_data_nmt()  # the stand-in in the cache is not the book's file
    # the stand-in zip has the same bytes every time
    assert data_hub.stand_in_bytes("fra-eng.zip") == data_hub.stand_in_bytes("fra-eng.zip")
    # a stand-in that an earlier glasstorch wrote (another corpus) is recognised and replaced
    old = tmp_path / "data" / "fra-eng.zip"
    with zipfile.ZipFile(old, "w") as archive:
        archive.writestr("fra-eng/fra.txt", "Go.\tVa !\nHi.\tSalut !\n")
        archive.comment = b"glasstorch stand-in"
    with pytest.raises(FileNotFoundError, match="is glasstorch's stand-in"):
        d2l.read_data_nmt()
    d2l.use_stand_in_data()
    try:
        assert d2l.read_data_nmt().count("\n") == 2443
    finally:
        d2l.use_stand_in_data(False)
    assert old.read_bytes() == data_hub.stand_in_bytes("fra-eng.zip")


def test_sequence_mask_and_masked_loss():
    X = torch.randn(3, 5, 4)
    valid_len = torch.tensor([1, 5, 0])
    equal(d2l.sequence_mask(g(X), g(valid_len)), ref_zh.sequence_mask(X.clone(), valid_len))
    equal(d2l.sequence_mask(g(X), g(valid_len), value=-1),
          ref_zh.sequence_mask(X.clone(), valid_len, value=-1))
    pred = torch.randn(3, 5, 10, requires_grad=True)
    label = torch.randint(0, 10, (3, 5))
    pred_g = g(pred.detach()).requires_grad_(True)
    l, l_t = (d2l.MaskedSoftmaxCELoss()(pred_g, g(label), g(valid_len)),
              ref_zh.MaskedSoftmaxCELoss()(pred, label, valid_len))
    close(l, l_t)
    l.sum().backward()
    l_t.sum().backward()
    close(pred_g.grad, pred.grad)


# ---- the encoder-decoder, both editions ----


def test_encoder_decoder_bases():
    with pytest.raises(NotImplementedError):
        d2l.Encoder()(glasstorch.zeros(1))
    with pytest.raises(NotImplementedError):
        d2l.Decoder().init_state(None)
    assert issubclass(d2l.EncoderDecoder, d2l.Classifier)
    assert issubclass(d2l.Seq2Seq, d2l.EncoderDecoder)


def test_seq2seq_zh(cache):
    """d2l-zh's seq2seq: the section's decoder over d2l.Seq2SeqEncoder in d2l.EncoderDecoder,
    whose forward returns (output, state); train_seq2seq and predict_seq2seq give what the
    book's code gives from the same weights."""
    train_iter, src_vocab, tgt_vocab = d2l.load_data_nmt(batch_size=64, num_steps=8)
    sizes = len(src_vocab), len(tgt_vocab)
    torch.manual_seed(0)
    encoder_t = ref_zh.Seq2SeqEncoder(sizes[0], embed_size=8, num_hiddens=16, num_layers=2)
    decoder_t = ref_zh.Seq2SeqDecoder(sizes[1], embed_size=8, num_hiddens=16, num_layers=2)
    net_t = ref_zh.EncoderDecoder(encoder_t, decoder_t)
    encoder = d2l.Seq2SeqEncoder(sizes[0], embed_size=8, num_hiddens=16, num_layers=2)
    decoder = SectionDecoderZh(sizes[1], embed_size=8, num_hiddens=16, num_layers=2)
    net = d2l.EncoderDecoder(encoder, decoder)
    copy_weights(net, net_t, zh_name)
    X = torch.randint(0, 10, (4, 7))
    output, state = encoder(g(X))
    output_t, state_t = encoder_t(X)
    assert output.shape == (7, 4, 16) and state.shape == (2, 4, 16)
    close(output, output_t)
    close(state, state_t)
    Y_hat, dec_state = net(g(X), g(X), g(torch.tensor([7, 3, 5, 1])))
    Y_hat_t, dec_state_t = net_t(X, X, torch.tensor([7, 3, 5, 1]))
    close(Y_hat, Y_hat_t)
    close(dec_state, dec_state_t)
    # translation, untrained: the same tokens from the same weights
    for sentence in ("go .", "i'm happy .", "he likes the cat ."):
        assert d2l.predict_seq2seq(net, sentence, src_vocab, tgt_vocab, 8, "cpu") == \
            ref_zh.predict_seq2seq(net_t, sentence, src_vocab, tgt_vocab, 8, "cpu")


class SectionDecoderZh(d2l.Decoder):
    """d2l-zh's seq2seq section's decoder, on glasstorch (the book's code)."""

    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0, **kwargs):
        super().__init__(**kwargs)
        self.embedding = glasstorch.nn.Embedding(vocab_size, embed_size)
        self.rnn = glasstorch.nn.GRU(embed_size + num_hiddens, num_hiddens, num_layers,
                                     dropout=dropout)
        self.dense = glasstorch.nn.Linear(num_hiddens, vocab_size)

    def init_state(self, enc_outputs, *args):
        return enc_outputs[1]

    def forward(self, X, state):
        X = self.embedding(X).permute(1, 0, 2)
        context = state[-1].repeat(X.shape[0], 1, 1)
        X_and_context = glasstorch.cat((X, context), 2)
        output, state = self.rnn(X_and_context, state)
        output = self.dense(output).permute(1, 0, 2)
        return output, state


def test_train_seq2seq_zh(cache, monkeypatch, capsys):
    """Three epochs of train_seq2seq on one batch of the stand-in, from the same weights on both
    sides (the book initialises them with xavier_uniform_ at random: here both keep the copied
    ones), print the same loss; it falls."""
    monkeypatch.setattr(glasstorch.nn.init, "xavier_uniform_", lambda tensor: tensor)
    monkeypatch.setattr(torch.nn.init, "xavier_uniform_", lambda tensor: tensor)
    torch.manual_seed(1)
    net_t = ref_zh.EncoderDecoder(ref_zh.Seq2SeqEncoder(200, 16, 32, 2),
                                  ref_zh.Seq2SeqDecoder(200, 16, 32, 2))
    net = d2l.EncoderDecoder(d2l.Seq2SeqEncoder(200, 16, 32, 2),
                             SectionDecoderZh(200, 16, 32, 2))
    copy_weights(net, net_t, zh_name)
    data_iter, _, tgt_vocab = d2l.load_data_nmt(batch_size=256, num_steps=8, num_examples=255)
    data_iter_t, _, tgt_vocab_t = ref_zh.load_data_nmt(os.path.join(cache, "fra-eng"), 256, 8,
                                                       num_examples=255)
    assert len(data_iter) == len(data_iter_t) == 1  # one batch: order plays no part
    losses = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small products: torch's threads only wait for each other here
    try:
        for _ in range(3):
            d2l.train_seq2seq(net, data_iter, 0.005, 1, tgt_vocab, "cpu")
            ref_zh.train_seq2seq(net_t, data_iter_t, 0.005, 1, tgt_vocab_t, "cpu")
            ours, theirs = (line.split(",")[0] for line in capsys.readouterr().out.splitlines())
            assert ours == theirs, (ours, theirs)
            losses.append(float(ours.split()[1]))
    finally:
        torch.set_num_threads(threads)
    assert losses[2] < losses[0]


# ---- d2l-en: MTFraEng, Seq2Seq ----


def section_decoder_en():
    """d2l-en's seq2seq section's Seq2SeqDecoder on glasstorch (the book's code)."""
    nn = glasstorch.nn

    class Seq2SeqDecoder(d2l.Decoder):
        def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0):
            super().__init__()
            self.embedding = nn.Embedding(vocab_size, embed_size)
            self.rnn = d2l.GRU(embed_size + num_hiddens, num_hiddens, num_layers, dropout)
            self.dense = nn.LazyLinear(vocab_size)
            self.apply(d2l.init_seq2seq)

        def init_state(self, enc_all_outputs, *args):
            return enc_all_outputs

        def forward(self, X, state):
            embs = self.embedding(d2l.astype(d2l.transpose(X), d2l.int32))
            enc_output, hidden_state = state
            context = enc_output[-1]
            context = context.repeat(embs.shape[0], 1, 1)
            embs_and_context = d2l.concat((embs, context), -1)
            outputs, hidden_state = self.rnn(embs_and_context, hidden_state)
            outputs = d2l.swapaxes(self.dense(outputs), 0, 1)
            return outputs, [enc_output, hidden_state]

    return Seq2SeqDecoder


def mt_fra_eng_reference(cache, **kwargs):
    data_t = ref_en.MTFraEng.__new__(ref_en.MTFraEng)
    ref_en.DataModule.__init__(data_t, root=cache)
    options = {"batch_size": 4, "num_steps": 9, "num_train": 512, "num_val": 128} | kwargs
    for name, value in options.items():
        setattr(data_t, name, value)
    data_t.arrays, data_t.src_vocab, data_t.tgt_vocab = data_t._build_arrays(data_t._download())
    return data_t


@pytest.mark.parametrize("kwargs", [{}, {"num_steps": 5, "num_train": 100, "num_val": 20}])
def test_mt_fra_eng(cache, kwargs):
    data = d2l.MTFraEng(batch_size=4, **kwargs)
    data_t = mt_fra_eng_reference(cache, **kwargs)
    assert data.src_vocab.idx_to_token == data_t.src_vocab.idx_to_token
    assert data.tgt_vocab.idx_to_token == data_t.tgt_vocab.idx_to_token
    for array, array_t in zip(data.arrays, data_t.arrays, strict=True):
        equal(array, array_t)
    text = data._download()
    assert data._preprocess(text) == data_t._preprocess(text)
    assert data._tokenize(data._preprocess(text), 30) == data_t._tokenize(
        data_t._preprocess(text), 30)
    sentences = (["hi .", "i'm happy ."], ["salut !", "je suis content ."])
    for array, array_t in zip(data.build(*sentences), data_t.build(*sentences), strict=True):
        equal(array, array_t)
    src, tgt, src_valid_len, label = next(iter(data.val_dataloader()))
    num_steps = kwargs.get("num_steps", 9)
    assert src.shape == tgt.shape == label.shape == (4, num_steps)
    equal(src, data_t.arrays[0][kwargs.get("num_train", 512):][:4])
    assert len(data.train_dataloader()) == kwargs.get("num_train", 512) // 4


def test_seq2seq_en(cache):
    """d2l-en's Seq2Seq with the section's decoder: forward returns the decoder's output only,
    the (book's masked) loss, its gradients and predict_step's greedy translations are the book's
    from the same weights."""
    torch.manual_seed(0)
    data = d2l.MTFraEng(batch_size=16)
    src_size, tgt_size = len(data.src_vocab), len(data.tgt_vocab)
    pad = data.tgt_vocab["<pad>"]
    encoder_t = ref_en.Seq2SeqEncoder(src_size, 8, 16, 2)
    decoder_t = ref_en.Seq2SeqDecoder(tgt_size, 8, 16, 2)
    model_t = ref_en.Seq2Seq(encoder_t, decoder_t, tgt_pad=pad, lr=0.005)
    model = d2l.Seq2Seq(d2l.Seq2SeqEncoder(src_size, 8, 16, 2),
                        section_decoder_en()(tgt_size, 8, 16, 2), tgt_pad=pad, lr=0.005)
    batch = next(iter(data.val_dataloader()))
    batch_t = [torch.tensor(a.numpy()) for a in batch]
    Y_hat, Y_hat_t = model(*batch[:-1]), model_t(*batch_t[:-1])  # the LazyLinear's shapes
    copy_weights(model, model_t)
    Y_hat, Y_hat_t = model(*batch[:-1]), model_t(*batch_t[:-1])
    assert Y_hat.shape == (16, 9, tgt_size)
    close(Y_hat, Y_hat_t)
    l_t = ref_en.seq2seq_loss(model_t, Y_hat_t, batch_t[-1])
    l = model.loss(Y_hat, batch[-1], averaged=False)  # the section's masked loss, on ours
    mask = (batch[-1].reshape(-1) != pad).type(glasstorch.float32)
    l = (l * mask).sum() / mask.sum()
    close(l, l_t)
    l.backward()
    l_t.backward()
    named = dict(model_t.named_parameters())
    for name, param in model.named_parameters():
        close(param.grad, named[name].grad, atol=1e-4)
    preds, _ = model.predict_step(batch, "cpu", data.num_steps)
    preds_t, _ = model_t.predict_step(batch_t, "cpu", data.num_steps)
    equal(preds, preds_t)
    assert isinstance(model.configure_optimizers(), glasstorch.optim.Adam)


def test_init_seq2seq():
    glasstorch.manual_seed(0)
    encoder = d2l.Seq2SeqEncoder(50, 8, 100, 2)
    weight = encoder.rnn.rnn.weight_hh_l1  # xavier_uniform_: bound sqrt(6 / (100 + 300))
    assert float(weight.abs().max()) <= (6 / 400) ** 0.5 and float(weight.std()) > 0.06
    assert list(encoder.state_dict())[:3] == ["embedding.weight", "rnn.rnn.weight_ih_l0",
                                              "rnn.rnn.weight_hh_l0"]


# ---- BLEU: d2l-en's form serves both ----


def test_bleu():
    pairs = [("il est calme .", "il est calme ."), ("il court .", "il est mouillé ."),
             ("je suis je suis chez moi .", "je suis chez moi ."), ("a b c d e", "a b x d e f"),
             ("go", "va !")]
    for pred, label in pairs:
        for k in (1, 2, 4):
            score = d2l.bleu(pred, label, k)
            assert score == ref_en.bleu(pred, label, k)
            if len(pred.split()) >= k:  # d2l-zh's divides by zero on shorter predictions
                assert score == ref_zh.bleu(pred, label, k)
    assert d2l.bleu("il est calme .", "il est calme .", 2) == 1.0
    with pytest.raises(ZeroDivisionError):
        ref_zh.bleu("go", "va !", 2)
