"""DistributedSampler: each rank's share of a dataset. See torch.utils.data.distributed."""

import importlib
import math
import operator
import random

from .sampler import Sampler

_MT19937_STATE_N = 624
# at or above this n, torch's randperm_cpu switches to a 64-bit "inside-out" shuffle
_RANDPERM_SMALL_N = (2**32 - 1) // 20


def _mt19937_seeded(seed):
    """Python's random.Random put in the state of torch's at::mt19937 after manual_seed(seed).

    Both are the reference MT19937 engine, but they seed it differently: torch fills the state
    from the low 32 bits of the seed (init_genrand), Python through init_by_array. So the state
    is computed here, torch's way, and handed over with setstate; position 624 makes the first
    draw regenerate the state, as torch's `left_ = 1` does.
    """
    state = [seed & 0xFFFFFFFF]
    for j in range(1, _MT19937_STATE_N):
        previous = state[-1]
        state.append((1812433253 * (previous ^ (previous >> 30)) + j) & 0xFFFFFFFF)
    engine = random.Random()
    engine.setstate((3, (*state, _MT19937_STATE_N), None))
    return engine


def _torch_randperm(n, seed):
    """torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist(), exactly.

    glasstorch's own generator is numpy's PCG64, so its randperm differs from torch's. The
    sampler reproduces torch's CPU randperm instead (aten/src/ATen/native/TensorFactories.cpp,
    randperm_cpu, on at::mt19937), so that every rank of a glasstorch job, and of a torch job
    with the same seed, splits the data identically.
    """
    if isinstance(seed, bool) or not hasattr(seed, "__index__"):
        raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
    seed = operator.index(seed)
    if not -(2**63) <= seed < 2**64:
        raise ValueError("Overflow when unpacking long long")
    engine = _mt19937_seeded(seed)
    if n < _RANDPERM_SMALL_N:
        # swap each place with a later (or the same) one, drawn with one 32-bit number
        perm = list(range(n))
        for i in range(n - 1):
            j = i + engine.getrandbits(32) % (n - i)
            perm[i], perm[j] = perm[j], perm[i]
        return perm
    # torch's random64(): the first 32-bit draw is the high half (not tested against torch:
    # n is over 200 million here)
    perm = [0] * n
    for i in range(n):
        high = engine.getrandbits(32)
        j = ((high << 32) | engine.getrandbits(32)) % (i + 1)
        perm[i] = perm[j]
        perm[j] = i
    return perm


def _distributed():
    """glasstorch.distributed if it is there and usable, else torch's error."""
    try:
        dist = importlib.import_module("glasstorch.distributed")
    except ImportError as error:
        raise RuntimeError("Requires distributed package to be available") from error
    if not dist.is_available():
        raise RuntimeError("Requires distributed package to be available")
    return dist


def _world_size():
    return _distributed().get_world_size()


def _rank():
    return _distributed().get_rank()


class DistributedSampler(Sampler):
    """The indices of one rank out of `num_replicas`, the same ones torch gives: every rank draws
    the same permutation (seeded by seed + epoch) and takes every num_replicas-th index from
    position `rank`, after padding the list by repeating its start (or, with drop_last, cutting
    its tail) so that all ranks get the same number."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None:
            num_replicas = _world_size()
        if rank is None:
            rank = _rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        if self.drop_last and len(self.dataset) % self.num_replicas != 0:
            # the largest multiple of num_replicas below len(dataset)
            self.num_samples = math.ceil((len(self.dataset) - self.num_replicas)
                                         / self.num_replicas)
        else:
            self.num_samples = math.ceil(len(self.dataset) / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        if self.shuffle:
            indices = _torch_randperm(len(self.dataset), self.seed + self.epoch)
        else:
            indices = list(range(len(self.dataset)))
        if not self.drop_last:
            padding_size = self.total_size - len(indices)
            if padding_size <= len(indices):
                indices += indices[:padding_size]
            else:
                indices += (indices * math.ceil(padding_size / len(indices)))[:padding_size]
        else:
            indices = indices[:self.total_size]
        assert len(indices) == self.total_size
        indices = indices[self.rank:self.total_size:self.num_replicas]
        assert len(indices) == self.num_samples
        return iter(indices)

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """The epoch seeds the shuffle (with `seed`): call it before each epoch's iteration."""
        self.epoch = epoch
