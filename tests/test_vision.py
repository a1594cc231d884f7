"""glasstorch.vision (torchvision's datasets and transforms) against PIL and PyTorch.

torchvision itself is not installed: PIL's resize and torch.nn.functional are the oracles,
and the reprs are torchvision's text.
"""

import gzip
import sys

import numpy as np
import pytest
from PIL import Image

import glasstorch
from glasstorch import d2l
from glasstorch.vision import datasets, transforms

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot"]
FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
         "t10k-labels-idx1-ubyte"]


def write_idx(path, array, gz):
    """An IDX file of unsigned bytes, as MNIST's: magic, one big-endian int32 per dim, data."""
    content = bytes([0, 0, 8, array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    content += array.astype(np.uint8).tobytes()
    opener = gzip.open if gz else open
    with opener(str(path) + (".gz" if gz else ""), "wb") as f:
        f.write(content)


def small_set(seed=0, n_train=6, n_test=4):
    """{file name: array} of a tiny MNIST-format data set."""
    rng = np.random.default_rng(seed)
    return {FILES[0]: rng.integers(0, 256, (n_train, 28, 28)),
            FILES[1]: rng.integers(0, 10, n_train),
            FILES[2]: rng.integers(0, 256, (n_test, 28, 28)),
            FILES[3]: rng.integers(0, 10, n_test)}


def write_set(folder, arrays, gz):
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        write_idx(folder / name, array, gz)


# ---- datasets ----


@pytest.mark.parametrize("cls", [datasets.MNIST, datasets.FashionMNIST])
@pytest.mark.parametrize("layout", ["torchvision", "flat"])
@pytest.mark.parametrize("gz", [False, True])
def test_reads_generated_idx_files(tmp_path, cls, layout, gz):
    arrays = small_set()
    folder = tmp_path / cls.__name__ / "raw" if layout == "torchvision" else tmp_path
    write_set(folder, arrays, gz)
    for train, images, labels in [(True, FILES[0], FILES[1]), (False, FILES[2], FILES[3])]:
        ds = cls(root=str(tmp_path), train=train)
        assert len(ds) == len(arrays[images])
        assert ds.data.dtype == glasstorch.uint8 and ds.targets.dtype == glasstorch.int64
        np.testing.assert_array_equal(ds.data.numpy(), arrays[images])
        np.testing.assert_array_equal(ds.targets.numpy(), arrays[labels])
        assert ds.train is train and ds.root == str(tmp_path)


def test_torchvision_layout_comes_before_root(tmp_path):
    write_set(tmp_path / "MNIST" / "raw", small_set(seed=1), gz=False)
    write_set(tmp_path, small_set(seed=2), gz=True)
    ds = datasets.MNIST(tmp_path)
    np.testing.assert_array_equal(ds.data.numpy(), small_set(seed=1)[FILES[0]])


def test_read_idx_refuses_other_files(tmp_path):
    (tmp_path / "not-idx").write_bytes(b"\x01\x02\x03\x04 hello")
    with pytest.raises(ValueError, match="not an IDX file"):
        datasets.read_idx(str(tmp_path / "not-idx"))
    assert d2l.read_idx is datasets.read_idx  # d2l keeps the name


def test_real_fashion_mnist_from_the_debian_package():
    # a root that does not exist, as in the book: the Debian package's files are used
    train = datasets.FashionMNIST(root="/home/kesci/input/FashionMNIST2065", train=True,
                                  download=True)
    test = datasets.FashionMNIST(root="/nonexistent", train=False)
    assert (len(train), len(test)) == (60000, 10000)
    assert tuple(train.data.shape) == (60000, 28, 28) and tuple(test.data.shape) == (10000, 28, 28)
    assert tuple(train.targets.shape) == (60000,)
    assert train.targets[:3].tolist() == [9, 0, 0] and test.targets[:3].tolist() == [9, 2, 1]
    assert train.classes == FASHION_CLASSES
    assert train.class_to_idx == {name: i for i, name in enumerate(FASHION_CLASSES)}
    assert np.bincount(train.targets.numpy()).tolist() == [6000] * 10
    img, target = train[0]
    assert target == 9 and FASHION_CLASSES[target] == "Ankle boot"
    assert img.mode == "L" and img.size == (28, 28)


def test_getitem_gives_a_pil_image_and_an_int(tmp_path):
    arrays = small_set()
    write_set(tmp_path, arrays, gz=True)
    ds = datasets.FashionMNIST(tmp_path)
    img, target = ds[2]
    assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)
    assert type(target) is int and target == arrays[FILES[1]][2]
    np.testing.assert_array_equal(np.asarray(img), arrays[FILES[0]][2])
    assert datasets.MNIST.classes[0] == "0 - zero"


def test_transform_and_target_transform(tmp_path):
    arrays = small_set()
    write_set(tmp_path, arrays, gz=False)
    ds = datasets.MNIST(tmp_path, train=False, transform=transforms.ToTensor(),
                        target_transform=transforms.Lambda(lambda y: y + 100))
    img, target = ds[1]
    assert isinstance(img, glasstorch.Tensor) and tuple(img.shape) == (1, 28, 28)
    assert img.dtype == glasstorch.float32
    np.testing.assert_array_equal(img.numpy()[0], arrays[FILES[2]][1].astype(np.float32) / 255)
    assert target == arrays[FILES[3]][1] + 100


def test_dataset_repr_is_torchvisions(tmp_path):
    ds = datasets.FashionMNIST(root="/home/kesci/input/FashionMNIST2065", train=True,
                               download=True, transform=transforms.Compose(
                                   [transforms.Resize(size=96), transforms.ToTensor()]))
    assert repr(ds) == (
        "Dataset FashionMNIST\n"
        "    Number of datapoints: 60000\n"
        "    Root location: /home/kesci/input/FashionMNIST2065\n"
        "    Split: Train\n"
        "    StandardTransform\n"
        "Transform: Compose(\n"
        "               Resize(size=96, interpolation=bilinear, max_size=None, antialias=True)\n"
        "               ToTensor()\n"
        "           )")
    write_set(tmp_path, small_set(), gz=True)
    plain = datasets.MNIST(tmp_path, train=False, target_transform=transforms.Lambda(int))
    assert repr(plain) == (f"Dataset MNIST\n    Number of datapoints: 4\n"
                           f"    Root location: {tmp_path}\n    Split: Test\n"
                           "    StandardTransform\nTarget transform: Lambda()")
    assert repr(datasets.MNIST(tmp_path)).endswith("Split: Train")


@pytest.mark.parametrize("download", [False, True])
def test_missing_files_say_where_to_put_them(tmp_path, download):
    with pytest.raises(RuntimeError) as error:
        datasets.MNIST(tmp_path / "nothing", download=download)
    message = str(error.value)
    assert str(tmp_path / "nothing" / "MNIST" / "raw") in message
    assert "train-images-idx3-ubyte" in message and "never downloads" in message
    if download:
        assert "no network access" in message
    else:
        assert message.startswith("Dataset not found. You can use download=True")


def test_fashion_mnist_error_names_the_debian_package(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets.FashionMNIST, "fallback_folders", (str(tmp_path / "none"),))
    with pytest.raises(RuntimeError, match="apt-get install dataset-fashion-mnist"):
        datasets.FashionMNIST(tmp_path, download=True)


def test_without_pillow_getitem_says_so(tmp_path, monkeypatch):
    write_set(tmp_path, small_set(), gz=False)
    ds = datasets.MNIST(tmp_path)
    monkeypatch.setitem(sys.modules, "PIL", None)  # `from PIL import Image` now fails
    with pytest.raises(ImportError, match="pip install pillow"):
        ds[0]


# ---- transforms ----


def test_to_tensor_of_pil_images():
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 256, (5, 7), dtype=np.uint8)
    rgb = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    for array in (gray, rgb):
        t = transforms.ToTensor()(Image.fromarray(array))
        hwc = array if array.ndim == 3 else array[:, :, None]
        assert t.dtype == glasstorch.float32 and tuple(t.shape) == (hwc.shape[2], 5, 7)
        np.testing.assert_array_equal(t.numpy(), hwc.transpose(2, 0, 1).astype(np.float32) / 255)
    floats = rng.standard_normal((5, 7)).astype(np.float32)  # mode 'F': kept as they are
    np.testing.assert_array_equal(transforms.ToTensor()(Image.fromarray(floats)).numpy()[0],
                                  floats)
    ints = Image.fromarray(rng.integers(0, 1000, (5, 7)).astype(np.int32))  # mode 'I'
    assert transforms.ToTensor()(ints).dtype == glasstorch.int32
    bits = Image.fromarray(gray > 128)  # mode '1': 0 or 1, scaled to 0 or 255, then to [0, 1]
    np.testing.assert_array_equal(transforms.ToTensor()(bits).numpy()[0], gray > 128)


