"""d2l-en's object-oriented API (d2l.HyperParameters, ProgressBoard, Module, DataModule,
Trainer, Classifier, ...) against the book's definitions and against the same training done
with torch."""

import subprocess
import sys

import numpy as np
import pytest
import torch

import glasstorch
from glasstorch import d2l


def test_save_hyperparameters_sets_the_callers_arguments_but_ignored_and_private_ones():
    class B(d2l.HyperParameters):
        def __init__(self, a, b, c, _private=1):
            self.save_hyperparameters(ignore=["c"])

    b = B(a=1, b=2, c=3)
    assert (b.a, b.b, b.hparams) == (1, 2, {"a": 1, "b": 2})
    assert not hasattr(b, "c") and not hasattr(b, "_private")


def test_add_to_class_adds_a_method_to_an_existing_class():
    class A:
        def __init__(self):
            self.b = 1

    @d2l.add_to_class(A)
    def do(self):
        return self.b + 1

    assert A().do() == 2


def test_progress_board_keeps_the_averages_of_every_n_points_as_points():
    board = d2l.ProgressBoard("x", display=False)
    for x in range(7):
        board.draw(x, x * 10.0, "sin", every_n=2)
        board.draw(x, 1.0, "one", every_n=3)
    assert board.data["sin"] == [(0.5, 5.0), (2.5, 25.0), (4.5, 45.0)]
    assert [type(p).__name__ for p in board.data["sin"]] == ["Point"] * 3
    assert board.data["sin"][0].x == 0.5 and board.data["sin"][0].y == 5.0
    assert board.data["one"] == [(1.0, 1.0), (4.0, 1.0)]
    assert board.fig is None  # display=False draws nothing


