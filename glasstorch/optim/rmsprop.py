"""RMSprop: steps scaled by a running average of squared gradients. See torch.optim.RMSprop."""

from ..creation import zeros_like
from .optimizer import (
    Optimizer,
    _check_lr,
    _gradient,
    _new_step,
        _to_float,
)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """Implements RMSprop, as torch.optim.RMSprop. For each parameter θ with gradient:

        g ← -∇θ if maximize else ∇θ
        g ← g + λ·θ                         (if λ = weight_decay ≠ 0)
        v ← α·v + (1 - α)·g²                (state['square_avg'])
        if centered:                        (subtract the squared mean: a variance estimate)
            ḡ ← α·ḡ + (1 - α)·g             (state['grad_avg'])
            d ← √(v - ḡ²) + ε
        else:
            d ← √v + ε
        if momentum > 0:
            b ← momentum·b + g / d          (state['momentum_buffer'], starting at 0)
            θ ← θ - lr·b
        else:
            θ ← θ - lr · g / d

    There is no bias correction: v starts at 0, so the first steps are large.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        # capturable, foreach and differentiable only select torch kernels; kept so that param
        # groups, state_dicts and repr match torch's
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay, "capturable": capturable,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)


    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, eps, alpha = (_to_float(group[k]) for k in ("lr", "eps", "alpha"))
            weight_decay, momentum = _to_float(group["weight_decay"]), _to_float(group["momentum"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _new_step()
                    state["square_avg"] = zeros_like(p)
                    if momentum > 0:
                        state["momentum_buffer"] = zeros_like(p)
                    if group["centered"]:
                        state["grad_avg"] = zeros_like(p)
                state["step"]._data += 1

                xp, theta = p._xp, p._data
                grad = _gradient(p, group, weight_decay)
                v = state["square_avg"]._data
                v *= alpha
                v += (1 - alpha) * grad * grad
                if group["centered"]:
                    g_avg = state["grad_avg"]._data
                    g_avg += (1 - alpha) * (grad - g_avg)  # torch's lerp_
                    denom = xp.sqrt(v - g_avg * g_avg)
                else:
                    denom = xp.sqrt(v)
                denom += eps
                if momentum > 0:
                    buf = state["momentum_buffer"]._data
                    buf *= momentum
                    buf += grad / denom
                    theta -= lr * buf
                else:
                    theta -= lr * (grad / denom)
                p._version[0] += 1  # an in-place change, as p.addcdiv_ would count it
        return loss
