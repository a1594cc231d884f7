"""Fetchers: turn what the sampler yields (an index, or a batch of indices) into data.
Used by the main process (num_workers=0) and by each worker process."""

from ._collate import default_collate
from .dataset import TensorDataset


class _MapDatasetFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn

    def fetch(self, possibly_batched_index):
        if (self.auto_collation and self.collate_fn is default_collate
                and type(self.dataset) is TensorDataset):
            # One fancy index per tensor: what stacking the samples gives, without a Python
            # loop over the batch (torch runs that loop in C++; here it would be the bottleneck).
            return [t[list(possibly_batched_index)] for t in self.dataset.tensors]
        if self.auto_collation:
            if getattr(self.dataset, "__getitems__", None):
                data = self.dataset.__getitems__(possibly_batched_index)
            else:
                data = [self.dataset[idx] for idx in possibly_batched_index]
        else:
            data = self.dataset[possibly_batched_index]
        return self.collate_fn(data)


class _IterableDatasetFetcher:
    """Reads the dataset's iterator; the indices only say how many samples make a batch.
    Raises StopIteration when the stream (or, with drop_last, a full batch) runs out."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset_iter = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, possibly_batched_index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.dataset_iter))
        data = []
        for _ in possibly_batched_index:
            try:
                data.append(next(self.dataset_iter))
            except StopIteration:
                self.ended = True
                break
        if len(data) == 0 or (self.drop_last and len(data) < len(possibly_batched_index)):
            raise StopIteration
        return self.collate_fn(data)


def create_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last):
    fetcher = _IterableDatasetFetcher if is_iterable else _MapDatasetFetcher
    return fetcher(dataset, auto_collation, collate_fn, drop_last)
