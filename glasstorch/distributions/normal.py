"""Normal(loc, scale). See torch.distributions.Normal."""

import math

from .. import creation
from ..autograd import grad_mode
from ..ops.nn_ops import Erf
from .distribution import Distribution, broadcast_all


class Normal(Distribution):
    arg_constraints = {"loc": "real", "scale": "positive"}
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        if validate_args is not False and not (self.scale > 0).all():
            raise ValueError(
                f"Expected parameter scale (Tensor of shape {tuple(self.scale.shape)}) of "
                f"distribution {self!r} to satisfy the constraint GreaterThan(lower_bound=0.0), "
                f"but found invalid values:\n{self.scale}")
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.scale.pow(2)

    def sample(self, sample_shape=()):
        with grad_mode.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        eps = creation.randn(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + eps * self.scale  # reparameterised: differentiable in loc and scale

    def log_prob(self, value):
        var = self.scale**2
        return (-((value - self.loc) ** 2) / (2 * var) - self.scale.log()
                - math.log(math.sqrt(2 * math.pi)))

    def cdf(self, value):
        return 0.5 * (1 + Erf.apply((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)))

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()
