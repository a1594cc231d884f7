"""The book's concise multi-GPU training (d2l-zh 12.6 / d2l-en 13.6) on CPU ranks with
DistributedDataParallel: its small ResNet-18 on Fashion-MNIST, each rank training on its
share of every batch (DistributedSampler), the gradients averaged across the ranks.

    glasstorch-run --nproc-per-node 2 examples/ddp_fashion_mnist.py
    mpirun -n 2 python examples/ddp_fashion_mnist.py --epochs 2 --limit 6000

Where the book wraps the network in nn.DataParallel over GPUs, each rank here is a process
(one thread each), started by mpirun; rank 0 prints the progress and the test accuracy.
"""

import argparse
import time

import glasstorch as torch
import glasstorch.distributed as dist
from glasstorch import d2l, nn
from glasstorch.nn.parallel import DistributedDataParallel
from glasstorch.utils import data


def resnet18(num_classes, in_channels=1):
    """A slightly modified ResNet-18 model (the book's, for 28x28 images)."""
    def resnet_block(in_channels, out_channels, num_residuals, first_block=False):
        blk = []
        for i in range(num_residuals):
            if i == 0 and not first_block:
                blk.append(d2l.Residual(in_channels, out_channels, use_1x1conv=True,
                                        strides=2))
            else:
                blk.append(d2l.Residual(out_channels, out_channels))
        return nn.Sequential(*blk)

    # This model uses a smaller convolution kernel, stride, and padding and removes the max
    # pooling layer
    net = nn.Sequential(
        nn.Conv2d(in_channels, 64, kernel_size=3, stride=1, padding=1),
        nn.BatchNorm2d(64),
        nn.ReLU())
    net.add_module("resnet_block1", resnet_block(64, 64, 2, first_block=True))
    net.add_module("resnet_block2", resnet_block(64, 128, 2))
    net.add_module("resnet_block3", resnet_block(128, 256, 2))
    net.add_module("resnet_block4", resnet_block(256, 512, 2))
    net.add_module("global_avg_pool", nn.AdaptiveAvgPool2d((1, 1)))
    net.add_module("fc", nn.Sequential(nn.Flatten(), nn.Linear(512, num_classes)))
    return net


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=256, help="global, over all ranks")
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--limit", type=int, default=6000,
                        help="training images used (the first ones; 60000 is all)")
    parser.add_argument("--test-limit", type=int, default=2000)
    args = parser.parse_args()

    torch.set_num_threads(1)  # one core per rank
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    train = data.Subset(d2l.fashion_mnist_dataset(True), range(args.limit))
    test = data.Subset(d2l.fashion_mnist_dataset(False), range(args.test_limit))
    sampler = data.DistributedSampler(train, shuffle=True, seed=0)
    train_iter = data.DataLoader(train, args.batch_size // world, sampler=sampler)

    torch.manual_seed(0)
    net = resnet18(10)

    def init_weights(m):
        if type(m) in [nn.Linear, nn.Conv2d]:
            nn.init.normal_(m.weight, std=0.01)

    net.apply(init_weights)
    model = DistributedDataParallel(net)  # rank 0's weights on every rank
    trainer = torch.optim.SGD(model.parameters(), lr=args.lr)
    loss = nn.CrossEntropyLoss()
    if rank == 0:
        print(f"{world} ranks x 1 thread, global batch {args.batch_size}, "
              f"{len(train)} training images", flush=True)
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        start, total_loss, batches = time.perf_counter(), 0.0, 0
        for X, y in train_iter:
            trainer.zero_grad()
            l = loss(model(X), y)
            l.backward()
            trainer.step()
            total_loss, batches = total_loss + float(l), batches + 1
        seconds = time.perf_counter() - start
        if rank == 0:  # the weights are the same on every rank: one evaluates
            test_acc = d2l.evaluate_accuracy(model.module, data.DataLoader(test, 256))
            print(f"epoch {epoch + 1}, loss {total_loss / batches:.3f}, "
                  f"test acc {test_acc:.3f}, {len(train) / seconds:.1f} images/s",
                  flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
