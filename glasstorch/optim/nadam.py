"""NAdam: Adam with Nesterov momentum. See torch.optim.NAdam."""

from .._tensor import Tensor
from ..creation import zeros_like
from .optimizer import (
    Optimizer,
    _check_lr,
    _gradient,
    _new_step,
        _to_float,
)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """Implements NAdam, as torch.optim.NAdam. At step t, for each parameter θ with gradient:

        g ← -∇θ if maximize else ∇θ
        θ ← θ - lr·λ·θ      if decoupled_weight_decay   (λ = weight_decay)
        g ← g + λ·θ         otherwise, if λ ≠ 0
        μₜ ← β₁·(1 - ½·0.96^(t·ψ))                      (ψ = momentum_decay)
        P ← P·μₜ                                        (state['mu_product'] = μ₁⋯μₜ)
        m ← β₁·m + (1 - β₁)·g                           (state['exp_avg'])
        v ← β₂·v + (1 - β₂)·g²                          (state['exp_avg_sq'])
        d ← √(v / (1 - β₂ᵗ)) + ε
        θ ← θ - lr·(1 - μₜ)/(1 - P) · g/d - lr·μₜ₊₁/(1 - P·μₜ₊₁) · m/d

    The last line looks one step ahead: it mixes the current gradient with the momentum of the
    next step (Nesterov), and μₜ warms β₁ up over the first few hundred steps.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        # foreach, capturable and differentiable only select torch kernels; kept so that param
        # groups, state_dicts and repr match torch's
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            for p in group["params"]:
                p_state = self.state.get(p, {})
                if p_state and not isinstance(p_state["mu_product"], Tensor):
                    p_state["mu_product"] = _new_step(p_state["mu_product"])

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, eps = _to_float(group["lr"]), _to_float(group["eps"])
            beta1, beta2 = (_to_float(b) for b in group["betas"])
            weight_decay = _to_float(group["weight_decay"])
            momentum_decay = _to_float(group["momentum_decay"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _new_step()
                    state["mu_product"] = _new_step(1.0)  # a scalar tensor like 'step'
                    state["exp_avg"] = zeros_like(p)
                    state["exp_avg_sq"] = zeros_like(p)
                state["step"]._data += 1
                t = state["step"].item()

                xp, theta = p._xp, p._data
                grad = _gradient(p, group, weight_decay, lr)
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
                state["mu_product"]._data *= mu  # in the step dtype, as torch rounds it
                mu_product = state["mu_product"].item()
                mu_product_next = mu_product * mu_next

                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                m += (1 - beta1) * (grad - m)  # torch's lerp_
                v *= beta2
                v += (1 - beta2) * grad * grad
                denom = xp.sqrt(v / (1 - beta2**t))
                denom += eps
                theta -= lr * (1.0 - mu) / (1.0 - mu_product) * (grad / denom)
                theta -= lr * mu_next / (1.0 - mu_product_next) * (m / denom)
                p._version[0] += 1  # an in-place change, as p.addcdiv_ would count it
        return loss
