"""d2l's optimization chapter on glasstorch (d2l/minibatch.py): the airfoil data, the note's
train_ch7 / train_pytorch_ch7, the book's train_ch11 / train_concise_ch11 and the
from-scratch optimizers, each against the same code run on PyTorch (minibatch_reference).

Shuffling draws different orders in the two libraries, so the runs compared step by step
read the data in order (full batches, or the DataLoader with shuffle=False) and start from
the same weights; shuffled runs are checked for the losses the note and the book show.
"""

import hashlib
import os
import re

import minibatch_reference as ref
import numpy as np
import pytest
import torch

import glasstorch
import glasstorch.utils.data
from glasstorch import d2l
from glasstorch.d2l import minibatch

AIRFOIL = minibatch.AIRFOIL
SGD_NOTE = ref.sgd  # the note's sgd(params, states, hyperparams), library-agnostic


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the figures are written to the working directory


def unshuffled(monkeypatch):
    """Both libraries' DataLoader read in order, whatever shuffle the code asks for."""
    for module in (glasstorch.utils.data, torch.utils.data):
        loader = module.DataLoader

        def in_order(*args, loader=loader, **kwargs):
            kwargs["shuffle"] = False
            return loader(*args, **kwargs)

        monkeypatch.setattr(module, "DataLoader", in_order)


def same_initial_weights(monkeypatch, weight, bias=None):
    """torch.normal / nn.init.normal_ / nn.Linear's init give these values in both libraries
    (their random streams differ)."""
    for lib in (glasstorch, torch):
        def normal(mean=0.0, std=1.0, size=None, requires_grad=False, lib=lib):
            return lib.tensor(weight.reshape(size), requires_grad=requires_grad)

        def normal_(tensor, mean=0.0, std=1.0, lib=lib):
            with lib.no_grad():
                tensor.copy_(lib.tensor(weight.reshape(tuple(tensor.shape))))
            return tensor

        def reset_parameters(self, lib=lib):
            with lib.no_grad():
                self.weight.copy_(lib.tensor(weight.reshape(tuple(self.weight.shape))))
                self.bias.copy_(lib.tensor(bias if bias is not None else np.zeros(1, "f")))

        monkeypatch.setattr(lib, "normal", normal)
        monkeypatch.setattr(lib.nn.init, "normal_", normal_)
        monkeypatch.setattr(lib.nn.Linear, "reset_parameters", reset_parameters)


# ---- the data ----


def test_the_shipped_file_is_the_books():
    with open(AIRFOIL, "rb") as f:
        assert hashlib.sha1(f.read()).hexdigest() == "76e5be1548fd8222e5074cf0faae75edff8cf93f"
    with open(os.path.join(os.path.dirname(AIRFOIL), "README.md")) as f:
        readme = f.read()
    assert "CC BY 4.0" in readme and "Brooks" in readme and "UCI" in readme


def test_get_data_ch7_is_the_notes_standardised_data():
    features, labels = d2l.get_data_ch7()
    expected_features, expected_labels = ref.get_data_ch7(AIRFOIL)
    assert features.shape == (1500, 5) and labels.shape == (1500,)
    assert features.dtype == glasstorch.float32 and labels.dtype == glasstorch.float32
    np.testing.assert_array_equal(features.numpy(), expected_features.numpy())
    np.testing.assert_array_equal(labels.numpy(), expected_labels.numpy())
    data = np.genfromtxt(AIRFOIL, delimiter="\t")  # the note's numpy steps, in float64
    data = (data - data.mean(axis=0)) / data.std(axis=0)
    np.testing.assert_array_equal(labels.numpy(), data[:1500, -1].astype(np.float32))


def test_get_data_ch11_is_the_books_data_iterator(monkeypatch):
    unshuffled(monkeypatch)
    data_iter, feature_dim = d2l.get_data_ch11(batch_size=100, n=1000)
    expected_iter, expected_dim = ref.get_data_ch11(AIRFOIL, batch_size=100, n=1000)
    assert feature_dim == expected_dim == 5
    assert len(data_iter) == len(expected_iter) == 10
    for (X, y), (X_ref, y_ref) in zip(data_iter, expected_iter):
        assert X.shape == (100, 5) and y.shape == (100,) and X.dtype == glasstorch.float32
        np.testing.assert_array_equal(X.numpy(), X_ref.numpy())
        np.testing.assert_array_equal(y.numpy(), y_ref.numpy())