def test_a_board_in_a_terminal_is_saved_as_a_png_at_exit_with_its_path_printed(tmp_path):
    script = ("import numpy as np\nfrom glasstorch import d2l\n"
              "board = d2l.ProgressBoard('x')\n"
              "for x in np.arange(0, 10, 0.1):\n"
              "    board.draw(x, np.sin(x), 'sin', every_n=2)\n"
              "    board.draw(x, np.cos(x), 'cos', every_n=10)\n"
              "print(len(board.data['sin']), len(board.data['cos']))\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120, env={"MPLBACKEND": "Agg", "PATH": ""})
    assert result.returncode == 0, result.stderr
    png = tmp_path / "progress_1.png"
    assert result.stdout.splitlines() == [
        "50 10", f"figure saved to {png} (updated as the board draws)"]
    assert png.read_bytes()[:4] == b"\x89PNG"


class Ones(d2l.DataModule):
    """Fixed regression data, read in order, so two libraries see the same batches."""

    def __init__(self, X, y, batch_size=16):
        super().__init__()
        self.save_hyperparameters()

    def get_dataloader(self, train):
        n = len(self.X) // 2
        i = slice(0, n) if train else slice(n, None)
        return self.get_tensorloader((self.X, self.y), False, i)


def test_trainer_fits_linear_regression_scratch_as_the_books_loop_does_on_torch(
        capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where the board's PNG goes
    rng = np.random.default_rng(0)
    X = rng.normal(size=(96, 2)).astype(np.float32)
    y = (X @ np.array([[2.0], [-3.4]]) + 4.2).astype(np.float32)
    w0 = rng.normal(0, 0.01, (2, 1)).astype(np.float32)

    model = d2l.LinearRegressionScratch(2, lr=0.03)
    with glasstorch.no_grad():
        model.w[:] = glasstorch.tensor(w0)
    data = Ones(glasstorch.tensor(X), glasstorch.tensor(y))
    trainer = d2l.Trainer(max_epochs=3)
    trainer.fit(model, data)

    # the book's training loop (Trainer.fit_epoch, SGD, squared loss / 2) written on torch
    w, b = torch.tensor(w0, requires_grad=True), torch.zeros(1, requires_grad=True)
    for _ in range(3):
        for i in range(0, 48, 16):
            l = ((torch.tensor(X[i:i + 16]) @ w + b - torch.tensor(y[i:i + 16])) ** 2 / 2).mean()
            l.backward()
            with torch.no_grad():
                for p in (w, b):
                    p -= 0.03 * p.grad
                    p.grad.zero_()
    np.testing.assert_allclose(model.w.detach().numpy(), w.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(model.b.detach().numpy(), b.detach().numpy(), rtol=1e-5)
    assert (trainer.train_batch_idx, trainer.val_batch_idx, trainer.epoch) == (9, 9, 2)
    # plot_train_per_epoch=2 of 3 batches: every_n = int(1.5), a point per batch, drawn at
    # x = (batches before it) / (batches per epoch)
    assert [p.x for p in model.board.data["train_loss"]] == pytest.approx(
        [i / 3 for i in range(9)])
    assert [p.x for p in model.board.data["val_loss"]] == [1, 2, 3]
    out = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in out if line.startswith("epoch")] == [
        "epoch 1/3", "epoch 2/3", "epoch 3/3"]
    assert sum("figure saved to" in line for line in out) == 1


def test_classifier_loss_and_accuracy_equal_torch():
    logits = np.random.default_rng(1).normal(size=(2, 5, 10)).astype(np.float32)
    labels = np.random.default_rng(2).integers(0, 10, (2, 5))
    model = d2l.Classifier()
    Y_hat, Y = glasstorch.tensor(logits), glasstorch.tensor(labels)
    expected = torch.nn.functional.cross_entropy(torch.tensor(logits).reshape(-1, 10),
                                                 torch.tensor(labels).reshape(-1))
    assert float(model.loss(Y_hat, Y)) == pytest.approx(float(expected), rel=1e-6)
    assert model.loss(Y_hat, Y, averaged=False).shape == (10,)
    correct = (logits.reshape(-1, 10).argmax(1) == labels.reshape(-1)).astype(np.float32)
    assert float(model.accuracy(Y_hat, Y)) == pytest.approx(correct.mean())
    np.testing.assert_array_equal(model.accuracy(Y_hat, Y, averaged=False).numpy(), correct)


def test_clip_gradients_scales_to_the_threshold_only_above_it():
    net = glasstorch.nn.Linear(3, 2)
    trainer = d2l.Trainer(max_epochs=1)
    for scale, expected_norm in ((10.0, 1.0), (0.01, None)):
        net.zero_grad()
        (net(glasstorch.ones(4, 3)) * scale).sum().backward()
        norm = float(sum((p.grad ** 2).sum() for p in net.parameters()) ** 0.5)
        trainer.clip_gradients(1.0, net)
        clipped = float(sum((p.grad ** 2).sum() for p in net.parameters()) ** 0.5)
        assert clipped == pytest.approx(expected_norm or norm, rel=1e-5)


def test_trainer_with_num_gpus_on_a_machine_without_one_trains_on_the_cpu():
    assert d2l.num_gpus() == glasstorch.cuda.device_count()
    trainer = d2l.Trainer(max_epochs=1, num_gpus=1)
    assert trainer.gpus == [] if d2l.num_gpus() == 0 else [d2l.gpu(0)]
    assert d2l.cpu() == glasstorch.device("cpu") and str(d2l.gpu(1)) == "cuda:1"


def test_linear_regression_concise_get_w_b_and_lazy_init():
    model = d2l.LinearRegression(lr=0.03)
    model(glasstorch.ones(4, 2))
    w, b = model.get_w_b()
    # as on torch, materializing the lazy layer resets it (the book's normal_ and fill_ act on
    # the uninitialized parameter): Linear's default uniform init, bound 1/sqrt(in_features)
    assert w.shape == (1, 2) and b.shape == (1,) and float(b.abs()) > 0
    assert float(w.abs().max()) <= 2 ** -0.5


def test_lenet_layer_summary_prints_torchs_shapes(capsys):
    d2l.LeNet().layer_summary((1, 1, 28, 28))
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, kernel_size=5, padding=2), torch.nn.Sigmoid(),
        torch.nn.AvgPool2d(kernel_size=2, stride=2),
        torch.nn.Conv2d(6, 16, kernel_size=5), torch.nn.Sigmoid(),
        torch.nn.AvgPool2d(kernel_size=2, stride=2), torch.nn.Flatten(),
        torch.nn.Linear(400, 120), torch.nn.Sigmoid(), torch.nn.Linear(120, 84),
        torch.nn.Sigmoid(), torch.nn.Linear(84, 10))
    X, expected = torch.randn(1, 1, 28, 28), []
    for layer in net:
        X = layer(X)
        expected.append(f"{layer.__class__.__name__} output shape:\t {X.shape}")
    assert capsys.readouterr().out.splitlines() == expected


