"""The d2l helpers: data helpers, IDX reading, plotting in a terminal."""

import gzip
import os
import random

import numpy as np
import pytest

import glasstorch
from glasstorch import d2l, vision


def write_idx(path, array):
    """An IDX file of unsigned bytes, as MNIST ships them."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        n.to_bytes(4, "big") for n in array.shape)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def make_fashion_mnist(folder, n_train=7, n_test=5, gz=True):
    rng = np.random.default_rng(0)
    ext = ".gz" if gz else ""
    sets = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, (n,), dtype=np.uint8)
        write_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte{ext}"), images)
        write_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte{ext}"), labels)
        sets[prefix] = images, labels
    return sets


@pytest.mark.parametrize("gz", [True, False])
def test_read_idx_round_trip(tmp_path, gz):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = str(tmp_path / ("a.idx.gz" if gz else "a.idx"))
    write_idx(path, array)
    np.testing.assert_array_equal(d2l.read_idx(path), array)


def test_read_idx_rejects_other_files(tmp_path):
    path = tmp_path / "bad"
    path.write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="not an IDX file"):
        d2l.read_idx(str(path))


@pytest.mark.parametrize("gz", [True, False])
def test_fashion_mnist_tensors_from_generated_files(tmp_path, gz):
    sets = make_fashion_mnist(str(tmp_path), gz=gz)
    X, y = d2l.load_fashion_mnist_tensors(True, root=str(tmp_path))
    assert X.shape == (7, 1, 28, 28) and X.dtype == glasstorch.float32
    assert y.dtype == glasstorch.int64
    np.testing.assert_allclose(X.numpy()[:, 0], sets["train"][0] / 255, rtol=1e-6)
    np.testing.assert_array_equal(y.numpy(), sets["train"][1])
    X_test, y_test = d2l.load_fashion_mnist_tensors(False, root=str(tmp_path))
    assert X_test.shape == (5, 1, 28, 28)


def test_fashion_mnist_missing_says_where_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setattr(vision.datasets.FashionMNIST, "fallback_folders",
                        (str(tmp_path / "no-debian-package"),))
    with pytest.raises(RuntimeError, match="dataset-fashion-mnist"):
        d2l.load_fashion_mnist_tensors(True, root=str(tmp_path))


def test_fashion_mnist_labels():
    assert d2l.get_fashion_mnist_labels(glasstorch.tensor([0, 9, 3])) == [
        "t-shirt", "ankle boot", "dress"]


def test_synthetic_data_follows_the_model():
    glasstorch.manual_seed(0)
    w = glasstorch.tensor([2, -3.4])
    X, y = d2l.synthetic_data(w, 4.2, 1000)
    assert X.shape == (1000, 2) and y.shape == (1000, 1)
    residual = y - (d2l.linreg(X, w.reshape(2, 1), 4.2))
    assert float(residual.std()) < 0.02  # only the 0.01 noise is left


def test_data_iter_visits_every_example_once():
    random.seed(0)
    features = glasstorch.arange(23.0).reshape(23, 1)
    labels = glasstorch.arange(23)
    seen = []
    for X, y in d2l.data_iter(5, features, labels):
        assert X.shape[0] == y.shape[0] <= 5
        assert (X[:, 0] == y.float()).all()
        seen += y.tolist()
    assert sorted(seen) == list(range(23))


def test_squared_loss_and_sgd_step():
    y_hat = glasstorch.tensor([[1.0], [2.0]])
    assert d2l.squared_loss(y_hat, glasstorch.tensor([0.0, 4.0])).tolist() == [[0.5], [2.0]]
    w = glasstorch.tensor([1.0, 2.0], requires_grad=True)
    (w * glasstorch.tensor([3.0, 4.0])).sum().backward()
    d2l.sgd([w], lr=0.5, batch_size=2)
    assert w.tolist() == [1 - 0.5 * 3 / 2, 2 - 0.5 * 4 / 2]
    assert w.grad.tolist() == [0.0, 0.0]


def test_accuracy_and_accumulator():
    y_hat = glasstorch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    y = glasstorch.tensor([1, 1, 1])
    assert d2l.accuracy(y_hat, y) == 2.0
    metric = d2l.Accumulator(2)
    metric.add(1, glasstorch.tensor(2.5))
    metric.add(2, 0.5)
    assert metric[0] == 3.0 and metric[1] == 3.0
    metric.reset()
    assert metric.data == [0.0, 0.0]


def test_timer_records_times():
    timer = d2l.Timer()
    timer.stop()
    timer.start()
    timer.stop()
    assert len(timer.times) == 2 and timer.sum() >= 0
    assert timer.cumsum()[-1] == pytest.approx(timer.sum())


def test_animator_in_a_terminal_prints_and_saves(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    animator = d2l.Animator(xlabel="epoch", legend=["train loss", "test acc"], name="curve")
    animator.add(1, (0.9, 0.5))
    animator.add(2, (0.7, 0.6))
    out = capsys.readouterr().out.splitlines()
    assert out == ["epoch 1: train loss 0.9000, test acc 0.5000",
                   "epoch 2: train loss 0.7000, test acc 0.6000"]
    assert (tmp_path / "curve.png").stat().st_size > 0


def test_animator_reports_a_point_added_before_the_first_series_has_one(tmp_path, monkeypatch,
                                                                         capsys):
    monkeypatch.chdir(tmp_path)  # the book's lr-scheduler loop: test accuracy first, at epoch 1
    animator = d2l.Animator(xlabel="epoch", legend=["train loss", "train acc", "test acc"])
    animator.add(1, (None, None, 0.5))
    animator.add(1.5, (0.4, 0.8, None))
    animator.add(2, (None, None, None))
    assert capsys.readouterr().out.splitlines() == [  # the third add drew nothing: no line
        "epoch 1: test acc 0.5000",
        "epoch 1.5: train loss 0.4000, train acc 0.8000, test acc 0.5000"]


def test_animator_without_a_legend_names_its_one_curve_by_the_ylabel(tmp_path, monkeypatch,
                                                                     capsys):
    monkeypatch.chdir(tmp_path)
    animator = d2l.Animator(xlabel="epoch", ylabel="loss", xlim=[0, 2])  # as train_ch11
    animator.add(0.5, (0.3,))
    unnamed = d2l.Animator(xlabel="epoch")
    unnamed.add(1, (0.9, 0.5))
    assert capsys.readouterr().out.splitlines() == ["epoch 0.5: loss 0.3000",
                                                    "epoch 1: y0 0.9000, y1 0.5000"]


def test_plot_accepts_tensors_that_require_grad(tmp_path):
    x = glasstorch.arange(0, 3, 0.1)
    y = (x * x).requires_grad_()
    d2l.plot(x, [y, 2 * y], "x", "f(x)", legend=["f", "2f"])
    path = d2l.save_figure(str(tmp_path / "plot"))
    assert os.path.getsize(path) > 0


def test_try_gpu_falls_back_to_cpu():
    assert d2l.try_gpu() == glasstorch.device("cpu")
    assert d2l.try_all_gpus() == [glasstorch.device("cpu")]


def test_train_ch3_and_predict_ch3_on_separable_images(tmp_path, monkeypatch, capsys):
    """The book's chapter-3 loop (with its own accuracy asserts) on easy 28x28 classes."""
    from glasstorch import nn
    from glasstorch.utils import data

    monkeypatch.chdir(tmp_path)
    glasstorch.manual_seed(0)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 600)
    centers = rng.random((10, 1, 28, 28)).astype(np.float32)
    images = centers[labels] + 0.1 * rng.standard_normal((600, 1, 28, 28)).astype(np.float32)
    dataset = data.TensorDataset(glasstorch.from_numpy(images), glasstorch.from_numpy(labels))
    train_iter = data.DataLoader(dataset, batch_size=32, shuffle=True)
    test_iter = data.DataLoader(dataset, batch_size=32)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    trainer = glasstorch.optim.SGD(net.parameters(), lr=0.1)
    (train_loss, train_acc), test_acc = d2l.train_ch3(
        net, train_iter, test_iter, nn.CrossEntropyLoss(reduction="none"), 3, trainer)
    assert train_loss < 0.5 and train_acc > 0.9 and test_acc > 0.9
    assert len([line for line in capsys.readouterr().out.splitlines()
                if line.startswith("epoch")]) == 3
    assert (tmp_path / "animator.png").stat().st_size > 0
    titles = d2l.predict_ch3(net, test_iter, n=4)
    assert len(titles) == 4 and all("\n" in t for t in titles)
    assert d2l.evaluate_accuracy(net, test_iter) == test_acc


