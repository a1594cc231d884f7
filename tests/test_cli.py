"""`glasstorch run script.py`: unmodified PyTorch scripts run on glasstorch."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def glasstorch_cli(*args):
    return subprocess.run([sys.executable, "-m", "glasstorch", *args], check=False,
                          capture_output=True, text=True, cwd=ROOT, timeout=60)


def run(tmp_path, source, *args):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    return glasstorch_cli("run", str(script), *args)


def test_torch_and_its_submodules_are_glasstorch(tmp_path):
    result = run(tmp_path, """
        import sys
        import torch
        import torch.autograd
        import torch.cuda as cuda
        from torch import tensor
        import glasstorch
        x = tensor([1.0, 2.0], requires_grad=True)
        (x * x).sum().backward()
        print(x.grad)
        print(torch.tensor is glasstorch.tensor, type(x) is glasstorch.Tensor)
        print(torch.autograd.grad is glasstorch.autograd.grad, cuda.is_available())
        print(sys.modules["torch"].__spec__.name, sys.modules["torch.autograd"].__spec__.name)
        # __name__ is the real module's, so obj.__module__ == module.__name__ holds as in torch
        print(torch.__name__, torch.autograd.__name__)
        print("real torch imported:", any(m == "torch._C" for m in sys.modules))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "tensor([2., 4.])",
        "True True",
        "True False",
        "torch torch.autograd",
        "glasstorch glasstorch.autograd",
        "real torch imported: False",
    ]


