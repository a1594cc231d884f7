"""Concise softmax regression on Fashion-MNIST (d2l 3.7).

Run: python examples/softmax_regression_concise.py [num_epochs] [data_dir]
"""

import sys

import glasstorch as torch
from glasstorch import d2l, nn


def init_weights(m):
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, std=0.01)


def main(num_epochs=10, root=None, batch_size=256, lr=0.1, seed=0):
    torch.manual_seed(seed)
    train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size, root=root)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    net.apply(init_weights)
    print(net)
    loss = nn.CrossEntropyLoss(reduction='none')
    trainer = torch.optim.SGD(net.parameters(), lr=lr)
    return train(net, train_iter, test_iter, loss, num_epochs, trainer, 'softmax_concise')


def train(net, train_iter, test_iter, loss, num_epochs, trainer, name):
    """d2l.train_ch3 with a named figure and a speed report (shared by the examples)."""
    animator = d2l.Animator(xlabel='epoch', xlim=[1, num_epochs], ylim=[0.3, 0.9],
                            legend=['train loss', 'train acc', 'test acc'], name=name)
    timer = d2l.Timer()
    for epoch in range(num_epochs):
        train_loss, train_acc = d2l.train_epoch_ch3(net, train_iter, loss, trainer)
        test_acc = d2l.evaluate_accuracy(net, test_iter)
        animator.add(epoch + 1, (train_loss, train_acc, test_acc))
    print(f'{60000 * num_epochs / timer.stop():.0f} examples/sec, test acc {test_acc:.3f}')
    return train_loss, train_acc, test_acc


if __name__ == "__main__":
    main(*(int(a) if i == 0 else a for i, a in enumerate(sys.argv[1:])))
