"""All database access goes through here: one SQLite connection per request, parameterised SQL only.

The connection helpers are ``webcommon.db``'s (autocommit; ``transaction`` for atomic writes);
here are the stand-in's tables.
"""

from __future__ import annotations

from pathlib import Path

from webcommon import db as web_db
from webcommon.db import SESSIONS_SCHEMA, connect, get_db, transaction
from webcommon.throttle import THROTTLE_SCHEMA

__all__ = ["FIRST_PAYMENT_SEQUENCE", "SCHEMA", "connect", "get_db", "init_schema", "transaction"]
FIRST_PAYMENT_SEQUENCE = 100_001

APP_SCHEMA = """
CREATE TABLE IF NOT EXISTS payments (
    seq            INTEGER PRIMARY KEY,
    payment_number TEXT NOT NULL UNIQUE,
    reference      TEXT NOT NULL,
    personnummer   TEXT NOT NULL,
    name           TEXT NOT NULL,
    method         TEXT NOT NULL CHECK (method IN ('KONTO', 'AVI', 'BANKGIRO')),
    clearing       TEXT,
    account        TEXT,
    bankgiro       TEXT,
    ocr            TEXT,
    amount_ore     INTEGER NOT NULL CHECK (amount_ore > 0),
    payout_date    TEXT NOT NULL,
    message        TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL DEFAULT 'registrerad' CHECK (status IN ('registrerad', 'attesterad')),
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    attested_by    TEXT,
    attested_at    TEXT
);
CREATE INDEX IF NOT EXISTS payments_reference ON payments (reference COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS payments_personnummer ON payments (personnummer);
CREATE INDEX IF NOT EXISTS payments_payout_date ON payments (payout_date);

CREATE TABLE IF NOT EXISTS audit_log (
    id             INTEGER PRIMARY KEY,
    at             TEXT NOT NULL,
    username       TEXT NOT NULL,
    action         TEXT NOT NULL,
    payment_number TEXT
);
"""
SCHEMA = SESSIONS_SCHEMA + THROTTLE_SCHEMA + APP_SCHEMA


def init_schema(path: Path | str) -> None:
    """Create the database file (and its folder) and the tables if they do not exist yet."""
    web_db.init_schema(path, SCHEMA)
