"""The book's attention chapter (d2l-en "Attention Mechanisms and Transformers" up to the
Transformer, d2l-zh v2 chapter 10): heatmaps, masked softmax, additive and scaled dot-product
attention, multi-head attention, positional encoding and the Transformer's blocks, encoder and
decoder. Each is the book's own code with glasstorch in place of PyTorch.

The two editions define several of these names with different arguments: d2l-en lets lazy
layers (nn.LazyLinear) find the input sizes, d2l-zh passes them. One class serves both forms,
told apart by how many arguments it is given (as `Residual` in models.py):

    d2l-en                                      d2l-zh
    AdditiveAttention(num_hiddens, dropout)     AdditiveAttention(key_size, query_size,
                                                                  num_hiddens, dropout)
    MultiHeadAttention(num_hiddens, num_heads,  MultiHeadAttention(key_size, query_size,
                       dropout, bias=False)         value_size, num_hiddens, num_heads,
                                                    dropout, bias=False)
    PositionWiseFFN(ffn_num_hiddens,            PositionWiseFFN(ffn_num_input,
                    ffn_num_outputs)                ffn_num_hiddens, ffn_num_outputs)
    TransformerEncoder(vocab_size, num_hiddens, TransformerEncoder(vocab_size, key_size,
        ffn_num_hiddens, num_heads, num_blks,       query_size, value_size, num_hiddens,
        dropout, use_bias=False)                    norm_shape, ffn_num_input,
                                                    ffn_num_hiddens, num_heads, num_layers,
                                                    dropout, use_bias=False)
    TransformerDecoder (the same two forms, without use_bias)

Where d2l-zh passes a size, d2l-en's form holds a lazy layer; inside, a size of None means
"lazy". The Transformer's blocks keep each edition's name: d2l-en's TransformerEncoderBlock and
TransformerDecoderBlock are d2l-zh's EncoderBlock and DecoderBlock with the sizes left lazy.
"""

import math

import glasstorch as torch
from glasstorch import nn

from . import torch as d2l
from .oo_design import Module
from .translation import Decoder, Encoder

# ---- heatmaps (d2l-en 11.1, d2l-zh 10.1) ----


def show_heatmaps(matrices, xlabel, ylabel, titles=None, figsize=(2.5, 2.5), cmap="Reds"):
    """Show heatmaps of matrices (a grid: matrices' first two axes are its rows and columns).

    In a terminal the figure is saved as show_heatmaps_N.png and its path returned.
    """
    d2l.use_svg_display()
    num_rows, num_cols = matrices.shape[0], matrices.shape[1]
    fig, axes = d2l.plt.subplots(num_rows, num_cols, figsize=figsize,
                                 sharex=True, sharey=True, squeeze=False)
    for i, (row_axes, row_matrices) in enumerate(zip(axes, matrices)):
        for j, (ax, matrix) in enumerate(zip(row_axes, row_matrices)):
            pcm = ax.imshow(d2l._plottable(matrix), cmap=cmap)
            if i == num_rows - 1:
                ax.set_xlabel(xlabel)
            if j == 0:
                ax.set_ylabel(ylabel)
            if titles:
                ax.set_title(titles[j])
    fig.colorbar(pcm, ax=axes, shrink=0.6)
    return d2l._finish_figure(d2l._numbered_figure_name("show_heatmaps"), fig)


# ---- attention scoring functions (d2l-en 11.3, d2l-zh 10.3) ----


def masked_softmax(X, valid_lens):
    """Perform softmax operation by masking elements on the last axis."""
    # X: 3D tensor, valid_lens: 1D or 2D tensor
    def _sequence_mask(X, valid_len, value=0):
        maxlen = X.size(1)
        mask = torch.arange((maxlen), dtype=torch.float32,
                            device=X.device)[None, :] < valid_len[:, None]
        X[~mask] = value
        return X

    if valid_lens is None:
        return nn.functional.softmax(X, dim=-1)
    else:
        shape = X.shape
        if valid_lens.dim() == 1:
            valid_lens = torch.repeat_interleave(valid_lens, shape[1])
        else:
            valid_lens = valid_lens.reshape(-1)
        # On the last axis, replace masked elements with a very large negative
        # value, whose exponentiation outputs 0
        X = _sequence_mask(X.reshape(-1, shape[-1]), valid_lens, value=-1e6)
        return nn.functional.softmax(X.reshape(shape), dim=-1)


