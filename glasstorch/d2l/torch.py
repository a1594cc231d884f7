"""The helpers of *Dive into Deep Learning* (https://d2l.ai), running on glasstorch.

`from glasstorch import d2l` gives the same functions as the book's `from d2l import torch
as d2l`. They are written to be read: each is the book's own definition, with glasstorch
in place of PyTorch. Plots need matplotlib (`pip install glasstorch[d2l]`); in a terminal
figures are saved as PNG files and progress is printed, in Jupyter they are drawn live.
"""

import os
import random
import sys
import time

import numpy as np

import glasstorch as torch
from glasstorch.utils import data
from glasstorch.vision import datasets
from glasstorch.vision.datasets import read_idx  # noqa: F401 (d2l.read_idx)

# ---- plotting ----


def _in_notebook():
    return "ipykernel" in sys.modules


def _pyplot():
    """matplotlib.pyplot, imported on first use (a headless backend outside notebooks)."""
    import matplotlib

    if not _in_notebook() and not os.environ.get("DISPLAY"):
        matplotlib.use("Agg")
    from matplotlib import pyplot

    return pyplot


def __getattr__(name):
    if name == "plt":  # `d2l.plt`, as in the book, without importing matplotlib up front
        return _pyplot()
    raise AttributeError(f"module 'd2l' has no attribute '{name}'")


def use_svg_display():
    """Use the svg format to display a plot in Jupyter."""
    if _in_notebook():
        from matplotlib_inline import backend_inline

        backend_inline.set_matplotlib_formats("svg")


def set_figsize(figsize=(3.5, 2.5)):
    """Set the figure size for matplotlib."""
    use_svg_display()
    _pyplot().rcParams["figure.figsize"] = figsize


def set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend):
    """Set the axes for matplotlib."""
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_xscale(xscale)
    axes.set_yscale(yscale)
    axes.set_xlim(xlim)
    axes.set_ylim(ylim)
    if legend:
        axes.legend(legend)
    axes.grid()


def plot(X, Y=None, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
         xscale="linear", yscale="linear", fmts=("-", "m--", "g-.", "r:"), figsize=(3.5, 2.5),
         axes=None):
    """Plot data points."""
    if legend is None:
        legend = []
    set_figsize(figsize)
    axes = axes if axes else _pyplot().gca()

    def has_one_axis(X):  # True if X (tensor or list) has 1 axis
        return (hasattr(X, "ndim") and X.ndim == 1 or isinstance(X, list)
                and not hasattr(X[0], "__len__"))

    if has_one_axis(X):
        X = [X]
    if Y is None:
        X, Y = [[]] * len(X), X
    elif has_one_axis(Y):
        Y = [Y]
    if len(X) != len(Y):
        X = X * len(Y)
    axes.cla()
    for x, y, fmt in zip(X, Y, fmts):
        x, y = _plottable(x), _plottable(y)
        if len(x):
            axes.plot(x, y, fmt)
        else:
            axes.plot(y, fmt)
    set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend)


def _plottable(values):
    """Tensors (even ones that require grad) as numpy arrays for matplotlib."""
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    return values


def save_figure(name):
    """Save the current figure as name.png (in a terminal, where no window shows it)."""
    path = os.path.abspath(f"{name}.png")
    _pyplot().savefig(path, bbox_inches="tight")  # as the notebook shows it: no label cut off
    print(f"figure saved to {path}")
    return path


_figures_named = {}  # how many figures each helper has named in this process: N in NAME_N.png


def _numbered_figure_name(name):
    """A fresh file name for each figure a helper draws: show_trace_1, show_trace_2, ..."""
    _figures_named[name] = _figures_named.get(name, 0) + 1
    return f"{name}_{_figures_named[name]}"


def _finish_figure(name, fig=None):
    """End a figure (the current one if None) as a notebook cell would: in a terminal, save
    it as name.png and close it, so that the next plot starts a fresh figure."""
    if _in_notebook():
        return None
    plt = _pyplot()
    if fig is not None:
        plt.figure(fig.number)
    path = save_figure(name)
    plt.close()
    return path


# ---- timing and counting ----