def test_apply_init_materializes_lazy_layers_then_initializes_them():
    model = d2l.LeNet()
    model.apply_init([glasstorch.zeros(1, 1, 28, 28)], d2l.init_cnn)
    weight = model.net[0].weight
    bound = (6 / (1 * 25 + 6 * 25)) ** 0.5  # xavier_uniform_ of a (6, 1, 5, 5) kernel
    assert weight.shape == (6, 1, 5, 5) and float(weight.abs().max()) <= bound


def books_residual_zh(input_channels, num_channels, use_1x1conv=False, strides=1):
    """d2l-zh's Residual, on torch."""
    class Residual(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = torch.nn.Conv2d(input_channels, num_channels, kernel_size=3,
                                         padding=1, stride=strides)
            self.conv2 = torch.nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1)
            self.conv3 = (torch.nn.Conv2d(input_channels, num_channels, kernel_size=1,
                                          stride=strides) if use_1x1conv else None)
            self.bn1 = torch.nn.BatchNorm2d(num_channels)
            self.bn2 = torch.nn.BatchNorm2d(num_channels)

        def forward(self, X):
            Y = torch.relu(self.bn1(self.conv1(X)))
            Y = self.bn2(self.conv2(Y))
            if self.conv3:
                X = self.conv3(X)
            Y += X
            return torch.relu(Y)

    return Residual()


@pytest.mark.parametrize("args, kwargs, shape", [
    ((3, 3), {}, (4, 3, 6, 6)),
    ((3, 6), {"use_1x1conv": True, "strides": 2}, (4, 6, 3, 3)),
])
def test_residual_in_d2l_zhs_form_equals_the_books_block_on_torch(args, kwargs, shape):
    ours, theirs = d2l.Residual(*args, **kwargs), books_residual_zh(*args, **kwargs)
    state = {k: glasstorch.tensor(v.numpy()) for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict(state)
    X = np.random.default_rng(0).normal(size=(4, 3, 6, 6)).astype(np.float32)
    Y = ours(glasstorch.tensor(X))
    assert Y.shape == shape
    np.testing.assert_allclose(Y.detach().numpy(), theirs(torch.tensor(X)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)


def test_residual_and_resnext_in_d2l_ens_form_give_the_books_shapes():
    X = glasstorch.randn(4, 3, 6, 6)
    assert d2l.Residual(3)(X).shape == (4, 3, 6, 6)
    assert d2l.Residual(6, use_1x1conv=True, strides=2)(X).shape == (4, 6, 3, 3)
    assert d2l.Residual(6, True, 2)(X).shape == (4, 6, 3, 3)  # use_1x1conv given by position
    blk = d2l.ResNeXtBlock(32, 16, 1)
    assert blk(glasstorch.randn(4, 32, 96, 96)).shape == (4, 32, 96, 96)
    assert blk.conv2.groups == 2


def test_corr2d_is_the_books_cross_correlation():
    X = glasstorch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    K = glasstorch.tensor([[0.0, 1.0], [2.0, 3.0]])
    assert d2l.corr2d(X, K).tolist() == [[19.0, 25.0], [37.0, 43.0]]


@pytest.fixture
def small_fashion_mnist(monkeypatch):
    read = d2l.torch._read_fashion_mnist

    def first_100(train, root=None):
        images, labels = read(train, root)
        return images[:100], labels[:100]

    monkeypatch.setattr(d2l.torch, "_read_fashion_mnist", first_100)


def test_fashion_mnist_data_module_gives_the_books_batches(small_fashion_mnist, tmp_path):
    data = d2l.FashionMNIST(batch_size=32, resize=(32, 32))
    assert (len(data.train), len(data.val), data.root, data.num_workers) == (
        100, 100, "../data", 4)
    X, y = next(iter(data.train_dataloader()))
    assert (X.shape, X.dtype, y.shape, y.dtype) == (
        (32, 1, 32, 32), glasstorch.float32, (32,), glasstorch.int64)
    assert data.text_labels([0, 9]) == ["t-shirt", "ankle boot"]
    assert len(data.val_dataloader()) == 4
    default = d2l.FashionMNIST()
    assert default.train[0][0].shape == (1, 28, 28) and default.batch_size == 64