class DotProductAttention(nn.Module):
    """Scaled dot product attention."""

    def __init__(self, dropout, **kwargs):
        super().__init__()
        self.dropout = nn.Dropout(dropout)

    # Shape of queries: (batch_size, no. of queries, d)
    # Shape of keys: (batch_size, no. of key-value pairs, d)
    # Shape of values: (batch_size, no. of key-value pairs, value dimension)
    # Shape of valid_lens: (batch_size,) or (batch_size, no. of queries)
    def forward(self, queries, keys, values, valid_lens=None):
        d = queries.shape[-1]
        # Swap the last two dimensions of keys with keys.transpose(1, 2)
        scores = torch.bmm(queries, keys.transpose(1, 2)) / math.sqrt(d)
        self.attention_weights = masked_softmax(scores, valid_lens)
        return torch.bmm(self.dropout(self.attention_weights), values)


def _linear(in_features, out_features, bias=True):
    """nn.Linear, or nn.LazyLinear where the input size is left to the first input (None)."""
    if in_features is None:
        return nn.LazyLinear(out_features, bias=bias)
    return nn.Linear(in_features, out_features, bias=bias)


class AdditiveAttention(nn.Module):
    """Additive attention.

    d2l-en's `AdditiveAttention(num_hiddens, dropout)` (lazy layers) or d2l-zh's
    `AdditiveAttention(key_size, query_size, num_hiddens, dropout)`.
    """

    def __init__(self, *args, **kwargs):
        super().__init__()
        if len(args) + len(kwargs) >= 4:  # d2l-zh: the key and query sizes come first
            self._init(*args, **kwargs)
        else:
            self._init(None, None, *args, **kwargs)

    def _init(self, key_size, query_size, num_hiddens, dropout):
        self.W_k = _linear(key_size, num_hiddens, bias=False)
        self.W_q = _linear(query_size, num_hiddens, bias=False)
        self.w_v = _linear(None if key_size is None else num_hiddens, 1, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, queries, keys, values, valid_lens):
        queries, keys = self.W_q(queries), self.W_k(keys)
        # After dimension expansion, shape of queries: (batch_size, no. of
        # queries, 1, num_hiddens) and shape of keys: (batch_size, 1, no. of
        # key-value pairs, num_hiddens). Sum them up with broadcasting
        features = queries.unsqueeze(2) + keys.unsqueeze(1)
        features = torch.tanh(features)
        # There is only one output of self.w_v, so we remove the last
        # one-dimensional entry from the shape. Shape of scores: (batch_size,
        # no. of queries, no. of key-value pairs)
        scores = self.w_v(features).squeeze(-1)
        self.attention_weights = masked_softmax(scores, valid_lens)
        # Shape of values: (batch_size, no. of key-value pairs, value
        # dimension)
        return torch.bmm(self.dropout(self.attention_weights), values)


# ---- Bahdanau attention (d2l-en 11.4, d2l-zh 10.4) ----


