"""glasstorch.utils.data against torch.utils.data: batches, collation, samplers, splits, errors,
and DataLoader worker processes (same batches as num_workers=0, errors, clean shutdown)."""

import collections
import gc
import multiprocessing
import time

import numpy as np
import pytest

import glasstorch
from glasstorch.utils import data as gdata

Point = collections.namedtuple("Point", ["x", "y"])


def assert_same(ours, theirs, torch):
    """`ours` (glasstorch) has the same structure, types, dtypes, shapes and values as `theirs`."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, glasstorch.Tensor), type(ours)
        assert str(ours.dtype) == str(theirs.dtype)
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs)
        for key in theirs:
            assert_same(ours[key], theirs[key], torch)
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b, torch)
    else:
        assert type(ours) is type(theirs) and ours == theirs


def both(make):
    """make(lib) for glasstorch and for torch."""
    import torch

    return make(glasstorch), make(torch)


def tensor_data(lib, n=10):
    x = lib.arange(n * 3, dtype=lib.float32).reshape(n, 3)
    y = lib.arange(n) % 3
    return lib.utils.data.TensorDataset(x, y)


# ---- batching against torch ----

@pytest.mark.parametrize("batch_size", [1, 3, 4, 5, 10, 11])
@pytest.mark.parametrize("drop_last", [False, True])
def test_tensor_dataset_batches_and_len_match_torch(torch, batch_size, drop_last):
    ours, theirs = both(lambda lib: lib.utils.data.DataLoader(
        tensor_data(lib), batch_size=batch_size, drop_last=drop_last))
    assert len(ours) == len(theirs)
    assert_same(list(ours), list(theirs), torch)


def test_tensor_dataset_fast_batches_equal_collated_samples():
    dataset = gdata.TensorDataset(glasstorch.randn(9, 2, 3), glasstorch.arange(9),
                                  glasstorch.arange(9) > 4)
    order = [[8, 0, 3], [5, 5], [1, 2, 4, 6, 7]]
    fast = list(gdata.DataLoader(dataset, batch_sampler=order))
    slow = list(gdata.DataLoader(dataset, batch_sampler=order,
                                 collate_fn=lambda samples: gdata.default_collate(samples)))
    assert len(fast) == len(slow) == 3
    for a, b in zip(fast, slow):
        assert type(a) is type(b) is list
        for x, y in zip(a, b):
            assert x.dtype == y.dtype and x.shape == y.shape
            np.testing.assert_array_equal(x.numpy(), y.numpy())


def test_batch_size_none_yields_samples_unbatched(torch):
    def loader(lib):
        samples = [np.array([i, i + 1], dtype=np.int32) for i in range(4)]
        return lib.utils.data.DataLoader(samples, batch_size=None)

    ours, theirs = both(loader)
    assert len(ours) == len(theirs) == 4
    assert_same(list(ours), list(theirs), torch)


def test_dataloader_over_a_list_of_tuples_matches_torch(torch):
    samples = [(i, float(i) / 2, f"s{i}") for i in range(7)]
    ours, theirs = both(lambda lib: lib.utils.data.DataLoader(samples, batch_size=3))
    assert_same(list(ours), list(theirs), torch)


# ---- default_collate / default_convert against torch ----

COLLATE_CASES = {
    "tensors": lambda lib: [lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])],
    "int_tensors": lambda lib: [lib.tensor(1), lib.tensor(2)],
    "floats": lambda lib: [0.5, 1.5, 2.0],
    "ints": lambda lib: [0, 1, 2, 3],
    "bools": lambda lib: [True, False],
    "strings": lambda lib: ["a", "b", "c"],
    "numpy_arrays": lambda lib: [np.ones((2, 2), np.float32), np.zeros((2, 2), np.float32)],
    "numpy_int_arrays": lambda lib: [np.arange(3), np.arange(3, 6)],
    "numpy_float_scalars": lambda lib: [np.float64(1.5), np.float64(2.5)],
    "numpy_int32_scalars": lambda lib: [np.int32(1), np.int32(2)],
    "numpy_float32_scalars": lambda lib: [np.float32(1.5), np.float32(2.5)],
    "tuples": lambda lib: [(lib.ones(2), 1, "x"), (lib.zeros(2), 2, "y")],
    "lists": lambda lib: [[0, 1.5], [2, 3.5]],
    "dicts": lambda lib: [{"a": 0, "b": lib.ones(3)}, {"a": 1, "b": lib.zeros(3)}],
    "namedtuples": lambda lib: [Point(0, 1.0), Point(2, 3.0)],
    "nested": lambda lib: [
        {"pair": (np.array([1, 2]), Point(lib.tensor(0.5), [1, 2])), "name": "n0"},
        {"pair": (np.array([3, 4]), Point(lib.tensor(1.5), [3, 4])), "name": "n1"},
    ],
}


@pytest.mark.parametrize("case", sorted(COLLATE_CASES))
def test_default_collate_matches_torch(torch, case):
    ours = gdata.default_collate(COLLATE_CASES[case](glasstorch))
    theirs = torch.utils.data.default_collate(COLLATE_CASES[case](torch))
    assert_same(ours, theirs, torch)


@pytest.mark.parametrize("sample", [
    np.arange(4), {"a": np.float32(2.5), "b": "text"}, (np.zeros(2), 3), [np.ones(1), 1.0],
    Point(np.int16(1), 2), 7, "plain",
])
def test_default_convert_matches_torch(torch, sample):
    assert_same(gdata.default_convert(sample), torch.utils.data.default_convert(sample), torch)


def test_default_collate_errors_match_torch(torch):
    for batch in ([[1, 2], [3]], [object(), object()], [np.array(["a"]), np.array(["b"])]):
        with pytest.raises(Exception) as theirs:
            torch.utils.data.default_collate(batch)
        with pytest.raises(theirs.type) as ours:
            gdata.default_collate(batch)
        assert str(ours.value) == str(theirs.value)


# ---- shuffling and samplers ----

def epoch(loader):
    return [y.tolist() for _, y in loader]


def test_shuffle_is_a_permutation_and_reproducible():
    dataset = gdata.TensorDataset(glasstorch.zeros(20, 1), glasstorch.arange(20))
    glasstorch.manual_seed(7)
    first = epoch(gdata.DataLoader(dataset, batch_size=6, shuffle=True))
    second = epoch(gdata.DataLoader(dataset, batch_size=6, shuffle=True))
    glasstorch.manual_seed(7)
    again = epoch(gdata.DataLoader(dataset, batch_size=6, shuffle=True))
    assert [len(b) for b in first] == [6, 6, 6, 2]
    assert sorted(sum(first, [])) == list(range(20))
    assert first == again and first != second
    assert sum(first, []) != list(range(20))


def test_shuffle_with_a_generator_is_reproducible():
    dataset = gdata.TensorDataset(glasstorch.zeros(20, 1), glasstorch.arange(20))

    def run(seed):
        loader = gdata.DataLoader(dataset, batch_size=5, shuffle=True,
                                  generator=glasstorch.Generator().manual_seed(seed))
        return epoch(loader)

    assert run(1) == run(1)
    assert run(1) != run(2)
    assert sorted(sum(run(3), [])) == list(range(20))


def test_samplers_match_torch(torch):
    def make(lib):
        d = lib.utils.data
        return [list(d.SequentialSampler(range(5))),
                list(d.BatchSampler(d.SequentialSampler(range(10)), 3, drop_last=False)),
                list(d.BatchSampler(d.SequentialSampler(range(10)), 3, drop_last=True)),
                len(d.BatchSampler(range(10), 4, False)), len(d.BatchSampler(range(10), 4, True)),
                len(d.RandomSampler(range(8))), len(d.RandomSampler(range(8), True, 20))]

    ours, theirs = both(make)
    assert ours == theirs


def test_random_samplers_draw_valid_indices():
    assert sorted(gdata.RandomSampler(range(9))) == list(range(9))
    with_replacement = list(gdata.RandomSampler(range(4), replacement=True, num_samples=70))
    assert len(with_replacement) == 70 and set(with_replacement) == {0, 1, 2, 3}
    more = list(gdata.RandomSampler(range(4), num_samples=10))
    assert len(more) == 10 and sorted(more[:4]) == [0, 1, 2, 3]
    subset = list(gdata.SubsetRandomSampler([10, 20, 30, 40]))
    assert sorted(subset) == [10, 20, 30, 40]


def test_weighted_random_sampler_follows_the_weights():
    draws = list(gdata.WeightedRandomSampler([0.2, 0.0, 0.8], 2000))
    assert len(draws) == 2000 and set(draws) == {0, 2}
    assert 0.75 < draws.count(2) / 2000 < 0.85
    without = list(gdata.WeightedRandomSampler([1.0, 2.0, 0.0, 3.0], 3, replacement=False))
    assert sorted(without) == [0, 1, 3]
    seeded = [list(gdata.WeightedRandomSampler([1.0, 1.0, 1.0], 10,
                                               generator=glasstorch.Generator().manual_seed(4)))
              for _ in range(2)]
    assert seeded[0] == seeded[1]


@pytest.mark.parametrize("make", [
    lambda d: d.RandomSampler(range(3), replacement=1),
    lambda d: d.RandomSampler(range(3), num_samples=0),
    lambda d: d.BatchSampler(range(3), 0, False),
    lambda d: d.BatchSampler(range(3), 2, None),
    lambda d: d.WeightedRandomSampler([0.5, 0.5], 0),
    lambda d: d.WeightedRandomSampler([0.5, 0.5], 2, replacement=None),
    lambda d: d.WeightedRandomSampler([[0.5, 0.5]], 2),
])
def test_sampler_errors_match_torch(torch, make):
    with pytest.raises(Exception) as theirs:
        make(torch.utils.data)
    with pytest.raises(theirs.type) as ours:
        make(gdata)
    assert str(ours.value) == str(theirs.value)


def test_sampler_batch_sampler_and_collate_fn_options(torch):
    def make(lib):
        d = lib.utils.data
        dataset = tensor_data(lib, 8)
        return [
            list(d.DataLoader(dataset, batch_size=3, sampler=[7, 6, 5, 4, 3])),
            list(d.DataLoader(dataset, batch_sampler=[[0, 2], [4, 6, 7], [1]])),
            list(d.DataLoader(dataset, batch_size=4, collate_fn=lambda batch: len(batch))),
            len(d.DataLoader(dataset, batch_sampler=[[0, 2], [4, 6, 7], [1]])),
        ]

    ours, theirs = both(make)
    assert_same(ours, theirs, torch)


@pytest.mark.parametrize("kwargs", [
    dict(batch_size=None, drop_last=True),
    dict(sampler=[0, 1], shuffle=True),
    dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], drop_last=True),
    dict(num_workers=-1),
    dict(timeout=-1),
    dict(prefetch_factor=2),
    dict(persistent_workers=True),
])
def test_dataloader_option_errors_match_torch(torch, kwargs):
    with pytest.raises(Exception) as theirs:
        torch.utils.data.DataLoader(tensor_data(torch), **kwargs)
    with pytest.raises(theirs.type) as ours:
        gdata.DataLoader(tensor_data(glasstorch), **kwargs)
    assert str(ours.value) == str(theirs.value)


def test_attributes_cannot_be_set_after_init(torch):
    for lib in (torch, glasstorch):
        loader = lib.utils.data.DataLoader(tensor_data(lib))
        with pytest.raises(ValueError, match="batch_size attribute should not be set after "
                                             "DataLoader is initialized"):
            loader.batch_size = 4


# ---- datasets ----

def test_tensor_dataset_size_mismatch_matches_torch(torch):
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        torch.utils.data.TensorDataset(torch.zeros(3), torch.zeros(4))
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        gdata.TensorDataset(glasstorch.zeros(3), glasstorch.zeros(4))


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.3, 0.4], [0.5, 0.5], [1 / 3] * 3, [10]])
def test_random_split_sizes_match_torch_and_parts_are_disjoint(torch, lengths):
    ours = gdata.random_split(range(10), lengths)
    theirs = torch.utils.data.random_split(range(10), lengths)
    assert [len(p) for p in ours] == [len(p) for p in theirs]
    items = [x for part in ours for x in part]
    assert sorted(items) == list(range(10))


def test_random_split_is_reproducible_with_a_generator():
    def split(seed):
        parts = gdata.random_split(range(12), [0.5, 0.5],
                                   generator=glasstorch.Generator().manual_seed(seed))
        return [list(p) for p in parts]

    assert split(0) == split(0) and split(0) != split(1)


def test_random_split_errors_match_torch(torch):
    for lengths in ([3, 3], [0.5, 1.5, -1.0]):
        with pytest.raises(Exception) as theirs:
            torch.utils.data.random_split(range(10), lengths)
        with pytest.raises(theirs.type) as ours:
            gdata.random_split(range(10), lengths)
        assert str(ours.value) == str(theirs.value)


def test_subset_and_concat_match_torch(torch):
    def make(lib):
        d = lib.utils.data
        first, second = tensor_data(lib, 4), tensor_data(lib, 6)
        subset = d.Subset(second, [5, 0, 2])
        concat = first + second
        return [len(subset), [subset[i] for i in range(3)], len(concat), concat.cumulative_sizes,
                [concat[i] for i in (0, 3, 4, 9, -1, -10)],
                list(d.DataLoader(d.ConcatDataset([subset, first]), batch_size=4))]

    ours, theirs = both(make)
    assert_same(ours, theirs, torch)
    with pytest.raises(ValueError, match="absolute value of index should not exceed"):
        (tensor_data(glasstorch, 2) + tensor_data(glasstorch, 2))[-5]
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        gdata.ConcatDataset([])


class Stream(gdata.IterableDataset):
    """range(start, end), split between the workers with get_worker_info()."""

    def __init__(self, start, end):
        self.start, self.end = start, end

    def __iter__(self):
        info = gdata.get_worker_info()
        if info is None:
            return iter(range(self.start, self.end))
        per_worker = -(-(self.end - self.start) // info.num_workers)
        start = self.start + info.id * per_worker
        return iter(range(start, min(start + per_worker, self.end)))

    def __len__(self):
        return self.end - self.start


def test_iterable_dataset_in_the_main_process_matches_torch(torch):
    class TorchStream(torch.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(10))

    ours = list(gdata.DataLoader(Stream(0, 10), batch_size=4))
    theirs = list(torch.utils.data.DataLoader(TorchStream(), batch_size=4))
    assert_same(ours, theirs, torch)
    assert len(gdata.DataLoader(Stream(0, 10), batch_size=4)) == 3
    assert len(gdata.DataLoader(Stream(0, 10), batch_size=4, drop_last=True)) == 2
    assert [b.tolist() for b in gdata.DataLoader(Stream(0, 10), batch_size=4, drop_last=True)] \
        == [[0, 1, 2, 3], [4, 5, 6, 7]]
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        gdata.DataLoader(Stream(0, 3), shuffle=True)
    assert gdata.get_worker_info() is None


# ---- worker processes ----

class Slow(gdata.Dataset):
    """Sample i is (i as float tensor, i); `fail_at` raises inside the worker."""

    def __init__(self, n, fail_at=None):
        self.n, self.fail_at = n, fail_at

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.fail_at:
            raise ValueError(f"bad sample {i}")
        return glasstorch.full((2,), float(i)), i


def wait_for_exit(workers, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(w.is_alive() for w in workers):
        time.sleep(0.05)
    alive = {w.pid for w in multiprocessing.active_children()}
    return [w.pid for w in workers if w.is_alive() or w.pid in alive]


def batches(loader):
    return [(x.numpy().tolist(), y.tolist()) for x, y in loader]


def test_workers_give_the_same_batches_as_the_main_process():
    dataset = Slow(23)
    glasstorch.manual_seed(5)
    expected = batches(gdata.DataLoader(dataset, batch_size=4, shuffle=True))
    glasstorch.manual_seed(5)
    got = batches(gdata.DataLoader(dataset, batch_size=4, shuffle=True, num_workers=2))
    assert got == expected
    assert sorted(sum((y for _, y in got), [])) == list(range(23))
    assert wait_for_exit(multiprocessing.active_children()) == []  # shut down at the end


def test_workers_with_persistent_workers_and_a_broken_epoch():
    loader = gdata.DataLoader(Slow(10), batch_size=3, num_workers=2, persistent_workers=True)
    expected = batches(gdata.DataLoader(Slow(10), batch_size=3))
    for x, _ in loader:  # break with tasks still in flight
        break
    assert batches(loader) == expected
    assert batches(loader) == expected
    workers = list(loader._iterator._workers)
    assert all(w.is_alive() for w in workers)
    del loader, x
    gc.collect()
    assert wait_for_exit(workers) == []


def test_worker_error_reaches_the_main_process_with_the_traceback():
    loader = gdata.DataLoader(Slow(12, fail_at=5), batch_size=2, num_workers=2)
    with pytest.raises(ValueError) as error:
        for _ in loader:
            pass
    message = str(error.value)
    assert "Caught ValueError in DataLoader worker process" in message
    assert "bad sample 5" in message and "Traceback" in message and "__getitem__" in message
    gc.collect()
    assert wait_for_exit(multiprocessing.active_children()) == []


def test_break_early_and_garbage_collection_leave_no_worker_alive():
    loader = gdata.DataLoader(Slow(40), batch_size=2, num_workers=2)
    iterator = iter(loader)
    workers = list(iterator._workers)
    assert len(workers) == 2 and all(w.is_alive() for w in workers)
    next(iterator)
    del iterator
    gc.collect()
    assert wait_for_exit(workers) == []

    for _ in loader:
        break
    assert wait_for_exit(multiprocessing.active_children()) == []


def test_iterable_dataset_sharded_over_workers():
    loader = gdata.DataLoader(Stream(0, 17), batch_size=3, num_workers=2)
    got = [b.tolist() for b in loader]
    assert sorted(sum(got, [])) == list(range(17))
    assert all(len(b) <= 3 for b in got)
    worker_ids = gdata.DataLoader(WorkerIds(), batch_size=None, num_workers=2)
    assert sorted(worker_ids) == [[0, 2], [1, 2]]  # default_convert makes tuples lists
    assert wait_for_exit(multiprocessing.active_children()) == []


class WorkerIds(gdata.IterableDataset):
    def __iter__(self):
        info = gdata.get_worker_info()
        yield (info.id, info.num_workers)


def test_worker_init_fn_and_seeds_differ_per_worker():
    loader = gdata.DataLoader(Seeds(4), batch_size=None, num_workers=2,
                              worker_init_fn=record_worker)
    samples = list(loader)
    assert [s["index"] for s in samples] == [0, 1, 2, 3]
    assert [s["worker"] for s in samples] == [0, 1, 0, 1]  # tasks go round-robin
    assert samples[0]["seed"] != samples[1]["seed"]
    assert all(s["init"] == s["worker"] for s in samples)


_initialised_as = None


def record_worker(worker_id):
    global _initialised_as
    _initialised_as = worker_id


class Seeds(gdata.Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        info = gdata.get_worker_info()
        return {"index": i, "worker": info.id, "seed": info.seed, "init": _initialised_as}


def test_spawned_workers_give_the_same_batches():
    # "spawn" is the start method where fork does not exist: everything crosses by pickle
    expected = batches(gdata.DataLoader(Slow(9), batch_size=2))
    loader = gdata.DataLoader(Slow(9), batch_size=2, num_workers=2,
                              multiprocessing_context="spawn")
    assert batches(loader) == expected
    assert wait_for_exit(multiprocessing.active_children()) == []


class Sleepy(gdata.Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        time.sleep(0.5)
        return i


def test_timeout_raises_and_shuts_workers_down():
    loader = gdata.DataLoader(Sleepy(), batch_size=1, num_workers=2, timeout=0.1)
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.1 seconds"):
        next(iter(loader))
    assert wait_for_exit(multiprocessing.active_children()) == []
