# ruff: noqa: UP008, UP031  (the note's code, as written)
"""The CNN part of seed 002 (BatchNorm from scratch, LeNet, ResNet-18, DenseNet).

The note's code is written once below, as in the note, with `torch` a parameter; each test
runs it on real PyTorch and on glasstorch and compares what it prints (layer printing and
output shapes) or computes. The note's `d2l` is d2lzh_pytorch: glasstorch.d2l has its
FlattenLayer and GlobalAvgPool2d; for PyTorch the test gives the same two classes.
"""

import contextlib
import io
import types

import numpy as np
from cnn_models import _flatten_layer, _global_avg_pool2d

import glasstorch
from glasstorch import d2l as glasstorch_d2l


def d2l_for(torch):
    if torch is glasstorch:
        return glasstorch_d2l
    return types.SimpleNamespace(FlattenLayer=_flatten_layer(torch),
                                 GlobalAvgPool2d=_global_avg_pool2d(torch))


def printed(snippet, torch):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = snippet(torch)
    return out.getvalue(), result


def same_print(torch, snippet):
    expected, _ = printed(snippet, torch)
    actual, result = printed(snippet, glasstorch)
    assert actual == expected
    return actual, result


# ---- the note's code ----


def batch_norm_from_scratch(torch):
    nn = torch.nn

    def batch_norm(is_training, X, gamma, beta, moving_mean, moving_var, eps, momentum):
        if not is_training:
            X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
        else:
            assert len(X.shape) in (2, 4)
            if len(X.shape) == 2:
                mean = X.mean(dim=0)
                var = ((X - mean) ** 2).mean(dim=0)
            else:
                mean = X.mean(dim=0, keepdim=True).mean(dim=2, keepdim=True).mean(dim=3, keepdim=True)
                var = ((X - mean) ** 2).mean(dim=0, keepdim=True).mean(dim=2, keepdim=True).mean(dim=3, keepdim=True)
            X_hat = (X - mean) / torch.sqrt(var + eps)
            moving_mean = momentum * moving_mean + (1.0 - momentum) * mean
            moving_var = momentum * moving_var + (1.0 - momentum) * var
        Y = gamma * X_hat + beta
        return Y, moving_mean, moving_var

    class BatchNorm(nn.Module):
        def __init__(self, num_features, num_dims):
            super(BatchNorm, self).__init__()
            if num_dims == 2:
                shape = (1, num_features)
            else:
                shape = (1, num_features, 1, 1)
            self.gamma = nn.Parameter(torch.ones(shape))
            self.beta = nn.Parameter(torch.zeros(shape))
            self.moving_mean = torch.zeros(shape)
            self.moving_var = torch.zeros(shape)

        def forward(self, X):
            if self.moving_mean.device != X.device:
                self.moving_mean = self.moving_mean.to(X.device)
                self.moving_var = self.moving_var.to(X.device)
            Y, self.moving_mean, self.moving_var = batch_norm(self.training,
                X, self.gamma, self.beta, self.moving_mean,
                self.moving_var, eps=1e-5, momentum=0.9)
            return Y

    return BatchNorm


def lenet_with_batch_norm_from_scratch(torch):
    nn, d2l = torch.nn, d2l_for(torch)
    BatchNorm = batch_norm_from_scratch(torch)
    net = nn.Sequential(
        nn.Conv2d(1, 6, 5),
        BatchNorm(6, num_dims=4),
        nn.Sigmoid(),
        nn.MaxPool2d(2, 2),
        nn.Conv2d(6, 16, 5),
        BatchNorm(16, num_dims=4),
        nn.Sigmoid(),
        nn.MaxPool2d(2, 2),
        d2l.FlattenLayer(),
        nn.Linear(16*4*4, 120),
        BatchNorm(120, num_dims=2),
        nn.Sigmoid(),
        nn.Linear(120, 84),
        BatchNorm(84, num_dims=2),
        nn.Sigmoid(),
        nn.Linear(84, 10)
    )
    print(net)
    return net