class AttentionDecoder(Decoder):
    """The base attention-based decoder interface."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    @property
    def attention_weights(self):
        raise NotImplementedError


# ---- multi-head attention (d2l-en 11.5, d2l-zh 10.5) ----


def transpose_qkv(X, num_heads):
    """Transposition for parallel computation of multiple attention heads."""
    # Shape of input X: (batch_size, no. of queries or key-value pairs,
    # num_hiddens). Shape of output X: (batch_size, no. of queries or
    # key-value pairs, num_heads, num_hiddens / num_heads)
    X = X.reshape(X.shape[0], X.shape[1], num_heads, -1)
    # Shape of output X: (batch_size, num_heads, no. of queries or key-value
    # pairs, num_hiddens / num_heads)
    X = X.permute(0, 2, 1, 3)
    # Shape of output: (batch_size * num_heads, no. of queries or key-value
    # pairs, num_hiddens / num_heads)
    return X.reshape(-1, X.shape[2], X.shape[3])


def transpose_output(X, num_heads):
    """Reverse the operation of transpose_qkv."""
    X = X.reshape(-1, num_heads, X.shape[1], X.shape[2])
    X = X.permute(0, 2, 1, 3)
    return X.reshape(X.shape[0], X.shape[1], -1)


class MultiHeadAttention(Module):
    """Multi-head attention.

    d2l-en's `MultiHeadAttention(num_hiddens, num_heads, dropout, bias=False)` (lazy layers) or
    d2l-zh's `MultiHeadAttention(key_size, query_size, value_size, num_hiddens, num_heads,
    dropout, bias=False)`. A d2l.Module, as d2l-en's (d2l-zh's is an nn.Module; d2l.Module is
    one, with the book's training hooks besides).
    """

    def __init__(self, *args, **kwargs):
        super().__init__()
        if len(args) + len(kwargs) >= 6:  # d2l-zh: three sizes come first
            self._init(*args, **kwargs)
        else:
            self._init(None, None, None, *args, **kwargs)

    def _init(self, key_size, query_size, value_size, num_hiddens, num_heads, dropout,
              bias=False):
        self.num_heads = num_heads
        self.attention = DotProductAttention(dropout)
        self.W_q = _linear(query_size, num_hiddens, bias=bias)
        self.W_k = _linear(key_size, num_hiddens, bias=bias)
        self.W_v = _linear(value_size, num_hiddens, bias=bias)
        self.W_o = _linear(None if value_size is None else num_hiddens, num_hiddens, bias=bias)

    def forward(self, queries, keys, values, valid_lens):
        # Shape of queries, keys, or values:
        # (batch_size, no. of queries or key-value pairs, num_hiddens)
        # Shape of valid_lens: (batch_size,) or (batch_size, no. of queries)
        # After transposing, shape of output queries, keys, or values:
        # (batch_size * num_heads, no. of queries or key-value pairs,
        # num_hiddens / num_heads)
        queries = self.transpose_qkv(self.W_q(queries))
        keys = self.transpose_qkv(self.W_k(keys))
        values = self.transpose_qkv(self.W_v(values))

        if valid_lens is not None:
            # On axis 0, copy the first item (scalar or vector) for num_heads
            # times, then copy the next item, and so on
            valid_lens = torch.repeat_interleave(
                valid_lens, repeats=self.num_heads, dim=0)

        # Shape of output: (batch_size * num_heads, no. of queries,
        # num_hiddens / num_heads)
        output = self.attention(queries, keys, values, valid_lens)
        # Shape of output_concat: (batch_size, no. of queries, num_hiddens)
        output_concat = self.transpose_output(output)
        return self.W_o(output_concat)

    # d2l-en adds these two to the class (d2l-zh has them as the functions above)
    def transpose_qkv(self, X):
        """Transposition for parallel computation of multiple attention heads."""
        return transpose_qkv(X, self.num_heads)

    def transpose_output(self, X):
        """Reverse the operation of transpose_qkv."""
        return transpose_output(X, self.num_heads)


# ---- positional encoding (d2l-en 11.6, d2l-zh 10.6) ----


class PositionalEncoding(nn.Module):
    """Positional encoding."""

    def __init__(self, num_hiddens, dropout, max_len=1000):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        # Create a long enough P
        self.P = torch.zeros((1, max_len, num_hiddens))
        X = torch.arange(max_len, dtype=torch.float32).reshape(
            -1, 1) / torch.pow(10000, torch.arange(
                0, num_hiddens, 2, dtype=torch.float32) / num_hiddens)
        self.P[:, :, 0::2] = torch.sin(X)
        self.P[:, :, 1::2] = torch.cos(X)

    def forward(self, X):
        X = X + self.P[:, :X.shape[1], :].to(X.device)
        return self.dropout(X)


# ---- the Transformer (d2l-en 11.7, d2l-zh 10.7) ----


class PositionWiseFFN(nn.Module):
    """The positionwise feed-forward network.

    d2l-en's `PositionWiseFFN(ffn_num_hiddens, ffn_num_outputs)` (lazy layers) or d2l-zh's
    `PositionWiseFFN(ffn_num_input, ffn_num_hiddens, ffn_num_outputs)`.
    """

    def __init__(self, *args, **kwargs):
        super().__init__()
        if len(args) + len(kwargs) >= 3:  # d2l-zh: the input size comes first
            self._init(*args, **kwargs)
        else:
            self._init(None, *args, **kwargs)

    def _init(self, ffn_num_input, ffn_num_hiddens, ffn_num_outputs):
        self.dense1 = _linear(ffn_num_input, ffn_num_hiddens)
        self.relu = nn.ReLU()
        self.dense2 = _linear(None if ffn_num_input is None else ffn_num_hiddens,
                              ffn_num_outputs)

    def forward(self, X):
        return self.dense2(self.relu(self.dense1(X)))


class AddNorm(nn.Module):
    """The residual connection followed by layer normalization.

    d2l-en names the first argument norm_shape, d2l-zh normalized_shape; both are taken.
    """

    def __init__(self, norm_shape=None, dropout=None, *, normalized_shape=None):
        super().__init__()
        if normalized_shape is not None:  # d2l-zh's keyword
            norm_shape = normalized_shape
        self.dropout = nn.Dropout(dropout)
        self.ln = nn.LayerNorm(norm_shape)

    def forward(self, X, Y):
        return self.ln(self.dropout(Y) + X)


class EncoderBlock(nn.Module):
    """The Transformer encoder block (d2l-zh's name and arguments)."""

    def __init__(self, key_size, query_size, value_size, num_hiddens, norm_shape,
                 ffn_num_input, ffn_num_hiddens, num_heads, dropout, use_bias=False, **kwargs):
        super().__init__()
        self.attention = MultiHeadAttention(
            key_size, query_size, value_size, num_hiddens, num_heads, dropout, use_bias)
        self.addnorm1 = AddNorm(norm_shape, dropout)
        self.ffn = PositionWiseFFN(ffn_num_input, ffn_num_hiddens, num_hiddens)
        self.addnorm2 = AddNorm(norm_shape, dropout)

    def forward(self, X, valid_lens):
        Y = self.addnorm1(X, self.attention(X, X, X, valid_lens))
        return self.addnorm2(Y, self.ffn(Y))


class TransformerEncoderBlock(EncoderBlock):
    """The Transformer encoder block (d2l-en's name and arguments: the sizes left lazy)."""

    def __init__(self, num_hiddens, ffn_num_hiddens, num_heads, dropout, use_bias=False):
        super().__init__(None, None, None, num_hiddens, num_hiddens, None, ffn_num_hiddens,
                         num_heads, dropout, use_bias)


class DecoderBlock(nn.Module):
    """The i-th block in the Transformer decoder (d2l-zh's name and arguments)."""

    def __init__(self, key_size, query_size, value_size, num_hiddens, norm_shape,
                 ffn_num_input, ffn_num_hiddens, num_heads, dropout, i, **kwargs):
        super().__init__()
        self.i = i
        self.attention1 = MultiHeadAttention(
            key_size, query_size, value_size, num_hiddens, num_heads, dropout)
        self.addnorm1 = AddNorm(norm_shape, dropout)
        self.attention2 = MultiHeadAttention(
            key_size, query_size, value_size, num_hiddens, num_heads, dropout)
        self.addnorm2 = AddNorm(norm_shape, dropout)
        self.ffn = PositionWiseFFN(ffn_num_input, ffn_num_hiddens, num_hiddens)
        self.addnorm3 = AddNorm(norm_shape, dropout)

    def forward(self, X, state):
        enc_outputs, enc_valid_lens = state[0], state[1]
        # During training, all the tokens of any output sequence are processed
        # at the same time, so state[2][self.i] is None as initialized. When
        # decoding any output sequence token by token during prediction,
        # state[2][self.i] contains representations of the decoded output at
        # the i-th block up to the current time step
        if state[2][self.i] is None:
            key_values = X
        else:
            key_values = torch.cat((state[2][self.i], X), dim=1)
        state[2][self.i] = key_values
        if self.training:
            batch_size, num_steps, _ = X.shape
            # Shape of dec_valid_lens: (batch_size, num_steps), where every
            # row is [1, 2, ..., num_steps]
            dec_valid_lens = torch.arange(
                1, num_steps + 1, device=X.device).repeat(batch_size, 1)
        else:
            dec_valid_lens = None
        # Self-attention
        X2 = self.attention1(X, key_values, key_values, dec_valid_lens)
        Y = self.addnorm1(X, X2)
        # Encoder-decoder attention. Shape of enc_outputs:
        # (batch_size, num_steps, num_hiddens)
        Y2 = self.attention2(Y, enc_outputs, enc_outputs, enc_valid_lens)
        Z = self.addnorm2(Y, Y2)
        return self.addnorm3(Z, self.ffn(Z)), state


class TransformerDecoderBlock(DecoderBlock):
    """The i-th block in the Transformer decoder (d2l-en's name and arguments: the sizes left
    lazy)."""

    def __init__(self, num_hiddens, ffn_num_hiddens, num_heads, dropout, i):
        super().__init__(None, None, None, num_hiddens, num_hiddens, None, ffn_num_hiddens,
                         num_heads, dropout, i)


class TransformerEncoder(Encoder):
    """The Transformer encoder.

    d2l-en's `TransformerEncoder(vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_blks,
    dropout, use_bias=False)` (blocks of TransformerEncoderBlock) or d2l-zh's
    `TransformerEncoder(vocab_size, key_size, query_size, value_size, num_hiddens, norm_shape,
    ffn_num_input, ffn_num_hiddens, num_heads, num_layers, dropout, use_bias=False)` (blocks of
    EncoderBlock).
    """

    def __init__(self, *args, **kwargs):
        super().__init__()
        if len(args) + len(kwargs) >= 11:  # d2l-zh: the sizes of each layer are given
            self._init(*args, **kwargs)
        else:
            self._init_en(*args, **kwargs)

    def _init_en(self, vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_blks, dropout,
                 use_bias=False):
        self._init(vocab_size, None, None, None, num_hiddens, num_hiddens, None,
                   ffn_num_hiddens, num_heads, num_blks, dropout, use_bias)

    def _init(self, vocab_size, key_size, query_size, value_size, num_hiddens, norm_shape,
              ffn_num_input, ffn_num_hiddens, num_heads, num_layers, dropout, use_bias=False):
        self.num_hiddens = num_hiddens
        self.embedding = nn.Embedding(vocab_size, num_hiddens)
        self.pos_encoding = PositionalEncoding(num_hiddens, dropout)
        self.blks = nn.Sequential()
        for i in range(num_layers):
            if key_size is None:  # d2l-en
                block = TransformerEncoderBlock(num_hiddens, ffn_num_hiddens, num_heads,
                                                dropout, use_bias)
            else:
                block = EncoderBlock(key_size, query_size, value_size, num_hiddens, norm_shape,
                                     ffn_num_input, ffn_num_hiddens, num_heads, dropout,
                                     use_bias)
            self.blks.add_module("block" + str(i), block)

    def forward(self, X, valid_lens, *args):
        # Since positional encoding values are between -1 and 1, the embedding
        # values are multiplied by the square root of the embedding dimension
        # to rescale before they are summed up
        X = self.pos_encoding(self.embedding(X) * math.sqrt(self.num_hiddens))
        self.attention_weights = [None] * len(self.blks)
        for i, blk in enumerate(self.blks):
            X = blk(X, valid_lens)
            self.attention_weights[
                i] = blk.attention.attention.attention_weights
        return X


class TransformerDecoder(AttentionDecoder):
    """The Transformer decoder (defined in the books' Transformer sections, not saved there).

    d2l-en's `TransformerDecoder(vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_blks,
    dropout)` (blocks of TransformerDecoderBlock, lazy output layer) or d2l-zh's
    `TransformerDecoder(vocab_size, key_size, query_size, value_size, num_hiddens, norm_shape,
    ffn_num_input, ffn_num_hiddens, num_heads, num_layers, dropout)` (blocks of DecoderBlock).
    """

    def __init__(self, *args, **kwargs):
        super().__init__()
        if len(args) + len(kwargs) >= 11:  # d2l-zh: the sizes of each layer are given
            self._init(*args, **kwargs)
        else:
            self._init_en(*args, **kwargs)

    def _init_en(self, vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_blks, dropout):
        self.num_blks = num_blks  # d2l-en's name for the number of blocks
        self._init(vocab_size, None, None, None, num_hiddens, num_hiddens, None,
                   ffn_num_hiddens, num_heads, num_blks, dropout)

    def _init(self, vocab_size, key_size, query_size, value_size, num_hiddens, norm_shape,
              ffn_num_input, ffn_num_hiddens, num_heads, num_layers, dropout):
        self.num_hiddens = num_hiddens
        self.num_layers = num_layers
        self.embedding = nn.Embedding(vocab_size, num_hiddens)
        self.pos_encoding = PositionalEncoding(num_hiddens, dropout)
        self.blks = nn.Sequential()
        for i in range(num_layers):
            if key_size is None:  # d2l-en
                block = TransformerDecoderBlock(num_hiddens, ffn_num_hiddens, num_heads,
                                                dropout, i)
            else:
                block = DecoderBlock(key_size, query_size, value_size, num_hiddens, norm_shape,
                                     ffn_num_input, ffn_num_hiddens, num_heads, dropout, i)
            self.blks.add_module("block" + str(i), block)
        self.dense = _linear(None if key_size is None else num_hiddens, vocab_size)

    def init_state(self, enc_outputs, enc_valid_lens, *args):
        return [enc_outputs, enc_valid_lens, [None] * self.num_layers]

    def forward(self, X, state):
        X = self.pos_encoding(self.embedding(X) * math.sqrt(self.num_hiddens))
        self._attention_weights = [[None] * len(self.blks) for _ in range(2)]
        for i, blk in enumerate(self.blks):
            X, state = blk(X, state)
            # Decoder self-attention weights
            self._attention_weights[0][
                i] = blk.attention1.attention.attention_weights
            # Encoder-decoder attention weights
            self._attention_weights[1][
                i] = blk.attention2.attention.attention_weights
        return self.dense(X), state

    @property
    def attention_weights(self):
        return self._attention_weights
