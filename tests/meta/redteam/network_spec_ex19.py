"""Attack on exercise 19 (the recurrent capstone) through the networks it declares.

Not a whole module: the red-team test appends it to the reference
ex19_sequences.py, so LAYERS and ADDING_LAYERS become the hostile value SPEC
names (the test writes it in place of the marker):
- "sly_list": a list that equals anything, claims a billion layers and raises
  when anyone iterates it;
- "sly_dicts": layer dicts whose items() disagree with their keys and hold
  objects that equal anything;
- "deep": layers nested 100,000 lists deep;
- "long": an lstm layer, then 1,000 dense layers: a plain list, only long;
- "wide": an lstm layer of a million units (16 TB of recurrent kernel).
"""

SPEC = "__SPEC__"


class _Anything:
    """Equal to everything; any attribute or call gives itself."""

    def __eq__(self, other):
        return True

    def __hash__(self):
        return 0

    def __getattr__(self, name):
        return self

    def __call__(self, *args, **kwargs):
        return self


class _SlyList(list):
    def __eq__(self, other):
        return True

    def __len__(self):
        return 10**9

    def __iter__(self):
        raise RuntimeError("no one may look inside")

    def __getitem__(self, index):
        return {"layer": "lstm", "units": 32}


class _SlyDict(dict):
    def __eq__(self, other):
        return True

    def items(self):
        yield "layer", "lstm"
        yield "units", _Anything()
        yield "return_sequences", _Anything()


def _hostile(last: dict):
    if SPEC == "sly_list":
        return _SlyList()
    if SPEC == "sly_dicts":
        return [_SlyDict(layer="lstm", units=32), last]
    if SPEC == "deep":
        nested = [last]
        for _ in range(100_000):
            nested = [nested]
        return nested
    if SPEC == "long":
        return [{"layer": "lstm", "units": 4}] + [{"layer": "dense", "units": 4}] * 999 + [last]
    return [{"layer": "lstm", "units": 10**6}, last]


LAYERS = _hostile({"layer": "dense", "units": 10, "activation": "softmax"})
ADDING_LAYERS = _hostile({"layer": "dense", "units": 1})
