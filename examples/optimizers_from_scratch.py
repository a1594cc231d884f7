"""The book's optimizers written from scratch, next to torch.optim's, on the airfoil data.

Run: python examples/optimizers_from_scratch.py
For each of momentum, Adagrad, RMSProp, Adadelta and Adam (d2l chapter 11/12, with the
book's hyperparameters), trains linear regression with d2l.train_ch11 and the from-scratch
update, then with d2l.train_concise_ch11 and the torch.optim optimizer, prints both final
losses and saves each loss curve as a PNG file.
"""

import glasstorch as torch
from glasstorch import d2l

# name: (from-scratch update, its states, hyperparameters, torch.optim class, its options)
RUNS = {
    "momentum": (d2l.sgd_momentum, d2l.init_momentum_states, {"lr": 0.005, "momentum": 0.9},
                 torch.optim.SGD, {"lr": 0.005, "momentum": 0.9}),
    "adagrad": (d2l.adagrad, d2l.init_adagrad_states, {"lr": 0.1},
                torch.optim.Adagrad, {"lr": 0.1}),
    "rmsprop": (d2l.rmsprop, d2l.init_rmsprop_states, {"lr": 0.01, "gamma": 0.9},
                torch.optim.RMSprop, {"lr": 0.01, "alpha": 0.9}),
    "adadelta": (d2l.adadelta, d2l.init_adadelta_states, {"rho": 0.9},
                 torch.optim.Adadelta, {"rho": 0.9}),
    "adam": (d2l.adam, d2l.init_adam_states, {"lr": 0.01, "t": 1},
             torch.optim.Adam, {"lr": 0.01}),
}


def main(names=tuple(RUNS), num_epochs=2, concise_epochs=4, seed=0):
    """Returns {name: (final loss from scratch, final loss with torch.optim)}."""
    torch.manual_seed(seed)
    data_iter, feature_dim = d2l.get_data_ch11(batch_size=10)
    final = {}
    for name in names:
        update, init_states, hyperparams, optimizer, options = RUNS[name]
        print(f"--- {name}: from scratch")
        _, losses = d2l.train_ch11(update, init_states(feature_dim), dict(hyperparams),
                                   data_iter, feature_dim, num_epochs)
        print(f"--- {name}: {optimizer.__name__}")
        _, concise_losses = d2l.train_concise_ch11(optimizer, options, data_iter, concise_epochs)
        final[name] = (losses[-1], concise_losses[-1])
    for name, (scratch, concise) in final.items():
        print(f"{name:9s} final loss: from scratch {scratch:.3f}, torch.optim {concise:.3f}")
    return final


if __name__ == "__main__":
    main()
