"""torch.distributed on MPI (mpi4py + Open MPI): process groups, collectives, point to point.

Start the ranks with `mpirun -n N python train.py` or `glasstorch-run --nproc-per-node N
train.py`, then call init_process_group() in the script. See torch.distributed.
"""

from .collectives import (Work, all_gather, all_gather_into_tensor, all_gather_object,
                          all_reduce, barrier, broadcast, broadcast_object_list, gather, irecv,
                          isend, recv, reduce, reduce_scatter_tensor, scatter, send)
from .process_group import (Backend, GroupMember, ProcessGroup, ReduceOp, destroy_process_group,
                            get_backend, get_global_rank, get_group_rank,
                            get_process_group_ranks, get_rank, get_world_size, group,
                            init_process_group, is_available, is_gloo_available, is_initialized,
                            is_mpi_available, is_nccl_available, new_group)
