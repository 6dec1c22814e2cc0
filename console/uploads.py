"""Uploaded exports: checked (size, type), kept in the console's storage and read back for the run.

Each upload gets its own folder, ``<data dir>/uploads/<upload id>/`` (0700), holding the
file under a label that says nothing personal, ``export-<date>-<short SHA-256>.xlsx``: the
run's log, summary and the operators' history only ever see that label (a case worker's
file name may hold a name or an identity number). The original (cleaned) name is kept in
the console's uploads table and shown only to case workers. The SHA-256 recorded at upload
is checked again before the real run: the real run uses exactly the file that was
previewed. The file is owner-only and made read-only once stored (0400).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
import shutil
import stat
import unicodedata
import zipfile
from pathlib import Path
from typing import IO

from console import store
from console.settings import Settings
from webcommon.files import export_label, open_private, private_dir

UPLOAD_ID = re.compile(r"^[0-9a-f]{16}$")
CHUNK = 1024 * 1024
_UNSAFE = re.compile(r"[^\w .()+-]+")

NO_FILE = "Välj exportfilen (.xlsx) som du vill ladda upp."
EMPTY = "Filen är tom. Välj exportfilen (.xlsx) och försök igen."
NOT_XLSX = (
    "Filen är inte en Excel-arbetsbok (.xlsx). Spara exporten som Excel-arbetsbok (.xlsx), "
    "utan lösenord, och ladda upp den igen."
)


def too_big_message(limit_bytes: int) -> str:
    megabytes = f"{limit_bytes / (1024 * 1024):g}".replace(".", ",")
    return f"Filen är för stor. Största tillåtna storlek är {megabytes} MB."


class UploadRefusedError(Exception):
    """The upload is not accepted; the message (Swedish) says why and what to do."""


def clean_file_name(name: str) -> str:
    """The base name of an uploaded file, safe to store: letters (also å, ä, ö), digits, space and
    ``._-()+``; no folders, never hidden, at most 100 characters, ending in ``.xlsx``."""
    base = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    stem = base[: -len(".xlsx")] if base.lower().endswith(".xlsx") else base
    stem = _UNSAFE.sub("_", stem).strip(" ._") or "export"
    return f"{stem[:95]}.xlsx"


def is_xlsx(path: Path) -> bool:
    """An Office Open XML workbook: a zip holding a workbook part (read without unpacking)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return "[Content_Types].xml" in names and "xl/workbook.xml" in names


def store_upload(stream: IO[bytes], original_name: str, settings: Settings, username: str) -> store.Upload:
    """Check and keep an uploaded export; raises UploadRefusedError (nothing is kept then)."""
    if not original_name:
        raise UploadRefusedError(NO_FILE)
    if not original_name.lower().endswith(".xlsx"):
        raise UploadRefusedError(NOT_XLSX)
    upload_id = secrets.token_hex(8)
    folder = settings.uploads_dir / upload_id
    if folder.exists():  # pragma: no cover - 64 random bits
        raise FileExistsError(folder)
    private_dir(folder)
    name = clean_file_name(original_name)
    partial = folder / "upload.partial"
    digest = hashlib.sha256()
    size = 0
    try:
        with open_private(partial, "xb") as handle:
            for chunk in iter(lambda: stream.read(CHUNK), b""):
                size += len(chunk)
                if size > settings.max_upload_bytes:
                    raise UploadRefusedError(too_big_message(settings.max_upload_bytes))
                digest.update(chunk)
                handle.write(chunk)
        if size == 0:
            raise UploadRefusedError(EMPTY)
        if not is_xlsx(partial):
            raise UploadRefusedError(NOT_XLSX)
        uploaded_at = store.now_iso()
        target = partial.rename(folder / export_label(digest.hexdigest(), uploaded_at[:10]))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    target.chmod(stat.S_IRUSR)
    return store.Upload(
        upload_id=upload_id,
        file_name=name,
        stored_path=str(target.relative_to(settings.data_dir)),
        sha256=digest.hexdigest(),
        size_bytes=size,
        uploaded_by=username,
        uploaded_at=uploaded_at,
    )


def upload_path(settings: Settings, upload: store.Upload) -> Path:
    """Where an upload's file is kept (inside the uploads folder, whatever the database says)."""
    root = settings.uploads_dir.resolve()
    path = (settings.data_dir / upload.stored_path).resolve()
    if path.parent.parent != root:
        raise UploadRefusedError("Filen finns inte längre. Ladda upp exporten igen.")
    return path


def discard(settings: Settings, upload_id: str) -> None:
    """Remove an upload's folder (when its preview could not be started)."""
    if UPLOAD_ID.fullmatch(upload_id):
        folder = settings.uploads_dir / upload_id
        with contextlib.suppress(OSError):
            for path in folder.iterdir():
                path.chmod(stat.S_IRUSR | stat.S_IWUSR)
        shutil.rmtree(folder, ignore_errors=True)