def test_get_data_ch11_shuffles():
    data_iter, _ = d2l.get_data_ch11(batch_size=1500)
    (first,), (second,) = [[X for X, _ in data_iter] for _ in range(2)]
    assert not np.array_equal(first.numpy(), second.numpy())
    np.testing.assert_array_equal(np.sort(first.numpy(), axis=0), np.sort(second.numpy(), axis=0))


# ---- the note's train_ch7 and train_pytorch_ch7 ----


def note_data():
    return d2l.get_data_ch7(), ref.get_data_ch7(AIRFOIL)


def test_train_ch7_full_batch_gives_torchs_losses(capsys):
    """train_sgd(1, 1500, 6): one step per epoch, so the order does not matter."""
    (features, labels), (features_ref, labels_ref) = note_data()
    np.random.seed(1)  # the note draws w with numpy
    losses = d2l.train_ch7(SGD_NOTE, None, {"lr": 1}, features, labels, 1500, 6)
    np.random.seed(1)
    expected = ref.train_ch7(ref.sgd, None, {"lr": 1}, features_ref, labels_ref, 1500, 6)
    assert len(losses) == 7
    np.testing.assert_allclose(losses, expected, rtol=1e-5)
    out = capsys.readouterr().out
    assert re.search(r"^loss: 0\.24\d{4}, \d+\.\d{6} sec per epoch$", out, re.MULTILINE)
    assert re.search(r"^figure saved to .*train_ch7_\d+\.png$", out, re.MULTILINE)


def test_train_ch7_in_order_batches_give_torchs_losses(monkeypatch):
    """train_sgd(0.05, 10) reading the examples in order in both libraries."""
    unshuffled(monkeypatch)
    (features, labels), (features_ref, labels_ref) = note_data()
    np.random.seed(2)
    losses = d2l.train_ch7(SGD_NOTE, None, {"lr": 0.05}, features, labels, 10)
    np.random.seed(2)
    expected = ref.train_ch7(ref.sgd, None, {"lr": 0.05}, features_ref, labels_ref, 10)
    assert len(losses) == 1 + 2 * 15
    np.testing.assert_allclose(losses, expected, rtol=1e-4)


@pytest.mark.parametrize("lr, batch_size", [(0.005, 1), (0.05, 10)])
def test_train_ch7_shuffled_ends_where_the_note_does(lr, batch_size, capsys):
    """The note's train_sgd(0.005, 1) and train_sgd(0.05, 10) end at a loss of about 0.243-0.25."""
    features, labels = d2l.get_data_ch7()
    losses = d2l.train_ch7(SGD_NOTE, None, {"lr": lr}, features, labels, batch_size)
    assert len(losses) == 1 + 2 * 15
    assert losses[0] > 0.45  # the untrained model
    assert 0.240 < losses[-1] < 0.255
    assert f"loss: {losses[-1]:f}," in capsys.readouterr().out


def test_train_pytorch_ch7_gives_torchs_losses(monkeypatch, capsys):
    """The concise version with optim.SGD, both libraries starting from the same Linear."""
    unshuffled(monkeypatch)
    same_initial_weights(monkeypatch, np.array([[0.1, -0.2, 0.3, -0.4, 0.5]], "f"),
                         np.array([0.05], "f"))
    (features, labels), (features_ref, labels_ref) = note_data()
    losses = d2l.train_pytorch_ch7(glasstorch.optim.SGD, {"lr": 0.05}, features, labels, 10)
    expected = ref.train_pytorch_ch7(torch.optim.SGD, {"lr": 0.05}, features_ref, labels_ref, 10)
    assert len(losses) == 31
    np.testing.assert_allclose(losses, expected, rtol=1e-4)
    out = capsys.readouterr().out
    assert re.search(r"^loss: \d\.\d{6}, \d+\.\d{6} sec per epoch$", out, re.MULTILINE)
    assert re.search(r"^figure saved to .*train_pytorch_ch7_\d+\.png$", out, re.MULTILINE)


def test_train_pytorch_ch7_shuffled_ends_where_the_note_does():
    features, labels = d2l.get_data_ch7()
    losses = d2l.train_pytorch_ch7(glasstorch.optim.SGD, {"lr": 0.05}, features, labels, 10)
    assert 0.240 < losses[-1] < 0.255


def test_each_run_saves_its_own_png(tmp_path):
    features, labels = d2l.get_data_ch7()
    for _ in range(2):
        d2l.train_ch7(SGD_NOTE, None, {"lr": 1}, features, labels, 1500, 1)
    pngs = sorted(tmp_path.glob("train_ch7_*.png"))
    assert len(pngs) == 2 and all(p.stat().st_size > 1000 for p in pngs)


