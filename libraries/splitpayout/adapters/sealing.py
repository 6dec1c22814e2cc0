"""The personal part of a work item, sealed with a key only the municipality's robots hold.

Control Room keeps every work item's payload and files in the vendor's cloud. What the vendor
may see is what it orchestrates: decision numbers, references, amounts, outcomes. Names,
identity numbers, accounts, bankgiro and OCR numbers travel only sealed: encrypted and
authenticated with Fernet (AES-128-CBC with an HMAC-SHA256, from ``cryptography``) under the
work-item key, which is given to the municipality's own workers in ``WORK_ITEM_KEYS`` or in
the file ``WORK_ITEM_KEY_FILE``, never through Control Room's vault.

Keys are a list, newest first: the newest seals, any of them opens (``MultiFernet``), so a key
is rotated by putting the new one first and dropping the old one once no work item sealed
with it is left (docs/work-items.md, "Rotating the key").

``python -m splitpayout.adapters.sealing new-key`` prints a new key;
``python -m splitpayout.adapters.sealing seal EXPORT`` writes ``EXPORT.sealed``, the export as
the producer's input work item carries it.
"""

from __future__ import annotations

import argparse
import json
import re
import stat
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from splitpayout.config import Credentials
from webcommon.files import open_private

KEYS_VARIABLE = "WORK_ITEM_KEYS"
KEY_FILE_VARIABLE = "WORK_ITEM_KEY_FILE"
#: The suffix of a sealed file (the producer's export: ``beslut.xlsx.sealed``).
SEALED_SUFFIX = ".sealed"


class WorkItemKeyError(RuntimeError):
    """No usable work-item key, or none that opens a work item: the work goes back, untouched.

    ``code`` is the release's exception code; ``plain`` a sentence for the operator; the text
    of the error is the English detail for the log. Neither holds a key or a sealed value.
    """

    def __init__(self, code: str, detail: str, plain: str) -> None:
        super().__init__(detail)
        self.code = code
        self.plain = plain


def missing_key() -> WorkItemKeyError:
    return WorkItemKeyError(
        "work_item_key_missing",
        f"no work-item key: set {KEYS_VARIABLE} or {KEY_FILE_VARIABLE} on this machine",
        "Roboten saknar nyckeln till arbetsposterna på den här datorn; inget har registrerats"
        " och posterna ligger kvar. Be driften lägga in nyckeln och kör igen.",
    )


def wrong_key() -> WorkItemKeyError:
    return WorkItemKeyError(
        "work_item_key_wrong",
        f"no key of {KEYS_VARIABLE} / {KEY_FILE_VARIABLE} opens the work item's sealed part"
        " (a wrong, old or rotated-away key, or a sealed part that was changed)",
        "Roboten har fel nyckel till arbetsposterna; inget har registrerats och posterna ligger"
        " kvar. Be driften lägga in rätt nyckel (den nyaste först) och kör igen.",
    )


def unusable_key(detail: str) -> WorkItemKeyError:
    return WorkItemKeyError(
        "work_item_key_invalid",
        detail,
        "Nyckeln till arbetsposterna är felaktigt angiven; inget har registrerats och posterna"
        " ligger kvar. Be driften rätta nyckeln och kör igen.",
    )


