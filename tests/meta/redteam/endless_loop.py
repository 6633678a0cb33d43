"""Attack: every function loops forever; the grader must time each call out."""


def _forever(*args, **kwargs):
    while True:
        pass


step = relu = sigmoid = tanh = _forever
relu_backward = sigmoid_backward = tanh_backward = _forever
