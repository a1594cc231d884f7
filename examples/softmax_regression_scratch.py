"""Softmax regression from scratch on Fashion-MNIST (d2l 3.6).

Run: python examples/softmax_regression_scratch.py [num_epochs] [data_dir]
With the book's settings (batch 256, lr 0.1, 10 epochs) it prints the loss and
accuracies of every epoch and saves the training curves to softmax_scratch.png.
"""

import sys

import glasstorch as torch
from glasstorch import d2l
from softmax_regression_concise import train

num_inputs, num_outputs = 784, 10


def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdim=True)
    return X_exp / partition  # broadcasting divides each row by its sum


def cross_entropy(y_hat, y):
    return - torch.log(y_hat[range(len(y_hat)), y])


def main(num_epochs=10, root=None, batch_size=256, lr=0.1, seed=0):
    torch.manual_seed(seed)
    train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size, root=root)
    W = torch.normal(0, 0.01, size=(num_inputs, num_outputs), requires_grad=True)
    b = torch.zeros(num_outputs, requires_grad=True)

    def net(X):
        return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)

    def updater(batch_size):
        return d2l.sgd([W, b], lr, batch_size)

    return train(net, train_iter, test_iter, cross_entropy, num_epochs, updater,
                 'softmax_scratch')


if __name__ == "__main__":
    main(*(int(a) if i == 0 else a for i, a in enumerate(sys.argv[1:])))
