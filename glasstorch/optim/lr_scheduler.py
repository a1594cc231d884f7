"""Learning-rate schedulers: each step() rewrites the lr of every param group. See
torch.optim.lr_scheduler.

    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train(...)                # calls optimizer.step()
        scheduler.step()          # after optimizer.step(), as torch asks

The classes live in small files by kind: _lr_base (LRScheduler), _lr_decay (per-epoch
decays), _lr_plateau (ReduceLROnPlateau), _lr_combine (SequentialLR, ChainedScheduler) and
_lr_cyclic (CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR).
"""

from ._lr_base import EPOCH_DEPRECATION_WARNING, LRScheduler, _LRScheduler  # noqa: F401
from ._lr_combine import ChainedScheduler, SequentialLR
from ._lr_cyclic import CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
from ._lr_decay import (
    ConstantLR,
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)
from ._lr_plateau import ReduceLROnPlateau

# Like torch's, each scheduler class names this module as its own (not the private file it is
# written in): the book's train loop calls scheduler.step() only when
# `scheduler.__module__ == lr_scheduler.__name__`. pickle finds the classes here as well.
for _scheduler in (ChainedScheduler, ConstantLR, CosineAnnealingLR, CosineAnnealingWarmRestarts,
                   CyclicLR, ExponentialLR, LRScheduler, LambdaLR, LinearLR, MultiStepLR,
                   MultiplicativeLR, OneCycleLR, PolynomialLR, ReduceLROnPlateau, SequentialLR,
                   StepLR, _LRScheduler):
    _scheduler.__module__ = __name__
del _scheduler

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
]
