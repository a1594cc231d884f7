"""torch.nn.parallel: DistributedDataParallel over glasstorch.distributed (MPI)."""

from .distributed import DistributedDataParallel
