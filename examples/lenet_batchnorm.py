"""LeNet with batch normalization on Fashion-MNIST (seed 002; d2l 8.5).

The seed's two versions: BatchNorm written from scratch, and nn.BatchNorm2d/1d. Both are
trained with the seed's Adam, lr 0.001; the batch size is 256 (the seed's commented-out
value; its 16 is for a slow CPU).

Run: python examples/lenet_batchnorm.py [num_epochs] [--scratch] [--max-batches N]
"""

import argparse
import itertools

import glasstorch as torch
from glasstorch import d2l, nn


def batch_norm(is_training, X, gamma, beta, moving_mean, moving_var, eps, momentum):
    if not is_training:
        # prediction: the moving averages stand in for the batch statistics
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        assert len(X.shape) in (2, 4)
        if len(X.shape) == 2:  # after a fully connected layer: statistics per feature
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:  # after a convolution: statistics per channel, over batch, height and width
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        X_hat = (X - mean) / torch.sqrt(var + eps)
        moving_mean = momentum * moving_mean + (1.0 - momentum) * mean
        moving_var = momentum * moving_var + (1.0 - momentum) * var
    Y = gamma * X_hat + beta  # scale and shift
    return Y, moving_mean.detach(), moving_var.detach()


class BatchNorm(nn.Module):
    def __init__(self, num_features, num_dims):
        super().__init__()
        shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        self.moving_mean = torch.zeros(shape)
        self.moving_var = torch.ones(shape)

    def forward(self, X):
        if self.moving_mean.device != X.device:
            self.moving_mean = self.moving_mean.to(X.device)
            self.moving_var = self.moving_var.to(X.device)
        Y, self.moving_mean, self.moving_var = batch_norm(
            self.training, X, self.gamma, self.beta, self.moving_mean, self.moving_var,
            eps=1e-5, momentum=0.9)
        return Y


def lenet(scratch=False):
    def norm(channels, dims):
        if scratch:
            return BatchNorm(channels, num_dims=dims)
        return nn.BatchNorm2d(channels) if dims == 4 else nn.BatchNorm1d(channels)

    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5), norm(6, 4), nn.Sigmoid(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), norm(16, 4), nn.Sigmoid(),
        nn.MaxPool2d(kernel_size=2, stride=2), nn.Flatten(),
        nn.Linear(16 * 4 * 4, 120), norm(120, 2), nn.Sigmoid(),
        nn.Linear(120, 84), norm(84, 2), nn.Sigmoid(),
        nn.Linear(84, 10))


def train(net, train_iter, test_iter, optimizer, num_epochs, name, max_batches=None,
          max_test_batches=None):
    """Cross-entropy training with progress (loss, accuracy, images/s) and an Animator
    figure saved to `name`.png; shared by the CNN examples. max_batches and
    max_test_batches shorten each epoch and each evaluation (for a quick run)."""
    loss = nn.CrossEntropyLoss()
    num_batches = min(len(train_iter), max_batches or len(train_iter))
    animator = d2l.Animator(xlabel='epoch', xlim=[1, num_epochs], name=name,
                            legend=['train loss', 'train acc', 'test acc'])
    timer = d2l.Timer()
    for epoch in range(num_epochs):
        metric = d2l.Accumulator(3)  # loss sum, correct predictions, examples
        net.train()
        for i, (X, y) in enumerate(train_iter):
            if i == num_batches:
                break
            timer.start()
            optimizer.zero_grad()
            y_hat = net(X)
            l = loss(y_hat, y)
            l.backward()
            optimizer.step()
            with torch.no_grad():
                metric.add(l * X.shape[0], d2l.accuracy(y_hat, y), X.shape[0])
            timer.stop()
            if (i + 1) % max(num_batches // 5, 1) == 0 or i == num_batches - 1:
                animator.add(epoch + (i + 1) / num_batches,
                             (metric[0] / metric[2], metric[1] / metric[2], None))
                print(f'    {metric[2] / sum(timer.times[-(i + 1):]):.0f} images/s', flush=True)
        test_acc = d2l.evaluate_accuracy_gpu(net, itertools.islice(test_iter, max_test_batches))
        animator.add(epoch + 1, (None, None, test_acc))
    train_loss, train_acc = metric[0] / metric[2], metric[1] / metric[2]
    print(f'loss {train_loss:.3f}, train acc {train_acc:.3f}, test acc {test_acc:.3f}, '
          f'{metric[2] * num_epochs / timer.sum():.0f} images/s training')
    return train_loss, train_acc, test_acc


def train_at_96(make_net, name, num_epochs=3, max_batches=30, max_test_batches=8,
                batch_size=64, lr=0.001, seed=0, root=None):
    """The ResNet and DenseNet examples' run: each layer's output shape for one 96x96 image,
    then the note's Adam on Fashion-MNIST resized to 96x96 (part of each epoch by default)."""
    torch.manual_seed(seed)
    net = make_net()
    X = torch.rand((1, 1, 96, 96))
    for layer_name, layer in net.named_children():
        X = layer(X)
        print(layer_name, ' output shape:\t', X.shape)
    train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size, resize=96, root=root)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    return train(net, train_iter, test_iter, optimizer, num_epochs, name, max_batches,
                 max_test_batches)


def run_at_96_from_command_line(make_net, name, doc):
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument('num_epochs', type=int, nargs='?', default=3)
    parser.add_argument('--max-batches', type=int, default=30, help='training batches per epoch')
    parser.add_argument('--max-test-batches', type=int, default=8)
    args = parser.parse_args()
    train_at_96(make_net, name, args.num_epochs, args.max_batches, args.max_test_batches)


def main(num_epochs=10, scratch=False, max_batches=None, batch_size=256, lr=0.001, seed=0,
         root=None):
    torch.manual_seed(seed)
    train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size, root=root)
    net = lenet(scratch)
    print(net)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    name = 'lenet_batchnorm_scratch' if scratch else 'lenet_batchnorm'
    return train(net, train_iter, test_iter, optimizer, num_epochs, name, max_batches)


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('num_epochs', type=int, nargs='?', default=10)
    parser.add_argument('--scratch', action='store_true', help='the from-scratch BatchNorm')
    parser.add_argument('--max-batches', type=int, help='training batches per epoch')
    args = parser.parse_args()
    main(args.num_epochs, args.scratch, args.max_batches)
