"""torch.utils: the helpers around the tensor (data loading)."""

from . import data

__all__ = ["data"]
