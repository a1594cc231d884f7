"""torch.nn.utils.rnn: batches of sequences of different lengths, padded or packed.

A padded batch is one (T, B, *) tensor (or (B, T, *) with batch_first): sequence b fills
its first lengths[b] steps, padding_value the rest. A packed batch (PackedSequence) keeps
only the real steps, time-major: the rows of step 0 of every sequence, then those of step
1, ..., with the sequences sorted longest first, so step t holds batch_sizes[t] rows:

    sequences "abc", "de", "f"  ->  data "adf" "be" "c",  batch_sizes [3, 2, 1]

Packing and padding are advanced indexing with a (T, B) mask of the real steps (mask[t, b]
is True while t < lengths[b]); reading x[mask] gives exactly the packed order, so gradients
flow through both by the indexing ops' own backward.
"""

from collections.abc import Iterable
from typing import NamedTuple

from ... import creation, dtypes
from ..._tensor import Tensor
from ...ops.movement import cat

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]


class PackedSequence_(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor = None
    unsorted_indices: Tensor = None


class PackedSequence(PackedSequence_):
    """data (the real steps, time-major), batch_sizes (rows per step: an int64 CPU tensor),
    sorted_indices (the batch order of data: sorted_indices[i] is the original sequence in
    row i of each step; None if the batch was already sorted) and unsorted_indices (its
    inverse). Made by pack_padded_sequence and pack_sequence. See torch.nn.utils.rnn."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PackedSequence((data, batch_sizes), ...)
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        elif batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. Instances of PackedSequence should never "
                "be created manually. They should be instantiated by functions like "
                "pack_sequence and pack_padded_sequences in nn.utils.rnn. "
                "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data):
        """This sequence with data replaced; the indices follow data to its device."""
        if data is self.data:
            return self

        def move(t):
            return None if t is None else t.to(data.device)

        return type(self)(data, self.batch_sizes, move(self.sorted_indices),
                          move(self.unsorted_indices))

    def to(self, *args, **kwargs):
        """data.to(*args, **kwargs); batch_sizes stay on the CPU, as in torch."""
        return self._with_data(self.data.to(*args, **kwargs))

    def cuda(self, *args, **kwargs): return self._with_data(self.data.cuda(*args, **kwargs))
    def cpu(self): return self._with_data(self.data.cpu())
    def double(self): return self.to(dtype=dtypes.float64)
    def float(self): return self.to(dtype=dtypes.float32)
    def half(self): return self.to(dtype=dtypes.float16)
    def long(self): return self.to(dtype=dtypes.int64)
    def int(self): return self.to(dtype=dtypes.int32)
    def short(self): return self.to(dtype=dtypes.int16)
    def char(self): return self.to(dtype=dtypes.int8)
    def byte(self): return self.to(dtype=dtypes.uint8)

    @property
    def is_cuda(self):
        return self.data.is_cuda


def invert_permutation(permutation):
    """The inverse permutation: output[permutation[i]] = i (None for None)."""
    if permutation is None:
        return None
    output = creation.empty_like(permutation)
    positions = creation.arange(permutation.numel(), device=permutation.device)
    return output.scatter_(0, permutation, positions)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences of shapes (L_i, *) into a (T, B, *) tensor ((B, T, *) with
    batch_first), T the longest L_i, padding_value where a sequence has ended (after it, or
    before it with padding_side='left'). Every sequence takes the first one's dtype."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg of "
                           f"type: {type(sequences)}")
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(
            f"Expected padding_side to be one of left or right, but got {padding_side}.")
    first = sequences[0]
    if first.ndim == 0:
        raise RuntimeError("ArrayRef: invalid slice, N = 1; size = 0")
    trailing = tuple(first.shape[1:])
    lengths = [s.shape[0] if s.ndim else 1 for s in sequences]
    longest = max(lengths)
    xp = first._xp
    batch = xp.repeat(xp.arange(len(sequences)), lengths)  # the row each element goes to
    steps = [xp.arange(n) + (longest - n if padding_side == "left" else 0) for n in lengths]
    rows = [_with_trailing(s.to(first.dtype), trailing) for s in sequences]
    out = creation.full((len(sequences), longest) + trailing, padding_value, dtype=first.dtype,
                        device=first.device)
    out = out.index_put((batch, xp.concatenate(steps)), cat(rows))
    return out if batch_first else out.transpose(0, 1)


def _with_trailing(sequence, trailing):
    """The sequence broadcast to (L,) + trailing, as torch's copy into its padded slot does."""
    if tuple(sequence.shape[1:]) == trailing:
        return sequence
    shape = (sequence.shape[0] if sequence.ndim else 1,) + trailing
    given = (1,) * (len(shape) - sequence.ndim) + tuple(sequence.shape)
    for dim in range(len(shape) - 1, -1, -1):
        if given[dim] not in (1, shape[dim]):
            raise RuntimeError(f"The size of tensor a ({shape[dim]}) must match the size of "
                               f"tensor b ({given[dim]}) at non-singleton dimension {dim}")
    return sequence.expand(shape)


def _lengths_tensor(lengths):
    if not isinstance(lengths, Tensor):
        return creation.as_tensor(lengths, dtype=dtypes.int64, device="cpu")
    return lengths.to(dtype=dtypes.int64)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded (T, B, *) batch ((B, T, *) with batch_first) whose sequence b has
    lengths[b] real steps. With enforce_sorted the lengths must be decreasing; otherwise
    the batch is sorted here and the order kept in sorted_indices."""
    lengths = _lengths_tensor(lengths)
    if enforce_sorted:
        sorted_indices = None
    else:
        order = lengths._xp.argsort(-lengths._data, kind="stable")  # as torch.sort, descending
        lengths = lengths[order]
        sorted_indices = creation.as_tensor(order, dtype=dtypes.int64).to(input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    data, batch_sizes = _pack_padded(input, lengths, batch_first)
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def _pack_padded(input, lengths, batch_first):
    """(data, batch_sizes) of a padded batch already sorted longest first."""
    if lengths.ndim != 1 or lengths.device.type != "cpu":
        raise RuntimeError("'lengths' argument should be a 1D CPU int64 tensor, but got "
                           f"{lengths.ndim}D {lengths.device} Long tensor")
    if batch_first:
        input = input.transpose(0, 1)
    batch_size = input.size(1)
    if lengths.numel() != batch_size:
        raise RuntimeError("Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lengths.numel()} (batch_size={batch_size})")
    counts = lengths._data
    if batch_size and counts[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if (counts[1:] > counts[:-1]).any():
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
            "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
            "to sidestep this requirement if you do not need ONNX exportability.")
    longest = int(counts[0]) if batch_size else 0
    if longest > input.size(0):  # torch reads past the end of the input here
        raise RuntimeError(f"Expected every length to be at most the padded length "
                           f"{input.size(0)}, but got {longest}")
    steps = lengths._xp.arange(longest)
    mask = steps[:, None] < counts[None, :]  # (longest, B): which steps are real
    batch_sizes = creation.as_tensor(mask.sum(1), dtype=dtypes.int64)
    mask = input._xp.asarray(mask)  # on the input's device
    return input[:longest][mask], batch_sizes


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """The padded batch of a PackedSequence, in the sequences' original order, and their
    lengths (an int64 CPU tensor). The inverse of pack_padded_sequence."""
    max_seq_length = sequence.batch_sizes.size(0)
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{max_seq_length}")
        max_seq_length = total_length
    data, sizes = sequence.data, sequence.batch_sizes._data
    batch_size = int(sizes[0]) if sizes.size else 0
    cpu = sequence.batch_sizes._xp
    mask = cpu.zeros((max_seq_length, batch_size), bool)
    mask[:sizes.size] = cpu.arange(batch_size)[None, :] < sizes[:, None]
    lengths = creation.as_tensor(mask.sum(0), dtype=dtypes.int64)
    padded = creation.full((max_seq_length, batch_size) + tuple(data.shape[1:]), padding_value,
                           dtype=data.dtype, device=data.device)
    padded = padded.index_put((data._xp.asarray(mask),), data)
    if batch_first:
        padded = padded.transpose(0, 1)
    unsorted_indices = sequence.unsorted_indices
    if unsorted_indices is not None:
        batch_dim = 0 if batch_first else 1
        return padded.index_select(batch_dim, unsorted_indices), lengths[unsorted_indices.cpu()]
    return padded, lengths


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences in a padded batch: sequence b is its first lengths[b] steps.

    torch transposes a time-major padded_sequences in place (its caller sees it changed);
    glasstorch leaves the argument as it was.
    """
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    steps = creation.arange(padded_sequences.shape[1], device=lengths.device)
    return [seq[steps < length] for seq, length in zip(padded_sequences, lengths, strict=True)]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of (L_i, *) sequences: pad_sequence, then pack_padded_sequence."""
    lengths = creation.as_tensor([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences a PackedSequence holds, in their original order."""
    padded_sequences, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded_sequences, lengths, batch_first=True)