def test_flatten_layer_and_global_avg_pool_match_torch(torch):
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(np.float32)
    ours = glasstorch.from_numpy(x).requires_grad_()
    theirs = torch.from_numpy(x).requires_grad_()
    flat = d2l.FlattenLayer()(ours)
    np.testing.assert_allclose(flat.detach().numpy(), theirs.view(2, -1).detach().numpy())
    pooled = d2l.GlobalAvgPool2d()(ours)
    expected = torch.nn.functional.avg_pool2d(theirs, kernel_size=theirs.size()[2:])
    assert pooled.shape == expected.shape == (2, 3, 1, 1)
    np.testing.assert_allclose(pooled.detach().numpy(), expected.detach().numpy(), rtol=1e-6)
    pooled.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-6)


def test_train_ch5_the_older_signature(capsys):
    """d2l.train_ch5(net, train_iter, test_iter, batch_size, optimizer, device, num_epochs)."""
    from glasstorch import nn
    from glasstorch.utils import data

    glasstorch.manual_seed(0)
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 10, 320)
    centers = rng.random((10, 1, 8, 8)).astype(np.float32)
    images = centers[labels] + 0.05 * rng.standard_normal((320, 1, 8, 8)).astype(np.float32)
    dataset = data.TensorDataset(glasstorch.from_numpy(images), glasstorch.from_numpy(labels))
    train_iter = data.DataLoader(dataset, batch_size=32, shuffle=True)
    test_iter = data.DataLoader(dataset, batch_size=32)
    net = nn.Sequential(d2l.FlattenLayer(), nn.Linear(64, 10))
    optimizer = glasstorch.optim.Adam(net.parameters(), lr=0.05)
    device = glasstorch.device("cpu")
    loss, train_acc, test_acc = d2l.train_ch5(net, train_iter, test_iter, 32, optimizer, device, 2)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "training on  cpu"
    assert [line.split(",")[0] for line in out[1:]] == ["epoch 1", "epoch 2"]
    assert test_acc > 0.9 and train_acc > 0.5
    assert d2l.evaluate_accuracy(test_iter, net) == d2l.evaluate_accuracy(net, test_iter)


