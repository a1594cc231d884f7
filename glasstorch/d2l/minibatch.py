"""The book's optimization chapter: minibatch SGD on the airfoil data and the optimizers
written from scratch with the `(params, states, hyperparams)` signature.

Two generations of names: the older d2lzh_pytorch (chapter 7, study note 002) has
get_data_ch7 / train_ch7 / train_pytorch_ch7; the current book (chapter 11/12) has
get_data_ch11 / train_ch11 / train_concise_ch11. Each is the book's own code with
glasstorch in place of PyTorch. The chapter's from-scratch `sgd(params, states, hyperparams)`
is not here: `d2l.sgd` stays the chapter 3 `sgd(params, lr, batch_size)`.
"""

import os
import time

import numpy as np

import glasstorch as torch
from glasstorch import nn

from .torch import (
    Accumulator,
    Animator,
    Timer,
    _finish_figure,
    _numbered_figure_name,
    _pyplot,
    linreg,
    load_array,
    set_figsize,
    squared_loss,
)

AIRFOIL = os.path.join(os.path.dirname(__file__), "data", "airfoil_self_noise.dat")

def evaluate_loss(net, data_iter, loss):
    """Evaluate the loss of a model on the given dataset."""
    metric = Accumulator(2)  # Sum of losses, no. of examples
    for X, y in data_iter:
        out = net(X)
        y = y.reshape(out.shape)
        l = loss(out, y)
        metric.add(l.sum(), l.numel())
    return metric[0] / metric[1]


# ---- chapter 7 of the older d2lzh_pytorch (study note 002) ----


def get_data_ch7():
    """The airfoil data, standardised: float32 features (1500, 5) and labels (1500,).

    Reads the copy shipped with glasstorch (see data/README.md) instead of a download.
    """
    data = np.genfromtxt(AIRFOIL, delimiter="\t")
    data = (data - data.mean(axis=0)) / data.std(axis=0)  # standardise
    return torch.tensor(data[:1500, :-1], dtype=torch.float32), \
        torch.tensor(data[:1500, -1], dtype=torch.float32)  # the first 1500 examples


def train_ch7(optimizer_fn, states, hyperparams, features, labels, batch_size=10, num_epochs=2):
    """Train linear regression with a from-scratch optimizer (d2lzh_pytorch).

    Returns the recorded losses (one per 100 examples) besides plotting them.
    """
    # initialise the model
    net, loss = linreg, squared_loss
    w = torch.nn.Parameter(torch.tensor(np.random.normal(0, 0.01, size=(features.shape[1], 1)),
                                        dtype=torch.float32), requires_grad=True)
    b = torch.nn.Parameter(torch.zeros(1, dtype=torch.float32), requires_grad=True)

    def eval_loss():
        return loss(net(features, w, b), labels).mean().item()

    ls = [eval_loss()]
    data_iter = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(features, labels), batch_size, shuffle=True)
    for _ in range(num_epochs):
        start = time.time()
        for batch_i, (X, y) in enumerate(data_iter):
            l = loss(net(X, w, b), y).mean()  # the mean loss
            # clear the gradients
            if w.grad is not None:
                w.grad.data.zero_()
                b.grad.data.zero_()
            l.backward()
            optimizer_fn([w, b], states, hyperparams)  # update the parameters
            if (batch_i + 1) * batch_size % 100 == 0:
                ls.append(eval_loss())  # record the training loss every 100 examples
    # print the result and plot
    print("loss: %f, %f sec per epoch" % (ls[-1], time.time() - start))
    _plot_losses(ls, num_epochs, "train_ch7")
    return ls


def train_pytorch_ch7(optimizer_fn, optimizer_hyperparams, features, labels, batch_size=10,
                      num_epochs=2):
    """Train linear regression with a torch.optim optimizer class (d2lzh_pytorch; the note
    passes the class, e.g. optim.SGD with {"lr": 0.05}, not its name).

    Returns the recorded losses besides plotting them.
    """
    # initialise the model
    net = nn.Sequential(
        nn.Linear(features.shape[-1], 1)
    )
    loss = nn.MSELoss()
    optimizer = optimizer_fn(net.parameters(), **optimizer_hyperparams)

    def eval_loss():
        return loss(net(features).view(-1), labels).item() / 2

    ls = [eval_loss()]
    data_iter = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(features, labels), batch_size, shuffle=True)
    for _ in range(num_epochs):
        start = time.time()
        for batch_i, (X, y) in enumerate(data_iter):
            # halved to match train_ch7, whose squared_loss has the 1/2
            l = loss(net(X).view(-1), y) / 2
            optimizer.zero_grad()
            l.backward()
            optimizer.step()
            if (batch_i + 1) * batch_size % 100 == 0:
                ls.append(eval_loss())
    # print the result and plot
    print("loss: %f, %f sec per epoch" % (ls[-1], time.time() - start))
    _plot_losses(ls, num_epochs, "train_pytorch_ch7")
    return ls


