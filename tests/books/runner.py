"""Run one section of the book (a script under tests/books/en or zh) on glasstorch.

The section runs as a reader runs it under `glasstorch run` (torch, d2l and torchvision
resolve to glasstorch), in a fresh process and a fresh folder `work/` whose `../data` is the
book's data folder. A test may change the script to keep it small (`edits`: exact text to
replace, each of which must be found), run code before it (`prologue`, e.g. a smaller
Fashion-MNIST) and after it (`epilogue`, which reports values with `report(name, value)`).
`run_section` returns (stdout, reported values).
"""

import json
import os
import subprocess
import sys
import textwrap

BOOKS = os.path.dirname(os.path.abspath(__file__))

REPORT = """
import json as _json
def report(name, value):
    print('REPORT ' + _json.dumps([name, value]), flush=True)
"""


def fashion_mnist_subset(train, test):
    """A prologue that gives the book's Fashion-MNIST readers (d2l.FashionMNIST and
    d2l.load_data_fashion_mnist, both editions) only the first `train` and `test` images of the
    real data set, so that a section trains in seconds."""
    return textwrap.dedent(f"""
        import glasstorch.d2l.torch as _d2l_torch
        _read_all = _d2l_torch._read_fashion_mnist
        def _read_first(train, root=None):
            images, labels = _read_all(train, root)
            n = {train} if train else {test}
            return images[:n], labels[:n]
        _d2l_torch._read_fashion_mnist = _read_first
    """)


def section_source(edition, section):
    with open(os.path.join(BOOKS, edition, section + ".py"), encoding="utf-8") as file:
        return file.read()


def run_section(tmp_path, edition, section, edits=None, prologue="", epilogue="", timeout=300,
                data_files=None):
    """Run the section `edition/section` (e.g. 'en', 'linear-regression/oo-design')."""
    source = section_source(edition, section)
    for old, new in (edits or {}).items():
        assert old in source, f"{section}: the text to replace is not in the book's code: {old!r}"
        source = source.replace(old, new)
    work = tmp_path / "work"
    data = tmp_path / "data"
    work.mkdir()
    data.mkdir()
    for name, content in (data_files or {}).items():
        (data / name).write_bytes(content)
    # named as no module is ("zh-pandas.py"): the section "pandas" as pandas.py would be what
    # its own `import pandas` finds, since the script's folder comes first on sys.path
    script = work / f"{edition}-{os.path.basename(section)}.py"
    script.write_text(REPORT + textwrap.dedent(prologue) + "\n" + source + "\n"
                      + textwrap.dedent(epilogue), encoding="utf-8")
    # one OpenBLAS thread: the sections run next to other work on a small machine, where
    # OpenBLAS's threads spin-wait for each other and each of the many small products (of a
    # convolution, say) then waits for a time slice; one thread keeps runs short and steady
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1")
    env.pop("DISPLAY", None)
    result = subprocess.run([sys.executable, "-m", "glasstorch", "run", script.name], cwd=work,
                            env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, (f"{edition}/{section} failed:\n{result.stdout[-3000:]}\n"
                                    f"{result.stderr[-5000:]}")
    reported = {}
    for line in result.stdout.splitlines():
        if line.startswith("REPORT "):
            name, value = json.loads(line[len("REPORT "):])
            reported[name] = value
    return result.stdout, reported
