"""See through the training: the graph, the chain rule step by step, anomaly mode, the profiler.

1. Seed 003's J = 3(a + bc) with a = 5, b = 3, c = 2 (u = bc, v = a + u, J = 3v): its
   backward graph drawn, and printed as a tree.
2. The chain rule on it, node by node, as the engine runs backward (autograd.explain), then
   on a two-layer MLP.
3. Anomaly mode catching a log of zero: x * log(x) at x = 0 is 0 * -inf = nan, and so is the
   gradient LogBackward0 returns.
4. The profiler on one training step of the seed's LeNet with batch normalization (a random
   batch of 256 Fashion-MNIST-sized images: the data does not change the profile).

Run: python examples/see_through.py [--out DIR]   (the drawings are saved in DIR)
"""

import argparse
import os
import warnings

from lenet_batchnorm import lenet  # examples/lenet_batchnorm.py: the seed's LeNet-BN

import glasstorch as torch
from glasstorch import nn
from glasstorch.autograd import graph


def seed_003(out):
    print("== 1. The graph of J = 3(a + bc)")
    a = torch.tensor(5.0, requires_grad=True)
    b = torch.tensor(3.0, requires_grad=True)
    c = torch.tensor(2.0, requires_grad=True)
    u = b * c
    v = a + u
    J = 3 * v
    drawing = graph.draw(J, params=dict(a=a, b=b, c=c),
                         path=os.path.join(out, "seed003_graph.png"))
    print(drawing)  # the same graph as a tree

    print("\n== 2. The chain rule, step by step (dJ/db = 3c, dJ/dc = 3b)")
    with torch.autograd.explain(names=dict(a=a, b=b, c=c, u=u, v=v, J=J)) as steps:
        J.backward()
    print(steps)
    print(f"a.grad = {a.grad.item()}, b.grad = {b.grad.item()}, c.grad = {c.grad.item()}")


def mlp_step(out):
    print("\n== 2b. The chain rule through a two-layer MLP")
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
    X = torch.randn(1, 3)
    y = torch.tensor([[1.0]])
    loss = nn.functional.mse_loss(net(X), y)
    params = dict(net.named_parameters())
    graph.draw(loss, params=params, path=os.path.join(out, "mlp_graph.png"))
    with torch.autograd.explain(names=dict(params, loss=loss)) as steps:
        loss.backward()
    print(steps)


def anomaly():
    print("\n== 3. Anomaly mode catching a log of zero")
    x = torch.tensor(0.0, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)  # anomaly mode's warnings, every time
        with torch.autograd.detect_anomaly():
            y = x * torch.log(x)  # 0 * -inf: nan
            try:
                y.backward()
            except RuntimeError as error:
                print("RuntimeError:", error)
    for warning in caught:
        print(f"{warning.category.__name__}: {str(warning.message).splitlines()[0]}")
        forward_line = [line for line in str(warning.message).splitlines() if "torch.log" in line]
        if forward_line:
            print("  the forward call that made the node:", forward_line[0].strip())


def profile_step(out):
    print("\n== 4. The profiler on one LeNet-BN training step")
    torch.manual_seed(0)
    net = lenet()  # the seed's LeNet with nn.BatchNorm2d/1d (examples/lenet_batchnorm.py)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.001)
    loss_fn = nn.CrossEntropyLoss()
    X = torch.randn(256, 1, 28, 28)
    y = torch.randint(0, 10, (256,))
    loss_fn(net(X), y).backward()  # a warm-up step, not profiled
    optimizer.step()
    with torch.profiler.profile(record_shapes=True) as prof:
        with torch.profiler.record_function("forward"):
            loss = loss_fn(net(X), y)
        with torch.profiler.record_function("backward"):
            optimizer.zero_grad()
            loss.backward()
        with torch.profiler.record_function("optimizer.step"):
            optimizer.step()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))
    path = os.path.join(out, "lenet_bn_step_trace.json")
    prof.export_chrome_trace(path)
    print(f"trace written to {path} (open it in chrome://tracing or ui.perfetto.dev)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=".", help="folder for the drawings and the trace")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    seed_003(args.out)
    mlp_step(args.out)
    anomaly()
    profile_step(args.out)


if __name__ == "__main__":
    main()
