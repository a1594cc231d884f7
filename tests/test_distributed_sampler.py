"""glasstorch.utils.data.DistributedSampler against torch's: the indices of every rank (shuffled
with torch's own randperm), lengths, set_epoch, errors, and DataLoader batches."""

import sys
import types

import numpy as np
import pytest

import glasstorch
from glasstorch.utils import data as gdata
from glasstorch.utils.data import distributed as gdistributed

SIZES = [*range(24), 64, 1000, 4099]


def samplers(torch, n, num_replicas, rank, **kwargs):
    """The glasstorch and the torch sampler over a dataset of n items."""
    ours = gdata.DistributedSampler(range(n), num_replicas, rank, **kwargs)
    theirs = torch.utils.data.DistributedSampler(range(n), num_replicas, rank, **kwargs)
    return ours, theirs


@pytest.mark.parametrize("seed", [0, 7, 2**32 + 7])
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("shuffle", [False, True])
def test_every_rank_gets_torchs_indices(torch, shuffle, drop_last, seed):
    for n in SIZES:
        for num_replicas in range(1, 6):
            for rank in range(num_replicas):
                ours, theirs = samplers(torch, n, num_replicas, rank, shuffle=shuffle,
                                        seed=seed, drop_last=drop_last)
                assert len(ours) == len(theirs)
                assert (ours.num_samples, ours.total_size) == (theirs.num_samples,
                                                               theirs.total_size)
                for epoch in range(4):
                    ours.set_epoch(epoch)
                    theirs.set_epoch(epoch)
                    indices = list(ours)
                    assert indices == list(theirs), (n, num_replicas, rank, epoch)
                    assert len(indices) == len(ours)
                    assert all(type(i) is int for i in indices)


def test_the_ranks_cover_the_dataset_and_the_epochs_differ():
    n, num_replicas = 23, 4
    by_rank = [gdata.DistributedSampler(range(n), num_replicas, rank)
               for rank in range(num_replicas)]
    first = [list(s) for s in by_rank]
    assert set(sum(first, [])) == set(range(n))
    assert sum(len(part) for part in first) == 24  # one index repeated as padding
    for s in by_rank:
        s.set_epoch(1)
    assert [list(s) for s in by_rank] != first
    for s in by_rank:
        s.set_epoch(0)
    assert [list(s) for s in by_rank] == first


def test_defaults_and_attributes_match_torch(torch):
    ours, theirs = samplers(torch, 10, 3, 2)
    assert isinstance(ours, gdata.Sampler)
    for name in ["num_replicas", "rank", "epoch", "drop_last", "num_samples", "total_size",
                 "shuffle", "seed"]:
        assert getattr(ours, name) == getattr(theirs, name), name
    assert list(ours) == list(theirs)
    assert gdata.distributed.DistributedSampler is gdata.DistributedSampler


@pytest.mark.parametrize("n", [0, 1, 2, 5, 97, 1000])
@pytest.mark.parametrize("seed", [0, 1, 12345, -1, -(2**63), 2**63, 2**64 - 1])
def test_randperm_is_torchs(torch, n, seed):
    generator = torch.Generator()
    generator.manual_seed(seed)
    assert gdistributed._torch_randperm(n, seed) == torch.randperm(n, generator=generator).tolist()


def test_the_64_bit_shuffle_follows_torchs_random64(torch, monkeypatch):
    """torch uses it from n = 2**32 // 20 on, too large to compare here; run it at a small n and
    check it against the inside-out shuffle driven by torch's own 64-bit draws (random_ over the
    full int64 range returns random64() as an int64)."""
    n, seed = 50, 3
    generator = torch.Generator()
    generator.manual_seed(seed)
    draws = torch.empty(n, dtype=torch.int64).random_(-(2**63), None, generator=generator)
    expected = [0] * n
    for i, draw in enumerate(draws.tolist()):
        j = (draw % 2**64) % (i + 1)
        expected[i] = expected[j]
        expected[j] = i
    monkeypatch.setattr(gdistributed, "_RANDPERM_SMALL_N", 0)
    assert gdistributed._torch_randperm(n, seed) == expected
    assert sorted(expected) == list(range(n))


@pytest.mark.parametrize("seed", [1.5, 2**64, -(2**63) - 1])
def test_bad_seeds_fail_when_iterating_as_in_torch(torch, seed):
    ours, theirs = samplers(torch, 5, 2, 0, seed=seed)
    with pytest.raises(Exception) as expected:
        list(theirs)
    with pytest.raises(type(expected.value)) as raised:
        list(ours)
    assert str(raised.value) == str(expected.value)


