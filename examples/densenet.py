"""DenseNet on Fashion-MNIST resized to 96x96 (seed 002; d2l 8.7).

The seed's conv_block, DenseBlock (each block's output concatenated onto its input) and
transition_block (1x1 convolution and average pooling to halve channels and size), four
dense blocks of four convolutions with growth rate 32, trained with its Adam, lr 0.001.
By default this trains on the first batches of each epoch and evaluates on part of the
test set: a full epoch at 96x96 takes long on a CPU.

Run: python examples/densenet.py [num_epochs] [--max-batches N] [--max-test-batches N]
"""

from lenet_batchnorm import run_at_96_from_command_line, train_at_96

import glasstorch as torch
from glasstorch import d2l, nn


def conv_block(in_channels, out_channels):
    return nn.Sequential(nn.BatchNorm2d(in_channels), nn.ReLU(),
                         nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))


class DenseBlock(nn.Module):
    def __init__(self, num_convs, in_channels, out_channels):
        super().__init__()
        net = []
        for i in range(num_convs):
            net.append(conv_block(in_channels + i * out_channels, out_channels))
        self.net = nn.ModuleList(net)
        self.out_channels = in_channels + num_convs * out_channels

    def forward(self, X):
        for blk in self.net:
            Y = blk(X)
            X = torch.cat((X, Y), dim=1)  # concatenate input and output on the channels
        return X


def transition_block(in_channels, out_channels):
    return nn.Sequential(nn.BatchNorm2d(in_channels), nn.ReLU(),
                         nn.Conv2d(in_channels, out_channels, kernel_size=1),
                         nn.AvgPool2d(kernel_size=2, stride=2))


def densenet():
    net = nn.Sequential(
        nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    num_channels, growth_rate = 64, 32
    num_convs_in_dense_blocks = [4, 4, 4, 4]
    for i, num_convs in enumerate(num_convs_in_dense_blocks):
        DB = DenseBlock(num_convs, num_channels, growth_rate)
        net.add_module(f"DenseBlosk_{i}", DB)  # the seed's spelling
        num_channels = DB.out_channels
        if i != len(num_convs_in_dense_blocks) - 1:  # halve the channels between blocks
            net.add_module(f"transition_block_{i}",
                           transition_block(num_channels, num_channels // 2))
            num_channels = num_channels // 2
    net.add_module("BN", nn.BatchNorm2d(num_channels))
    net.add_module("relu", nn.ReLU())
    net.add_module("global_avg_pool", d2l.GlobalAvgPool2d())  # (batch, num_channels, 1, 1)
    net.add_module("fc", nn.Sequential(d2l.FlattenLayer(), nn.Linear(num_channels, 10)))
    return net


def main(**options):
    """Train with train_at_96's options (num_epochs, max_batches, batch_size, ...)."""
    return train_at_96(densenet, 'densenet', **options)


if __name__ == '__main__':
    run_at_96_from_command_line(densenet, 'densenet', __doc__)
