"""The inbox's files: which are exports, which are ready, and moving them without losing one."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from splitpayout.adapters.files import file_sha256
from splitpayout.jobs.inbox.outcomes import InboxError


def is_export_name(name: str) -> bool:
    """An ``.xlsx`` name (any letter case) that is not hidden and not an Excel lock file (``~$``).

    LibreOffice's lock files (``.~lock.<name>#``) are hidden and do not end in ``.xlsx``.
    """
    return name.lower().endswith(".xlsx") and not name.startswith((".", "~$"))


def scan_inbox(
    inbox: Path, min_age_seconds: float, now: float | None = None
) -> tuple[list[Path], list[Path]]:
    """The exports directly in ``inbox``, oldest first: those ready, and those modified less than
    ``min_age_seconds`` ago (probably still being written). Folders and symlinks are left alone."""
    moment = time.time() if now is None else now
    found: list[tuple[float, str, Path]] = []
    with os.scandir(inbox) as entries:
        for entry in entries:
            if not is_export_name(entry.name):
                continue
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                modified = entry.stat(follow_symlinks=False).st_mtime
            except FileNotFoundError:
                continue  # taken away while we looked
            found.append((modified, entry.name, Path(entry.path)))
    ready: list[Path] = []
    waiting: list[Path] = []
    for modified, _, path in sorted(found):
        (ready if moment - modified >= min_age_seconds else waiting).append(path)
    return ready, waiting


sha256_of = file_sha256  # the name the inbox's callers use


def candidate_names(name: str) -> Iterator[str]:
    """``name``, then ``stem (2).ext``, ``stem (3).ext``, ..."""
    yield name
    dot = name.rfind(".")
    stem, suffix = (name[:dot], name[dot:]) if dot > 0 else (name, "")
    for number in range(2, 10_000):
        yield f"{stem} ({number}){suffix}"


def _fsync_dir(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some filesystems cannot sync a folder; the rename is still atomic
    finally:
        os.close(descriptor)


def _copy_then_remove(source: Path, target: Path) -> None:
    """Across filesystems: copy to a hidden temporary name, sync, rename, then remove the source.
    A crash at any point leaves the source, the copy, or both: never neither."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.partial")
    with source.open("rb") as reader, temporary.open("xb") as writer:
        shutil.copyfileobj(reader, writer)
        writer.flush()
        os.fsync(writer.fileno())
    shutil.copystat(source, temporary)
    os.replace(temporary, target)
    _fsync_dir(target.parent)
    source.unlink()


def move_file(source: Path, folder: Path, name: str | None = None, *, keep_free: str = "") -> Path:
    """Move ``source`` into ``folder`` (made if missing) as ``name`` (default its own), never
    overwriting a file there: a taken name gets a number, ``name (2).xlsx``. With ``keep_free``
    (a suffix such as ``.txt``), a name whose ``name + keep_free`` exists counts as taken too,
    so a file and its note stay a pair. Returns where the file is now."""
    folder.mkdir(parents=True, exist_ok=True)
    for candidate in candidate_names(name or source.name):
        target = folder / candidate
        if keep_free and target.with_name(target.name + keep_free).exists():
            continue
        try:
            os.link(source, target)  # fails rather than overwrite
        except FileExistsError:
            continue
        except OSError:  # no hard links here: another filesystem, or a share without them
            if target.exists():
                continue
            try:
                os.replace(source, target)
            except OSError as error:
                if error.errno != errno.EXDEV:
                    raise
                _copy_then_remove(source, target)
            _fsync_dir(folder)
            return target
        source.unlink()
        _fsync_dir(folder)
        return target
    raise InboxError(f"no free name for {source.name} in {folder}")


def write_note(path: Path, text: str) -> None:
    """Write a note whole or not at all."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()
