"""RAdam: Adam with a rectified, warmed-up adaptive step. See torch.optim.RAdam."""

from ..creation import zeros_like
from .optimizer import (
    Optimizer,
    _check_lr,
    _gradient,
    _new_step,
        _to_float,
)

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """Implements RAdam, as torch.optim.RAdam. At step t, for each parameter θ with gradient:

        g ← -∇θ if maximize else ∇θ
        θ ← θ - lr·λ·θ      if decoupled_weight_decay   (λ = weight_decay)
        g ← g + λ·θ         otherwise, if λ ≠ 0
        m ← β₁·m + (1 - β₁)·g                           (state['exp_avg'])
        v ← β₂·v + (1 - β₂)·g²                          (state['exp_avg_sq'])
        m̂ ← m / (1 - β₁ᵗ)
        ρ∞ ← 2/(1 - β₂) - 1
        ρₜ ← ρ∞ - 2t·β₂ᵗ/(1 - β₂ᵗ)
        if ρₜ > 5:      (the variance of the adaptive step is tractable)
            r ← √((ρₜ - 4)(ρₜ - 2)ρ∞ / ((ρ∞ - 4)(ρ∞ - 2)ρₜ))
            θ ← θ - lr·m̂·r·√(1 - β₂ᵗ) / (√v + ε)
        else:           (the first few steps: SGD with momentum)
            θ ← θ - lr·m̂
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        # foreach, capturable and differentiable only select torch kernels; kept so that param
        # groups, state_dicts and repr match torch's
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)


    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, eps = _to_float(group["lr"]), _to_float(group["eps"])
            beta1, beta2 = (_to_float(b) for b in group["betas"])
            weight_decay = _to_float(group["weight_decay"])
            rho_inf = 2 / (1 - beta2) - 1
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _new_step()
                    state["exp_avg"] = zeros_like(p)
                    state["exp_avg_sq"] = zeros_like(p)
                state["step"]._data += 1
                t = state["step"].item()

                xp, theta = p._xp, p._data
                grad = _gradient(p, group, weight_decay, lr)
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                m += (1 - beta1) * (grad - m)  # torch's lerp_
                v *= beta2
                v += (1 - beta2) * grad * grad

                bias_correction1 = 1 - beta1**t
                bias_correction2 = 1 - beta2**t
                m_hat = m / bias_correction1
                rho_t = rho_inf - 2 * t * beta2**t / bias_correction2
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    adaptive = xp.sqrt(v)
                    adaptive += eps
                    theta -= m_hat * lr * (bias_correction2**0.5 / adaptive) * rect
                else:
                    theta -= m_hat * lr
                p._version[0] += 1  # an in-place change, as p.add_ would count it
        return loss