def test_utils_data_with_worker_processes(tmp_path):
    result = run(tmp_path, """
        import torch
        from torch.utils import data
        from torch.utils.data import DataLoader, TensorDataset
        dataset = TensorDataset(torch.arange(6.0), torch.arange(6))
        for X, y in DataLoader(dataset, batch_size=4, num_workers=2):
            print(X, y)
        print(data.DataLoader is DataLoader, data.__spec__.name)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "tensor([0., 1., 2., 3.]) tensor([0, 1, 2, 3])",
        "tensor([4., 5.]) tensor([4, 5])",
        "True torch.utils.data",
    ]


def test_submodule_reached_as_attribute_is_imported(tmp_path):
    # like `import torch; torch.nn.Linear` in PyTorch; glasstorch/__init__ does not import d2l
    result = run(tmp_path, """
        import sys
        import torch
        print("glasstorch.d2l" in sys.modules, torch.d2l.Timer.__name__, torch.d2l.__spec__.name)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "False Timer torch.d2l\n"


def test_torch_nn_functional(tmp_path):
    result = run(tmp_path, """
        import torch
        import torch.nn.functional as F
        from torch import nn
        print(F.relu(torch.tensor([-1.0, 2.0])), F.__spec__.name, nn.functional is F)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "tensor([0., 2.]) torch.nn.functional True\n"


def test_argv_and_main(tmp_path):
    result = run(tmp_path, """
        import sys
        if __name__ == "__main__":
            print(sys.argv[1:], sys.argv[0].endswith("script.py"))
    """, "--lr", "0.1", "data dir")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "['--lr', '0.1', 'data dir'] True\n"


def test_d2l_resolves_to_glasstorch_d2l(tmp_path):
    result = run(tmp_path, """
        from d2l import torch as d2l
        import glasstorch.d2l.torch
        print(d2l.Timer is glasstorch.d2l.torch.Timer)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "True\n"


def test_missing_d2l_helpers_say_so(tmp_path):
    result = run(tmp_path, """
        import glasstorch.cli
        glasstorch.cli.ALIASES["d2l"] = "glasstorch.no_such_module"  # as before d2l was written
        from d2l import torch as d2l
    """)
    assert result.returncode == 1
    assert "ModuleNotFoundError: glasstorch has no d2l helpers yet" in result.stderr


def test_missing_attribute_names_what_the_script_wrote(tmp_path):
    result = run(tmp_path, """
        import torch
        import torch.autograd as ag
        try:
            torch.frobnicate(1)
        except AttributeError as error:
            print(error)
        try:
            ag.no_such_thing
        except AttributeError as error:
            print(error)
        print(hasattr(torch, "__wrapped__"))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "glasstorch has no torch.frobnicate yet",
        "glasstorch has no torch.autograd.no_such_thing yet",
        "False",
    ]


def test_missing_submodule_names_it(tmp_path):
    result = run(tmp_path, """
        try:
            import torch.no_such_module
        except ModuleNotFoundError as error:
            print(error, error.name)
        import torchvision_is_not_aliased_but_this_is_missing
    """)
    assert result.returncode == 1
    assert result.stdout == "glasstorch has no torch.no_such_module yet torch.no_such_module\n"
    # an ordinary missing module keeps Python's own error; the traceback starts in the script
    assert "No module named 'torchvision_is_not_aliased_but_this_is_missing'" in result.stderr
    assert 'File "' + str(tmp_path / "script.py") in result.stderr
    assert "runpy" not in result.stderr


def test_uncaught_error_exits_1_and_sys_exit_code_passes_through(tmp_path):
    failed = run(tmp_path, "import torch\ntorch.fft.rfft(torch.ones(4))\n")
    assert failed.returncode == 1
    assert failed.stderr.strip().endswith("AttributeError: glasstorch has no torch.fft yet")
    exited = run(tmp_path, "import sys\nsys.exit(3)\n")
    assert exited.returncode == 3


def test_usage_errors_exit_2():
    for args in ([], ["run"], ["walk", "x.py"]):
        result = glasstorch_cli(*args)
        assert result.returncode == 2
        assert result.stderr.startswith("usage: glasstorch run script.py")
    missing = glasstorch_cli("run", "no_such_script.py")
    assert missing.returncode == 2
    assert "no_such_script.py" in missing.stderr


def test_console_script_points_at_main():
    pyproject = (ROOT / "pyproject.toml").read_text()
    scripts = pyproject.split("[project.scripts]\n", 1)[1].split("\n\n", 1)[0]
    assert scripts.splitlines() == ['glasstorch = "glasstorch.cli:main"',
                                    'glasstorch-run = "glasstorch.distributed.run:main"']
    from glasstorch import cli

    assert cli.main(["run"]) == 2


def test_a_pytorch_training_script_runs_unmodified(tmp_path):
    # the from-scratch linear regression example, written for PyTorch (import torch)
    source = (ROOT / "examples" / "linear_regression_scratch.py").read_text()
    source = source.replace("import glasstorch as torch", "import torch")
    assert "glasstorch" not in source
    for python in ([sys.executable], [sys.executable, "-m", "glasstorch", "run"]):  # torch, ours
        script = tmp_path / "linreg.py"
        script.write_text(source)
        result = subprocess.run([*python, str(script)], check=False, capture_output=True,
                                text=True, cwd=ROOT, timeout=60)
        assert result.returncode == 0, result.stderr
        errors = [line for line in result.stdout.splitlines() if line.startswith("error in")]
        assert len(errors) == 2
        for line in errors:
            values = line.split("[", 1)[1].split("]", 1)[0]
            assert all(abs(float(v)) < 0.01 for v in values.split(",")), line


def test_torchvision_resolves_to_glasstorch_vision(tmp_path):
    result = run(tmp_path, """
        import torch
        import torchvision
        from torchvision import datasets, transforms
        print(torchvision.transforms.ToTensor())
        pipeline = transforms.Compose([transforms.Resize(size=4), transforms.ToTensor()])
        image = pipeline(datasets.FashionMNIST(root="/nonexistent", train=False)[0][0])
        print(type(image) is torch.Tensor, tuple(image.shape))
        import torchvision.transforms.functional as TF
        print(TF.to_tensor(image.numpy()).shape)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ToTensor()\nTrue (1, 4, 4)\ntorch.Size([4, 1, 4])\n"


def test_the_older_d2lzh_pytorch_names_resolve_to_glasstorch_d2l(tmp_path):
    """The study notes import the older package as d2lzh_pytorch (or d2lzh1981)."""
    result = run(tmp_path, """
        import sys
        sys.path.append("/home/kesci/input/")
        import d2lzh1981 as d2l
        import d2lzh_pytorch
        import glasstorch.d2l
        print(d2l.train_ch5 is glasstorch.d2l.train_ch5, d2lzh_pytorch.FlattenLayer.__name__)
    """)
    assert result.stdout == "True FlattenLayer\n", result.stderr


def test_the_books_lr_scheduler_train_loop_steps_torch_schedulers(tmp_path):
    """d2l's learning-rate section steps a scheduler only when
    `scheduler.__module__ == lr_scheduler.__name__` and calls it as a function otherwise; under
    `glasstorch run` that holds for MultiStepLR (stepped) and not for the book's own classes."""
    from books.runner import fashion_mnist_subset, run_section

    _, reported = run_section(
        tmp_path, "en", "optimization/lr-scheduler",
        edits={"batch_size = 256": "batch_size = 2",  # 50 batches an epoch, as the loop plots
               "lr, num_epochs = 0.3, 30": "lr, num_epochs = 0.3, 3",
               "scheduler = lr_scheduler.MultiStepLR(trainer, milestones=[15, 30], gamma=0.5)":
               "scheduler = multistep = lr_scheduler.MultiStepLR(trainer, milestones=[2, 6], "
               "gamma=0.5)"},
        prologue=fashion_mnist_subset(100, 20),
        epilogue="""
            report("multistep", [multistep.__module__, lr_scheduler.__name__,
                                 multistep.last_epoch, trainer_lr_after_multistep])
            report("cosine lr", trainer.param_groups[0]["lr"])
        """.replace("trainer_lr_after_multistep", "multistep.optimizer.param_groups[0]['lr']"))
    # 3 steps while plotting, 3 more in train(): past both milestones
    assert reported["multistep"] == ["glasstorch.optim.lr_scheduler",
                                     "glasstorch.optim.lr_scheduler", 6, 0.125]
    assert reported["cosine lr"] == pytest.approx(0.3 * 2 / 5)  # warm-up lr of the last epoch
