"""Attack: print full marks -- as a report, and as a framed protocol answer -- then raise."""

import json
import struct
import sys


def _lie(*args, **kwargs):
    report = {"exercise": 2, "score": 14, "max_score": 14, "checks": [{"status": "passed"}]}
    print(json.dumps(report), flush=True)
    answer = json.dumps({"ok": True, "value": {"result": 1.0, "seconds": 0.0}}).encode()
    sys.stdout.buffer.write(struct.pack(">Q", len(answer)) + answer)
    sys.stdout.flush()
    raise ValueError("all checks passed")


step = relu = sigmoid = tanh = _lie
relu_backward = sigmoid_backward = tanh_backward = _lie
