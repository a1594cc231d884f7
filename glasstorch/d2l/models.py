"""The data and models of d2l-en's chapters 3-8, built on its object-oriented design
(oo_design.py): synthetic regression data, linear and softmax regression, Fashion-MNIST,
the classifier base class, LeNet and the residual blocks. Each is the book's definition with
glasstorch in place of PyTorch.
"""

import glasstorch as torch
from glasstorch import nn
from glasstorch.nn import functional as F
from glasstorch.utils import data

from . import torch as d2l
from .oo_design import DataModule, HyperParameters, Module

# ---- linear regression (3.3-3.5) ----


class SyntheticRegressionData(DataModule):
    """Synthetic data for linear regression."""

    def __init__(self, w, b, noise=0.01, num_train=1000, num_val=1000, batch_size=32):
        super().__init__()
        self.save_hyperparameters()
        n = num_train + num_val
        self.X = torch.randn(n, len(w))
        noise = torch.randn(n, 1) * noise
        self.y = torch.matmul(self.X, w.reshape((-1, 1))) + b + noise

    def get_dataloader(self, train):
        i = slice(0, self.num_train) if train else slice(self.num_train, None)
        return self.get_tensorloader((self.X, self.y), train, i)


class LinearRegressionScratch(Module):
    """The linear regression model implemented from scratch."""

    def __init__(self, num_inputs, lr, sigma=0.01):
        super().__init__()
        self.save_hyperparameters()
        self.w = torch.normal(0, sigma, (num_inputs, 1), requires_grad=True)
        self.b = torch.zeros(1, requires_grad=True)

    def forward(self, X):
        return torch.matmul(X, self.w) + self.b

    def loss(self, y_hat, y):
        l = (y_hat - y) ** 2 / 2
        return l.mean()

    def configure_optimizers(self):
        return SGD([self.w, self.b], self.lr)


class SGD(HyperParameters):
    """Minibatch stochastic gradient descent."""

    def __init__(self, params, lr):
        self.save_hyperparameters()

    def step(self):
        for param in self.params:
            param -= self.lr * param.grad

    def zero_grad(self):
        for param in self.params:
            if param.grad is not None:
                param.grad.zero_()


class LinearRegression(Module):
    """The linear regression model implemented with high-level APIs."""

    def __init__(self, lr):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.LazyLinear(1)
        self.net.weight.data.normal_(0, 0.01)
        self.net.bias.data.fill_(0)

    def forward(self, X):
        return self.net(X)

    def loss(self, y_hat, y):
        fn = nn.MSELoss()
        return fn(y_hat, y)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), self.lr)

    def get_w_b(self):
        return (self.net.weight.data, self.net.bias.data)


# ---- classification (4.2-4.5) ----


class FashionMNIST(DataModule):
    """The Fashion-MNIST dataset.

    The book reads it through torchvision with transforms Resize(resize) and ToTensor; here
    the images are read once from `root` (torchvision's folder layout, the book's ../data) or
    the Debian package's folder, and each is resized once, to the same tensors. As they are
    in memory, the loaders read them in this process (as d2l.get_dataloader_workers() says):
    the book's `num_workers` worker processes would only add the cost of sending each batch
    between processes (measured here: softmax regression's epoch 6.4 s with none, 9.7 s
    with 4).
    """

    def __init__(self, batch_size=64, resize=(28, 28)):
        super().__init__()
        self.save_hyperparameters()
        self.train = self._dataset(train=True)
        self.val = self._dataset(train=False)

    def _dataset(self, train):
        size = self.resize if isinstance(self.resize, (tuple, list)) else (self.resize,) * 2
        resize = None if tuple(size) == (28, 28) else self.resize  # (28, 28): the files' size
        return d2l.fashion_mnist_dataset(train, self.root, resize)

    def text_labels(self, indices):
        """Return text labels."""
        labels = ["t-shirt", "trouser", "pullover", "dress", "coat",
                  "sandal", "shirt", "sneaker", "bag", "ankle boot"]
        return [labels[int(i)] for i in indices]

    def get_dataloader(self, train):
        data_set = self.train if train else self.val
        return data.DataLoader(data_set, self.batch_size, shuffle=train,
                               num_workers=d2l.get_dataloader_workers())

    def visualize(self, batch, nrows=1, ncols=8, labels=[]):  # noqa: B006 (the book's)
        X, y = batch
        if not labels:
            labels = self.text_labels(y)
        d2l.show_images(X.squeeze(1), nrows, ncols, titles=labels)