def _plot_losses(ls, num_epochs, name):
    """The note's loss curve, on a figure of its own (saved as a PNG in a terminal)."""
    set_figsize()
    plt = _pyplot()
    plt.figure()
    plt.plot(np.linspace(0, num_epochs, len(ls)), ls)
    plt.xlabel("epoch")
    plt.ylabel("loss")
    _finish_figure(_numbered_figure_name(name))


# ---- chapter 11 of the current book (minibatch SGD, sec_minibatches) ----


def get_data_ch11(batch_size=10, n=1500):
    """The airfoil data, standardised, as a data iterator; returns (data_iter, feature_dim)."""
    data = np.genfromtxt(AIRFOIL, dtype=np.float32, delimiter="\t")
    data = torch.from_numpy((data - data.mean(axis=0)) / data.std(axis=0))
    data_iter = load_array((data[:n, :-1], data[:n, -1]), batch_size, is_train=True)
    return data_iter, data.shape[1] - 1


def train_ch11(trainer_fn, states, hyperparams, data_iter, feature_dim, num_epochs=2):
    """Train linear regression with a from-scratch optimizer; returns (times, losses)."""
    # Initialization
    w = torch.normal(mean=0.0, std=0.01, size=(feature_dim, 1), requires_grad=True)
    b = torch.zeros((1), requires_grad=True)

    def net(X):
        return linreg(X, w, b)

    loss = squared_loss
    # Train
    animator = Animator(xlabel="epoch", ylabel="loss", xlim=[0, num_epochs], ylim=[0.22, 0.35],
                        name=_numbered_figure_name("train_ch11"))
    n, timer = 0, Timer()
    for _ in range(num_epochs):
        for X, y in data_iter:
            l = loss(net(X), y).mean()
            l.backward()
            trainer_fn([w, b], states, hyperparams)
            n += X.shape[0]
            if n % 200 == 0:
                timer.stop()
                animator.add(n / X.shape[0] / len(data_iter),
                             (evaluate_loss(net, data_iter, loss),))
                timer.start()
    print(f"loss: {animator.Y[0][-1]:.3f}, {timer.sum() / num_epochs:.3f} sec/epoch")
    _finish_figure(animator.name, animator.fig)
    return timer.cumsum(), animator.Y[0]


def train_concise_ch11(trainer_fn, hyperparams, data_iter, num_epochs=4):
    """Train linear regression with a torch.optim optimizer class; returns (times, losses)
    (the book returns nothing)."""
    # Initialization
    net = nn.Sequential(nn.Linear(5, 1))

    def init_weights(module):
        if type(module) == nn.Linear:
            torch.nn.init.normal_(module.weight, std=0.01)

    net.apply(init_weights)

    optimizer = trainer_fn(net.parameters(), **hyperparams)
    loss = nn.MSELoss(reduction="none")
    animator = Animator(xlabel="epoch", ylabel="loss", xlim=[0, num_epochs], ylim=[0.22, 0.35],
                        name=_numbered_figure_name("train_concise_ch11"))
    n, timer = 0, Timer()
    for _ in range(num_epochs):
        for X, y in data_iter:
            optimizer.zero_grad()
            out = net(X)
            y = y.reshape(out.shape)
            l = loss(out, y)
            l.mean().backward()
            optimizer.step()
            n += X.shape[0]
            if n % 200 == 0:
                timer.stop()
                # `MSELoss` computes squared error without the 1/2 factor
                animator.add(n / X.shape[0] / len(data_iter),
                             (evaluate_loss(net, data_iter, loss) / 2,))
                timer.start()
    print(f"loss: {animator.Y[0][-1]:.3f}, {timer.sum() / num_epochs:.3f} sec/epoch")
    _finish_figure(animator.name, animator.fig)
    return timer.cumsum(), animator.Y[0]


# ---- the optimizers from scratch (sec_momentum ... sec_adam) ----
# Each takes the parameters, its state tensors (one entry per parameter, made by its
# init_*_states) and a dict of hyperparameters, updates in place and clears the gradients.


