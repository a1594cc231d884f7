"""The books' recurrent chapters run on glasstorch: d2l-en's "Recurrent Neural Networks" and
"Modern Recurrent Neural Networks" (tests/books/en/recurrent-*), d2l-zh v2's chapter 9
(tests/books/zh/recurrent-modern). Each section's PyTorch code, unedited but for what each edit
says (fewer epochs, smaller models, so that the file runs in about a minute on two cores), runs
under `glasstorch run` in a fresh process (tests/books/runner.py).

The books' timemachine.txt and fra-eng.zip cannot be downloaded here: every section runs on
the stand-ins glasstorch ships (d2l.use_stand_in_data(), in the prologue), Alice in Wonderland
for the time machine and a generated English-French corpus. The tests check what the book
states, on that data: shapes and values the sections print, the labels shifted by one, the loss
or perplexity going down, predictions of the right length.
"""

import re

from books.notebook import (
    FLOAT,
    check_same_outputs,
    outputs,
    printed,
    run_on_torch,
    section_prologue,
)
from books.runner import run_section, section_source

from glasstorch.d2l import data_hub

STAND_INS = """
from glasstorch import d2l as _d2l
_d2l.use_stand_in_data()
import matplotlib.figure
matplotlib.figure.Figure.savefig = lambda self, *args, **kwargs: None  # no PNG files
"""

# the board's lines (d2l-en's Trainer): reported after the run
BOARD = """
report('board', {label: [float(p.y) for p in line] for label, line in model.board.data.items()})
"""


def run(tmp_path, edition, section, edits=None, epilogue="", notebook=False):
    return run_section(tmp_path, edition, section, edits,
                       section_prologue(STAND_INS, notebook=notebook), epilogue, timeout=240)


# the d2l names the data sections use, on PyTorch: the book's (seq_reference_en.py,
# seq_reference_zh.py, text_reference.py), reading the stand-ins from ../data
EN_D2L = """
from seq_reference_en import DATA_URL, DataModule, Vocab, download, extract
"""
ZH_D2L = """
import os as _os
import zipfile as _zipfile
from seq_reference_zh import load_array
from text_reference import Vocab
DATA_URL = 'http://d2l-data.s3-accelerate.amazonaws.com/'
DATA_HUB = {}
def download_extract(name, folder=None):
    with _zipfile.ZipFile(_os.path.join('..', 'data', 'fra-eng.zip')) as archive:
        archive.extractall(_os.path.join('..', 'data'))
    return _os.path.join('..', 'data', 'fra-eng')
"""


def same_as_torch(monkeypatch, tmp_path, edition, section, shuffled=None):
    """The section as a notebook on glasstorch and on PyTorch (the book's d2l code for the names
    it uses), both on the stand-ins: the same values shown and the same lines printed, exactly;
    `shuffled`: the texts that start the first printed line of a shuffled minibatch and the line
    after it (None: the end), whose numbers differ (another random generator), not their layout."""
    (tmp_path / "glasstorch").mkdir()
    stdout, ours = run(tmp_path / "glasstorch", edition, section, notebook=True)
    (tmp_path / "torch" / "data").mkdir(parents=True)
    for name in data_hub.STAND_INS:
        (tmp_path / "torch" / "data" / name).write_bytes(data_hub.stand_in_bytes(name))
    torch_stdout, theirs = run_on_torch(monkeypatch, tmp_path, section_source(edition, section),
                                        d2l_extra=EN_D2L if edition == "en" else ZH_D2L)
    # (glasstorch's d2l.plot returns the saved figure's path in a terminal; None on PyTorch)
    shown = {name: value for name, value in outputs(ours).items()
             if not value.endswith(".png'")}
    check_same_outputs(shown, theirs, exact=True)
    lines, torch_lines = printed(stdout), printed(torch_stdout)
    assert len(lines) == len(torch_lines)
    if shuffled is not None:
        start = next(i for i, line in enumerate(lines) if line.startswith(shuffled[0]))
        end = next((i for i, line in enumerate(lines)
                    if shuffled[1] is not None and line.startswith(shuffled[1])), len(lines))
        masked = [re.sub(r" *\d+", "N", line) for line in lines[start:end]]
        assert masked == [re.sub(r" *\d+", "N", line) for line in torch_lines[start:end]]
        lines, torch_lines = lines[:start] + lines[end:], torch_lines[:start] + torch_lines[end:]
    assert lines == torch_lines
    return stdout, ours


