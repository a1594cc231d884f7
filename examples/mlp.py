"""A multilayer perceptron on Fashion-MNIST (d2l 4.3).

Run: python examples/mlp.py [num_epochs] [data_dir]
The book's settings: one hidden layer of 256 ReLU units, batch 256, SGD lr 0.1, 10 epochs.
"""

import sys

import glasstorch as torch
from glasstorch import d2l, nn
from softmax_regression_concise import init_weights, train


def main(num_epochs=10, root=None, batch_size=256, lr=0.1, seed=0):
    torch.manual_seed(seed)
    train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size, root=root)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    net.apply(init_weights)
    print(net)
    loss = nn.CrossEntropyLoss(reduction='none')
    trainer = torch.optim.SGD(net.parameters(), lr=lr)
    return train(net, train_iter, test_iter, loss, num_epochs, trainer, 'mlp')


if __name__ == "__main__":
    main(*(int(a) if i == 0 else a for i, a in enumerate(sys.argv[1:])))
