"""The CNNs of seed 002 (LeNet with BatchNorm, ResNet-18, DenseNet), written once over a library.

`lib` is the `torch` or the `glasstorch` module: the same builder gives the same architecture
(same module tree, parameter names and printing) in both, so weights move between them with
state_dict. Used by tests/test_cnn_models.py and benchmarks/bench_cnn.py.
"""


def _flatten_layer(lib):
    class FlattenLayer(lib.nn.Module):  # d2lzh_pytorch.FlattenLayer
        def forward(self, x):
            return x.view(x.shape[0], -1)

    return FlattenLayer


def _global_avg_pool2d(lib):
    class GlobalAvgPool2d(lib.nn.Module):  # d2lzh_pytorch.GlobalAvgPool2d
        def forward(self, x):
            return lib.nn.functional.avg_pool2d(x, kernel_size=x.size()[2:])

    return GlobalAvgPool2d


def lenet_bn(lib):
    """LeNet with nn.BatchNorm2d/1d after each conv and linear layer, for 1x28x28 input."""
    nn = lib.nn
    FlattenLayer = _flatten_layer(lib)
    return nn.Sequential(
        nn.Conv2d(1, 6, 5),
        nn.BatchNorm2d(6),
        nn.Sigmoid(),
        nn.MaxPool2d(2, 2),
        nn.Conv2d(6, 16, 5),
        nn.BatchNorm2d(16),
        nn.Sigmoid(),
        nn.MaxPool2d(2, 2),
        FlattenLayer(),
        nn.Linear(16 * 4 * 4, 120),
        nn.BatchNorm1d(120),
        nn.Sigmoid(),
        nn.Linear(120, 84),
        nn.BatchNorm1d(84),
        nn.Sigmoid(),
        nn.Linear(84, 10),
    )


def _stem(lib, in_channels):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )


def resnet18(lib, in_channels=1, num_classes=10):
    """The seed's ResNet-18: stem, four resnet_blocks of two Residuals, global pool, fc."""
    nn, F = lib.nn, lib.nn.functional

    class Residual(nn.Module):
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
            assert in_channels == out_channels
        blk = []
        for i in range(num_residuals):
            if i == 0 and not first_block:
                blk.append(Residual(in_channels, out_channels, use_1x1conv=True, stride=2))
            else:
                blk.append(Residual(out_channels, out_channels))
        return nn.Sequential(*blk)

    net = _stem(lib, in_channels)
    net.add_module("resnet_block1", resnet_block(64, 64, 2, first_block=True))
    net.add_module("resnet_block2", resnet_block(64, 128, 2))
    net.add_module("resnet_block3", resnet_block(128, 256, 2))
    net.add_module("resnet_block4", resnet_block(256, 512, 2))
    net.add_module("global_avg_pool", _global_avg_pool2d(lib)())
    net.add_module("fc", nn.Sequential(_flatten_layer(lib)(), nn.Linear(512, num_classes)))
    return net


def densenet(lib, in_channels=1, num_classes=10, num_convs_in_dense_blocks=(4, 4, 4, 4),
             growth_rate=32):
    """The seed's DenseNet: stem, DenseBlocks joined by transition blocks, BN, ReLU, pool, fc."""
    nn = lib.nn

    def conv_block(in_channels, out_channels):
        return nn.Sequential(nn.BatchNorm2d(in_channels),
                             nn.ReLU(),
                             nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))

    class DenseBlock(nn.Module):
        def __init__(self, num_convs, in_channels, out_channels):
            super().__init__()
            net = []
            for i in range(num_convs):
                in_c = in_channels + i * out_channels
                net.append(conv_block(in_c, out_channels))
            self.net = nn.ModuleList(net)
            self.out_channels = in_channels + num_convs * out_channels

        def forward(self, X):
            for blk in self.net:
                Y = blk(X)
                X = lib.cat((X, Y), dim=1)
            return X

    def transition_block(in_channels, out_channels):
        return nn.Sequential(nn.BatchNorm2d(in_channels),
                             nn.ReLU(),
                             nn.Conv2d(in_channels, out_channels, kernel_size=1),
                             nn.AvgPool2d(kernel_size=2, stride=2))

    net = _stem(lib, in_channels)
    num_channels = 64
    for i, num_convs in enumerate(num_convs_in_dense_blocks):
        DB = DenseBlock(num_convs, num_channels, growth_rate)
        net.add_module(f"DenseBlosk_{i}", DB)  # sic: the seed's spelling
        num_channels = DB.out_channels
        if i != len(num_convs_in_dense_blocks) - 1:
            net.add_module(f"transition_block_{i}",
                           transition_block(num_channels, num_channels // 2))
            num_channels = num_channels // 2
    net.add_module("BN", nn.BatchNorm2d(num_channels))
    net.add_module("relu", nn.ReLU())
    net.add_module("global_avg_pool", _global_avg_pool2d(lib)())
    net.add_module("fc", nn.Sequential(_flatten_layer(lib)(), nn.Linear(num_channels, num_classes)))
    return net


MODELS = {"lenet_bn": lenet_bn, "resnet18": resnet18, "densenet": densenet}