def numbers(text):
    return [float(x) for x in FLOAT.findall(text)]


def falls(values):
    return len(values) >= 2 and values[-1] < values[0]


# ---- d2l-en: Recurrent Neural Networks ----


def test_en_sequence(tmp_path):
    # the autoregressive model on a noisy sine, no text: 2 epochs (the book: 5)
    stdout, reported = run(tmp_path, "en", "recurrent-neural-networks/sequence",
                           {"max_epochs=5": "max_epochs=2"}, BOARD)
    assert falls(reported["board"]["train_loss"])


def test_en_text_sequence(monkeypatch, tmp_path):
    stdout, reported = same_as_torch(monkeypatch, tmp_path, "en",
                                     "recurrent-neural-networks/text-sequence")
    assert "ALICE'S ADVENTURES IN WONDERLAND" in reported["raw_text[:60]#0"]  # the stand-in
    assert reported["text[:60]#0"].startswith("' alice s adventures in wonderland lewis carroll")
    vocab = eval(reported["len(corpus), len(vocab)#0"])
    assert vocab[1] == 28  # 26 letters, space, <unk>: the book's (170580, 28)
    indices = eval(printed(stdout)[0].split(":", 1)[1])
    words = eval(printed(stdout)[1].split(":", 1)[1])
    assert "".join(words) == eval(reported["text[:60]#0"])[:10]  # " alice s a"
    assert indices[:3] == [0, 2, 13]  # d2l-en numbers tokens in sorted order: ' ', <unk>, a
    assert reported["vocab.token_freqs[:10]#0"].startswith("[('the', ")


def test_en_language_model(tmp_path):
    stdout, reported = run(tmp_path, "en", "recurrent-neural-networks/language-model",
                           epilogue="""
        report('shifted', bool((X[:, 1:] == Y[:, :-1]).all()))
        report('shape', list(X.shape))
        """)
    assert reported["shifted"] and reported["shape"] == [2, 10]
    assert "X: tensor([[" in stdout and "Y: tensor([[" in stdout


def test_en_rnn(tmp_path):
    # H W_hh + X W_xh equals [X, H] [W_xh; W_hh], the book's point
    _, reported = run(tmp_path, "en", "recurrent-neural-networks/rnn", notebook=True)
    split, joined = (numbers(reported[key]) for key in (
        "d2l.matmul(X, W_xh) + d2l.matmul(H, W_hh)#0",
        "d2l.matmul(d2l.concat((X, H), 1), d2l.concat((W_xh, W_hh), 0))#0"))
    assert len(split) == 12 and all(abs(a - b) < 1e-3 for a, b in zip(split, joined))


def test_en_rnn_scratch(tmp_path):
    edits = {  # 2 epochs on 2,048 sequences (the book: 100 on 10,000)
        "data = d2l.TimeMachine(batch_size=1024, num_steps=32)":
            "data = d2l.TimeMachine(batch_size=1024, num_steps=32, num_train=2048, num_val=1024)",
        "max_epochs=100": "max_epochs=2"}
    stdout, reported = run(tmp_path, "en", "recurrent-neural-networks/rnn-scratch", edits,
                           BOARD + "report('prediction', model.predict('it has', 20, "
                           "data.vocab, d2l.try_gpu()))", notebook=True)
    # the section's own check_len/check_shape asserts ran; clipping keeps training finite
    assert reported["prediction"].startswith("it has") and len(reported["prediction"]) == 26
    ppl = reported["board"]["val_ppl"]
    assert len(ppl) == 2 and all(p < 28 for p in ppl)


def test_en_rnn_concise(tmp_path):
    edits = {  # 3 epochs on 2,048 sequences (the book: 100 on 10,000)
        "data = d2l.TimeMachine(batch_size=1024, num_steps=32)":
            "data = d2l.TimeMachine(batch_size=256, num_steps=32, num_train=2048, num_val=512)",
        "max_epochs=100": "max_epochs=3"}
    stdout, reported = run(tmp_path, "en", "recurrent-neural-networks/rnn-concise", edits,
                           BOARD, notebook=True)
    untrained, trained = (eval(reported[key]) for key in (
        "model.predict('it has', 20, data.vocab)#0",
        "model.predict('it has', 20, data.vocab, d2l.try_gpu())#0"))
    assert untrained.startswith("it has") and len(trained) == 26
    assert falls(reported["board"]["train_ppl"]) and reported["board"]["val_ppl"][-1] < 20


# ---- d2l-en: Modern Recurrent Neural Networks ----


