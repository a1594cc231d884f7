"""The object-oriented design of d2l-en (section 3.2, "Object-Oriented Design for
Implementation"): HyperParameters, ProgressBoard, Module, DataModule and Trainer, as the book
defines them, with glasstorch in place of PyTorch.

A model is a `Module` (its loss, forward, training and validation steps, optimizer), the data a
`DataModule` (its loaders), and a `Trainer` fits one to the other. Where the book draws in
Jupyter, a terminal gets a PNG file (its path printed once) and one progress line per epoch.
"""

import atexit
import collections
import inspect
import os
import time
import weakref

import glasstorch as torch
from glasstorch import nn

from .torch import _in_notebook, _numbered_figure_name, _pyplot, use_svg_display

nn_Module = nn.Module  # the book's name for the base it gives d2l.Module


def add_to_class(Class):
    """Register functions as methods in created class."""
    def wrapper(obj):
        setattr(Class, obj.__name__, obj)
    return wrapper


def cpu():
    """Get the CPU device."""
    return torch.device("cpu")


def gpu(i=0):
    """Get a GPU device."""
    return torch.device(f"cuda:{i}")


def num_gpus():
    """Get the number of available GPUs."""
    return torch.cuda.device_count()


class HyperParameters:
    """The base class of hyperparameters."""

    def save_hyperparameters(self, ignore=[]):  # noqa: B006 (the book's signature; never mutated)
        """Save function arguments into class attributes."""
        frame = inspect.currentframe().f_back  # the caller: usually an __init__
        _, _, _, local_vars = inspect.getargvalues(frame)
        self.hparams = {k: v for k, v in local_vars.items()
                        if k not in set(ignore + ["self"]) and not k.startswith("_")}
        for k, v in self.hparams.items():
            setattr(self, k, v)


Point = collections.namedtuple("Point", ["x", "y"])


class ProgressBoard(HyperParameters):
    """The board that plots data points in animation.

    `data[label]` holds the drawn line of each label: averages of every `every_n` points, as
    `Point(x, y)`. In Jupyter the figure is redrawn in place at each new point. In a terminal it
    is saved as a PNG file (its path printed the first time) when the Trainer ends an epoch and
    when the program exits: saving costs about 0.2 s, too much to do at every point.
    """

    def __init__(self, xlabel=None, ylabel=None, xlim=None, ylim=None, xscale="linear",
                 yscale="linear", ls=["-", "--", "-.", ":"],  # noqa: B006 (the book's defaults)
                 colors=["C0", "C1", "C2", "C3"], fig=None, axes=None,  # noqa: B006
                 figsize=(3.5, 2.5), display=True):
        self.save_hyperparameters()
        self.path = None  # the PNG file, once the board has drawn in a terminal

    def draw(self, x, y, label, every_n=1):
        """Add the point (x, y) to the line `label`; each `every_n` points become one."""
        if not hasattr(self, "raw_points"):
            self.raw_points = collections.OrderedDict()
            self.data = collections.OrderedDict()
        if label not in self.raw_points:
            self.raw_points[label] = []
            self.data[label] = []
        points = self.raw_points[label]
        line = self.data[label]
        points.append(Point(x, y))
        if len(points) != every_n:
            return
        def mean(values): return sum(values) / len(values)
        line.append(Point(mean([p.x for p in points]), mean([p.y for p in points])))
        points.clear()
        if not self.display:
            return
        if _in_notebook():
            self._redraw()
        else:
            _boards_to_save.add(self)

    def _redraw(self):
        plt = _pyplot()
        use_svg_display()
        if self.fig is None:
            self.fig = plt.figure(figsize=self.figsize)
        axes = self.axes if self.axes else self.fig.gca()
        axes.cla()  # the book plots every line again on top; drawing afresh looks the same
        plt_lines, labels = [], []
        for (k, v), ls, color in zip(self.data.items(), self.ls, self.colors):
            plt_lines.append(axes.plot([p.x for p in v], [p.y for p in v],
                                       linestyle=ls, color=color)[0])
            labels.append(k)
        if self.xlim:
            axes.set_xlim(self.xlim)
        if self.ylim:
            axes.set_ylim(self.ylim)
        if self.xlabel:
            axes.set_xlabel(self.xlabel)
        if self.ylabel:
            axes.set_ylabel(self.ylabel)
        axes.set_xscale(self.xscale)
        axes.set_yscale(self.yscale)
        axes.legend(plt_lines, labels)
        if _in_notebook():
            from IPython import display

            display.display(self.fig)
            display.clear_output(wait=True)

    def _save(self):
        """Draw the lines and write the figure to its PNG file (named once: progress_1.png,
        progress_2.png, ...)."""
        _boards_to_save.discard(self)
        self._redraw()
        first = self.path is None
        if first:
            self.path = os.path.abspath(_numbered_figure_name("progress") + ".png")
        self.fig.savefig(self.path, bbox_inches="tight")
        if first:
            print(f"figure saved to {self.path} (updated as the board draws)", flush=True)


_boards_to_save = weakref.WeakSet()  # boards (in a terminal) with points not yet in their PNG


@atexit.register
def _save_boards():
    for board in list(_boards_to_save):
        board._save()


