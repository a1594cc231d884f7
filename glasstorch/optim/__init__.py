"""Optimizers: torch.optim's Optimizer, SGD, Adam and AdamW."""

from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Optimizer"]
