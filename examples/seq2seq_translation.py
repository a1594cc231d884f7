"""English to French with a GRU encoder-decoder (d2l-zh 9.7, d2l-en 10.7): trained with
teacher forcing on the masked cross-entropy, then greedy decoding and BLEU.

The book's corpus is Tatoeba's fra-eng.zip; glasstorch reads it from the book's cache folder
../data and, where it is not there, uses the small English-French corpus glasstorch ships
(2,403 generated sentence pairs; see glasstorch/d2l/data/README.md). As the book, the first
600 pairs, 10 steps.

The book's settings: embeddings and hidden state of 32, two GRU layers, dropout 0.1,
batch 64, Adam lr 0.005, gradients clipped to norm 1, 300 epochs.

Run: python examples/seq2seq_translation.py [--epochs 300] [--num-hiddens 32]
         [--num-examples 600] [--print-every 30]
"""

import argparse
import time

import glasstorch as torch
from glasstorch import d2l, nn

# ---- the decoder of d2l-zh 9.7 (the encoder is d2l.Seq2SeqEncoder) ----


class Seq2SeqDecoder(d2l.Decoder):
    """The RNN decoder for sequence to sequence learning."""

    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0, **kwargs):
        super(Seq2SeqDecoder, self).__init__(**kwargs)
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size + num_hiddens, num_hiddens, num_layers, dropout=dropout)
        self.dense = nn.Linear(num_hiddens, vocab_size)

    def init_state(self, enc_outputs, *args):
        return enc_outputs[1]

    def forward(self, X, state):
        # X: (num_steps, batch_size, embed_size) after the embedding and the permute
        X = self.embedding(X).permute(1, 0, 2)
        # the encoder's last hidden state is the context of every step
        context = state[-1].repeat(X.shape[0], 1, 1)
        X_and_context = torch.cat((X, context), 2)
        output, state = self.rnn(X_and_context, state)
        output = self.dense(output).permute(1, 0, 2)
        # output: (batch_size, num_steps, vocab_size)
        return output, state


# ---- training and prediction, shared with transformer_translation.py ----


def train_seq2seq(net, data_iter, lr, num_epochs, tgt_vocab, device, print_every=10):
    """The book's train_seq2seq with the loss per token printed every `print_every` epochs
    (and no plot); returns the loss of every epoch."""
    def xavier_init_weights(m):
        if type(m) == nn.Linear:
            nn.init.xavier_uniform_(m.weight)
        if type(m) == nn.GRU:
            for param in m._flat_weights_names:
                if "weight" in param:
                    nn.init.xavier_uniform_(m._parameters[param])

    net.apply(xavier_init_weights)
    net.to(device)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    loss = d2l.MaskedSoftmaxCELoss()
    net.train()
    losses, start = [], time.time()
    for epoch in range(num_epochs):
        timer = d2l.Timer()
        metric = d2l.Accumulator(2)  # sum of the training loss, number of tokens
        for batch in data_iter:
            optimizer.zero_grad()
            X, X_valid_len, Y, Y_valid_len = [x.to(device) for x in batch]
            bos = torch.tensor([tgt_vocab['<bos>']] * Y.shape[0], device=device).reshape(-1, 1)
            dec_input = torch.cat([bos, Y[:, :-1]], 1)  # teacher forcing
            Y_hat, _ = net(X, dec_input, X_valid_len)
            l = loss(Y_hat, Y, Y_valid_len)
            l.sum().backward()
            d2l.grad_clipping(net, 1)
            num_tokens = Y_valid_len.sum()
            optimizer.step()
            with torch.no_grad():
                metric.add(l.sum(), num_tokens)
        losses.append(metric[0] / metric[1])
        if (epoch + 1) % print_every == 0 or epoch == 0 or epoch + 1 == num_epochs:
            print(f'epoch {epoch + 1}, loss {losses[-1]:.3f}, '
                  f'{metric[1] / timer.stop():.0f} tokens/sec', flush=True)
    print(f'loss {losses[-1]:.3f}, {time.time() - start:.0f} s on {device}')
    return losses


def sample_pairs(num_examples, count=6):
    """`count` English-French pairs spread over the first num_examples of the corpus (the
    training sentences), preprocessed as the loader does."""
    text = d2l.preprocess_nmt(d2l.read_data_nmt())
    source, target = d2l.tokenize_nmt(text, num_examples)
    picks = range(0, len(source), max(1, len(source) // count))
    return [(' '.join(source[i]), ' '.join(target[i])) for i in list(picks)[:count]]


def translate(net, pairs, src_vocab, tgt_vocab, num_steps, device):
    """Greedy decoding of each English sentence, printed with its BLEU (k=2, as the book);
    returns the mean BLEU."""
    scores = []
    for eng, fra in pairs:
        translation, _ = d2l.predict_seq2seq(net, eng, src_vocab, tgt_vocab, num_steps, device)
        scores.append(d2l.bleu(translation, fra, k=2) if translation else 0.0)
        print(f'{eng} => {translation}, bleu {scores[-1]:.3f}')
    print(f'mean bleu {sum(scores) / len(scores):.3f} over {len(scores)} sentences')
    return sum(scores) / len(scores)


def main(num_epochs=300, num_hiddens=32, num_examples=600, print_every=30, embed_size=32,
         num_layers=2, dropout=0.1, batch_size=64, num_steps=10, lr=0.005, seed=0):
    d2l.use_stand_in_data()  # the book's fra-eng.zip where it is in ../data
    torch.manual_seed(seed)
    train_iter, src_vocab, tgt_vocab = d2l.load_data_nmt(batch_size, num_steps, num_examples)
    print(f'{num_examples} sentence pairs, vocabularies of {len(src_vocab)} (English) and '
          f'{len(tgt_vocab)} (French)')
    encoder = d2l.Seq2SeqEncoder(len(src_vocab), embed_size, num_hiddens, num_layers, dropout)
    decoder = Seq2SeqDecoder(len(tgt_vocab), embed_size, num_hiddens, num_layers, dropout)
    net = d2l.EncoderDecoder(encoder, decoder)
    device = d2l.try_gpu()
    losses = train_seq2seq(net, train_iter, lr, num_epochs, tgt_vocab, device, print_every)
    bleu = translate(net, sample_pairs(num_examples), src_vocab, tgt_vocab, num_steps, device)
    return losses, bleu


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--epochs', type=int, default=300)
    parser.add_argument('--num-hiddens', type=int, default=32)
    parser.add_argument('--num-examples', type=int, default=600, help='sentence pairs')
    parser.add_argument('--print-every', type=int, default=30, help='epochs')
    args = parser.parse_args()
    main(args.epochs, args.num_hiddens, args.num_examples, args.print_every)
