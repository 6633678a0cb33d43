"""Exercise 19, capstone: recurrent networks read sequences.

The kit builds two networks from *your* recurrent layers (exercise 18: your
rnn/lstm forward and backward through time, your lstm_bias_init and
clip_gradients) and everything before (initialisers, dense layers, losses,
optimizer steps), trains each, and scores a test set your code never sees.

Task 1, LAYERS and TRAINING: MNIST read row by row. Each 28x28 digit is a
sequence of 28 time steps of 28 pixels (top row first): the network must
remember what the early rows showed until it has seen the last. Bar: 96.2%
test accuracy (the reference's worst of three seeds, minus one point).

Task 2, ADDING_LAYERS and ADDING_TRAINING: the adding problem (Hochreiter &
Schmidhuber, 1997). Each sequence has 50 steps of 2 features: a random
number in [0, 1), and a marker that is 1 at exactly two steps (one in each
half) and 0 elsewhere. The answer is the sum of the two marked numbers.
Always answering the mean (1.0) scores a mean squared error of about 0.17;
the bar is below 0.05, which only a network that keeps the first marked
number for 25 steps or more reaches. The kit draws 10,000 training and 1,000
test sequences from a fixed seed.

Layer dicts, in order:
- {"layer": "simple_rnn", "units": 64} or {"layer": "lstm", "units": 64}:
  reads (steps, features); "return_sequences": True passes every step's state
  on (to another recurrent layer), False (the default) only the last state.
  The kernel and recurrent kernel start from your glorot_uniform (or
  "kernel_initializer": "he_normal"), the bias from zeros (SimpleRNN) or
  your lstm_bias_init, and the initial state is zeros.
- {"layer": "dense", ...} and {"layer": "dropout", "rate": ...} after the
  recurrent layers, as in exercise 12.
- Task 1 ends with {"layer": "dense", "units": 10, "activation": "softmax"}
  (softmax cross-entropy); task 2 with {"layer": "dense", "units": 1} (no
  activation: one number, trained on mean squared error, your mse and
  mse_backward of exercise 3).
Both networks must read their input with a recurrent layer whose last state
alone reaches the dense layers: no flatten (that would let dense layers see
every step at once, and nothing would need remembering).

TRAINING dicts are as in exercise 12, plus "global_clipnorm": every gradient
of a batch is clipped together by your clip_gradients (exercise 18) before
the optimizer step, as Keras' optimizer argument of that name does. Clipping
at 1.0 keeps one unlucky batch from throwing an RNN's weights far away.

A good start for both: one lstm layer (128 units for MNIST, 32 for the
adding problem), Adam, a few epochs of batches of 64; a SimpleRNN usually
fails task 2 -- the report explains why.
"""

LAYERS = []  # MNIST rows: a list of layer dicts (see above)

TRAINING = {}  # optimizer, learning_rate, epochs, batch_size, global_clipnorm

ADDING_LAYERS = []  # the adding problem: a list of layer dicts (see above)

ADDING_TRAINING = {}  # optimizer, learning_rate, epochs, batch_size, global_clipnorm
