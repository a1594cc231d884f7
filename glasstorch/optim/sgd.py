"""Stochastic gradient descent, optionally with momentum. See torch.optim.SGD."""

from .._tensor import Tensor
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
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = Tensor._wrap(grad.copy())
                    else:
                        buf._data *= momentum
                        buf._data += (1 - dampening) * grad
                    grad = grad + momentum * buf._data if group["nesterov"] else buf._data
                p._data -= lr * grad
                p._version[0] += 1  # an in-place change, as p.add_ would count it
        return loss