class Sealer:
    """Seals with the newest key and opens with any (newest first)."""

    def __init__(self, keys: Iterable[bytes]) -> None:
        fernets = [Fernet(key) for key in keys]
        if not fernets:
            raise missing_key()
        self._fernet = MultiFernet(fernets)

    def seal(self, document: dict[str, Any]) -> str:
        """``document`` as JSON, encrypted and authenticated: a Fernet token (text)."""
        data = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return self._fernet.encrypt(data).decode("ascii")

    def open(self, token: str) -> dict[str, Any]:
        """The document ``seal`` sealed; ``WorkItemKeyError`` when no key opens it."""
        data = self.open_bytes(token.encode("ascii", errors="replace"))
        document = json.loads(data)
        if not isinstance(document, dict):
            raise wrong_key()
        return document

    def seal_bytes(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def open_bytes(self, token: bytes) -> bytes:
        try:
            return self._fernet.decrypt(token)
        except InvalidToken:
            raise wrong_key() from None


def parse_keys(text: str, where: str) -> list[bytes]:
    """The keys of ``text`` (separated by commas, spaces or lines; ``#`` starts a comment line).

    Only a line feed ends a line and only a space, a tab or a carriage return separates keys: any
    other character (a record separator, say) is part of a key, so it is refused, never skipped."""
    keys: list[bytes] = []
    lines = [line for line in text.split("\n") if not line.strip(" \t\r").startswith("#")]
    parts = re.split(r"[ \t\r,]+", " ".join(lines))
    for number, part in enumerate((part for part in parts if part), start=1):
        key = part.encode("ascii", errors="replace")
        try:
            Fernet(key)
        except ValueError:
            raise unusable_key(
                f"key {number} of {where} is not a work-item key (32 bytes in URL-safe base64,"
                " as `python -m splitpayout.adapters.sealing new-key` prints)"
            ) from None
        keys.append(key)
    return keys


def sealer_from(keys_text: str, key_file: Path | None) -> Sealer:
    """The sealer of ``WORK_ITEM_KEYS`` followed by the keys of ``WORK_ITEM_KEY_FILE``.

    Raises ``WorkItemKeyError``: no key at all, a malformed one, or a key file that cannot be
    read or that others than its owner may read.
    """
    keys = parse_keys(keys_text, KEYS_VARIABLE)
    if key_file is not None:
        try:
            mode = stat.S_IMODE(key_file.stat().st_mode)
            text = key_file.read_text(encoding="ascii", errors="replace")
        except OSError as error:
            raise unusable_key(f"{KEY_FILE_VARIABLE} cannot be read ({error.strerror})") from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise unusable_key(
                f"{KEY_FILE_VARIABLE} may be read by others than its owner (mode {mode:04o}): chmod 600 it"
            )
        keys += parse_keys(text, KEY_FILE_VARIABLE)
    return Sealer(keys)


def seal_file(sealer: Sealer, source: Path, target: Path) -> Path:
    """Write ``source`` sealed to ``target`` (owner-only)."""
    with open_private(target, "wb") as handle:
        handle.write(sealer.seal_bytes(source.read_bytes()))
    return target


def open_file(sealer: Sealer, source: Path, target: Path) -> Path:
    """Write the opened ``source`` to ``target`` (owner-only); ``WorkItemKeyError`` when no key opens it."""
    data = sealer.open_bytes(source.read_bytes())
    with open_private(target, "wb") as handle:
        handle.write(data)
    return target


def work_item_sealer(credentials: Credentials | None = None) -> Sealer:
    """The work-item key(s): WORK_ITEM_KEYS, then the keys of WORK_ITEM_KEY_FILE; never the vault,
    which Control Room holds. Raises ``WorkItemKeyError`` (missing, malformed, readable by others)."""
    given = credentials or Credentials.from_env()
    return sealer_from(given.work_item_keys.get_secret_value(), given.work_item_key_file)


def main(argv: list[str] | None = None) -> int:
    summary = (__doc__ or "").split("\n\n")[0]
    parser = argparse.ArgumentParser(prog="python -m splitpayout.adapters.sealing", description=summary)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("new-key", help="print a new work-item key")
    seal = commands.add_parser("seal", help=f"write EXPORT{SEALED_SUFFIX}, sealed with the newest key")
    seal.add_argument("export", type=Path)
    args = parser.parse_args(argv)
    if args.command == "new-key":
        print(Fernet.generate_key().decode("ascii"))
        return 0
    # Run as ``-m``, this module is ``__main__``: the configuration raises the package's own error.
    from splitpayout.adapters import sealing

    try:
        sealer = sealing.work_item_sealer()
    except sealing.WorkItemKeyError as error:
        print(f"seal: {error}", file=sys.stderr)
        return 2
    target = sealing.seal_file(sealer, args.export, args.export.with_name(args.export.name + SEALED_SUFFIX))
    print(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