class Timer:
    """Record multiple running times."""

    def __init__(self):
        self.times = []
        self.start()

    def start(self):
        """Start the timer."""
        self.tik = time.time()

    def stop(self):
        """Stop the timer and record the time in a list."""
        self.times.append(time.time() - self.tik)
        return self.times[-1]

    def avg(self):
        """Return the average time."""
        return sum(self.times) / len(self.times)

    def sum(self):
        """Return the sum of time."""
        return sum(self.times)

    def cumsum(self):
        """Return the accumulated time."""
        return np.array(self.times).cumsum().tolist()


class Accumulator:
    """For accumulating sums over `n` variables."""

    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self):
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx):
        return self.data[idx]


# ---- linear regression (3.2, 3.3) ----


def synthetic_data(w, b, num_examples):
    """Generate y = Xw + b + noise."""
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


def data_iter(batch_size, features, labels):
    """Yield random minibatches of (features, labels)."""
    num_examples = len(features)
    indices = list(range(num_examples))
    random.shuffle(indices)  # the examples are read in random order
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i: min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]


def linreg(X, w, b):
    """The linear regression model."""
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    """Squared loss."""
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    """Minibatch stochastic gradient descent."""
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def load_array(data_arrays, batch_size, is_train=True):
    """Construct a PyTorch-style data iterator."""
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)


# ---- Fashion-MNIST (3.5) ----

def get_fashion_mnist_labels(labels):
    """Return text labels for the Fashion-MNIST dataset."""
    text_labels = ["t-shirt", "trouser", "pullover", "dress", "coat",
                   "sandal", "shirt", "sneaker", "bag", "ankle boot"]
    return [text_labels[int(i)] for i in labels]


def show_images(imgs, num_rows, num_cols, titles=None, scale=1.5):
    """Plot a list of images."""
    figsize = (num_cols * scale, num_rows * scale)
    _, axes = _pyplot().subplots(num_rows, num_cols, figsize=figsize)
    axes = axes.flatten()
    for i, (ax, img) in enumerate(zip(axes, imgs)):
        ax.imshow(_plottable(img))
        ax.axes.get_xaxis().set_visible(False)
        ax.axes.get_yaxis().set_visible(False)
        if titles:
            ax.set_title(titles[i])
    return axes


def _read_fashion_mnist(train, root=None):
    """(uint8 images (n, 28, 28), int64 labels (n,)) as numpy arrays, found and read as
    torchvision.datasets.FashionMNIST finds them (root defaults to the book's ../data; the
    Debian package's folder is the fallback)."""
    dataset = datasets.FashionMNIST(root=root or "../data", train=train, download=True)
    return dataset.data.numpy(), dataset.targets.numpy()


def load_fashion_mnist_tensors(train, root=None):
    """(images, labels): float32 images in [0, 1] of shape (n, 1, 28, 28) and int64 labels."""
    images, labels = _read_fashion_mnist(train, root)
    images = images.astype(np.float32) / 255
    return torch.from_numpy(images[:, None]), torch.from_numpy(labels)


class _ResizedImages(data.Dataset):
    """Grayscale uint8 images, each resized once as the book's transforms.Resize(size) resizes
    its PIL image, then served as ToTensor serves them: float32 (1, h, w) in [0, 1].

    Kept as uint8 (a quarter of the memory) and converted a batch at a time.
    """

    def __init__(self, images, labels, size):
        from glasstorch.vision.transforms import functional

        Image = functional._pil_image()
        self.images = np.stack([np.asarray(functional.resize(Image.fromarray(image), size))
                                for image in images])
        self.labels = labels.astype(np.int64)

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        return self.__getitems__([index])[0]

    def __getitems__(self, indices):
        """The samples at `indices`, converted to float together (the DataLoader asks so)."""
        images = torch.from_numpy(self.images[indices][:, None].astype(np.float32) / 255)
        return list(zip(images, torch.from_numpy(self.labels[indices])))


def get_dataloader_workers():
    """Use 0 worker processes to read the data: it is already in memory."""
    return 0


def fashion_mnist_dataset(train, root=None, resize=None):
    """The training or test images as the book's transforms give them, each resized once here
    (not again every epoch) when `resize` is given: (image (1, h, w) float32, label) pairs."""
    if resize is None:
        return data.TensorDataset(*load_fashion_mnist_tensors(train, root))
    return _ResizedImages(*_read_fashion_mnist(train, root), resize)