def lenet_with_nn_batch_norm(torch):
    nn, d2l = torch.nn, d2l_for(torch)
    net = nn.Sequential(
        nn.Conv2d(1, 6, 5),
        nn.BatchNorm2d(6),
        nn.Sigmoid(),
        nn.MaxPool2d(2, 2),
        nn.Conv2d(6, 16, 5),
        nn.BatchNorm2d(16),
        nn.Sigmoid(),
        nn.MaxPool2d(2, 2),
        d2l.FlattenLayer(),
        nn.Linear(16*4*4, 120),
        nn.BatchNorm1d(120),
        nn.Sigmoid(),
        nn.Linear(120, 84),
        nn.BatchNorm1d(84),
        nn.Sigmoid(),
        nn.Linear(84, 10)
    )
    print(net)
    return net


def residual_class(torch):
    nn, F = torch.nn, torch.nn.functional

    class Residual(nn.Module):
        def __init__(self, in_channels, out_channels, use_1x1conv=False, stride=1):
            super(Residual, self).__init__()
            self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, stride=stride)
            self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1)
            if use_1x1conv:
                self.conv3 = nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride)
            else:
                self.conv3 = None
            self.bn1 = nn.BatchNorm2d(out_channels)
            self.bn2 = nn.BatchNorm2d(out_channels)

        def forward(self, X):
            Y = F.relu(self.bn1(self.conv1(X)))
            Y = self.bn2(self.conv2(Y))
            if self.conv3:
                X = self.conv3(X)
            return F.relu(Y + X)

    return Residual


def residual_shapes(torch):
    Residual = residual_class(torch)
    blk = Residual(3, 3)
    X = torch.rand((4, 3, 6, 6))
    print(blk(X).shape)  # torch.Size([4, 3, 6, 6])
    blk = Residual(3, 6, use_1x1conv=True, stride=2)
    print(blk(X).shape)  # torch.Size([4, 6, 3, 3])


def resnet18_shapes(torch):
    nn, d2l = torch.nn, d2l_for(torch)
    Residual = residual_class(torch)
    net = nn.Sequential(
        nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1))

    def resnet_block(in_channels, out_channels, num_residuals, first_block=False):
        if first_block:
            assert in_channels == out_channels
        blk = []
        for i in range(num_residuals):
            if i == 0 and not first_block:
                blk.append(Residual(in_channels, out_channels, use_1x1conv=True, stride=2))
            else:
                blk.append(Residual(out_channels, out_channels))
        return nn.Sequential(*blk)

    net.add_module("resnet_block1", resnet_block(64, 64, 2, first_block=True))
    net.add_module("resnet_block2", resnet_block(64, 128, 2))
    net.add_module("resnet_block3", resnet_block(128, 256, 2))
    net.add_module("resnet_block4", resnet_block(256, 512, 2))
    net.add_module("global_avg_pool", d2l.GlobalAvgPool2d())
    net.add_module("fc", nn.Sequential(d2l.FlattenLayer(), nn.Linear(512, 10)))
    X = torch.rand((1, 1, 224, 224))
    for name, layer in net.named_children():
        X = layer(X)
        print(name, ' output shape:\t', X.shape)
    print(net)
    return net


def dense_blocks(torch):
    nn = torch.nn

    def conv_block(in_channels, out_channels):
        blk = nn.Sequential(nn.BatchNorm2d(in_channels),
                            nn.ReLU(),
                            nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))
        return blk

    class DenseBlock(nn.Module):
        def __init__(self, num_convs, in_channels, out_channels):
            super(DenseBlock, self).__init__()
            net = []
            for i in range(num_convs):
                in_c = in_channels + i * out_channels
                net.append(conv_block(in_c, out_channels))
            self.net = nn.ModuleList(net)
            self.out_channels = in_channels + num_convs * out_channels

        def forward(self, X):
            for blk in self.net:
                Y = blk(X)
                X = torch.cat((X, Y), dim=1)
            return X

    def transition_block(in_channels, out_channels):
        blk = nn.Sequential(
            nn.BatchNorm2d(in_channels),
            nn.ReLU(),
            nn.Conv2d(in_channels, out_channels, kernel_size=1),
            nn.AvgPool2d(kernel_size=2, stride=2))
        return blk

    return DenseBlock, transition_block


