"""torch.distributions: Normal and Multinomial (what d2l's preliminaries use)."""

from .distribution import Distribution
from .multinomial import Multinomial
from .normal import Normal

__all__ = ["Distribution", "Multinomial", "Normal"]
