"""The example programs (the seed notes as runnable scripts) give the results the notes show."""

import importlib.util
import pathlib
import sys

import numpy as np
import pytest

import glasstorch

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def load_example(name):
    sys.path.insert(0, str(EXAMPLES))  # examples import each other (mlp uses softmax's train)
    try:
        spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(EXAMPLES))
    return module


def test_linear_regression_from_scratch_learns_w_and_b(capsys):
    w_error, b_error = load_example("linear_regression_scratch").main()
    assert float(w_error.abs().max()) < 0.01
    assert float(b_error.abs().max()) < 0.01
    lines = capsys.readouterr().out.splitlines()
    epochs = [line for line in lines if line.startswith("epoch")]
    assert [line.split(",")[0] for line in epochs] == ["epoch 1", "epoch 2", "epoch 3"]
    assert float(epochs[-1].split("loss ")[1]) < 1e-3


def test_manual_data_updates_fit_both_variants(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    example = load_example("linear_regression_manual")
    glasstorch.manual_seed(0)
    w, b = example.variant_one()
    assert abs(w.item() - 3) < 0.05 and abs(b.item() - 0.8) < 0.05
    w, b = example.variant_two()
    assert abs(w.item() - 3) < 0.1 and abs(b.item() - 0.8) < 0.1
    assert w.requires_grad and w.is_leaf  # .data updates keep the leaves
    for png in ("linear_regression_manual_1.png", "linear_regression_manual_2.png"):
        assert (tmp_path / png).stat().st_size > 0
    out = capsys.readouterr().out
    assert "w tensor([" in out and "requires_grad=True)" in out


def test_data_preprocessing_gives_the_notes_tensors(tmp_path, capsys):
    X, y = load_example("data_preprocessing").main(str(tmp_path))
    assert X.dtype == glasstorch.float64 and y.dtype == glasstorch.int64
    np.testing.assert_array_equal(X.numpy(), [[3, 1, 0], [2, 0, 1], [4, 0, 1], [3, 0, 1]])
    assert y.tolist() == [127500, 106000, 178100, 140000]
    out = capsys.readouterr().out
    assert ("tensor([[3., 1., 0.],\n        [2., 0., 1.],\n        [4., 0., 1.],\n"
            "        [3., 0., 1.]], dtype=torch.float64)\ntensor([127500, 106000, 178100, 140000])"
            in out)


def test_concise_linear_regression_learns_w_and_b(capsys):
    w_error, b_error = load_example("linear_regression_concise").main()
    assert float(w_error.abs().max()) < 0.01
    assert float(b_error.abs().max()) < 0.01
    assert "epoch 3, loss" in capsys.readouterr().out


# The real Fashion-MNIST (Debian's dataset-fashion-mnist, installed by .ci/run). These are
# shortened runs; the full 10-epoch results are in the README.


@pytest.mark.parametrize("name, epochs, floor", [
    ("softmax_regression_scratch", 1, 0.70),
    ("softmax_regression_concise", 1, 0.70),
    ("mlp", 2, 0.75),
])
def test_fashion_mnist_training_learns(name, epochs, floor, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    train_loss, train_acc, test_acc = load_example(name).main(num_epochs=epochs)
    assert test_acc > floor  # chance is 0.1
    assert train_acc > 0.6 and train_loss < 1.0
    out = capsys.readouterr().out
    assert f"epoch {epochs}: train loss" in out and "examples/sec" in out
    assert any(p.suffix == ".png" and p.stat().st_size > 0 for p in tmp_path.iterdir())


def progress(out, what="train loss"):
    """The running value of each progress line ("epoch 0.2: train loss 2.08, ...")."""
    return [float(line.split(what + " ")[1].split(",")[0])
            for line in out.splitlines() if line.startswith("epoch ") and what in line]


@pytest.mark.parametrize("scratch", [False, True])
def test_lenet_batchnorm_learns_in_part_of_an_epoch(scratch, tmp_path, monkeypatch, capsys):
    """A shortened run (40 batches of 256); the full 10 epochs are in the README."""
    monkeypatch.chdir(tmp_path)
    _, train_acc, test_acc = load_example("lenet_batchnorm").main(
        num_epochs=1, scratch=scratch, max_batches=40)
    assert test_acc > 0.6  # on the whole test set; chance is 0.1
    assert train_acc > 0.5
    out = capsys.readouterr().out
    losses = progress(out)
    assert len(losses) == 5 + 1 and losses[-1] < losses[0]  # five points, then the test
    assert "images/s" in out
    name = "lenet_batchnorm_scratch" if scratch else "lenet_batchnorm"
    assert (tmp_path / f"{name}.png").stat().st_size > 0


@pytest.mark.parametrize("name, first, last", [
    ("resnet", "0  output shape:\t torch.Size([1, 64, 48, 48])",
     "fc  output shape:\t torch.Size([1, 10])"),
    ("densenet", "0  output shape:\t torch.Size([1, 64, 48, 48])",
     "fc  output shape:\t torch.Size([1, 10])"),
])
def test_resnet_and_densenet_loss_falls_on_96x96_fashion_mnist(name, first, last, tmp_path,
                                                               monkeypatch, capsys):
    """A few batches of 16 at 96x96: the running loss falls and accuracy beats chance."""
    monkeypatch.chdir(tmp_path)
    _, train_acc, test_acc = load_example(name).main(
        num_epochs=1, max_batches=10, max_test_batches=1, batch_size=16)
    out = capsys.readouterr().out
    assert out.startswith(first) and last in out
    losses = progress(out)
    assert len(losses) == 5 + 1 and losses[-1] < losses[0]  # five points, then the test
    accuracies = progress(out, "train acc")
    assert accuracies[-1] > accuracies[0] and train_acc > 0.1
    assert 0 <= test_acc <= 1
    assert "images/s training" in out.splitlines()[-1]