def short_time_machine(max_epochs):
    return {"data = d2l.TimeMachine(batch_size=1024, num_steps=32)":
            "data = d2l.TimeMachine(batch_size=128, num_steps=32, num_train=512, num_val=128)",
            f"max_epochs={max_epochs}": "max_epochs=2"}


def test_en_lstm(tmp_path):
    # from scratch and concise, 2 epochs each on 512 sequences (the book: 50 on 10,000)
    stdout, reported = run(tmp_path, "en", "recurrent-modern/lstm", short_time_machine(50),
                           BOARD, notebook=True)
    assert eval(reported["model.predict('it has', 20, data.vocab, d2l.try_gpu())#0"]).startswith(
        "it has")
    assert falls(reported["board"]["train_ppl"])


def test_en_gru(tmp_path):
    stdout, reported = run(tmp_path, "en", "recurrent-modern/gru", short_time_machine(50),
                           BOARD, notebook=True)
    assert falls(reported["board"]["train_ppl"])


def test_en_deep_rnn(tmp_path):
    stdout, reported = run(tmp_path, "en", "recurrent-modern/deep-rnn", short_time_machine(100),
                           BOARD, notebook=True)
    assert len(eval(reported["model.predict('it has', 20, data.vocab, d2l.try_gpu())#0"])) == 26
    assert all(p < 28 for p in reported["board"]["val_ppl"])


def test_en_bi_rnn(tmp_path):
    # the section defines the classes only: run them on a batch, with and without states
    # (BiRNNScratch hands reversed(inputs), dim 0 flipped, to RNNScratch)
    _, reported = run(tmp_path, "en", "recurrent-modern/bi-rnn", epilogue="""
        X = torch.randn(5, 3, 8)
        H0 = (torch.zeros(3, 4),)
        outputs, (f_H, b_H) = BiRNNScratch(8, 4)(X, (H0, H0))
        report('scratch', [len(outputs), list(outputs[0].shape), list(f_H.shape)])
        outputs, (f_H, b_H) = BiRNNScratch(8, 4)(X)
        report('scratch, no states', [len(outputs), list(outputs[0].shape), list(b_H.shape)])
        gru = BiGRU(8, 4)
        Y, H = gru(X)
        report('gru', [gru.num_hiddens, list(Y.shape), list(H.shape)])
        """)
    assert reported["scratch"] == [5, [3, 8], [3, 4]]
    assert reported["scratch, no states"] == [5, [3, 8], [3, 4]]
    assert reported["gru"] == [8, [5, 3, 8], [2, 3, 4]]


def test_en_machine_translation_and_dataset(monkeypatch, tmp_path):
    stdout, reported = same_as_torch(monkeypatch, tmp_path, "en",
                                     "recurrent-modern/machine-translation-and-dataset",
                                     shuffled=("source: tensor", "source: ["))
    lines = printed(stdout)
    assert lines[0] == "Go.\tBouge\u202f!"  # the raw text: the stand-in's first line
    assert "go .\tbouge !" in stdout  # preprocessed
    assert "source: tensor([[" in stdout and "label: tensor([[" in stdout
    source = [line for line in lines if line.startswith("source: [")][0]
    assert "<eos>" in source and "'hi'" in source  # data.build(['hi .'], ['salut .'])


def test_en_encoder_decoder(tmp_path):
    run(tmp_path, "en", "recurrent-modern/encoder-decoder", notebook=True)


def test_en_seq2seq(tmp_path):
    edits = {  # 10 epochs of a smaller model (the book: 30 epochs, 256 units)
        "embed_size, num_hiddens, num_layers, dropout = 256, 256, 2, 0.2":
            "embed_size, num_hiddens, num_layers, dropout = 32, 32, 2, 0.2",
        "max_epochs=30": "max_epochs=10"}
    stdout, reported = run(tmp_path, "en", "recurrent-modern/seq2seq", edits, BOARD,
                           notebook=True)
    translations = [line for line in printed(stdout) if " => " in line]
    assert len(translations) == 4 and translations[0].startswith("go . => [")
    scores = [numbers(line.rsplit("bleu,", 1)[1])[0] for line in translations]
    assert all(0 <= s <= 1 for s in scores)
    losses = reported["board"]["train_loss"]
    assert falls(losses) and losses[-1] < 0.8 * losses[0], losses


# ---- d2l-zh v2: chapter 8's concise RNN (it needs nn.RNN) and chapter 9 ----


