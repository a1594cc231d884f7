"""d2l for the books' code on PyTorch (notebook.run_on_torch): the array aliases of d2l/torch.py
and the few helpers of the sections compared with PyTorch, as the books write them (d2l-en and
d2l-zh v2 alike, unless marked). Plots draw nothing: their Out[] is None on both sides."""

import inspect

import matplotlib

matplotlib.use("Agg")
import torch
from matplotlib import pyplot as plt
from torch import nn
from torch.nn import functional as F  # noqa: F401 (d2l.torch has F; the book's code uses d2l.F)

ones, zeros, tensor, arange = torch.ones, torch.zeros, torch.tensor, torch.arange
meshgrid, sin, sinh, cos, cosh, tanh = (torch.meshgrid, torch.sin, torch.sinh, torch.cos,
                                        torch.cosh, torch.tanh)
linspace, exp, log, normal, rand = torch.linspace, torch.exp, torch.log, torch.normal, torch.rand
randn, matmul, int32, float32 = torch.randn, torch.matmul, torch.int32, torch.float32
concat, stack, abs, eye = torch.cat, torch.stack, torch.abs, torch.eye
numpy = lambda x, *args, **kwargs: x.detach().numpy(*args, **kwargs)
size = lambda x, *args, **kwargs: x.numel(*args, **kwargs)
reshape = lambda x, *args, **kwargs: x.reshape(*args, **kwargs)
to = lambda x, *args, **kwargs: x.to(*args, **kwargs)
reduce_sum = lambda x, *args, **kwargs: x.sum(*args, **kwargs)
argmax = lambda x, *args, **kwargs: x.argmax(*args, **kwargs)
astype = lambda x, *args, **kwargs: x.type(*args, **kwargs)
transpose = lambda x, *args, **kwargs: x.t(*args, **kwargs)


def corr2d(X, K):
    h, w = K.shape
    Y = zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = reduce_sum((X[i: i + h, j: j + w] * K))  # noqa: UP034 (the book's)
    return Y


def train_2d(trainer, steps=20, f_grad=None):
    x1, x2, s1, s2 = -5, -2, 0, 0
    results = [(x1, x2)]
    for i in range(steps):
        if f_grad:
            x1, x2, s1, s2 = trainer(x1, x2, s1, s2, f_grad)
        else:
            x1, x2, s1, s2 = trainer(x1, x2, s1, s2)
        results.append((x1, x2))
    print(f'epoch {i + 1}, x1: {float(x1):f}, x2: {float(x2):f}')
    return results


def show_trace_2d(f, results):
    pass


def use_svg_display():
    pass


def set_figsize(figsize=(3.5, 2.5)):
    plt.rcParams['figure.figsize'] = figsize


def plot(*args, **kwargs):
    pass


def gpu(i=0):
    return torch.device(f'cuda:{i}')


def num_gpus():
    return torch.cuda.device_count()


# ---- d2l-en's object-oriented design (the sections add methods to these classes) ----


def add_to_class(Class):
    def wrapper(obj):
        setattr(Class, obj.__name__, obj)
    return wrapper


def init_cnn(module):
    if type(module) == nn.Linear or type(module) == nn.Conv2d:
        nn.init.xavier_uniform_(module.weight)


class HyperParameters:
    def save_hyperparameters(self, ignore=[]):  # noqa: B006 (the book's)
        frame = inspect.currentframe().f_back
        _, _, _, local_vars = inspect.getargvalues(frame)
        for k, v in local_vars.items():
            if k not in set(ignore + ['self']) and not k.startswith('_'):
                setattr(self, k, v)


class Trainer(HyperParameters):
    pass


class Module(nn.Module, HyperParameters):
    def forward(self, X):
        return self.net(X)


class Classifier(Module):
    def layer_summary(self, X_shape):
        X = randn(*X_shape)
        for layer in self.net:
            X = layer(X)
            print(layer.__class__.__name__, 'output shape:\t', X.shape)
