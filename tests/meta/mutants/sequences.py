"""Known-wrong variants of exercise 19 (recurrent networks on MNIST rows and the adding problem).

The adding network's checks run first and it trains in seconds; a spec the kit
refuses costs no training at all. So most mutants change ADDING_LAYERS or
ADDING_TRAINING; the two on LAYERS and TRAINING first let the adding network train.
"""

from mutants.mutant import Mutant

_ADDING_LSTM = '{"layer": "lstm", "units": 32}'
_ROWS_LSTM = '{"layer": "lstm", "units": 128},\n'

# The adding problem read by a SimpleRNN: it trains, misses the bar, and the check's
# message must say why (the catalogue's `adding_simple_rnn_fades`; test_mutants.py).
SIMPLE_RNN_ADDS = Mutant(
    19,
    "the adding network is a simple_rnn, not an lstm",
    _ADDING_LSTM,
    '{"layer": "simple_rnn", "units": 32}',
)

MUTANTS: list[Mutant] = [
    SIMPLE_RNN_ADDS,
    # Refused before training (spec_flatten_in_sequences): LAYERS is validated as a
    # recurrent network too, not only ADDING_LAYERS.
    Mutant(
        19,
        "a flatten between the recurrent layer and the dense layer",
        _ROWS_LSTM,
        _ROWS_LSTM + '    {"layer": "flatten"},\n',
    ),
    # Refused before training (spec_sequence_to_dense).
    Mutant(
        19,
        "return_sequences True on the last recurrent layer",
        _ADDING_LSTM,
        '{"layer": "lstm", "units": 32, "return_sequences": True}',
    ),
    # Refused before training (spec_last_layer_regression): a sigmoid cannot even
    # reach sums above 1.
    Mutant(
        19,
        "the adding network's last layer has a sigmoid",
        '{"layer": "dense", "units": 1},\n]',
        '{"layer": "dense", "units": 1, "activation": "sigmoid"},\n]',
    ),
    # Refused before training (spec_clipnorm).
    Mutant(
        19,
        "a global_clipnorm of zero",
        '"epochs": 8,\n    "batch_size": 64,\n    "global_clipnorm": 1.0',
        '"epochs": 8,\n    "batch_size": 64,\n    "global_clipnorm": 0',
    ),
    # The one mutant that trains on MNIST rows: an LSTM of 4 units reads them in seconds
    # and reaches about 60% (measured), far below the bar.
    Mutant(
        19,
        "an LSTM of 4 units is too small for MNIST rows",
        _ROWS_LSTM,
        '{"layer": "lstm", "units": 4},\n',
    ),
]