def test_zh_rnn_concise(tmp_path):
    edits = {"num_epochs, lr = 500, 1": "num_epochs, lr = 2, 1",  # the book: 500 epochs
             "num_hiddens = 256": "num_hiddens = 64"}  # of 256 units
    stdout, reported = run(tmp_path, "zh", "recurrent-neural-networks/rnn-concise", edits,
                           notebook=True)
    assert reported["state.shape#0"] == "torch.Size([1, 32, 64])"
    assert reported["Y.shape, state_new.shape#0"] == (
        "(torch.Size([35, 32, 64]), torch.Size([1, 32, 64]))")
    untrained = eval(reported["d2l.predict_ch8('time traveller', 10, net, vocab, device)#0"])
    assert untrained.startswith("time traveller") and len(untrained) == 24
    [ppl] = perplexities(stdout)
    assert ppl < 28, ppl



def perplexities(stdout):
    return [numbers(line)[0] for line in printed(stdout) if line.startswith("perplexity")]


def test_zh_gru_and_lstm(tmp_path):
    for section in ("gru", "lstm"):
        (tmp_path / section).mkdir()
        stdout, _ = run(tmp_path / section, "zh", f"recurrent-modern/{section}", {
            # 2 epochs of 64 units (the book: 500 epochs of 256)
            "num_epochs, lr = 500, 1": "num_epochs, lr = 2, 1",
            "vocab_size, num_hiddens, device = len(vocab), 256, d2l.try_gpu()":
                "vocab_size, num_hiddens, device = len(vocab), 64, d2l.try_gpu()"})
        ppl = perplexities(stdout)  # from scratch and concise
        assert len(ppl) == 2 and all(p < 28 for p in ppl), (section, ppl)


def test_zh_deep_and_bidirectional_rnn(tmp_path):
    edits = {  # 2 epochs of 32 units (the book: 500 epochs of 256)
        "num_epochs, lr = 500,": "num_epochs, lr = 2,",
        "vocab_size, num_hiddens, num_layers = len(vocab), 256, 2":
            "vocab_size, num_hiddens, num_layers = len(vocab), 32, 2"}
    for section in ("deep-rnn", "bi-rnn"):
        (tmp_path / section).mkdir()
        stdout, _ = run(tmp_path / section, "zh", f"recurrent-modern/{section}", edits)
        [ppl] = perplexities(stdout)
        assert ppl < 28, (section, ppl)  # better than a uniform guess among 28 characters
        assert printed(stdout)[-2].startswith("time traveller")


def test_zh_machine_translation_and_dataset(monkeypatch, tmp_path):
    stdout, reported = same_as_torch(monkeypatch, tmp_path, "zh",
                                     "recurrent-modern/machine-translation-and-dataset",
                                     shuffled=("X: tensor", None))
    lines = printed(stdout)
    assert lines[0] == "Go.\tBouge\u202f!"
    assert "go .\tbouge !" in stdout
    source, target = eval(reported["source[:6], target[:6]#0"])
    assert source[0] == ["go", "."] and target[0] == ["bouge", "!"]
    assert eval(reported["len(src_vocab)#0"]) > 10
    assert reported["truncate_pad(src_vocab[source[0]], 10, src_vocab['<pad>'])#0"].startswith(
        "[")
    assert len([line for line in lines if line.startswith("X: tensor")]) == 1


def test_zh_encoder_decoder(tmp_path):
    run(tmp_path, "zh", "recurrent-modern/encoder-decoder", notebook=True)


def test_zh_seq2seq(tmp_path):
    edits = {"lr, num_epochs, device = 0.005, 300, d2l.try_gpu()":  # the book: 300 epochs
             "lr, num_epochs, device = 0.005, 15, d2l.try_gpu()"}
    stdout, reported = run(tmp_path, "zh", "recurrent-modern/seq2seq", edits, notebook=True)
    loss_line = [line for line in printed(stdout) if line.startswith("loss ")][0]
    assert numbers(loss_line)[0] < 0.2  # 0.096 here; the book: 0.019 after 300 epochs
    translations = [line for line in printed(stdout) if " => " in line]
    assert len(translations) == 4 and translations[0].startswith("go . => ")
    shown = list(reported.values())
    assert "tensor([2.3026, 1.1513, 0.0000])" in shown  # the masked loss of the book
    assert any(re.fullmatch(r"tensor\(\[\[1, 0, 0\],\s+\[4, 5, 0\]\]\)", value)
               for value in shown)  # sequence_mask