# ---- the book's train_ch11 and train_concise_ch11 ----

W0 = np.array([0.01, -0.02, 0.005, 0.0, -0.01], "f")


def test_train_ch11_gives_torchs_losses(monkeypatch, capsys, tmp_path):
    unshuffled(monkeypatch)
    same_initial_weights(monkeypatch, W0)
    data_iter, feature_dim = d2l.get_data_ch11(10)
    times, losses = d2l.train_ch11(d2l.sgd_momentum, d2l.init_momentum_states(feature_dim),
                                   {"lr": 0.01, "momentum": 0.9}, data_iter, feature_dim)
    expected = ref.train_ch11(ref.sgd_momentum, ref.init_momentum_states(5),
                              {"lr": 0.01, "momentum": 0.9}, ref.get_data_ch11(AIRFOIL)[0], 5)
    assert len(losses) == len(times) == 15  # a point every 200 examples
    np.testing.assert_allclose(losses, expected, rtol=1e-4)
    out = capsys.readouterr().out
    assert re.search(rf"^loss: {losses[-1]:.3f}, \d+\.\d{{3}} sec/epoch$", out, re.MULTILINE)
    path = re.search(r"^figure saved to (.*train_ch11_\d+\.png)$", out, re.MULTILINE).group(1)
    assert os.path.getsize(path) > 1000


def test_train_concise_ch11_gives_torchs_losses(monkeypatch, capsys):
    unshuffled(monkeypatch)
    same_initial_weights(monkeypatch, W0)
    data_iter, _ = d2l.get_data_ch11(10)
    _, losses = d2l.train_concise_ch11(glasstorch.optim.SGD, {"lr": 0.01}, data_iter, 2)
    expected = ref.train_concise_ch11(torch.optim.SGD, {"lr": 0.01},
                                      ref.get_data_ch11(AIRFOIL)[0], 2)
    assert len(losses) == 15
    np.testing.assert_allclose(losses, expected, rtol=1e-4)
    assert re.search(r"^figure saved to .*train_concise_ch11_\d+\.png$",
                     capsys.readouterr().out, re.MULTILINE)


# ---- the optimizers from scratch ----

OPTIMIZERS = {  # name: (hyperparameters of the book's runs)
    "momentum": {"lr": 0.02, "momentum": 0.5},
    "adagrad": {"lr": 0.1},
    "rmsprop": {"lr": 0.01, "gamma": 0.9},
    "adadelta": {"rho": 0.9},
    "adam": {"lr": 0.01, "t": 1},
}
UPDATES = {"momentum": "sgd_momentum", "adagrad": "adagrad", "rmsprop": "rmsprop",
           "adadelta": "adadelta", "adam": "adam"}


