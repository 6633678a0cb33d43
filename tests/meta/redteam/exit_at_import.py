"""Attack: end the worker at import, with exit code 0, before any check runs."""

import os

os._exit(0)
