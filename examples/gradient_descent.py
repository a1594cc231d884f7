"""Gradient descent and Newton's method: the runs of study note 002 ("三、梯度下降").

Run: python examples/gradient_descent.py   (or: glasstorch run examples/gradient_descent.py)
The note's NumPy code, verbatim but for two things: `d2lzh1981` is `glasstorch.d2l`, and the
note's show_trace / train_2d / show_trace_2d are the d2l helpers of the same names (d2l's
show_trace(res) plots the `f` defined here, as the note's did). It prints what the note prints
(1-D gradient descent on x^2 with eta 0.2, 0.05 and 1.1, on x*cos(cx) with eta 2; 2-D gradient
descent on x1^2 + 2 x2^2; Newton's method on cosh(cx) and on x*cos(cx) with eta 1 and 0.5), and
saves each figure as a PNG file (show_trace_N.png, show_trace_2d_N.png) in the current folder.
"""

import numpy as np

from glasstorch import d2l

show_trace, train_2d, show_trace_2d = d2l.show_trace, d2l.train_2d, d2l.show_trace_2d


# 一维梯度下降
def f(x):
    return x**2  # Objective function


def gradf(x):
    return 2 * x  # Its derivative


def gd(eta):
    x = 10
    results = [x]
    for i in range(10):
        x -= eta * gradf(x)
        results.append(x)
    print('epoch 10, x:', x)
    return results


res = gd(0.2)
show_trace(res)

# 学习率
show_trace(gd(0.05))
show_trace(gd(1.1))

# 局部极小值
c = 0.15 * np.pi


def f(x):  # noqa: F811 (the note redefines the objective for each run)
    return x * np.cos(c * x)


def gradf(x):  # noqa: F811
    return np.cos(c * x) - c * x * np.sin(c * x)


show_trace(gd(2))

# 多维梯度下降法
eta = 0.1


def f_2d(x1, x2):  # 目标函数
    return x1 ** 2 + 2 * x2 ** 2


def gd_2d(x1, x2):
    return (x1 - eta * 2 * x1, x2 - eta * 4 * x2)


show_trace_2d(f_2d, train_2d(gd_2d))

# 牛顿法
c = 0.5


def f(x):  # noqa: F811
    return np.cosh(c * x)  # Objective


def gradf(x):  # noqa: F811
    return c * np.sinh(c * x)  # Derivative


def hessf(x):
    return c**2 * np.cosh(c * x)  # Hessian


# Hide learning rate for now
def newton(eta=1):
    x = 10
    results = [x]
    for i in range(10):
        x -= eta * gradf(x) / hessf(x)
        results.append(x)
    print('epoch 10, x:', x)
    return results


show_trace(newton())

c = 0.15 * np.pi


def f(x):  # noqa: F811
    return x * np.cos(c * x)


def gradf(x):  # noqa: F811
    return np.cos(c * x) - c * x * np.sin(c * x)


def hessf(x):  # noqa: F811
    return - 2 * c * np.sin(c * x) - x * c**2 * np.cos(c * x)


show_trace(newton())
show_trace(newton(0.5))