def test_to_tensor_of_numpy_arrays():
    rng = np.random.default_rng(1)
    hwc = rng.integers(0, 256, (4, 6, 3), dtype=np.uint8)
    t = transforms.ToTensor()(hwc)
    np.testing.assert_array_equal(t.numpy(), hwc.transpose(2, 0, 1).astype(np.float32) / 255)
    assert tuple(transforms.ToTensor()(hwc[:, :, 0]).shape) == (1, 4, 6)
    doubles = rng.standard_normal((4, 6, 2))  # not uint8: only transposed, dtype kept
    t = transforms.ToTensor()(doubles)
    assert t.dtype == glasstorch.float64
    np.testing.assert_array_equal(t.numpy(), doubles.transpose(2, 0, 1))
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        transforms.ToTensor()([[1, 2]])
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 4 dimensions."):
        transforms.ToTensor()(np.zeros((1, 2, 3, 4), np.uint8))


def test_normalize_as_torch_arithmetic(torch):
    rng = np.random.default_rng(2)
    array = rng.random((2, 3, 4, 5)).astype(np.float32)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    ours = transforms.Normalize(mean, std)(glasstorch.from_numpy(array.copy()))
    expected = (torch.from_numpy(array) - torch.tensor(mean).view(-1, 1, 1)) \
        / torch.tensor(std).view(-1, 1, 1)
    np.testing.assert_allclose(ours.numpy(), expected.numpy(), rtol=1e-6, atol=1e-7)
    x = glasstorch.from_numpy(array.copy())
    assert transforms.Normalize(0.5, 0.25, inplace=True)(x) is x
    np.testing.assert_allclose(x.numpy(), (array - 0.5) / 0.25, rtol=1e-6)
    untouched = glasstorch.from_numpy(array.copy())
    transforms.Normalize(0.5, 0.25)(untouched)
    np.testing.assert_array_equal(untouched.numpy(), array)
    assert repr(transforms.Normalize(mean, std)) == (
        "Normalize(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))")


