"""nn.utils.rnn (padded and packed sequences) against PyTorch: values, layout, gradients, errors."""

import numpy as np
import pytest
import torch

import glasstorch
from glasstorch.nn.utils import rnn
from oracle import check


def utils(lib):
    return lib.nn.utils.rnn


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence(batch_first, padding_side):
    def pad(lib, a, b, c):
        return utils(lib).pad_sequence([a, b, c], batch_first=batch_first, padding_value=-1.5,
                                       padding_side=padding_side)

    check(pad, (3, 2), (5, 2), (1, 2))
    check(pad, (4, 2, 3), (4, 2, 3), (2, 2, 3))  # trailing dims
    check(pad, (2,), (0,), (3,))  # no trailing dims; an empty sequence


def test_pad_sequence_dtypes_and_broadcasting_as_torch():
    ints = [np.array([1, 2, 3]), np.array([4])]
    check(lambda lib, a, b: utils(lib).pad_sequence([a, b], padding_value=7.9), *ints)
    check(lambda lib, a, b: utils(lib).pad_sequence((a, b)), (2, 3), (3, 3),
          dtype=("float32", "float64"))  # every sequence takes the first one's dtype
    check(lambda lib, a, b: utils(lib).pad_sequence([a, b]), (2, 3), (3,))  # copied broadcast


@pytest.mark.parametrize("lengths, enforce_sorted", [
    ([4, 3, 1], True),
    ([4, 4, 4], True),
    ([2, 4, 1], False),
    ([1, 2, 2, 4, 2], False),  # ties keep their order, as torch's sort
    ([3, 3, 1], False),  # the longest shorter than the padded length: steps dropped
])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_padded_sequence(lengths, enforce_sorted, batch_first):
    shape = (len(lengths), 4, 3) if batch_first else (4, len(lengths), 3)

    def pack(lib, x):
        return utils(lib).pack_padded_sequence(x, lengths, batch_first=batch_first,
                                               enforce_sorted=enforce_sorted)

    ours, theirs = check(pack, shape)
    assert type(ours).__name__ == "PackedSequence" and ours.batch_sizes.device.type == "cpu"
    # a lengths tensor (here int32: converted to int64) gives the same
    tensor_lengths = glasstorch.tensor(lengths, dtype=glasstorch.int32)
    ours_t = rnn.pack_padded_sequence(glasstorch.ones(shape), tensor_lengths,
                                      batch_first=batch_first, enforce_sorted=enforce_sorted)
    assert ours_t.batch_sizes.tolist() == theirs.batch_sizes.tolist()


@pytest.mark.parametrize("lengths, enforce_sorted", [([4, 3, 1], True), ([2, 4, 1], False)])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("total_length", [None, 6])
def test_pad_packed_sequence_round_trip(lengths, enforce_sorted, batch_first, total_length):
    shape = (len(lengths), 4, 2) if batch_first else (4, len(lengths), 2)

    def round_trip(lib, x):
        packed = utils(lib).pack_padded_sequence(x * 2, lengths, batch_first=batch_first,
                                                 enforce_sorted=enforce_sorted)
        return utils(lib).pad_packed_sequence(packed, batch_first=batch_first,
                                              padding_value=-3.0, total_length=total_length)

    (padded, out_lengths), _ = check(round_trip, shape)
    assert out_lengths.tolist() == lengths and out_lengths.dtype == glasstorch.int64


def test_pad_packed_sequence_of_data_that_requires_grad():
    """Gradients reach the packed data itself (as from a recurrent layer's output)."""
    def pad_from_data(lib, data):
        packed = utils(lib).PackedSequence(data, lib.tensor([3, 2, 2, 1]),
                                           lib.tensor([2, 0, 1]))
        return utils(lib).pad_packed_sequence(packed, batch_first=True)

    check(pad_from_data, (8, 5))


def test_pack_sequence_and_unpack_sequence():
    def pack(lib, a, b, c):
        return utils(lib).pack_sequence([a, b, c], enforce_sorted=False)

    check(pack, (2, 3), (5, 3), (1, 3))
    check(lambda lib, a, b, c: utils(lib).pack_sequence([a, b, c]), (5,), (5,), (2,))
    check(lambda lib, a, b, c: utils(lib).unpack_sequence(pack(lib, a, b, c)),
          (2, 3), (5, 3), (1, 3))
    check(lambda lib, a, b, c: utils(lib).unpack_sequence(utils(lib).pack_sequence([a, b, c])),
          np.array([1, 2, 3]), np.array([4, 5]), np.array([6]))


@pytest.mark.parametrize("batch_first", [False, True])
def test_unpad_sequence(batch_first):
    lengths = np.array([3, 1, 4])
    shape = (3, 4, 2) if batch_first else (4, 3, 2)

    def unpad(lib, x, n):
        return utils(lib).unpad_sequence(x * 1, n, batch_first=batch_first)

    check(unpad, shape, lengths)