class Module(nn.Module, HyperParameters):
    """The base class of models."""

    def __init__(self, plot_train_per_epoch=2, plot_valid_per_epoch=1):
        super().__init__()
        self.save_hyperparameters()
        self.board = ProgressBoard()

    def loss(self, y_hat, y):
        raise NotImplementedError

    def forward(self, X):
        assert hasattr(self, "net"), "Neural network is defined"
        return self.net(X)

    def plot(self, key, value, train):
        """Plot a point in animation."""
        assert hasattr(self, "trainer"), "Trainer is not inited"
        self.board.xlabel = "epoch"
        if train:
            x = self.trainer.train_batch_idx / self.trainer.num_train_batches
            n = self.trainer.num_train_batches / self.plot_train_per_epoch
        else:
            x = self.trainer.epoch + 1
            n = self.trainer.num_val_batches / self.plot_valid_per_epoch
        self.board.draw(x, value.to(cpu()).detach().numpy(),
                        ("train_" if train else "val_") + key, every_n=int(n))

    def training_step(self, batch):
        l = self.loss(self(*batch[:-1]), batch[-1])
        self.plot("loss", l, train=True)
        return l

    def validation_step(self, batch):
        l = self.loss(self(*batch[:-1]), batch[-1])
        self.plot("loss", l, train=False)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.lr)

    def apply_init(self, inputs, init=None):
        """Run one forward pass (the lazy layers learn their shapes), then `init` each layer."""
        self.forward(*inputs)
        if init is not None:
            self.net.apply(init)


class DataModule(HyperParameters):
    """The base class of data."""

    def __init__(self, root="../data", num_workers=4):
        self.save_hyperparameters()

    def get_dataloader(self, train):
        raise NotImplementedError

    def train_dataloader(self):
        return self.get_dataloader(train=True)

    def val_dataloader(self):
        return self.get_dataloader(train=False)

    def get_tensorloader(self, tensors, train, indices=slice(0, None)):
        """A DataLoader over `tensors[indices]`, shuffled for training."""
        tensors = tuple(a[indices] for a in tensors)
        dataset = torch.utils.data.TensorDataset(*tensors)
        return torch.utils.data.DataLoader(dataset, self.batch_size, shuffle=train)


class Trainer(HyperParameters):
    """The base class for training models with data.

    `fit` prints one progress line per epoch in a terminal (the board's latest values);
    in Jupyter the model's board shows the progress.
    """

    def __init__(self, max_epochs, num_gpus=0, gradient_clip_val=0):
        self.save_hyperparameters()
        self.gpus = [gpu(i) for i in range(min(num_gpus, torch.cuda.device_count()))]

    def prepare_data(self, data):
        self.train_dataloader = data.train_dataloader()
        self.val_dataloader = data.val_dataloader()
        self.num_train_batches = len(self.train_dataloader)
        self.num_val_batches = (len(self.val_dataloader)
                                if self.val_dataloader is not None else 0)

    def prepare_model(self, model):
        model.trainer = self
        model.board.xlim = [0, self.max_epochs]
        if self.gpus:
            model.to(self.gpus[0])
        self.model = model

    def fit(self, model, data):
        self.prepare_data(data)
        self.prepare_model(model)
        self.optim = model.configure_optimizers()
        self.epoch = 0
        self.train_batch_idx = 0
        self.val_batch_idx = 0
        start = time.time()
        for epoch in range(self.max_epochs):
            self.epoch = epoch
            self.fit_epoch()
            if not _in_notebook():
                self._print_progress(time.time() - start)
                if self.model.board in _boards_to_save:
                    self.model.board._save()

    def fit_epoch(self):
        self.model.train()
        for batch in self.train_dataloader:
            loss = self.model.training_step(self.prepare_batch(batch))
            self.optim.zero_grad()
            with torch.no_grad():
                loss.backward()
                if self.gradient_clip_val > 0:
                    self.clip_gradients(self.gradient_clip_val, self.model)
                self.optim.step()
            self.train_batch_idx += 1
        if self.val_dataloader is None:
            return
        self.model.eval()
        for batch in self.val_dataloader:
            with torch.no_grad():
                self.model.validation_step(self.prepare_batch(batch))
            self.val_batch_idx += 1

    def prepare_batch(self, batch):
        if self.gpus:
            batch = [a.to(self.gpus[0]) for a in batch]
        return batch

    def clip_gradients(self, grad_clip_val, model):
        """Scale the gradients down so that their joint norm is at most grad_clip_val."""
        params = [p for p in model.parameters() if p.requires_grad]
        norm = torch.sqrt(sum(torch.sum(p.grad ** 2) for p in params))
        if norm > grad_clip_val:
            for param in params:
                param.grad[:] *= grad_clip_val / norm

    def _print_progress(self, seconds):
        """One line: the epoch and the latest value of each line on the model's board."""
        board = getattr(self.model, "board", None)
        lines = getattr(board, "data", {})
        values = "".join(f", {label} {float(line[-1].y):.4f}"
                         for label, line in lines.items() if line)
        print(f"epoch {self.epoch + 1}/{self.max_epochs}{values} ({seconds:.1f} s)", flush=True)