@pytest.mark.parametrize("num_replicas, rank", [(2, 2), (2, -1), (3, 5), (0, 0)])
def test_invalid_rank_matches_torch(torch, num_replicas, rank):
    with pytest.raises(ValueError) as expected:
        torch.utils.data.DistributedSampler(range(5), num_replicas, rank)
    with pytest.raises(ValueError) as raised:
        gdata.DistributedSampler(range(5), num_replicas, rank)
    assert str(raised.value) == str(expected.value)
    assert str(raised.value).startswith(f"Invalid rank {rank}, rank should be in the interval")


@pytest.mark.parametrize("kwargs", [{}, {"num_replicas": 2}, {"rank": 0}])
def test_without_glasstorch_distributed_raises_torchs_error(monkeypatch, kwargs):
    monkeypatch.setitem(sys.modules, "glasstorch.distributed", None)  # import fails
    with pytest.raises(RuntimeError, match="^Requires distributed package to be available$"):
        gdata.DistributedSampler(range(5), **kwargs)


def fake_distributed(available=True, world_size=3, rank=1, error=None):
    """A stand-in for glasstorch.distributed with torch's three functions."""
    def get(value):
        if error is not None:
            raise error
        return value

    module = types.ModuleType("glasstorch.distributed")
    module.is_available = lambda: available
    module.get_world_size = lambda: get(world_size)
    module.get_rank = lambda: get(rank)
    return module


def test_num_replicas_and_rank_come_from_glasstorch_distributed(torch, monkeypatch):
    monkeypatch.setitem(sys.modules, "glasstorch.distributed", fake_distributed())
    ours = gdata.DistributedSampler(range(10))
    assert (ours.num_replicas, ours.rank) == (3, 1)
    assert list(ours) == list(torch.utils.data.DistributedSampler(range(10), 3, 1))
    assert gdata.DistributedSampler(range(10), num_replicas=5).rank == 1
    assert gdata.DistributedSampler(range(10), rank=2).num_replicas == 3


def test_distributed_not_available_or_not_initialised(monkeypatch):
    monkeypatch.setitem(sys.modules, "glasstorch.distributed", fake_distributed(available=False))
    with pytest.raises(RuntimeError, match="^Requires distributed package to be available$"):
        gdata.DistributedSampler(range(5))
    # not initialised: the error of glasstorch.distributed's get_world_size, as torch lets through
    error = ValueError("Default process group has not been initialized, please make sure to "
                       "call init_process_group.")
    monkeypatch.setitem(sys.modules, "glasstorch.distributed", fake_distributed(error=error))
    with pytest.raises(ValueError) as raised:
        gdata.DistributedSampler(range(5))
    assert raised.value is error


def test_dataloader_batches_match_torch(torch):
    def loader(lib, rank):
        x = lib.arange(22 * 2, dtype=lib.float32).reshape(22, 2)
        dataset = lib.utils.data.TensorDataset(x, lib.arange(22))
        sampler = lib.utils.data.DistributedSampler(dataset, num_replicas=3, rank=rank, seed=5)
        return sampler, lib.utils.data.DataLoader(dataset, batch_size=3, sampler=sampler)

    for rank in range(3):
        (our_sampler, ours), (their_sampler, theirs) = loader(glasstorch, rank), loader(torch, rank)
        assert len(ours) == len(theirs) == 3
        for epoch in range(3):
            our_sampler.set_epoch(epoch)
            their_sampler.set_epoch(epoch)
            our_batches, their_batches = list(ours), list(theirs)
            assert len(our_batches) == len(their_batches)
            for (x, y), (tx, ty) in zip(our_batches, their_batches):
                np.testing.assert_array_equal(x.numpy(), tx.numpy())
                np.testing.assert_array_equal(y.numpy(), ty.numpy())
                assert str(x.dtype) == str(tx.dtype) and str(y.dtype) == str(ty.dtype)


def test_dataloader_rejects_shuffle_with_the_sampler_as_torch(torch):
    for lib in (glasstorch, torch):
        sampler = lib.utils.data.DistributedSampler(range(4), 2, 0)
        with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
            lib.utils.data.DataLoader(range(4), sampler=sampler, shuffle=True)
