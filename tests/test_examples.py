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


# ---- seed 002, convexity, gradient descent, Newton, SGD (flat scripts, as the note's cells) ----


def run_script(name, tmp_path, monkeypatch):
    """Run examples/NAME.py as `python NAME.py` in tmp_path (where its figures are saved), as
    a fresh process would: the d2l helpers number their figures from 1."""
    import runpy

    from glasstorch.d2l import torch as d2l

    monkeypatch.setattr(d2l, "_figures_named", {})
    d2l.plt.close("all")  # a new process has no figure open yet
    monkeypatch.chdir(tmp_path)
    return runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="__main__")


def split_figures(out):
    """The printed lines, without the 'figure saved to PATH' ones; and those PATHs."""
    lines = out.splitlines()
    saved = [line.removeprefix("figure saved to ") for line in lines
             if line.startswith("figure saved to ")]
    return [line for line in lines if not line.startswith("figure saved to ")], saved


def note_gradient_descent():
    """The numbers of the note's gradient-descent code, run with plain numpy (the reference)."""

    def gd(eta, gradf):
        x = 10
        for i in range(10):
            x -= eta * gradf(x)
        print('epoch 10, x:', x)

    def newton(gradf, hessf, eta=1):
        x = 10
        for i in range(10):
            x -= eta * gradf(x) / hessf(x)
        print('epoch 10, x:', x)

    for eta in (0.2, 0.05, 1.1):
        gd(eta, lambda x: 2 * x)
    c = 0.15 * np.pi
    gd(2, lambda x: np.cos(c * x) - c * x * np.sin(c * x))
    x1, x2 = -5, -2
    for i in range(20):
        x1, x2 = (x1 - 0.1 * 2 * x1, x2 - 0.1 * 4 * x2)
        print('epoch %d, x1 %f, x2 %f' % (i + 1, x1, x2))  # noqa: UP031 (the note's)
    c = 0.5
    newton(lambda x: c * np.sinh(c * x), lambda x: c**2 * np.cosh(c * x))
    c = 0.15 * np.pi
    for eta in (1, 0.5):
        newton(lambda x: np.cos(c * x) - c * x * np.sin(c * x),
               lambda x: - 2 * c * np.sin(c * x) - x * c**2 * np.cos(c * x), eta)


def test_gradient_descent_example_prints_the_notes_numbers(tmp_path, monkeypatch, capsys):
    note_gradient_descent()
    expected = capsys.readouterr().out.splitlines()
    assert expected[:4] == ["epoch 10, x: 0.06046617599999997", "epoch 10, x: 3.4867844009999995",
                            "epoch 10, x: 61.917364224000096", "epoch 10, x: -1.528165927635083"]
    assert expected[-3:] == ["epoch 10, x: 0.0", "epoch 10, x: 26.83413291324767",
                             "epoch 10, x: 7.269860168684531"]
    run_script("gradient_descent", tmp_path, monkeypatch)
    printed, figures = split_figures(capsys.readouterr().out)
    assert printed == expected
    names = [f"show_trace_{i}.png" for i in range(1, 5)] + ["show_trace_2d_1.png"]
    names += [f"show_trace_{i}.png" for i in range(5, 8)]
    assert figures == [str(tmp_path / name) for name in names]
    assert all(pathlib.Path(path).stat().st_size > 0 for path in figures)


def note_sgd_runs():
    """The note's noisy-gradient SGD with its three learning rates, in plain numpy, seeded as
    the example seeds it (the reference)."""
    import math

    np.random.seed(0)
    eta = 0.1

    def run(lr, steps):
        x1, x2 = -5, -2
        for i in range(steps):
            (g1, g2) = (2 * x1, 4 * x2)
            (g1, g2) = (g1 + np.random.normal(0.1), g2 + np.random.normal(0.1))
            eta_t = eta * lr()
            x1, x2 = (x1 - eta_t * g1, x2 - eta_t * g2)
            print('epoch %d, x1 %f, x2 %f' % (i + 1, x1, x2))  # noqa: UP031 (the note's)

    run(lambda: 1, 50)
    ctr = [1]

    def exponential():
        ctr[0] += 1
        return math.exp(-0.1 * ctr[0])

    run(exponential, 1000)
    ctr = [1]

    def polynomial():
        ctr[0] += 1
        return (1 + 0.1 * ctr[0])**(-0.5)

    run(polynomial, 50)