def test_normalize_errors():
    with pytest.raises(TypeError, match="Input tensor should be a float tensor"):
        transforms.Normalize(0, 1)(glasstorch.zeros(1, 2, 2, dtype=glasstorch.uint8))
    with pytest.raises(ValueError, match=r"size \(..., C, H, W\)"):
        transforms.Normalize(0, 1)(glasstorch.zeros(2, 2))
    with pytest.raises(ValueError, match="std evaluated to zero"):
        transforms.Normalize((0, 0), (1, 0))(glasstorch.zeros(2, 2, 2))
    with pytest.raises(TypeError, match="img should be Tensor Image"):
        transforms.Normalize(0, 1)(np.zeros((1, 2, 2), np.float32))


@pytest.mark.parametrize("size, expected", [
    (96, (96, 137)), (14, (14, 20)), ((50, 30), (50, 30)), ([13], (13, 18)),
])
def test_resize_pil_is_pils_bilinear_resize(size, expected):
    array = np.random.default_rng(3).integers(0, 256, (28, 40), dtype=np.uint8)
    img = Image.fromarray(array)
    ours = transforms.Resize(size)(img)
    assert ours.size == expected[::-1]  # PIL sizes are (width, height)
    theirs = img.resize(expected[::-1], Image.Resampling.BILINEAR)
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    tall = Image.fromarray(array.T)  # the smaller edge is now the width
    assert transforms.Resize(size)(tall).size == (expected if len(np.shape(size)) == 0
                                                  or len(size) == 1 else expected[::-1])


def test_resize_pil_other_modes_and_max_size():
    img = Image.fromarray(np.random.default_rng(4).integers(0, 256, (28, 40), dtype=np.uint8))
    nearest = transforms.Resize(9, interpolation=transforms.InterpolationMode.NEAREST)(img)
    np.testing.assert_array_equal(np.asarray(nearest),
                                  np.asarray(img.resize((12, 9), Image.Resampling.NEAREST)))
    bicubic = transforms.Resize((20, 20), interpolation=3)(img)  # Pillow's int constant
    np.testing.assert_array_equal(np.asarray(bicubic),
                                  np.asarray(img.resize((20, 20), Image.Resampling.BICUBIC)))
    assert transforms.Resize(30, max_size=35)(img).size == (35, 25)  # long edge capped
    with pytest.raises(ValueError, match="max_size = 30 must be strictly greater"):
        transforms.Resize(30, max_size=30)(img)
    assert transforms.Resize((28, 40))(img) is img  # already that size


@pytest.mark.parametrize("size", [96, 14, (20, 33), 28])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_resize_tensor_is_antialiased_bilinear_interpolate(torch, size, dtype):
    array = np.random.default_rng(5).random((3, 28, 35)).astype(dtype)
    ours = transforms.Resize(size)(glasstorch.from_numpy(array.copy()))
    new_size = transforms.functional._compute_resized_output_size(
        (28, 35), [size] if isinstance(size, int) else size)
    theirs = torch.nn.functional.interpolate(torch.from_numpy(array)[None], size=new_size,
                                             mode="bilinear", align_corners=False,
                                             antialias=True)[0]
    assert tuple(ours.shape) == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-5, rtol=1e-5)