def load_data_fashion_mnist(batch_size, resize=None, root=None):
    """Download the Fashion-MNIST dataset and then load it into memory.

    glasstorch reads the files from `root` (or the Debian package's folder) instead of
    downloading them. With `resize`, the images are the book's transforms.Resize(resize) then
    ToTensor, each resized once when the loaders are built (a few seconds).
    """
    train = fashion_mnist_dataset(True, root, resize)
    test = fashion_mnist_dataset(False, root, resize)
    return (data.DataLoader(train, batch_size, shuffle=True,
                            num_workers=get_dataloader_workers()),
            data.DataLoader(test, batch_size, shuffle=False,
                            num_workers=get_dataloader_workers()))


# ---- softmax regression (3.6) ----


def accuracy(y_hat, y):
    """Compute the number of correct predictions."""
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


def evaluate_accuracy(net, data_iter):
    """Compute the accuracy for a model on a dataset.

    The older d2lzh_pytorch called it as evaluate_accuracy(data_iter, net); both orders work.
    """
    if not callable(net) and callable(data_iter):
        net, data_iter = data_iter, net
    if isinstance(net, torch.nn.Module):
        net.eval()  # Set the model to evaluation mode
    metric = Accumulator(2)  # No. of correct predictions, no. of predictions
    with torch.no_grad():
        for X, y in data_iter:
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


def train_epoch_ch3(net, train_iter, loss, updater):
    """The training loop defined in Chapter 3."""
    if isinstance(net, torch.nn.Module):
        net.train()
    # Sum of training loss, sum of training accuracy, no. of examples
    metric = Accumulator(3)
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        else:  # a custom updater, like sgd above
            l.sum().backward()
            updater(X.shape[0])
        metric.add(float(l.sum()), accuracy(y_hat, y), y.numel())
    return metric[0] / metric[2], metric[1] / metric[2]


class Animator:
    """For plotting data in animation.

    In Jupyter the figure is redrawn after each add(); in a terminal each add() prints a
    progress line and the figure is saved to `animator.png` (or the name given).
    """

    def __init__(self, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
                 xscale="linear", yscale="linear", fmts=("-", "m--", "g-.", "r:"), nrows=1,
                 ncols=1, figsize=(3.5, 2.5), name="animator"):
        if legend is None:
            legend = []
        use_svg_display()
        self.fig, self.axes = _pyplot().subplots(nrows, ncols, figsize=figsize)
        if nrows * ncols == 1:
            self.axes = [self.axes]
        self.config_axes = lambda: set_axes(self.axes[0], xlabel, ylabel, xlim, ylim, xscale,
                                            yscale, legend)
        self.X, self.Y, self.fmts = None, None, fmts
        self.legend, self.ylabel, self.name = legend, ylabel, name

    def add(self, x, y):
        """Add multiple data points into the figure."""
        if not hasattr(y, "__len__"):
            y = [y]
        n = len(y)
        if not hasattr(x, "__len__"):
            x = [x] * n
        if not self.X:
            self.X = [[] for _ in range(n)]
        if not self.Y:
            self.Y = [[] for _ in range(n)]
        added = False
        for i, (a, b) in enumerate(zip(x, y)):
            if a is not None and b is not None:
                self.X[i].append(a)
                self.Y[i].append(b)
                added = True
        self.axes[0].cla()
        for x, y, fmt in zip(self.X, self.Y, self.fmts):
            self.axes[0].plot(x, y, fmt)
        self.config_axes()
        if _in_notebook():
            from IPython import display

            display.display(self.fig)
            display.clear_output(wait=True)
        elif added:
            self._report()

    def _report(self):
        names = self.legend or ([self.ylabel] if self.ylabel and len(self.Y) == 1 else
                                [f"y{i}" for i in range(len(self.Y))])
        values = ", ".join(f"{name} {ys[-1]:.4f}" for name, ys in zip(names, self.Y) if ys)
        epoch = max(xs[-1] for xs in self.X if xs)  # a series may have no point yet
        print(f"epoch {epoch:g}: {values}", flush=True)
        self.fig.savefig(f"{self.name}.png")


def train_ch3(net, train_iter, test_iter, loss, num_epochs, updater):
    """Train a model (defined in Chapter 3)."""
    animator = Animator(xlabel="epoch", xlim=[1, num_epochs], ylim=[0.3, 0.9],
                        legend=["train loss", "train acc", "test acc"])
    for epoch in range(num_epochs):
        train_metrics = train_epoch_ch3(net, train_iter, loss, updater)
        test_acc = evaluate_accuracy(net, test_iter)
        animator.add(epoch + 1, train_metrics + (test_acc,))
    train_loss, train_acc = train_metrics
    assert train_loss < 0.5, train_loss
    assert train_acc <= 1 and train_acc > 0.7, train_acc
    assert test_acc <= 1 and test_acc > 0.7, test_acc
    return train_metrics, test_acc