class Classifier(Module):
    """The base class of classification models."""

    def validation_step(self, batch):
        Y_hat = self(*batch[:-1])
        self.plot("loss", self.loss(Y_hat, batch[-1]), train=False)
        self.plot("acc", self.accuracy(Y_hat, batch[-1]), train=False)

    def accuracy(self, Y_hat, Y, averaged=True):
        """Compute the number of correct predictions."""
        Y_hat = Y_hat.reshape((-1, Y_hat.shape[-1]))
        preds = Y_hat.argmax(axis=1).type(Y.dtype)
        compare = (preds == Y.reshape(-1)).type(torch.float32)
        return compare.mean() if averaged else compare

    def loss(self, Y_hat, Y, averaged=True):
        Y_hat = Y_hat.reshape((-1, Y_hat.shape[-1]))
        Y = Y.reshape((-1,))
        return F.cross_entropy(Y_hat, Y, reduction="mean" if averaged else "none")

    def layer_summary(self, X_shape):
        """Print each layer's output shape for an input of shape X_shape."""
        X = torch.randn(*X_shape)
        for layer in self.net:
            X = layer(X)
            print(layer.__class__.__name__, "output shape:\t", X.shape)


class SoftmaxRegression(Classifier):
    """The softmax regression model."""

    def __init__(self, num_outputs, lr):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Flatten(), nn.LazyLinear(num_outputs))

    def forward(self, X):
        return self.net(X)


# ---- convolutional networks (7.2-8.6) ----


def corr2d(X, K):
    """Compute 2D cross-correlation."""
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i: i + h, j: j + w] * K).sum()
    return Y


def init_cnn(module):
    """Initialize weights for CNNs."""
    if type(module) == nn.Linear or type(module) == nn.Conv2d:
        nn.init.xavier_uniform_(module.weight)


class LeNet(Classifier):
    """The LeNet-5 model."""

    def __init__(self, lr=0.1, num_classes=10):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(
            nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.LazyConv2d(16, kernel_size=5), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Flatten(),
            nn.LazyLinear(120), nn.Sigmoid(),
            nn.LazyLinear(84), nn.Sigmoid(),
            nn.LazyLinear(num_classes))


class Residual(nn.Module):
    """The Residual block of ResNet models.

    Both editions' forms: d2l-en's `Residual(num_channels, use_1x1conv=False, strides=1)`
    (lazy layers) and d2l-zh's `Residual(input_channels, num_channels, use_1x1conv=False,
    strides=1)`, told apart by a second positional argument that is a channel count.
    """

    def __init__(self, *args, **kwargs):
        super().__init__()
        if len(args) >= 2 and type(args[1]) is int:  # d2l-zh: the input channels come first
            self._init(*args, **kwargs)
        else:
            self._init(None, *args, **kwargs)

    def _init(self, input_channels, num_channels, use_1x1conv=False, strides=1):
        def conv(in_channels, **options):
            if in_channels is None:
                return nn.LazyConv2d(num_channels, **options)
            return nn.Conv2d(in_channels, num_channels, **options)

        self.conv1 = conv(input_channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = conv(None if input_channels is None else num_channels,
                          kernel_size=3, padding=1)
        if use_1x1conv:
            self.conv3 = conv(input_channels, kernel_size=1, stride=strides)
        else:
            self.conv3 = None
        if input_channels is None:
            self.bn1 = nn.LazyBatchNorm2d()
            self.bn2 = nn.LazyBatchNorm2d()
        else:
            self.bn1 = nn.BatchNorm2d(num_channels)
            self.bn2 = nn.BatchNorm2d(num_channels)

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3:
            X = self.conv3(X)
        Y += X
        return F.relu(Y)


class ResNeXtBlock(nn.Module):
    """The ResNeXt block."""

    def __init__(self, num_channels, groups, bot_mul, use_1x1conv=False, strides=1):
        super().__init__()
        bot_channels = round(num_channels * bot_mul)
        self.conv1 = nn.LazyConv2d(bot_channels, kernel_size=1, stride=1)
        self.conv2 = nn.LazyConv2d(bot_channels, kernel_size=3, stride=strides, padding=1,
                                   groups=bot_channels // groups)
        self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1, stride=1)
        self.bn1 = nn.LazyBatchNorm2d()
        self.bn2 = nn.LazyBatchNorm2d()
        self.bn3 = nn.LazyBatchNorm2d()
        if use_1x1conv:
            self.conv4 = nn.LazyConv2d(num_channels, kernel_size=1, stride=strides)
            self.bn4 = nn.LazyBatchNorm2d()
        else:
            self.conv4 = None

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = F.relu(self.bn2(self.conv2(Y)))
        Y = self.bn3(self.conv3(Y))
        if self.conv4:
            X = self.bn4(self.conv4(X))
        return F.relu(Y + X)