def test_packed_sequence_is_torch_s_named_tuple():
    data = glasstorch.arange(6.0)
    packed = rnn.PackedSequence(data, glasstorch.tensor([3, 2, 1]), glasstorch.tensor([1, 2, 0]))
    theirs = torch.nn.utils.rnn.PackedSequence(torch.arange(6.0), torch.tensor([3, 2, 1]),
                                               torch.tensor([1, 2, 0]))
    assert repr(packed) == repr(theirs)
    assert packed.unsorted_indices.tolist() == theirs.unsorted_indices.tolist() == [2, 0, 1]
    data_, batch_sizes, sorted_indices, unsorted_indices = packed
    assert data_ is data and packed._fields == theirs._fields
    as_pair = rnn.PackedSequence((data, glasstorch.tensor([3, 2, 1])))
    assert as_pair.sorted_indices is None and as_pair.batch_sizes.tolist() == [3, 2, 1]
    double = packed.double()
    assert double.data.dtype == glasstorch.float64 and double.batch_sizes is packed.batch_sizes
    assert double.sorted_indices.tolist() == [1, 2, 0]
    assert packed.to(glasstorch.float32) is packed and packed.cpu() is packed
    assert packed.long().data.dtype == glasstorch.int64 and not packed.is_cuda
    assert rnn.invert_permutation(None) is None


def test_gradients_flow_through_pack_and_pad_into_a_recurrent_layer():
    """pack -> nn.GRU -> pad, all against torch, weights copied."""
    theirs = torch.nn.GRU(3, 4, batch_first=True)
    ours = glasstorch.nn.GRU(3, 4, batch_first=True)
    ours.load_state_dict({k: glasstorch.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})
    lengths = [2, 5, 3]

    def model(lib, x):
        net = ours if lib is glasstorch else theirs
        packed = utils(lib).pack_padded_sequence(x, lengths, batch_first=True,
                                                 enforce_sorted=False)
        output, h = net(packed)
        return utils(lib).pad_packed_sequence(output, batch_first=True)[0], h

    check(model, (3, 5, 3))


def raises_as_torch(fn):
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(type(theirs.value)) as ours:
        fn(glasstorch)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("fn", [
    lambda lib: utils(lib).pack_padded_sequence(lib.ones(4, 3, 2), [2, 3, 1]),  # unsorted
    lambda lib: utils(lib).pack_padded_sequence(lib.ones(4, 3, 2), [3, 2, 0]),
    lambda lib: utils(lib).pack_padded_sequence(lib.ones(4, 3, 2), [3, 0, 2],
                                                enforce_sorted=False),
    lambda lib: utils(lib).pack_padded_sequence(lib.ones(4, 3, 2), [3, 2]),
    lambda lib: utils(lib).pack_padded_sequence(lib.ones(4, 3, 2), lib.tensor([[3, 2, 1]])),
    lambda lib: utils(lib).pack_padded_sequence(lib.ones(4), [3]),
    lambda lib: utils(lib).pack_sequence([lib.ones(2), lib.ones(3)]),
    lambda lib: utils(lib).pack_sequence([]),
    lambda lib: utils(lib).pad_sequence([]),
    lambda lib: utils(lib).pad_sequence(5),
    lambda lib: utils(lib).pad_sequence([lib.ones(2, 3), lib.ones(3, 2)]),
    lambda lib: utils(lib).pad_sequence([lib.ones(2, 3)], padding_side="up"),
    lambda lib: utils(lib).pad_packed_sequence(utils(lib).pack_sequence([lib.ones(3)]),
                                               total_length=2),
    lambda lib: utils(lib).PackedSequence(lib.ones(3)),
])
def test_errors_as_torch(fn):
    raises_as_torch(fn)


def test_lengths_beyond_the_padded_length_raise():
    # torch reads past the end of its input here; glasstorch refuses
    with pytest.raises(RuntimeError, match="at most the padded length 4, but got 5"):
        rnn.pack_padded_sequence(glasstorch.ones(4, 3, 2), [5, 2, 1])


def test_on_the_stand_in_device_as_on_the_cpu():
    """device='cuda' on the test's stand-in CuPy: data and indices stay on the device,
    batch_sizes and lengths on the CPU, as in torch."""
    import standin_cupy

    x = np.random.default_rng(6).standard_normal((4, 3, 2)).astype("float32")
    results = []
    with standin_cupy.installed():
        for device in ("cpu", "cuda"):
            padded = glasstorch.tensor(x, device=device, requires_grad=True)
            packed = rnn.pack_padded_sequence(padded, [2, 4, 1], enforce_sorted=False)
            assert packed.data.device.type == packed.sorted_indices.device.type == device
            assert packed.batch_sizes.device.type == "cpu"
            out, lengths = rnn.pad_packed_sequence(packed, batch_first=True)
            assert out.device.type == device and lengths.device.type == "cpu"
            (out * out).sum().backward()
            sequences = rnn.unpack_sequence(packed)
            again = rnn.pad_sequence(sequences, batch_first=True)
            assert again.device.type == device
            on_cpu = packed.cpu()
            assert on_cpu.data.device.type == on_cpu.unsorted_indices.device.type == "cpu"
            results.append([t.detach().cpu().numpy() for t in (out, padded.grad, again)])
    for ours, cpu in zip(*results):
        np.testing.assert_allclose(ours, cpu)
