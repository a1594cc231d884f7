"""ResNet-18 on Fashion-MNIST resized to 96x96 (seed 002; d2l 8.6).

The seed's Residual block and resnet_block, assembled with add_module as in the seed, and
trained with its Adam, lr 0.001. A full epoch at 96x96 takes long on a CPU: by default
this trains on the first batches of each epoch and evaluates on part of the test set.

Run: python examples/resnet.py [num_epochs] [--max-batches N] [--max-test-batches N]
"""

from lenet_batchnorm import run_at_96_from_command_line, train_at_96

import glasstorch.nn.functional as F
from glasstorch import d2l, nn


class Residual(nn.Module):
    """Two 3x3 convolutions with BatchNorm, added to the input (through a 1x1 convolution
    where the channels or the size change)."""

    def __init__(self, in_channels, out_channels, use_1x1conv=False, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1,
                               stride=stride)
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1)
        if use_1x1conv:
            self.conv3 = nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride)
        else:
            self.conv3 = None
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3:
            X = self.conv3(X)
        return F.relu(Y + X)


def resnet_block(in_channels, out_channels, num_residuals, first_block=False):
    if first_block:
        assert in_channels == out_channels  # the first block keeps the channels
    blk = []
    for i in range(num_residuals):
        if i == 0 and not first_block:
            blk.append(Residual(in_channels, out_channels, use_1x1conv=True, stride=2))
        else:
            blk.append(Residual(out_channels, out_channels))
    return nn.Sequential(*blk)


def resnet18():
    net = nn.Sequential(
        nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    net.add_module("resnet_block1", resnet_block(64, 64, 2, first_block=True))
    net.add_module("resnet_block2", resnet_block(64, 128, 2))
    net.add_module("resnet_block3", resnet_block(128, 256, 2))
    net.add_module("resnet_block4", resnet_block(256, 512, 2))
    net.add_module("global_avg_pool", d2l.GlobalAvgPool2d())  # (batch, 512, 1, 1)
    net.add_module("fc", nn.Sequential(d2l.FlattenLayer(), nn.Linear(512, 10)))
    return net


def main(**options):
    """Train with train_at_96's options (num_epochs, max_batches, batch_size, ...)."""
    return train_at_96(resnet18, 'resnet18', **options)


if __name__ == '__main__':
    run_at_96_from_command_line(resnet18, 'resnet18', __doc__)