def dense_block_shapes(torch):
    DenseBlock, transition_block = dense_blocks(torch)
    blk = DenseBlock(2, 3, 10)
    X = torch.rand(4, 3, 8, 8)
    Y = blk(X)
    print(Y.shape)  # torch.Size([4, 23, 8, 8])
    blk = transition_block(23, 10)
    print(blk(Y).shape)  # torch.Size([4, 10, 4, 4])


def densenet_shapes(torch):
    nn, d2l = torch.nn, d2l_for(torch)
    DenseBlock, transition_block = dense_blocks(torch)
    net = nn.Sequential(
        nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    num_channels, growth_rate = 64, 32
    num_convs_in_dense_blocks = [4, 4, 4, 4]
    for i, num_convs in enumerate(num_convs_in_dense_blocks):
        DB = DenseBlock(num_convs, num_channels, growth_rate)
        net.add_module("DenseBlosk_%d" % i, DB)
        num_channels = DB.out_channels
        if i != len(num_convs_in_dense_blocks) - 1:
            net.add_module("transition_block_%d" % i, transition_block(num_channels, num_channels // 2))
            num_channels = num_channels // 2
    net.add_module("BN", nn.BatchNorm2d(num_channels))
    net.add_module("relu", nn.ReLU())
    net.add_module("global_avg_pool", d2l.GlobalAvgPool2d())
    net.add_module("fc", nn.Sequential(d2l.FlattenLayer(), nn.Linear(num_channels, 10)))
    X = torch.rand((1, 1, 96, 96))
    for name, layer in net.named_children():
        X = layer(X)
        print(name, ' output shape:\t', X.shape)
    print(net)
    return net


# ---- the tests ----


def test_lenet_with_batch_norm_from_scratch_prints_as_torch(torch):
    text, net = same_print(torch, lenet_with_batch_norm_from_scratch)
    assert "(1): BatchNorm()" in text
    assert [name for name, _ in net.named_parameters()][:4] == [
        "0.weight", "0.bias", "1.gamma", "1.beta"]


def train_steps(torch, make_net, state, images, labels, steps=3):
    """A few SGD steps from the given weights; then the eval logits.

    Not the note's Adam: the bias of a layer followed by BatchNorm gets a gradient that is
    zero up to rounding noise, and Adam turns noise of either sign into a full step of lr.
    """
    net = make_net(torch)
    net.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    loss = torch.nn.CrossEntropyLoss()
    X, y = torch.tensor(images), torch.tensor(labels)
    for _ in range(steps):
        l = loss(net(X), y)
        optimizer.zero_grad()
        l.backward()
        optimizer.step()
    net.eval()
    with torch.no_grad():
        return l.item(), net(X).numpy(), net


def test_lenet_batch_norm_from_scratch_trains_as_torch(torch):
    """The note's own batch_norm: training statistics, moving averages, eval mode."""
    with contextlib.redirect_stdout(io.StringIO()):
        state = {k: v.numpy() for k, v in lenet_with_batch_norm_from_scratch(torch).state_dict().items()}
        make = lenet_with_batch_norm_from_scratch
        rng = np.random.default_rng(0)
        images = rng.random((16, 1, 28, 28)).astype(np.float32)
        labels = rng.integers(0, 10, 16)
        loss_t, logits_t, net_t = train_steps(torch, make, state, images, labels)
        loss_g, logits_g, net_g = train_steps(glasstorch, make, state, images, labels)
    np.testing.assert_allclose(loss_g, loss_t, rtol=1e-5)
    np.testing.assert_allclose(logits_g, logits_t, rtol=1e-4, atol=1e-4)
    # the note's moving averages are computed from the batch mean, so they carry a graph
    assert net_g[1].moving_mean.requires_grad and net_t[1].moving_mean.requires_grad
    np.testing.assert_allclose(net_g[1].moving_mean.detach().numpy(), net_t[1].moving_mean.detach().numpy(),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(net_g[10].moving_var.detach().numpy(), net_t[10].moving_var.detach().numpy(),
                               rtol=1e-4, atol=1e-5)


def test_lenet_with_nn_batch_norm_trains_as_torch(torch):
    with contextlib.redirect_stdout(io.StringIO()):
        state = {k: v.numpy() for k, v in lenet_with_nn_batch_norm(torch).state_dict().items()}
        rng = np.random.default_rng(1)
        images = rng.random((16, 1, 28, 28)).astype(np.float32)
        labels = rng.integers(0, 10, 16)
        loss_t, logits_t, _ = train_steps(torch, lenet_with_nn_batch_norm, state, images, labels)
        loss_g, logits_g, _ = train_steps(glasstorch, lenet_with_nn_batch_norm, state, images,
                                          labels)
    np.testing.assert_allclose(loss_g, loss_t, rtol=1e-5)
    np.testing.assert_allclose(logits_g, logits_t, rtol=1e-4, atol=1e-4)


def test_residual_block_shapes(torch):
    text, _ = same_print(torch, residual_shapes)
    assert text == "torch.Size([4, 3, 6, 6])\ntorch.Size([4, 6, 3, 3])\n"


def test_resnet18_layer_output_shapes_for_224(torch):
    text, _ = same_print(torch, resnet18_shapes)
    assert text.startswith("0  output shape:\t torch.Size([1, 64, 112, 112])\n")
    assert "resnet_block4  output shape:\t torch.Size([1, 512, 7, 7])\n" in text
    assert "fc  output shape:\t torch.Size([1, 10])\n" in text


def test_dense_and_transition_block_shapes(torch):
    text, _ = same_print(torch, dense_block_shapes)
    assert text == "torch.Size([4, 23, 8, 8])\ntorch.Size([4, 10, 4, 4])\n"


def test_densenet_layer_output_shapes_for_96(torch):
    text, _ = same_print(torch, densenet_shapes)
    assert "DenseBlosk_3  output shape:\t torch.Size([1, 248, 3, 3])\n" in text
    assert "fc  output shape:\t torch.Size([1, 10])\n" in text


def load_data_fashion_mnist_of_the_note(torch, torchvision):
    def load_data_fashion_mnist(batch_size, resize=None, root='/home/kesci/input/FashionMNIST2065'):
        """Download the fashion mnist dataset and then load into memory."""
        trans = []
        if resize:
            trans.append(torchvision.transforms.Resize(size=resize))
        trans.append(torchvision.transforms.ToTensor())
        transform = torchvision.transforms.Compose(trans)
        mnist_train = torchvision.datasets.FashionMNIST(root=root, train=True, download=True, transform=transform)
        mnist_test = torchvision.datasets.FashionMNIST(root=root, train=False, download=True, transform=transform)
        train_iter = torch.utils.data.DataLoader(mnist_train, batch_size=batch_size, shuffle=True, num_workers=2)
        test_iter = torch.utils.data.DataLoader(mnist_test, batch_size=batch_size, shuffle=False, num_workers=2)
        return train_iter, test_iter

    return load_data_fashion_mnist


def test_the_notes_data_loader_reads_fashion_mnist_with_torchvisions_api():
    """The note's loader, unchanged: its root does not exist here and download=True, so the
    files come from the Debian package; two worker processes, with and without Resize."""
    from glasstorch import vision

    load_data_fashion_mnist = load_data_fashion_mnist_of_the_note(glasstorch, vision)
    images, labels = glasstorch_d2l.load_fashion_mnist_tensors(train=False)
    batch_size = 16
    train_iter, test_iter = load_data_fashion_mnist(batch_size)
    X, y = next(iter(train_iter))
    assert X.shape == (16, 1, 28, 28) and X.dtype == glasstorch.float32
    assert y.shape == (16,) and y.dtype == glasstorch.int64
    X, y = next(iter(test_iter))
    assert glasstorch.equal(X, images[:16]) and glasstorch.equal(y, labels[:16])
    _, test_iter = load_data_fashion_mnist(batch_size, resize=96)
    X, y = next(iter(test_iter))
    assert X.shape == (16, 1, 96, 96) and glasstorch.equal(y, labels[:16])
    assert 0 <= float(X.min()) and float(X.max()) <= 1
