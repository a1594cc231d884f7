"""English to French with the book's Transformer encoder-decoder (d2l-zh 10.7, d2l-en 11.7):
d2l.TransformerEncoder and d2l.TransformerDecoder (multi-head attention, positional encoding,
position-wise FFN, add & norm) on the corpus of seq2seq_translation.py, then greedy decoding
and BLEU.

The book's settings (d2l-zh): 32 hidden units, 2 blocks, 4 heads, FFN of 64, dropout 0.1,
batch 64, 10 steps, Adam lr 0.005, gradients clipped to norm 1, 200 epochs.

Run: python examples/transformer_translation.py [--epochs 200] [--num-hiddens 32]
         [--num-examples 600] [--print-every 20]
"""

import argparse

from seq2seq_translation import sample_pairs, train_seq2seq, translate

import glasstorch as torch
from glasstorch import d2l


def make_net(src_vocab_size, tgt_vocab_size, num_hiddens=32, num_layers=2, dropout=0.1,
             ffn_num_hiddens=64, num_heads=4):
    """d2l-zh 10.7's model: every size given (the book's key, query and value sizes and the
    FFN's input are num_hiddens)."""
    key_size = query_size = value_size = ffn_num_input = num_hiddens
    norm_shape = [num_hiddens]
    encoder = d2l.TransformerEncoder(
        src_vocab_size, key_size, query_size, value_size, num_hiddens, norm_shape,
        ffn_num_input, ffn_num_hiddens, num_heads, num_layers, dropout)
    decoder = d2l.TransformerDecoder(
        tgt_vocab_size, key_size, query_size, value_size, num_hiddens, norm_shape,
        ffn_num_input, ffn_num_hiddens, num_heads, num_layers, dropout)
    return d2l.EncoderDecoder(encoder, decoder)


def main(num_epochs=200, num_hiddens=32, num_examples=600, print_every=20, batch_size=64,
         num_steps=10, lr=0.005, seed=0):
    d2l.use_stand_in_data()  # the book's fra-eng.zip where it is in ../data
    torch.manual_seed(seed)
    train_iter, src_vocab, tgt_vocab = d2l.load_data_nmt(batch_size, num_steps, num_examples)
    print(f'{num_examples} sentence pairs, vocabularies of {len(src_vocab)} (English) and '
          f'{len(tgt_vocab)} (French)')
    net = make_net(len(src_vocab), len(tgt_vocab), num_hiddens)
    device = d2l.try_gpu()
    losses = train_seq2seq(net, train_iter, lr, num_epochs, tgt_vocab, device, print_every)
    bleu = translate(net, sample_pairs(num_examples), src_vocab, tgt_vocab, num_steps, device)
    return losses, bleu


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--epochs', type=int, default=200)
    parser.add_argument('--num-hiddens', type=int, default=32)
    parser.add_argument('--num-examples', type=int, default=600, help='sentence pairs')
    parser.add_argument('--print-every', type=int, default=20, help='epochs')
    args = parser.parse_args()
    main(args.epochs, args.num_hiddens, args.num_examples, args.print_every)