def predict_ch3(net, test_iter, n=6):
    """Predict labels (defined in Chapter 3)."""
    for X, y in test_iter:
        break
    trues = get_fashion_mnist_labels(y)
    preds = get_fashion_mnist_labels(net(X).argmax(axis=1))
    titles = [true + "\n" + pred for true, pred in zip(trues, preds)]
    show_images(X[0:n].reshape((n, 28, 28)), 1, n, titles=titles[0:n])
    return titles[0:n]


# ---- convolutional networks (chapter 5 of the older d2lzh_pytorch, used by note 002) ----


class FlattenLayer(torch.nn.Module):
    """Flatten each example: (batch, ...) -> (batch, features)."""

    def forward(self, x):
        return x.view(x.shape[0], -1)


class GlobalAvgPool2d(torch.nn.Module):
    """Average over the whole height and width: (batch, channels, h, w) -> (..., 1, 1)."""

    def forward(self, x):
        return torch.nn.functional.avg_pool2d(x, kernel_size=x.size()[2:])


def train_ch5(net, train_iter, test_iter, batch_size, optimizer, device, num_epochs):
    """Train a model on `device` with cross-entropy, printing one line per epoch (d2lzh_pytorch)."""
    net = net.to(device)
    print("training on ", device)
    loss = torch.nn.CrossEntropyLoss()
    for epoch in range(num_epochs):
        train_l_sum, train_acc_sum, n, batch_count, start = 0.0, 0.0, 0, 0, time.time()
        for X, y in train_iter:
            X = X.to(device)
            y = y.to(device)
            y_hat = net(X)
            l = loss(y_hat, y)
            optimizer.zero_grad()
            l.backward()
            optimizer.step()
            train_l_sum += l.cpu().item()
            train_acc_sum += (y_hat.argmax(dim=1) == y).sum().cpu().item()
            n += y.shape[0]
            batch_count += 1
        test_acc = evaluate_accuracy(net, test_iter)
        print("epoch %d, loss %.4f, train acc %.3f, test acc %.3f, time %.1f sec"
              % (epoch + 1, train_l_sum / batch_count, train_acc_sum / n, test_acc,
                 time.time() - start))
    return train_l_sum / batch_count, train_acc_sum / n, test_acc


# ---- convolutional networks (chapter 7 of the current book) ----


def evaluate_accuracy_gpu(net, data_iter, device=None):
    """Compute the accuracy for a model on a dataset using a GPU (or the net's device)."""
    if isinstance(net, torch.nn.Module):
        net.eval()  # Set the model to evaluation mode
        if not device:
            device = next(iter(net.parameters())).device
    metric = Accumulator(2)  # No. of correct predictions, no. of predictions
    with torch.no_grad():
        for X, y in data_iter:
            X, y = X.to(device), y.to(device)
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