def init_momentum_states(feature_dim):
    """Velocities v for w (feature_dim, 1) and b (1,)."""
    v_w = torch.zeros((feature_dim, 1))
    v_b = torch.zeros(1)
    return (v_w, v_b)


def sgd_momentum(params, states, hyperparams):
    """v <- momentum * v + g;  p <- p - lr * v."""
    for p, v in zip(params, states):
        with torch.no_grad():
            v[:] = hyperparams["momentum"] * v + p.grad
            p[:] -= hyperparams["lr"] * v
        p.grad.data.zero_()


def init_adagrad_states(feature_dim):
    """Sums of squared gradients s for w and b."""
    s_w = torch.zeros((feature_dim, 1))
    s_b = torch.zeros(1)
    return (s_w, s_b)


def adagrad(params, states, hyperparams):
    """s <- s + g^2;  p <- p - lr * g / sqrt(s + eps), eps = 1e-6."""
    eps = 1e-6
    for p, s in zip(params, states):
        with torch.no_grad():
            s[:] += torch.square(p.grad)
            p[:] -= hyperparams["lr"] * p.grad / torch.sqrt(s + eps)
        p.grad.data.zero_()


def init_rmsprop_states(feature_dim):
    """Leaky averages of squared gradients s for w and b."""
    s_w = torch.zeros((feature_dim, 1))
    s_b = torch.zeros(1)
    return (s_w, s_b)


def rmsprop(params, states, hyperparams):
    """s <- gamma * s + (1 - gamma) * g^2;  p <- p - lr * g / sqrt(s + eps), eps = 1e-6."""
    gamma, eps = hyperparams["gamma"], 1e-6
    for p, s in zip(params, states):
        with torch.no_grad():
            s[:] = gamma * s + (1 - gamma) * torch.square(p.grad)
            p[:] -= hyperparams["lr"] * p.grad / torch.sqrt(s + eps)
        p.grad.data.zero_()


def init_adadelta_states(feature_dim):
    """(s, delta) for w and for b: leaky averages of squared gradients and of squared updates."""
    s_w, s_b = torch.zeros((feature_dim, 1)), torch.zeros(1)
    delta_w, delta_b = torch.zeros((feature_dim, 1)), torch.zeros(1)
    return ((s_w, delta_w), (s_b, delta_b))


def adadelta(params, states, hyperparams):
    """s <- rho * s + (1 - rho) * g^2;  g' = sqrt(delta + eps) / sqrt(s + eps) * g;
    p <- p - g';  delta <- rho * delta + (1 - rho) * g'^2, eps = 1e-5."""
    rho, eps = hyperparams["rho"], 1e-5
    for p, (s, delta) in zip(params, states):
        with torch.no_grad():
            # In-place updates via [:]
            s[:] = rho * s + (1 - rho) * torch.square(p.grad)
            g = (torch.sqrt(delta + eps) / torch.sqrt(s + eps)) * p.grad
            p[:] -= g
            delta[:] = rho * delta + (1 - rho) * g * g
        p.grad.data.zero_()


def init_adam_states(feature_dim):
    """(v, s) for w and for b: leaky averages of gradients and of squared gradients."""
    v_w, v_b = torch.zeros((feature_dim, 1)), torch.zeros(1)
    s_w, s_b = torch.zeros((feature_dim, 1)), torch.zeros(1)
    return ((v_w, s_w), (v_b, s_b))


def adam(params, states, hyperparams):
    """v <- b1 * v + (1 - b1) * g;  s <- b2 * s + (1 - b2) * g^2;
    p <- p - lr * v / (1 - b1^t) / (sqrt(s / (1 - b2^t)) + eps), b1 = 0.9, b2 = 0.999,
    eps = 1e-6; the step counter t lives in hyperparams['t'] (start it at 1)."""
    beta1, beta2, eps = 0.9, 0.999, 1e-6
    for p, (v, s) in zip(params, states):
        with torch.no_grad():
            v[:] = beta1 * v + (1 - beta1) * p.grad
            s[:] = beta2 * s + (1 - beta2) * torch.square(p.grad)
            v_bias_corr = v / (1 - beta1 ** hyperparams["t"])
            s_bias_corr = s / (1 - beta2 ** hyperparams["t"])
            p[:] -= hyperparams["lr"] * v_bias_corr / (torch.sqrt(s_bias_corr) + eps)
        p.grad.data.zero_()
    hyperparams["t"] += 1
