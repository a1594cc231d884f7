"""A character-level language model: the RNN from scratch, then nn.RNN, nn.GRU and nn.LSTM
(d2l-zh 8.5, 8.6, 9.1, 9.2; d2l-en 9.5, 9.6, 10.1, 10.2).

The book's text is H. G. Wells's The Time Machine (timemachine.txt). glasstorch reads it from
the book's cache folder ../data; where it is not there, the public-domain text glasstorch
ships stands in (Alice's Adventures in Wonderland; see glasstorch/d2l/data/README.md).
Characters only: 26 letters, space and <unk>, a vocabulary of 28.

The book's settings: the first 10000 characters, batch 32, 35 steps, SGD lr 1 with the
gradient clipped to norm 1, 500 epochs; 512 hidden units from scratch, 256 with the layers.

Run: python examples/char_rnn.py [--models scratch rnn gru lstm] [--epochs 500]
         [--num-hiddens N] [--max-tokens 10000] [--print-every 50]
"""

import argparse
import time

import glasstorch as torch
from glasstorch import d2l, nn

# ---- the RNN from scratch (d2l-zh 8.5), the book's code ----


def get_params(vocab_size, num_hiddens, device):
    num_inputs = num_outputs = vocab_size

    def normal(shape):
        return torch.randn(size=shape, device=device) * 0.01

    # hidden layer parameters
    W_xh = normal((num_inputs, num_hiddens))
    W_hh = normal((num_hiddens, num_hiddens))
    b_h = torch.zeros(num_hiddens, device=device)
    # output layer parameters
    W_hq = normal((num_hiddens, num_outputs))
    b_q = torch.zeros(num_outputs, device=device)
    params = [W_xh, W_hh, b_h, W_hq, b_q]
    for param in params:
        param.requires_grad_(True)
    return params


def init_rnn_state(batch_size, num_hiddens, device):
    return (torch.zeros((batch_size, num_hiddens), device=device), )


def rnn(inputs, state, params):
    # inputs: (num_steps, batch_size, vocab_size), one step at a time
    W_xh, W_hh, b_h, W_hq, b_q = params
    H, = state
    outputs = []
    for X in inputs:
        H = torch.tanh(torch.mm(X, W_xh) + torch.mm(H, W_hh) + b_h)
        Y = torch.mm(H, W_hq) + b_q
        outputs.append(Y)
    return torch.cat(outputs, dim=0), (H,)


# ---- the models ----


def make_model(name, vocab_size, num_hiddens, device):
    """The from-scratch model, or d2l.RNNModel around nn.RNN, nn.GRU or nn.LSTM."""
    if name == 'scratch':
        return d2l.RNNModelScratch(vocab_size, num_hiddens, device, get_params,
                                   init_rnn_state, rnn)
    layer = {'rnn': nn.RNN, 'gru': nn.GRU, 'lstm': nn.LSTM}[name](vocab_size, num_hiddens)
    return d2l.RNNModel(layer, vocab_size=vocab_size).to(device)


def train(net, train_iter, vocab, lr, num_epochs, device, name, print_every):
    """d2l-zh's train_ch8 with the perplexity printed every `print_every` epochs (and no
    plot); returns the last epoch's perplexity."""
    loss = nn.CrossEntropyLoss()
    if isinstance(net, nn.Module):
        updater = torch.optim.SGD(net.parameters(), lr)
    else:
        def updater(batch_size):
            d2l.sgd(net.params, lr, batch_size)
    start = time.time()
    for epoch in range(num_epochs):
        ppl, speed = d2l.train_epoch_ch8(net, train_iter, loss, updater, device, False)
        if (epoch + 1) % print_every == 0 or epoch + 1 == num_epochs:
            print(f'{name} epoch {epoch + 1}, perplexity {ppl:.2f}, {speed:.0f} tokens/sec',
                  flush=True)
    print(f'{name}: perplexity {ppl:.2f}, {speed:.0f} tokens/sec on {device}, '
          f'{time.time() - start:.0f} s')
    for prefix in ('time traveller', 'alice'):
        print(f'{name}: {d2l.predict_ch8(prefix, 50, net, vocab, device)!r}')
    return ppl


def main(models=('scratch', 'rnn', 'gru', 'lstm'), num_epochs=500, num_hiddens=None,
         max_tokens=10000, batch_size=32, num_steps=35, lr=1.0, print_every=50, seed=0):
    d2l.use_stand_in_data()  # the book's timemachine.txt where it is in ../data
    torch.manual_seed(seed)
    train_iter, vocab = d2l.load_data_time_machine(batch_size, num_steps, max_tokens=max_tokens)
    print(f'{len(train_iter.corpus)} characters, vocabulary of {len(vocab)}')
    device = d2l.try_gpu()
    perplexities = {}
    for name in models:
        hiddens = num_hiddens or (512 if name == 'scratch' else 256)
        net = make_model(name, len(vocab), hiddens, device)
        perplexities[name] = train(net, train_iter, vocab, lr, num_epochs, device, name,
                                   print_every)
    return perplexities, len(vocab)


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--models', nargs='+', default=['scratch', 'rnn', 'gru', 'lstm'],
                        choices=['scratch', 'rnn', 'gru', 'lstm'])
    parser.add_argument('--epochs', type=int, default=500)
    parser.add_argument('--num-hiddens', type=int, help='512 from scratch, 256 otherwise')
    parser.add_argument('--max-tokens', type=int, default=10000)
    parser.add_argument('--print-every', type=int, default=50, help='epochs')
    args = parser.parse_args()
    main(args.models, args.epochs, args.num_hiddens, args.max_tokens,
         print_every=args.print_every)