def train_ch6(net, train_iter, test_iter, num_epochs, lr, device):
    """Train a model with a GPU (defined in Chapter 6); SGD, Xavier-initialized weights.

    In a terminal each progress line of the Animator is followed by the examples/sec so far.
    """
    def init_weights(m):
        if type(m) == torch.nn.Linear or type(m) == torch.nn.Conv2d:
            torch.nn.init.xavier_uniform_(m.weight)
    net.apply(init_weights)
    print("training on", device)
    net.to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss = torch.nn.CrossEntropyLoss()
    animator = Animator(xlabel="epoch", xlim=[1, num_epochs],
                        legend=["train loss", "train acc", "test acc"])
    timer, num_batches = Timer(), len(train_iter)
    for epoch in range(num_epochs):
        # Sum of training loss, sum of training accuracy, no. of examples
        metric = Accumulator(3)
        net.train()
        for i, (X, y) in enumerate(train_iter):
            timer.start()
            optimizer.zero_grad()
            X, y = X.to(device), y.to(device)
            y_hat = net(X)
            l = loss(y_hat, y)
            l.backward()
            optimizer.step()
            with torch.no_grad():
                metric.add(l * X.shape[0], accuracy(y_hat, y), X.shape[0])
            timer.stop()
            train_l = metric[0] / metric[2]
            train_acc = metric[1] / metric[2]
            if (i + 1) % max(num_batches // 5, 1) == 0 or i == num_batches - 1:
                animator.add(epoch + (i + 1) / num_batches, (train_l, train_acc, None))
                if not _in_notebook():
                    print(f"    {metric[2] / timer.sum():.1f} examples/sec", flush=True)
        test_acc = evaluate_accuracy_gpu(net, test_iter)
        animator.add(epoch + 1, (None, None, test_acc))
    print(f"loss {train_l:.3f}, train acc {train_acc:.3f}, test acc {test_acc:.3f}")
    print(f"{metric[2] * num_epochs / timer.sum():.1f} examples/sec on {str(device)}")
    return train_l, train_acc, test_acc


# ---- devices (5.6) ----


def try_gpu(i=0):
    """Return gpu(i) if exists, otherwise return cpu()."""
    if torch.cuda.device_count() >= i + 1:
        return torch.device(f"cuda:{i}")
    return torch.device("cpu")


def try_all_gpus():
    """Return all available GPUs, or [cpu(),] if no GPU exists."""
    devices = [torch.device(f"cuda:{i}") for i in range(torch.cuda.device_count())]
    return devices if devices else [torch.device("cpu")]


from .gradient_descent import annotate, show_trace, show_trace_2d, train_2d  # noqa: E402, F401
from .minibatch import (  # noqa: E402, F401 (chapter 11: airfoil data, train_ch7/11, optimizers)
    adadelta, adagrad, adam, evaluate_loss, get_data_ch7, get_data_ch11, init_adadelta_states,
    init_adagrad_states, init_adam_states, init_momentum_states, init_rmsprop_states, rmsprop,
    sgd_momentum, train_ch7, train_ch11, train_concise_ch11, train_pytorch_ch7)
from .oo_design import (  # noqa: E402, F401 (d2l-en's object-oriented design, 3.2)
    DataModule, HyperParameters, Module, ProgressBoard, Trainer, add_to_class, cpu, gpu,
    nn_Module, num_gpus)
from .models import (  # noqa: E402, F401 (d2l-en's data and models of chapters 3-8)
    SGD, Classifier, FashionMNIST, LeNet, LinearRegression, LinearRegressionScratch, Residual,
    ResNeXtBlock, SoftmaxRegression, SyntheticRegressionData, corr2d, init_cnn)
from .aliases import *  # noqa: F403 (the book's array aliases, listed in aliases.__all__)
from .data_hub import (  # noqa: F401 (the book's data files: DATA_HUB and download)
    DATA_HUB, DATA_URL, download, download_all, download_extract, extract)
from .text import (  # noqa: F401 (d2l-zh's chapter 8: text, vocabulary, RNN training)
    RNNModel, RNNModelScratch, SeqDataLoader, Vocab, count_corpus, grad_clipping,
    load_corpus_time_machine, load_data_time_machine, predict_ch8, read_time_machine,
    seq_data_iter_random, seq_data_iter_sequential, tokenize, train_ch8, train_epoch_ch8)
from .attention import (  # noqa: E402, F401 (both editions' attention chapter)
    AddNorm, AdditiveAttention, AttentionDecoder, DecoderBlock, DotProductAttention,
    EncoderBlock, MultiHeadAttention, PositionalEncoding, PositionWiseFFN, TransformerDecoder,
    TransformerDecoderBlock, TransformerEncoder, TransformerEncoderBlock, masked_softmax,
    show_heatmaps, transpose_output, transpose_qkv)
from .data_hub import use_stand_in_data  # noqa: E402, F401 (glasstorch's stand-ins for the texts)
from .sequence import (  # noqa: E402, F401 (d2l-en's recurrent chapters)
    GRU, LSTM, RNN, RNNLM, RNNLMScratch, RNNScratch, StackedRNNScratch, TimeMachine, check_len,
    check_shape)
from .translation import (  # noqa: E402, F401 (machine translation and seq2seq, both editions)
    Decoder, Encoder, EncoderDecoder, MaskedSoftmaxCELoss, MTFraEng, Seq2Seq, Seq2SeqEncoder,
    bleu, build_array_nmt, init_seq2seq, load_data_nmt, predict_seq2seq, preprocess_nmt,
    read_data_nmt, sequence_mask, show_list_len_pair_hist, tokenize_nmt, train_seq2seq,
    truncate_pad)
