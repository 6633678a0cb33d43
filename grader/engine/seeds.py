"""An instructor's secret seed: where it comes from, what checks derive from it,
and the fingerprint reports keep of it (never the secret itself)."""

from __future__ import annotations

import hashlib
import os

SEED_ENV = "NNLAB_SEED"


def secret_seed(given: str | None) -> str:
    """The secret seed: `given` when not None, else $NNLAB_SEED ("" when neither)."""
    return given if given is not None else os.environ.get(SEED_ENV, "")


def derived_seed(secret: str, check: str) -> int:
    """A seed for one check: stable for one secret, unrelated between secrets."""
    digest = hashlib.sha256(f"{secret}\0{check}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def seed_fingerprint(secret: str) -> str:
    """What a report records of a secret seed: enough to tell two seeds apart, not to
    recover it ("" for no seed)."""
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:12] if secret else ""
