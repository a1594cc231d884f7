"""save/load: round trips, files exchanged with PyTorch both ways, safety and atomicity."""

import collections
import io
import os
import pickle
import zipfile

import numpy as np
import pytest

import glasstorch

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


def sample(dtype_name, shape=(2, 3)):
    values = np.arange(int(np.prod(shape))).reshape(shape) % 7 - 2
    return glasstorch.tensor(values).to(getattr(glasstorch, dtype_name))


def assert_same(ours, theirs):
    """A glasstorch tensor equals a torch (or glasstorch) tensor: values, dtype, shape, grad."""
    assert str(ours.dtype) == str(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.requires_grad == theirs.requires_grad
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


@pytest.mark.parametrize("dtype_name", DTYPES)
def test_round_trip_every_dtype(tmp_path, dtype_name):
    x = sample(dtype_name)
    glasstorch.save(x, tmp_path / "x.pt")
    assert_same(glasstorch.load(tmp_path / "x.pt"), x)


@pytest.mark.parametrize("shape", [(), (0,), (0, 3), (1,), (2, 3, 4)])
def test_round_trip_shapes(tmp_path, shape):
    x = glasstorch.rand(shape)
    glasstorch.save(x, str(tmp_path / "x.pt"))
    assert_same(glasstorch.load(str(tmp_path / "x.pt")), x)


def test_non_contiguous_and_requires_grad(tmp_path):
    x = glasstorch.arange(24.0).reshape(2, 3, 4)
    views = {"t": x.transpose(0, 2), "step": x[:, ::2, 1:],
             "w": glasstorch.ones(3, requires_grad=True)}
    glasstorch.save(views, tmp_path / "v.pt")
    loaded = glasstorch.load(tmp_path / "v.pt")
    for key, view in views.items():
        assert_same(loaded[key], view)


def test_nested_containers_and_python_values(tmp_path):
    obj = {
        "state": collections.OrderedDict([("z", glasstorch.ones(2)), ("a", glasstorch.zeros(1))]),
        "list": [1, 2.5, "three", None, True, b"bytes", (glasstorch.tensor([4]), {5, 6})],
        "meta": {"dtype": glasstorch.float64, "size": glasstorch.Size([2, 3]),
                 "device": glasstorch.device("cpu"), "counts": collections.Counter("aab")},
    }
    glasstorch.save(obj, tmp_path / "n.pt")
    loaded = glasstorch.load(tmp_path / "n.pt")
    assert type(loaded["state"]) is collections.OrderedDict
    assert list(loaded["state"]) == ["z", "a"]  # order kept
    assert_same(loaded["state"]["z"], obj["state"]["z"])
    assert loaded["list"][:6] == [1, 2.5, "three", None, True, b"bytes"]
    assert_same(loaded["list"][6][0], obj["list"][6][0])
    assert loaded["list"][6][1] == {5, 6}
    assert loaded["meta"]["dtype"] is glasstorch.float64
    assert loaded["meta"]["size"] == (2, 3) and repr(loaded["meta"]["size"]) == "torch.Size([2, 3])"
    assert loaded["meta"]["device"] == glasstorch.device("cpu")
    assert loaded["meta"]["counts"] == {"a": 2, "b": 1}


def test_file_objects():
    buffer = io.BytesIO()
    glasstorch.save({"x": glasstorch.arange(5)}, buffer)
    buffer.seek(0)
    assert_same(glasstorch.load(buffer)["x"], glasstorch.arange(5))


def test_the_archive_has_torchs_layout(tmp_path):
    glasstorch.save({"a": glasstorch.ones(2), "b": glasstorch.zeros(3)}, tmp_path / "x.pt")
    with zipfile.ZipFile(tmp_path / "x.pt") as archive:
        names = archive.namelist()
        assert names[0].endswith("/data.pkl")
        prefix = names[0][: -len("data.pkl")]
        expected = {prefix + name for name in ("data/0", "data/1", "version", "byteorder")}
        assert expected <= set(names)
        assert archive.read(prefix + "byteorder") == b"little"
        assert np.frombuffer(archive.read(prefix + "data/0"), "<f4").tolist() == [1.0, 1.0]
        for info in archive.infolist():  # storages start on 64-byte boundaries, as in torch
            assert info.compress_type == zipfile.ZIP_STORED
            data_start = info.header_offset + 30 + len(info.filename) + len(info.extra)
            assert data_start % 64 == 0


# ---- exchange with PyTorch ----

@pytest.mark.parametrize("dtype_name", DTYPES)
def test_glasstorch_file_loads_in_torch(tmp_path, torch, dtype_name):
    state = collections.OrderedDict(
        weight=sample(dtype_name, (3, 2)),
        scalar=sample(dtype_name, ()),
        view=sample(dtype_name, (4, 4))[::2, 1:].t(),
    )
    if dtype_name.startswith("float"):
        state["trained"] = sample(dtype_name).requires_grad_()
    state["meta"] = {"step": 7, "dtype": glasstorch.int16, "size": glasstorch.Size([2]),
                     "device": glasstorch.device("cpu"), "names": {"a"}, "raw": b"\x00\xff"}
    glasstorch.save(state, tmp_path / "s.pt")
    loaded = torch.load(tmp_path / "s.pt", weights_only=True)
    assert type(loaded) is collections.OrderedDict and list(loaded) == list(state)
    for key in list(state)[:-1]:
        assert_same(state[key], loaded[key])
    assert loaded["meta"] == {"step": 7, "dtype": torch.int16, "size": torch.Size([2]),
                              "device": torch.device("cpu"), "names": {"a"}, "raw": b"\x00\xff"}


def test_torch_file_loads_in_glasstorch(tmp_path, torch):
    state = collections.OrderedDict()
    for name in DTYPES:
        state[name] = (torch.arange(6).reshape(2, 3) % 4).to(getattr(torch, name))
    state["grad"] = torch.ones(2, requires_grad=True)
    state["param"] = torch.nn.Parameter(torch.full((2, 2), 0.5))
    state["zero_d"] = torch.tensor(2.5)
    state["empty"] = torch.zeros(0, 4)
    state["meta"] = {"dtype": torch.int64, "size": torch.Size([3]), "device": torch.device("cpu")}
    torch.save(state, tmp_path / "t.pt")
    loaded = glasstorch.load(tmp_path / "t.pt")
    assert list(loaded) == list(state)
    for key in list(state)[:-1]:
        assert isinstance(loaded[key], glasstorch.Tensor)
        assert_same(loaded[key], state[key])
    assert loaded["meta"]["dtype"] is glasstorch.int64
    assert loaded["meta"]["size"] == (3,)
    assert loaded["meta"]["device"] == glasstorch.device("cpu")


def test_torch_views_sharing_one_storage(tmp_path, torch):
    base = torch.arange(24.0).reshape(4, 6)
    views = {"base": base, "row": base[2], "col": base[:, 3], "t": base.t(), "step": base[1:, ::2],
             "flat": base.view(-1)[5:11], "scalar": base[3, 4]}
    torch.save(views, tmp_path / "v.pt")
    loaded = glasstorch.load(tmp_path / "v.pt")
    for key, view in views.items():
        assert_same(loaded[key], view)
    loaded["row"].add_(100)  # each loaded tensor owns its memory
    assert loaded["base"][2, 0].item() == 12.0


def test_one_tensor_twice_is_one_tensor_in_both(tmp_path, torch):
    x = glasstorch.arange(3.0)
    glasstorch.save({"a": x, "b": [x]}, tmp_path / "x.pt")
    ours = glasstorch.load(tmp_path / "x.pt")
    theirs = torch.load(tmp_path / "x.pt", weights_only=True)
    assert ours["a"] is ours["b"][0] and theirs["a"] is theirs["b"][0]
    with zipfile.ZipFile(tmp_path / "x.pt") as archive:  # one storage written
        assert sum("/data/" in name for name in archive.namelist()) == 1


def test_round_trip_through_both(tmp_path, torch):
    x = torch.randn(3, 4)
    torch.save({"x": x}, tmp_path / "a.pt")
    glasstorch.save(glasstorch.load(tmp_path / "a.pt"), tmp_path / "b.pt")
    assert torch.equal(torch.load(tmp_path / "b.pt", weights_only=True)["x"], x)


@pytest.mark.parametrize("map_location", [None, "cpu", {"cpu": "cpu"}, lambda s, loc: s])
def test_map_location_to_cpu(tmp_path, map_location):
    glasstorch.save([glasstorch.ones(2)], tmp_path / "x.pt")
    (x,) = glasstorch.load(tmp_path / "x.pt", map_location=map_location)
    assert x.device == glasstorch.device("cpu") and x.tolist() == [1.0, 1.0]


def test_parameters_both_ways(tmp_path, torch):
    torch.save({"p": torch.nn.Parameter(torch.ones(2))}, tmp_path / "t.pt")
    loaded = glasstorch.load(tmp_path / "t.pt")["p"]
    assert loaded.requires_grad and loaded.is_leaf and loaded.tolist() == [1.0, 1.0]
    try:
        from glasstorch.nn import Parameter
    except ImportError:  # nn not written yet: a tensor that requires grad stands in
        return
    assert isinstance(loaded, Parameter)
    glasstorch.save({"p": Parameter(glasstorch.zeros(3))}, tmp_path / "g.pt")
    back = torch.load(tmp_path / "g.pt", weights_only=True)["p"]
    assert isinstance(back, torch.nn.Parameter) and back.tolist() == [0.0, 0.0, 0.0]


# ---- safety ----

class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _malicious_checkpoint(path, marker):
    """A torch-layout archive whose data.pkl would run a shell command when unpickled."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({"x": _Exploit(marker)}, protocol=2))
        archive.writestr("archive/version", b"3\n")


def test_malicious_pickle_is_rejected(tmp_path):
    marker = tmp_path / "pwned"
    _malicious_checkpoint(tmp_path / "evil.pt", marker)
    with pytest.raises(pickle.UnpicklingError, match=r"(posix|os|nt)\.system"):
        glasstorch.load(tmp_path / "evil.pt")
    with pytest.raises(pickle.UnpicklingError, match=r"system"):
        glasstorch.load(tmp_path / "evil.pt", weights_only=False)
    assert not marker.exists()


def test_storage_outside_bounds_is_rejected(tmp_path, torch):
    # a stride that would read past the storage must not reach other memory
    torch.save(torch.arange(4.0), tmp_path / "x.pt")
    with zipfile.ZipFile(tmp_path / "x.pt") as archive:
        records = {name: archive.read(name) for name in archive.namelist()}
    name = next(n for n in records if n.endswith("data.pkl"))
    records[name] = records[name].replace(b"K\x04\x85", b"K\x09\x85", 1)  # size (4,) -> (9,)
    with zipfile.ZipFile(tmp_path / "bad.pt", "w") as archive:
        for key, data in records.items():
            archive.writestr(key, data)
    with pytest.raises(pickle.UnpicklingError, match="storage"):
        glasstorch.load(tmp_path / "bad.pt")


def test_non_zip_file_has_a_clear_error(tmp_path):
    (tmp_path / "legacy.pt").write_bytes(pickle.dumps([1, 2]))
    with pytest.raises(RuntimeError, match="not a zip archive"):
        glasstorch.load(tmp_path / "legacy.pt")


# ---- atomic save ----

def test_failed_save_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "ckpt.pt"
    glasstorch.save({"epoch": 1, "w": glasstorch.ones(3)}, path)
    before = path.read_bytes()
    with pytest.raises((pickle.PicklingError, TypeError, AttributeError)):
        glasstorch.save({"epoch": 2, "w": glasstorch.zeros(3), "bad": lambda: None}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.pt"]
    assert glasstorch.load(path)["epoch"] == 1


def test_failure_while_writing_removes_the_temp(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    glasstorch.save(glasstorch.ones(2), path)
    before = path.read_bytes()

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        glasstorch.save(glasstorch.zeros(2), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.pt"]


def test_save_creates_the_file_with_default_permissions(tmp_path):
    glasstorch.save(glasstorch.ones(1), tmp_path / "new.pt")
    with open(tmp_path / "plain", "wb"):
        pass
    assert os.stat(tmp_path / "new.pt").st_mode == os.stat(tmp_path / "plain").st_mode


def test_a_file_cannot_change_glasstorch_objects(tmp_path):
    # GLOBAL torch.float32, then BUILD with a new `np`: would corrupt the dtype process-wide
    evil = b"\x80\x02ctorch\nfloat32\nN}X\x02\x00\x00\x00npK\x01s\x86b."
    with zipfile.ZipFile(tmp_path / "evil.pt", "w") as archive:
        archive.writestr("archive/data.pkl", evil)
    with pytest.raises(pickle.UnpicklingError, match="refused to set the state of a dtype"):
        glasstorch.load(tmp_path / "evil.pt")
    assert glasstorch.float32.np == np.float32


def test_torch_state_dict_metadata_is_kept(tmp_path, torch):
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3))
    torch.save(net.state_dict(), tmp_path / "sd.pt")
    loaded = glasstorch.load(tmp_path / "sd.pt")
    assert list(loaded) == list(net.state_dict())
    assert loaded._metadata == net.state_dict()._metadata
    assert_same(loaded["1.num_batches_tracked"], net.state_dict()["1.num_batches_tracked"])


# ---- whole models, weights_only=False ----


def _cnn(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))


def test_a_whole_model_saved_by_glasstorch_loads_with_weights_only_false(tmp_path):
    net = _cnn(glasstorch)
    net(glasstorch.randn(4, 1, 8, 8))  # running statistics away from their start
    glasstorch.save(net, tmp_path / "net.pt")
    loaded = glasstorch.load(tmp_path / "net.pt", weights_only=False)
    assert repr(loaded) == repr(net)
    x = glasstorch.randn(5, 1, 8, 8)
    for mode in ("train", "eval"):
        getattr(net, mode)()
        getattr(loaded, mode)()
        assert glasstorch.equal(loaded(x), net(x))
    with pytest.raises(pickle.UnpicklingError, match="refused the global "
                                                     "glasstorch.nn.modules.container.Sequential"):
        glasstorch.load(tmp_path / "net.pt")  # weights_only=True by default, as in torch


def test_a_whole_model_saved_by_torch_loads_into_glasstorch_classes(torch, tmp_path):
    net = _cnn(torch)
    net(torch.randn(4, 1, 8, 8))
    torch.save(net, tmp_path / "net.pt")
    loaded = glasstorch.load(tmp_path / "net.pt", weights_only=False)
    assert isinstance(loaded, glasstorch.nn.Sequential)
    assert isinstance(loaded[0].weight, glasstorch.nn.Parameter)
    x = np.random.default_rng(0).standard_normal((5, 1, 8, 8)).astype(np.float32)
    for mode in ("train", "eval"):
        getattr(net, mode)()
        getattr(loaded, mode)()
        np.testing.assert_allclose(loaded(glasstorch.tensor(x)).detach().numpy(),
                                   net(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_a_torch_class_glasstorch_lacks_is_named(torch, tmp_path):
    torch.save(torch.nn.PixelShuffle(2), tmp_path / "shuffle.pt")
    with pytest.raises(pickle.UnpicklingError, match="glasstorch has no "
                                                     "glasstorch.nn.modules.pixelshuffle"):
        glasstorch.load(tmp_path / "shuffle.pt", weights_only=False)


class TwoLayers(glasstorch.nn.Module):  # a user's model class, importable where it is loaded
    def __init__(self):
        super().__init__()
        self.hidden = glasstorch.nn.Linear(3, 4)
        self.out = glasstorch.nn.Linear(4, 1)

    def forward(self, x):
        return self.out(self.hidden(x).relu())


def test_a_users_model_class_loads_and_other_globals_stay_refused(tmp_path):
    net = TwoLayers()
    glasstorch.save(net, tmp_path / "net.pt")
    loaded = glasstorch.load(tmp_path / "net.pt", weights_only=False)
    assert type(loaded) is TwoLayers
    x = glasstorch.randn(2, 3)
    assert glasstorch.equal(loaded(x), net(x))
    glasstorch.save({"f": glasstorch.save}, tmp_path / "function.pt")  # not a Module class
    with pytest.raises(pickle.UnpicklingError, match="refused the global"):
        glasstorch.load(tmp_path / "function.pt", weights_only=False)
