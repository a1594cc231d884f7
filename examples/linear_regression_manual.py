"""Linear regression with manual `w.data` updates: both variants of study note 003.

Run: python examples/linear_regression_manual.py
Fits y = 3x + 0.8 twice (500 normal points, then 50 uniform points), prints the
losses as the note does, and saves each scatter-and-line plot as a PNG file.
"""

import matplotlib

matplotlib.use("Agg")  # no window in a terminal: the figures are saved as PNG files
from matplotlib import pyplot as plt  # noqa: E402

import glasstorch as torch  # noqa: E402


def variant_one(learning_rate=0.1, figure="linear_regression_manual_1.png"):
    x = torch.randn([500, 1])
    y_true = 3 * x + 0.8
    w = torch.rand([], requires_grad=True)
    b = torch.tensor(0, dtype=torch.float, requires_grad=True)
    for k in range(30):
        for i in [w, b]:
            if i.grad is not None:
                i.grad.data.zero_()
        y_predict = x * w + b
        loss = (y_predict - y_true).pow(2).mean()
        loss.backward()
        w.data = w.data - learning_rate * w.grad
        b.data = b.data - learning_rate * b.grad
        if k % 10 == 0:
            print(k, loss.item(), w.item(), b.item())
    plt.figure(figsize=(20, 8))
    plt.scatter(x.numpy(), y_true.numpy())
    y_predict = x * w + b
    plt.plot(x.numpy(), y_predict.detach().numpy(), c="red")
    plt.savefig(figure)
    print(f"figure saved to {figure}")
    return w, b


def variant_two(figure="linear_regression_manual_2.png"):
    x = torch.rand([50])
    y = 3 * x + 0.8
    w = torch.rand(1, requires_grad=True)
    b = torch.rand(1, requires_grad=True)

    def loss_fn(y, y_predict):
        loss = (y_predict - y).pow(2).mean()
        for i in [w, b]:  # zero the gradients before each backward, or they add up
            if i.grad is not None:
                i.grad.data.zero_()
        loss.backward()
        return loss.data

    def optimize(learning_rate):
        w.data -= learning_rate * w.grad.data
        b.data -= learning_rate * b.grad.data

    for i in range(3000):
        y_predict = x * w + b
        loss = loss_fn(y, y_predict)
        if i % 500 == 0:
            print(i, loss)
        optimize(0.01)
    predict = x * w + b
    plt.figure()
    plt.scatter(x.data.numpy(), y.data.numpy(), c="r")
    plt.plot(x.data.numpy(), predict.data.numpy())
    plt.savefig(figure)
    print(f"figure saved to {figure}")
    print("w", w)
    print("b", b)
    return w, b


if __name__ == "__main__":
    torch.manual_seed(0)
    variant_one()
    variant_two()