def run_steps(lib, module, name, steps=20):
    """`steps` updates of w (5, 1) and b (1,) on the first 100 airfoil examples, in order."""
    features, labels = ref.get_data_ch7(AIRFOIL)
    X_all, y_all = lib.tensor(features[:100].numpy()), lib.tensor(labels[:100].numpy())
    w = lib.tensor(W0.reshape(5, 1), requires_grad=True)
    b = lib.zeros(1, requires_grad=True)
    states = getattr(module, f"init_{name}_states")(5)
    hyperparams = dict(OPTIMIZERS[name])
    for i in range(steps):
        X, y = X_all[i * 5 % 100:][:10], y_all[i * 5 % 100:][:10]
        loss = ((lib.mm(X, w) + b - y.reshape(-1, 1)) ** 2 / 2).mean()
        loss.backward()
        getattr(module, UPDATES[name])([w, b], states, hyperparams)
    assert w.grad.abs().sum().item() == 0  # the book's updates clear the gradients
    return w.detach().numpy(), b.detach().numpy(), hyperparams


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_from_scratch_optimizer_matches_the_books_code_on_torch(name):
    w, b, hyperparams = run_steps(glasstorch, d2l, name)
    w_ref, b_ref, hyperparams_ref = run_steps(torch, ref, name)
    np.testing.assert_allclose(w, w_ref, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(b, b_ref, rtol=1e-5, atol=1e-7)
    assert hyperparams == hyperparams_ref  # adam's step counter: 21 after 20 steps
    assert np.abs(w - W0.reshape(5, 1)).max() > 1e-3  # it did move


TORCH_OPTIM = {  # name: the torch.optim optimizer doing the same update, and how close
    "momentum": (lambda p: torch.optim.SGD(p, lr=0.02, momentum=0.5), 1e-5),
    "adadelta": (lambda p: torch.optim.Adadelta(p, lr=1.0, rho=0.9, eps=1e-5), 1e-5),
    "adam": (lambda p: torch.optim.Adam(p, lr=0.01, eps=1e-6), 1e-5),
    # the book adds eps under the square root, torch.optim after it
    "adagrad": (lambda p: torch.optim.Adagrad(p, lr=0.1, eps=1e-10), 1e-2),
    "rmsprop": (lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-10), 1e-2),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_from_scratch_optimizer_matches_torch_optim(name):
    w, b, _ = run_steps(glasstorch, d2l, name)
    make_optimizer, rtol = TORCH_OPTIM[name]
    features, labels = ref.get_data_ch7(AIRFOIL)
    w_ref = torch.tensor(W0.reshape(5, 1), requires_grad=True)
    b_ref = torch.zeros(1, requires_grad=True)
    optimizer = make_optimizer([w_ref, b_ref])
    for i in range(20):
        X, y = features[:100][i * 5 % 100:][:10], labels[:100][i * 5 % 100:][:10]
        optimizer.zero_grad()
        ((torch.mm(X, w_ref) + b_ref - y.reshape(-1, 1)) ** 2 / 2).mean().backward()
        optimizer.step()
    np.testing.assert_allclose(w, w_ref.detach().numpy(), rtol=rtol, atol=1e-6)
    np.testing.assert_allclose(b, b_ref.detach().numpy(), rtol=rtol, atol=1e-6)


def test_the_helpers_are_d2l_names_and_sgd_stays_chapter_3s():
    for name in ("get_data_ch7", "train_ch7", "train_pytorch_ch7", "get_data_ch11",
                 "train_ch11", "train_concise_ch11", "evaluate_loss", "init_momentum_states",
                 "sgd_momentum", "init_adagrad_states", "adagrad", "init_rmsprop_states",
                 "rmsprop", "init_adadelta_states", "adadelta", "init_adam_states", "adam"):
        assert getattr(d2l, name) is getattr(minibatch, name), name
        assert getattr(d2l.torch, name) is getattr(minibatch, name), name
    w = glasstorch.ones(2, requires_grad=True)
    (w * glasstorch.tensor([2.0, 4.0])).sum().backward()
    d2l.sgd([w], 0.5, 2)  # sgd(params, lr, batch_size): w -= lr * grad / batch_size
    np.testing.assert_allclose(w.detach().numpy(), [0.5, 0.0])


BOOK_MINIBATCH = """\
import torch
from d2l import torch as d2l


def sgd(params, states, hyperparams):
    for p in params:
        p.data.sub_(hyperparams['lr'] * p.grad)
        p.grad.data.zero_()


def train_sgd(lr, batch_size, num_epochs=2):
    data_iter, feature_dim = d2l.get_data_ch11(batch_size)
    return d2l.train_ch11(
        sgd, None, {'lr': lr}, data_iter, feature_dim, num_epochs)


gd_res = train_sgd(1, 1500, 10)
mini1_res = train_sgd(.4, 100)
d2l.set_figsize([6, 3])
d2l.plot(*list(map(list, zip(gd_res, mini1_res))),
         'time (sec)', 'loss', xlim=[1e-2, 10],
         legend=['gd', 'batch size=100'])
d2l.plt.gca().set_xscale('log')
d2l.save_figure('compare')

data_iter, _ = d2l.get_data_ch11(10)
trainer = torch.optim.SGD
d2l.train_concise_ch11(trainer, {'lr': 0.01}, data_iter)
"""


def test_the_books_minibatch_section_runs_under_glasstorch_run(tmp_path):
    """The book's own code (`from d2l import torch as d2l`), unmodified, on glasstorch."""
    import subprocess
    import sys

    script = tmp_path / "book_minibatch.py"
    script.write_text(BOOK_MINIBATCH)
    result = subprocess.run([sys.executable, "-m", "glasstorch", "run", str(script)],
                            check=False, capture_output=True, text=True, cwd=tmp_path,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    finals = re.findall(r"^loss: (\d\.\d{3}), \d+\.\d{3} sec/epoch$", result.stdout,
                        re.MULTILINE)
    assert len(finals) == 3  # the book shows about 0.25, 0.245 and 0.245
    assert all(0.235 < float(loss) < 0.26 for loss in finals), finals
    saved = re.findall(r"^figure saved to (.*)$", result.stdout, re.MULTILINE)
    assert [os.path.basename(path) for path in saved] == [
        "train_ch11_1.png", "train_ch11_2.png", "compare.png", "train_concise_ch11_1.png"]
    assert all(os.path.getsize(path) > 1000 for path in saved)
