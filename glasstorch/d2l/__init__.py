"""The d2l helpers on glasstorch: `from glasstorch import d2l`.

`glasstorch.d2l.torch` is the same module the book imports as `from d2l import torch as d2l`
(under `glasstorch run`, `d2l` resolves here).
"""

from . import torch
from .gradient_descent import show_trace, show_trace_2d, train_2d
from .minibatch import (
    adadelta, adagrad, adam, evaluate_loss, get_data_ch7, get_data_ch11, init_adadelta_states,
    init_adagrad_states, init_adam_states, init_momentum_states, init_rmsprop_states, rmsprop,
    sgd_momentum, train_ch7, train_ch11, train_concise_ch11, train_pytorch_ch7)
from .torch import (
    Accumulator, Animator, FlattenLayer, GlobalAvgPool2d, Timer, accuracy,
    data_iter, evaluate_accuracy, evaluate_accuracy_gpu,
    get_dataloader_workers, get_fashion_mnist_labels, linreg, load_array,
    load_data_fashion_mnist, load_fashion_mnist_tensors, plot, predict_ch3, read_idx,
    save_figure, set_axes, set_figsize, sgd, show_images, squared_loss, synthetic_data,
    train_ch3, train_ch5, train_ch6, train_epoch_ch3, try_all_gpus, try_gpu, use_svg_display,
)


def __getattr__(name):
    return getattr(torch, name)  # d2l.plt: matplotlib.pyplot, imported on first use
