"""Minibatch stochastic gradient descent on the airfoil data: the runs of study note 002.

Run: python examples/minibatch_sgd.py
Trains linear regression on the NASA airfoil self-noise data (shipped with glasstorch.d2l)
with the note's from-scratch sgd: full batches (lr 1, 6 epochs), one example at a time
(lr 0.005) and batches of 10 (lr 0.05), then the concise version with optim.SGD. Each run
prints 'loss: ..., ... sec per epoch' and saves its loss curve as a PNG file. Like the note,
it first shows the raw file's first rows with pandas (pip install glasstorch[d2l]).
"""

import numpy as np

import glasstorch as torch
from glasstorch import d2l, optim

features, labels = d2l.get_data_ch7()


def sgd(params, states, hyperparams):
    """The note's from-scratch sgd (d2l.sgd is chapter 3's sgd(params, lr, batch_size))."""
    for p in params:
        p.data -= hyperparams['lr'] * p.grad.data


def train_sgd(lr, batch_size, num_epochs=2):
    return d2l.train_ch7(sgd, None, {'lr': lr}, features, labels, batch_size, num_epochs)


def main(seed=0):
    """The note's four runs; returns their recorded losses."""
    np.random.seed(seed)  # train_ch7 draws the initial weights with numpy
    torch.manual_seed(seed)  # the DataLoader's shuffling and nn.Linear's initial weights
    print(features.shape)
    import pandas as pd

    df = pd.read_csv(d2l.minibatch.AIRFOIL, delimiter='\t', header=None)  # the file d2l ships
    print(df.head(10))
    return {
        "gd": train_sgd(1, 1500, 6),
        "sgd": train_sgd(0.005, 1),
        "minibatch": train_sgd(0.05, 10),
        "concise": d2l.train_pytorch_ch7(optim.SGD, {"lr": 0.05}, features, labels, 10),
    }


if __name__ == "__main__":
    main()
