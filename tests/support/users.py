"""Users files and secrets for the tests of the stand-in's and the console's settings."""

from __future__ import annotations

import json
from pathlib import Path

from werkzeug.security import generate_password_hash

# Random-looking: production refuses secrets of few different characters (e.g. 40 × "s").
STRONG_SECRET = "kQ3v9LrT7xWm2PzN8bYc4HsJ6dGf1AeU5oRi0VtXlK"


def quick_hash(password: str) -> str:
    """The password hashed cheaply: the (slow) default would be paid at every load of the file."""
    return generate_password_hash(password, method="pbkdf2:sha256:1000")


def users_file(tmp_path: Path, users: object, name: str = "users.json") -> Path:
    """``users`` written as a users file (JSON) in ``tmp_path``."""
    path = tmp_path / name
    path.write_text(json.dumps(users), encoding="utf-8")
    return path
