"""Optional login for a shared studio: annotator accounts with hashed passwords.

Accounts live in `.streamlit/secrets.toml` under `[annotators]`, as
`name = "<hash>"`, the hash made by `semi hash-password`. With no accounts configured
the login is off and each session types its annotator name.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

ALGORITHM = "pbkdf2_sha256"
ITERATIONS = 200_000


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, ITERATIONS)
    encoded = base64.b64encode(salt).decode(), base64.b64encode(digest).decode()
    return f"{ALGORITHM}${ITERATIONS}${encoded[0]}${encoded[1]}"


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches a hash made by `hash_password` (constant time)."""
    try:
        algorithm, iterations, salt, digest = stored.split("$")
        if algorithm != ALGORITHM:
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.pbkdf2_hmac(
            "sha256", password.encode(), base64.b64decode(salt), int(iterations)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def check_login(accounts: dict[str, str], name: str, password: str) -> bool:
    stored = accounts.get(name.strip())
    return bool(stored) and verify_password(password, stored)
