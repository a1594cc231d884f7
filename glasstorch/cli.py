"""`glasstorch run script.py [args ...]`: run an unmodified PyTorch script on glasstorch.

The script's `import torch` (and every `torch.*` submodule), `d2l` and `torchvision` are
answered by glasstorch, glasstorch.d2l and glasstorch.vision. An import hook (a meta path
finder) does it: each aliased name becomes a small stand-in module that forwards attribute
reads to the glasstorch module of the same dotted name, and says clearly what glasstorch
lacks ("glasstorch has no torch.fft yet") when a script reaches past what exists.
"""

import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys
import traceback
import types

ALIASES = {"torch": "glasstorch", "d2l": "glasstorch.d2l", "torchvision": "glasstorch.vision",
           # the older d2lzh_pytorch package, under the names the study notes import it by
           "d2lzh_pytorch": "glasstorch.d2l", "d2lzh1981": "glasstorch.d2l"}
WHAT = {"d2l": "d2l helpers"}  # how the error names a missing top-level alias

USAGE = """usage: glasstorch run script.py [args ...]

Runs a PyTorch script on glasstorch, unmodified: `torch` and its submodules, `d2l`
(`from d2l import torch as d2l`, and the older `d2lzh_pytorch`) and `torchvision` resolve
to glasstorch.
"""


class AliasModule(types.ModuleType):
    """`torch.nn` as the script sees it: reads go to `glasstorch.nn`.

    Its __name__ is the real module's, so that `obj.__module__ == module.__name__` holds for
    what the module defines, as in PyTorch (the book steps a scheduler only when
    `scheduler.__module__ == lr_scheduler.__name__`). The import system knows it by the
    script's name (sys.modules key and __spec__.name), kept as `_alias` for the messages."""

    def __init__(self, name, real):
        super().__init__(real.__name__, real.__doc__)
        self._alias = name
        self._real = real
        if hasattr(real, "__path__"):
            self.__path__ = []  # a package, so `import torch.nn.functional` looks inside

    def __getattr__(self, name):
        real = self.__dict__["_real"]
        try:
            value = getattr(real, name)
        except AttributeError:
            if name.startswith("__"):  # hasattr(module, "__wrapped__") and friends: a plain miss
                raise
            if is_submodule(real, name):  # `torch.nn` works after a bare `import torch`
                return importlib.import_module(f"{self._alias}.{name}")
            raise AttributeError(f"glasstorch has no {self._alias}.{name} yet") from None
        if isinstance(value, types.ModuleType) and value.__name__ == f"{real.__name__}.{name}":
            value = importlib.import_module(f"{self._alias}.{name}")  # torch.nn, not glasstorch.nn
        # kept, so the next `torch.ones` is a plain module-dict read (glasstorch's public names
        # are not rebound at run time)
        self.__dict__[name] = value
        return value

    def __dir__(self):
        return dir(self._real)

    def __repr__(self):
        return f"<module '{self._alias}' (glasstorch's {self._real.__name__})>"


class AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds `torch`, `torch.x.y`, `d2l`, `torchvision...` and loads them as AliasModules."""

    def find_spec(self, fullname, path=None, target=None):
        if real_name(fullname) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self, is_package=True)

    def create_module(self, spec):
        real = import_real(spec.name)
        return AliasModule(spec.name, real)

    def exec_module(self, module):
        pass  # the glasstorch module already ran when create_module imported it


def real_name(alias):
    """'torch.nn.functional' -> 'glasstorch.nn.functional'; None for names not aliased."""
    root, dot, rest = alias.partition(".")
    if root not in ALIASES:
        return None
    return ALIASES[root] + dot + rest


def import_real(alias):
    name = real_name(alias)
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name is None or not (name == error.name or name.startswith(error.name + ".")):
            raise  # something glasstorch itself imports is missing: not ours to rename
        what = WHAT.get(alias, alias)
        raise ModuleNotFoundError(f"glasstorch has no {what} yet", name=alias) from None


def is_submodule(package, name):
    if not hasattr(package, "__path__"):
        return False
    return importlib.util.find_spec(f"{package.__name__}.{name}") is not None


def install():
    """Put the alias finder first on sys.meta_path (once)."""
    if not any(isinstance(finder, AliasFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, AliasFinder())


def run(script, args):
    """Run `script` as __main__ with sys.argv = [script, *args], as `python script.py` would."""
    install()
    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] in (["-h"], ["--help"]):
        print(USAGE, end="")
        return 0
    if len(argv) < 2 or argv[0] != "run":
        print(USAGE, end="", file=sys.stderr)
        return 2
    script, args = argv[1], argv[2:]
    if not os.path.isfile(script):
        print(f"glasstorch run: can't open file {script!r}: no such file", file=sys.stderr)
        return 2
    try:
        run(script, args)
    except Exception as error:  # noqa: BLE001 -- shown as `python script.py` would show it
        print_script_traceback(error, script)
        return 1
    return 0


def print_script_traceback(error, script):
    tb = error.__traceback__
    path = os.path.abspath(script)
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != path:
        tb = tb.tb_next
    traceback.print_exception(type(error), error, tb or error.__traceback__)