def test_resize_uint8_tensor_rounds_back(torch):
    array = np.random.default_rng(6).integers(0, 256, (2, 1, 10, 12), dtype=np.uint8)
    ours = transforms.Resize((7, 17))(glasstorch.from_numpy(array))
    theirs = torch.nn.functional.interpolate(torch.from_numpy(array).float(), size=(7, 17),
                                             mode="bilinear", antialias=True).round().byte()
    assert ours.dtype == glasstorch.uint8
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_resize_arguments_and_repr():
    assert repr(transforms.Resize((3, 4), interpolation=transforms.InterpolationMode.NEAREST)) \
        == "Resize(size=(3, 4), interpolation=nearest, max_size=None, antialias=True)"
    with pytest.raises(TypeError, match="Size should be int or sequence"):
        transforms.Resize(2.5)
    with pytest.raises(ValueError, match="it should have 1 or 2 values"):
        transforms.Resize((1, 2, 3))
    assert transforms.InterpolationMode.BILINEAR.value == "bilinear"
    assert transforms.InterpolationMode("nearest-exact") is \
        transforms.InterpolationMode.NEAREST_EXACT


def test_compose_and_lambda():
    pipeline = transforms.Compose([transforms.Lambda(lambda x: x * 2), transforms.ToTensor(),
                                   transforms.Normalize((0.5,), (0.5,))])
    out = pipeline(np.full((2, 2), 0.25, np.float32))
    np.testing.assert_allclose(out.numpy(), np.zeros((1, 2, 2)))
    assert repr(pipeline) == ("Compose(\n    Lambda()\n    ToTensor()\n"
                              "    Normalize(mean=(0.5,), std=(0.5,))\n)")
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        transforms.Lambda(3)


# ---- the book's loader with resize ----


def test_load_data_fashion_mnist_resize_equals_the_book_pipeline(tmp_path):
    arrays = small_set(n_train=10, n_test=7)
    write_set(tmp_path, arrays, gz=True)
    train_iter, test_iter = d2l.load_data_fashion_mnist(4, resize=20, root=str(tmp_path))
    book = datasets.FashionMNIST(tmp_path, train=False, transform=transforms.Compose(
        [transforms.Resize(20), transforms.ToTensor()]))
    batches = list(test_iter)
    assert [tuple(X.shape) for X, _ in batches] == [(4, 1, 20, 20), (3, 1, 20, 20)]
    X = glasstorch.cat([X for X, _ in batches])
    y = glasstorch.cat([y for _, y in batches])
    assert X.dtype == glasstorch.float32 and y.dtype == glasstorch.int64
    np.testing.assert_array_equal(X.numpy(), np.stack([book[i][0].numpy() for i in range(7)]))
    np.testing.assert_array_equal(y.numpy(), arrays[FILES[3]])
    X, y = next(iter(train_iter))
    assert tuple(X.shape) == (4, 1, 20, 20) and tuple(y.shape) == (4,)
    assert len(train_iter.dataset) == 10
    assert train_iter.dataset[3][1] == arrays[FILES[1]][3]


def test_load_data_fashion_mnist_resize_on_the_real_set():
    train_iter, test_iter = d2l.load_data_fashion_mnist(256, resize=32)
    X, y = next(iter(test_iter))
    assert tuple(X.shape) == (256, 1, 32, 32) and X.dtype == glasstorch.float32
    book = transforms.Compose([transforms.Resize(32), transforms.ToTensor()])
    expected = book(datasets.FashionMNIST("/nonexistent", train=False)[0][0])
    np.testing.assert_array_equal(X[0].numpy(), expected.numpy())
    assert y[:3].tolist() == [9, 2, 1]
    assert len(train_iter.dataset) == 60000


def test_functional_is_what_the_classes_call():
    from glasstorch.vision.transforms import functional as TF

    array = np.random.default_rng(7).integers(0, 256, (28, 40), dtype=np.uint8)
    img = Image.fromarray(array)
    assert TF.InterpolationMode is transforms.InterpolationMode
    np.testing.assert_array_equal(np.asarray(TF.resize(img, 20)),
                                  np.asarray(transforms.Resize(20)(img)))
    t = TF.to_tensor(img)
    np.testing.assert_array_equal(t.numpy(), transforms.ToTensor()(img).numpy())
    np.testing.assert_array_equal(TF.normalize(t, (0.5,), (0.5,)).numpy(), (t.numpy() - 0.5) / 0.5)
