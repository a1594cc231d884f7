"""Concise linear regression with nn, optim and DataLoader (d2l 3.3; study note 000).

Run: python examples/linear_regression_concise.py
"""

import glasstorch as torch
from glasstorch import d2l, nn


def main(num_epochs=3, batch_size=10, lr=0.03, seed=0):
    torch.manual_seed(seed)
    true_w = torch.tensor([2, -3.4])
    true_b = 4.2
    features, labels = d2l.synthetic_data(true_w, true_b, 1000)
    data_iter = d2l.load_array((features, labels), batch_size)
    print(next(iter(data_iter)))

    net = nn.Sequential(nn.Linear(2, 1))
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    loss = nn.MSELoss()
    trainer = torch.optim.SGD(net.parameters(), lr=lr)
    for epoch in range(num_epochs):
        for X, y in data_iter:
            l = loss(net(X), y)
            trainer.zero_grad()
            l.backward()
            trainer.step()
        l = loss(net(features), labels)
        print(f'epoch {epoch + 1}, loss {l:f}')

    w = net[0].weight.data
    print('error in estimating w:', true_w - w.reshape(true_w.shape))
    b = net[0].bias.data
    print('error in estimating b:', true_b - b)
    return true_w - w.reshape(true_w.shape), true_b - b


if __name__ == "__main__":
    main()