def test_train_ch6_the_current_signature(capsys, tmp_path, monkeypatch):
    """d2l.train_ch6(net, train_iter, test_iter, num_epochs, lr, device): SGD, Xavier init,
    Animator progress lines with examples/sec, the book's two closing lines."""
    from glasstorch import nn
    from glasstorch.utils import data

    monkeypatch.chdir(tmp_path)  # the Animator saves animator.png here
    glasstorch.manual_seed(0)
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 10, 320)
    centers = rng.random((10, 1, 8, 8)).astype(np.float32)
    images = centers[labels] + 0.05 * rng.standard_normal((320, 1, 8, 8)).astype(np.float32)
    dataset = data.TensorDataset(glasstorch.from_numpy(images), glasstorch.from_numpy(labels))
    train_iter = data.DataLoader(dataset, batch_size=32, shuffle=True)
    test_iter = data.DataLoader(dataset, batch_size=32)
    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                        nn.Linear(256, 10))
    loss, train_acc, test_acc = d2l.train_ch6(net, train_iter, test_iter, 10, 0.5,
                                              d2l.try_gpu())
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "training on cpu"
    progress = [line for line in out if line.startswith("epoch ")]
    assert len(progress) == 10 * 5 + 10  # five points per epoch, then the test accuracy
    assert progress[0].startswith("epoch 0.2: train loss ")
    assert out[2].strip().endswith("examples/sec")
    assert out[-2] == f"loss {loss:.3f}, train acc {train_acc:.3f}, test acc {test_acc:.3f}"
    assert out[-1].endswith("examples/sec on cpu")
    assert test_acc > 0.9
    assert (tmp_path / "animator.png").exists()
    assert d2l.evaluate_accuracy_gpu(net, test_iter) == test_acc
