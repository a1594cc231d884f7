"""torchvision.datasets: MNIST and FashionMNIST, read from local IDX files.

glasstorch never downloads. The files are looked for in torchvision's layout
(root/FashionMNIST/raw/train-images-idx3-ubyte), then directly in root, gzipped or not;
FashionMNIST also falls back to the folder of Debian's dataset-fashion-mnist package.
"""

import gzip
import os
import warnings

import numpy as np

import glasstorch
from glasstorch.utils.data import Dataset

from .transforms.functional import _pil_image

DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    """A numpy array from an IDX file (the format of MNIST and Fashion-MNIST), gzipped or not."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        content = f.read()
    if content[:2] != b"\x00\x00" or content[2] != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes")
    ndim = content[3]
    shape = tuple(int.from_bytes(content[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(content, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


class StandardTransform:
    """transform on the input and target_transform on the target, as one callable."""

    def __init__(self, transform=None, target_transform=None):
        self.transform = transform
        self.target_transform = target_transform

    def __call__(self, input, target):
        if self.transform is not None:
            input = self.transform(input)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return input, target

    def _format_transform_repr(self, transform, head):
        lines = repr(transform).splitlines()
        return [head + lines[0]] + [" " * len(head) + line for line in lines[1:]]

    def __repr__(self):
        body = [type(self).__name__]
        if self.transform is not None:
            body += self._format_transform_repr(self.transform, "Transform: ")
        if self.target_transform is not None:
            body += self._format_transform_repr(self.target_transform, "Target transform: ")
        return "\n".join(body)


class VisionDataset(Dataset):
    """A dataset with a root folder and transforms. See torchvision.datasets.VisionDataset."""

    _repr_indent = 4

    def __init__(self, root=None, transforms=None, transform=None, target_transform=None):
        if isinstance(root, str):
            root = os.path.expanduser(root)
        self.root = root
        has_separate_transform = transform is not None or target_transform is not None
        if transforms is not None and has_separate_transform:
            raise ValueError("Only transforms or transform/target_transform can be passed as "
                             "argument")
        self.transform = transform
        self.target_transform = target_transform
        if has_separate_transform:
            transforms = StandardTransform(transform, target_transform)
        self.transforms = transforms

    def __repr__(self):
        body = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if self.transforms is not None:
            body.append(repr(self.transforms))  # its later lines are not indented: torchvision's
        lines = [f"Dataset {type(self).__name__}"] + [" " * self._repr_indent + line
                                                      for line in body]
        return "\n".join(lines)

    def extra_repr(self):
        return ""


class MNIST(VisionDataset):
    """The MNIST digits: 60000 training and 10000 test images, 28x28 grayscale.

    Sample i is (PIL image of mode 'L', int label), after transform / target_transform.
    See torchvision.datasets.MNIST; glasstorch reads the IDX files but never downloads them.
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    fallback_folders = ()  # folders searched after root (an installed copy of the files)
    debian_package = None

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        folder = self._find_folder()
        if folder is None:
            raise RuntimeError(self._not_found_message(download))
        prefix = "train" if train else "t10k"
        images = read_idx(self._path(folder, f"{prefix}-images-idx3-ubyte"))
        labels = read_idx(self._path(folder, f"{prefix}-labels-idx1-ubyte"))
        self.data = glasstorch.from_numpy(images.copy())
        self.targets = glasstorch.from_numpy(labels.astype(np.int64))

    @property
    def raw_folder(self):
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def class_to_idx(self):
        return {name: i for i, name in enumerate(self.classes)}

    def _file_names(self):
        prefix = "train" if self.train else "t10k"
        return [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]

    @staticmethod
    def _path(folder, name):
        """folder/name, or folder/name.gz when only the gzipped file is there."""
        path = os.path.join(folder, name)
        return path if os.path.exists(path) else path + ".gz"

    def _find_folder(self):
        """The first folder holding this split's two files: torchvision's raw folder, root,
        then the fallbacks; None if none does."""
        for folder in [self.raw_folder, self.root, *self.fallback_folders]:
            if all(os.path.exists(self._path(folder, name)) for name in self._file_names()):
                return folder
        return None

    def _not_found_message(self, download):
        names = ", ".join(f"{name}(.gz)" for name in self._file_names())
        where = f"Put {names} in {self.raw_folder} or in {self.root}"
        if self.debian_package:
            where += (f", or install Debian's {self.debian_package} (apt-get install "
                      f"{self.debian_package}), read from {self.fallback_folders[0]}")
        if download:
            return (f"Cannot download {type(self).__name__}: glasstorch has no network access "
                    f"and never downloads data sets. {where}.")
        return ("Dataset not found. You can use download=True to download it with torchvision; "
                f"glasstorch never downloads. {where}.")

    def __getitem__(self, index):
        img, target = self.data[index], int(self.targets[index])
        img = _pil_image().fromarray(img.numpy())  # a 2-d uint8 array: mode 'L'
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        split = "Train" if self.train is True else "Test"
        return f"Split: {split}"

    @property
    def train_labels(self):
        warnings.warn("train_labels has been renamed targets")
        return self.targets

    @property
    def test_labels(self):
        warnings.warn("test_labels has been renamed targets")
        return self.targets

    @property
    def train_data(self):
        warnings.warn("train_data has been renamed data")
        return self.data

    @property
    def test_data(self):
        warnings.warn("test_data has been renamed data")
        return self.data


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: MNIST's format with 10 kinds of clothing.
    See torchvision.datasets.FashionMNIST."""

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
    fallback_folders = (DEBIAN_FASHION_MNIST,)
    debian_package = "dataset-fashion-mnist"
