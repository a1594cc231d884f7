"""Stochastic gradient descent, optionally with momentum. See torch.optim.SGD."""

from .._tensor import Tensor
from ..device import fused
from ..ops.elementwise import in_parts
from .optimizer import Optimizer, _gradient, _to_float

__all__ = ["SGD"]


class SGD(Optimizer):
    """Implements SGD with momentum, as torch.optim.SGD. For each parameter θ with gradient:

        g ← -∇θ if maximize else ∇θ
        g ← g + weight_decay·θ                  (if weight_decay ≠ 0)
        b ← g  at the first step,               (if momentum ≠ 0; b is state['momentum_buffer'])
            momentum·b + (1 - dampening)·g  after
        g ← g + momentum·b  if nesterov else b
        θ ← θ - lr·g
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False, foreach=None, differentiable=False, fused=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        # foreach, differentiable and fused only select torch kernels; kept so that param groups,
        # state_dicts and repr match torch's
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, weight_decay = _to_float(group["lr"]), _to_float(group["weight_decay"])
            momentum, dampening = _to_float(group["momentum"]), _to_float(group["dampening"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = _gradient(p, group, weight_decay)
                nesterov = group["nesterov"]
                if momentum == 0:
                    in_parts(lambda theta, grad: _plain_step(theta, grad, lr), p._data, grad)
                elif (buf := self.state[p].get("momentum_buffer")) is None:
                    # the first step: the buffer starts as the gradient
                    buf = self.state[p]["momentum_buffer"] = Tensor._wrap(grad.copy())
                    direction = grad + momentum * buf._data if nesterov else buf._data
                    _plain_step(p._data, direction, lr)
                else:  # large parameters in runs across the thread pool
                    step = _nesterov_step if nesterov else _momentum_step
                    in_parts(lambda theta, buf, grad: step(
                        theta, buf, grad, momentum, 1 - dampening, lr), p._data, buf._data, grad)
                p._version[0] += 1  # an in-place change, as p.add_ would count it
        return loss


# The updates as elementwise chains: one GPU kernel each (see device.fused), on numpy as
# written.

@fused
def _plain_step(theta, direction, lr):
    theta -= lr * direction


@fused
def _update_buffer(buf, grad, momentum, one_minus_dampening):
    buf *= momentum
    buf += one_minus_dampening * grad


@fused
def _momentum_step(theta, buf, grad, momentum, one_minus_dampening, lr):
    _update_buffer(buf, grad, momentum, one_minus_dampening)
    theta -= lr * buf


@fused
def _nesterov_step(theta, buf, grad, momentum, one_minus_dampening, lr):
    _update_buffer(buf, grad, momentum, one_minus_dampening)
    theta -= lr * (grad + momentum * buf)
