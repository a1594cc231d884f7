"""The sequence examples of issue 13, shortened: a character-level language model (from
scratch, nn.RNN, nn.GRU, nn.LSTM), a GRU encoder-decoder and the book's Transformer for
translation. They run on the stand-in data glasstorch ships (written into the tests' own
../data); the full runs' results are in the README."""

import importlib.util
import pathlib
import re
import sys

import pytest

import glasstorch
from glasstorch import d2l

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def load_example(name):
    sys.path.insert(0, str(EXAMPLES))  # the transformer example imports the seq2seq one
    try:
        spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(EXAMPLES))
    return module


@pytest.fixture
def in_run_folder(tmp_path, monkeypatch):
    """A working folder whose ../data (the books' cache folder) is the test's own; one thread
    (these models are small: BLAS's threads would cost more CPU time than they save)."""
    run = tmp_path / "run"
    run.mkdir()
    monkeypatch.chdir(run)
    threads = glasstorch.get_num_threads()
    glasstorch.set_num_threads(1)
    yield tmp_path
    glasstorch.set_num_threads(threads)
    d2l.use_stand_in_data(False)  # the examples turn it on for the whole process


def test_char_rnn_perplexity_falls_well_below_the_vocabulary(in_run_folder, capsys):
    perplexities, vocab_size = load_example("char_rnn").main(
        num_epochs=12, num_hiddens=64, batch_size=16, print_every=4)
    out = capsys.readouterr().out
    assert vocab_size == 28 and "vocabulary of 28" in out
    assert (in_run_folder / "data" / "timemachine.txt").exists()  # the stand-in, written there
    for name in ("scratch", "rnn", "gru", "lstm"):
        printed = [float(p) for p in re.findall(rf"^{name} epoch \d+, perplexity ([\d.]+)",
                                                out, re.M)]
        assert len(printed) == 3 and printed[0] > printed[-1], (name, printed)
        final = float(re.search(rf"^{name}: perplexity ([\d.]+)", out, re.M)[1])
        assert final == pytest.approx(perplexities[name], abs=0.01)
        assert final < vocab_size / 2, (name, final)
        assert re.search(rf"^{name}: 'time traveller", out, re.M)  # the generated text


def check_translation_output(losses, bleu, out):
    printed = [float(x) for x in re.findall(r"^epoch \d+, loss ([\d.]+)", out, re.M)]
    assert printed[0] > 1.5 * printed[-1], printed  # the loss falls
    assert losses[-1] < 0.7 * losses[0] and len(losses) == 8
    scores = [float(s) for s in re.findall(r"^.+ => .*, bleu ([\d.]+)$", out, re.M)]
    assert len(scores) == 6 and all(0 <= s <= 1 for s in scores)
    assert float(re.search(r"^mean bleu ([\d.]+) over 6 sentences", out, re.M)[1]) == (
        pytest.approx(bleu, abs=1e-3))


def test_seq2seq_translation_loss_falls_and_bleu_is_computed(in_run_folder, capsys):
    losses, bleu = load_example("seq2seq_translation").main(
        num_epochs=8, num_examples=200, print_every=2)
    out = capsys.readouterr().out
    assert "200 sentence pairs" in out
    check_translation_output(losses, bleu, out)


def test_transformer_translation_loss_falls(in_run_folder, capsys):
    losses, bleu = load_example("transformer_translation").main(
        num_epochs=8, num_examples=200, print_every=2)
    check_translation_output(losses, bleu, capsys.readouterr().out)