def test_sgd_learning_rates_example_is_seeded_and_prints_the_notes_numbers(tmp_path,
                                                                            monkeypatch, capsys):
    note_sgd_runs()
    expected = capsys.readouterr().out.splitlines()
    assert len(expected) == 50 + 1000 + 50
    runs = []
    for seed in (1, 2):  # whatever the generator's state before, the example seeds it
        np.random.seed(seed)
        folder = tmp_path / str(seed)
        folder.mkdir()
        run_script("sgd_learning_rates", folder, monkeypatch)
        printed, figures = split_figures(capsys.readouterr().out)
        runs.append(printed)
        assert figures == [str(folder / f"show_trace_2d_{i}.png") for i in (1, 2, 3)]
        assert all(pathlib.Path(path).stat().st_size > 0 for path in figures)
    assert runs[0] == runs[1] == expected
    assert expected[0] != "epoch 1, x1 -4.000000, x2 -1.200000"  # the gradients are noisy


def test_convexity_example_saves_each_figure_with_3d_axes_where_the_note_has_them(
        tmp_path, monkeypatch, capsys):
    from glasstorch import d2l

    drawn = {}
    save_figure = d2l.save_figure

    def recording_save_figure(name):
        drawn[name] = [ax.name for ax in d2l.plt.gcf().axes]
        return save_figure(name)

    monkeypatch.setattr(d2l, "save_figure", recording_save_figure)
    run_script("convexity", tmp_path, monkeypatch)
    _, figures = split_figures(capsys.readouterr().out)
    assert drawn == {
        "convexity_risk": ["rectilinear"],
        "convexity_local_minimum": ["rectilinear"],
        "convexity_saddle": ["rectilinear"],
        "convexity_saddle_3d": ["3d"],
        "convexity_vanishing_gradient": ["rectilinear"],
        "convexity_functions": ["rectilinear"] * 3,
        "convexity_local_minima_3d": ["3d"],
        "convexity_jensen": ["rectilinear"],
    }
    assert figures == [str(tmp_path / f"{name}.png") for name in drawn]
    assert all(pathlib.Path(path).stat().st_size > 0 for path in figures)
    assert d2l.plt.get_fignums() == []  # each figure closed after it is saved


# Seed 002's minibatch SGD on the airfoil data (shipped with glasstorch.d2l) and the book's
# optimizers from scratch next to torch.optim's.


def test_minibatch_sgd_reproduces_the_notes_runs(tmp_path, monkeypatch, capsys):
    import minibatch_reference as ref

    monkeypatch.chdir(tmp_path)
    runs = load_example("minibatch_sgd").main(seed=0)
    assert [len(runs[name]) for name in ("gd", "sgd", "minibatch", "concise")] == [7, 31, 31, 31]
    # full batches read the data in any order the same way: the note's code on torch agrees
    np.random.seed(0)
    features, labels = ref.get_data_ch7(glasstorch.d2l.minibatch.AIRFOIL)
    expected = ref.train_ch7(ref.sgd, None, {"lr": 1}, features, labels, 1500, 6)
    np.testing.assert_allclose(runs["gd"], expected, rtol=1e-5)
    for name in ("sgd", "minibatch", "concise"):  # the note's 0.243-0.25
        assert runs[name][0] > 0.45 and 0.240 < runs[name][-1] < 0.255, name
    out = capsys.readouterr().out
    assert "torch.Size([1500, 5])" in out
    rows = [line.split() for line in out.splitlines()[2:12]]  # pandas' df.head(10), as the note
    assert rows[0] == ["0", "800", "0.0", "0.3048", "71.3", "0.002663", "126.201"]
    assert [row[1] for row in rows] == ["800", "1000", "1250", "1600", "2000", "2500", "3150",
                                        "4000", "5000", "6300"]
    printed = [float(line.split()[1].rstrip(",")) for line in out.splitlines()
               if line.startswith("loss: ") and line.endswith(" sec per epoch")]
    assert printed == pytest.approx([runs[name][-1] for name in runs], abs=1e-6)
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert len(pngs) == 4 and pngs[-1].startswith("train_pytorch_ch7_")
    assert all((tmp_path / png).stat().st_size > 1000 and str(tmp_path / png) in out
               for png in pngs)


def test_optimizers_from_scratch_end_where_torch_optim_does(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    final = load_example("optimizers_from_scratch").main(num_epochs=2, concise_epochs=2)
    assert list(final) == ["momentum", "adagrad", "rmsprop", "adadelta", "adam"]
    for name, (scratch, concise) in final.items():
        assert 0.235 < scratch < 0.26 and 0.235 < concise < 0.26, name  # untrained: about 0.5
        assert abs(scratch - concise) < 0.015, name
    out = capsys.readouterr().out
    for name, (scratch, concise) in final.items():
        assert f"{name:9s} final loss: from scratch {scratch:.3f}, torch.optim {concise:.3f}" in out
    assert len(list(tmp_path.glob("train_ch11_*.png"))) == 5
    assert len(list(tmp_path.glob("train_concise_ch11_*.png"))) == 5
