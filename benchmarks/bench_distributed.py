"""Data-parallel training on one machine's cores: 1 process x 2 threads vs 2 MPI ranks x 1 thread
(issue 14, point 5).

    python benchmarks/bench_distributed.py              # both, then the comparison
    python benchmarks/bench_distributed.py --steps 3    # shorter

ResNet-18 (tests/cnn_models.py, 1x96x96 inputs, 10 classes) trains with SGD on a global batch
of --batch images per step: in one process at glasstorch's default threads, and as
DistributedDataParallel on two ranks (glasstorch-run, one thread each), each rank taking half
the batch. Printed: images/s of each, their ratio (target >= 1.0), and for the ranks the time
each step waits on communication at the end of backward, against the time the same gradient
all-reduce takes on its own (hidden = 1 - wait / all-reduce; target >= 80%). That measure sees
only the wait: the second one is what communication costs the whole step, the step against the
same step under no_sync() on the same ranks (the copies into and out of the buckets, the MPI
calls during backward, and one rank waiting for the other included).
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # glasstorch of this checkout
sys.path.insert(0, str(ROOT / "tests"))  # cnn_models


def train(args, model, batch, step_hook=None, local_steps=None):
    """Seconds per step (the best of args.steps, after one warm-up step).

    With local_steps (a list), each step is followed by one under model.no_sync(): the same
    step on the same ranks without the all-reduce, its seconds appended to local_steps."""
    import glasstorch

    glasstorch.manual_seed(0)
    X = glasstorch.randn(batch, 1, 96, 96)
    y = glasstorch.randint(0, 10, (batch,))
    optimizer = glasstorch.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = glasstorch.nn.CrossEntropyLoss()

    def step():
        start = time.perf_counter()
        loss = loss_fn(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return time.perf_counter() - start

    best = float("inf")
    for n in range(args.steps + 1):
        elapsed = step()
        if step_hook is not None:
            step_hook(n, elapsed)
        if n:
            best = min(best, elapsed)
        if local_steps is not None:
            with model.no_sync():
                local_steps.append(step())
    return best


def single(args):
    import glasstorch
    from cnn_models import resnet18

    model = resnet18(glasstorch)
    seconds = train(args, model, args.batch)
    print(json.dumps({"threads": glasstorch.get_num_threads(),
                      "images_per_s": args.batch / seconds}))


def rank(args):
    import glasstorch
    import glasstorch.distributed as dist
    from cnn_models import resnet18
    from glasstorch.distributed import collectives
    from glasstorch.nn.parallel import DistributedDataParallel

    glasstorch.set_num_threads(1)
    dist.init_process_group("mpi")
    world = dist.get_world_size()
    model = DistributedDataParallel(resnet18(glasstorch))
    waited, waits = [0.0], []  # time in the all-reduces' wait(): running, then per step
    wait = collectives.Work.wait

    def timed_wait(work, *a, **k):
        start = time.perf_counter()
        result = wait(work, *a, **k)
        waited[0] += time.perf_counter() - start
        return result

    def end_of_step(step, elapsed):
        waits.append(waited[0])
        waited[0] = 0.0

    collectives.Work.wait = timed_wait
    local = []
    seconds = train(args, model, args.batch // world, step_hook=end_of_step, local_steps=local)
    # the same all-reduce alone: every gradient, flattened, blocking (the best of 5)
    flat = glasstorch.cat([p.grad.reshape(-1) for p in model.parameters()])
    alone = float("inf")
    for _ in range(5):
        dist.barrier()
        start = time.perf_counter()
        dist.all_reduce(flat)
        alone = min(alone, time.perf_counter() - start)
    wait = min(waits[1:])  # after the warm-up step
    if dist.get_rank() == 0:
        print(json.dumps({"ranks": world, "images_per_s": args.batch / seconds,
                          "step_s": seconds, "local_step_s": min(local[1:]), "wait_s": wait,
                          "allreduce_s": alone, "gradient_mb": flat.numel() * 4 / 2**20}))
    dist.destroy_process_group()


def last_json(output):
    return json.loads([line for line in output.splitlines() if line.startswith("{")][-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--role", choices=["both", "single", "rank"], default="both")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    if args.role == "single":
        return single(args)
    if args.role == "rank":
        return rank(args)
    common = ["--steps", str(args.steps), "--batch", str(args.batch)]
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    one = last_json(subprocess.run([sys.executable, __file__, "--role", "single", *common],
                                   capture_output=True, text=True, check=True, env=env).stdout)
    two = last_json(subprocess.run(
        [sys.executable, "-m", "glasstorch.distributed.run", "--nproc-per-node", "2", __file__,
         "--role", "rank", *common], capture_output=True, text=True, check=True, env=env,
        cwd=ROOT).stdout)
    hidden = 1 - two["wait_s"] / two["allreduce_s"]
    cost = two["step_s"] - two["local_step_s"]
    print(f"ResNet-18, 1x96x96, global batch {args.batch}, SGD, best of {args.steps} steps")
    print(f"1 process x {one['threads']} threads: {one['images_per_s']:.1f} images/s")
    print(f"2 ranks x 1 thread (DDP):  {two['images_per_s']:.1f} images/s  "
          f"ratio {two['images_per_s'] / one['images_per_s']:.2f}")
    print(f"communication per step: all-reduce of {two['gradient_mb']:.1f} MB alone "
          f"{two['allreduce_s'] * 1e3:.1f} ms; waited at the end of backward "
          f"{two['wait_s'] * 1e3:.1f} ms of a {two['step_s'] * 1e3:.0f} ms step "
          f"({two['wait_s'] / two['step_s']:.1%}); hidden {hidden:.0%}")
    print(f"what communication costs the step: {cost * 1e3:.1f} ms (the step against the same "
          f"step under no_sync(), {two['local_step_s'] * 1e3:.0f} ms); hidden by that measure "
          f"{1 - cost / two['allreduce_s']:.0%}")


if __name__ == "__main__":
    main()
