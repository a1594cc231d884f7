"""Stochastic gradient descent with learning-rate schedules: the runs of study note 002.

Run: python examples/sgd_learning_rates.py   (or: glasstorch run examples/sgd_learning_rates.py)
The note's NumPy code ("随机梯度下降", "动态学习率"), verbatim but for three things: `d2lzh1981`
is `glasstorch.d2l`; train_2d and show_trace_2d are the d2l helpers of those names; and NumPy's
global generator is seeded (np.random.seed(0), not in the note), so the noisy gradients
(np.random.normal(0.1), drawn in the order the note draws them) and every printed number are
the same on each run. It minimizes x1^2 + 2 x2^2 from (-5, -2) with a constant learning rate
(50 steps), an exponentially decaying one (1000 steps) and a polynomially decaying one (50
steps), prints each step as the note does, and saves the three traces as show_trace_2d_N.png.
"""

import math

import numpy as np

from glasstorch import d2l

train_2d, show_trace_2d = d2l.train_2d, d2l.show_trace_2d

np.random.seed(0)  # not in the note: makes the noisy gradients, and the run, reproducible


# 随机梯度下降参数更新
def f(x1, x2):
    return x1 ** 2 + 2 * x2 ** 2  # Objective


def gradf(x1, x2):
    return (2 * x1, 4 * x2)  # Gradient


def sgd(x1, x2):  # Simulate noisy gradient
    global lr  # Learning rate scheduler  # noqa: PLW0602 (the note's)
    (g1, g2) = gradf(x1, x2)  # Compute gradient
    (g1, g2) = (g1 + np.random.normal(0.1), g2 + np.random.normal(0.1))
    eta_t = eta * lr()  # Learning rate at time t
    return (x1 - eta_t * g1, x2 - eta_t * g2)  # Update variables


eta = 0.1
lr = (lambda: 1)  # Constant learning rate
show_trace_2d(f, train_2d(sgd, steps=50))


# 动态学习率
def exponential():
    global ctr
    ctr += 1
    return math.exp(-0.1 * ctr)


ctr = 1
lr = exponential  # Set up learning rate
show_trace_2d(f, train_2d(sgd, steps=1000))


def polynomial():
    global ctr
    ctr += 1
    return (1 + 0.1 * ctr)**(-0.5)


ctr = 1
lr = polynomial  # Set up learning rate
show_trace_2d(f, train_2d(sgd, steps=50))
