"""Streaming reader of the case-management export (docs/rules.md §1).

Reads the first worksheet of an ``.xlsx`` file one row at a time (memory stays flat
however long the file is): openpyxl reads the package (shared strings, styles), lxml
streams the sheet's rows (see ``_SheetRows`` for why). The header row is
the first row within the first ``HEADER_SEARCH_ROWS`` rows holding a cell
``Beslutsnummer``; header cells match the column names of docs/rules.md §1.1 ignoring letter
case and whitespace (``"  BELOPP "`` is ``Belopp``). Unknown columns are ignored.

Rows come out raw: ``(row_number, {column name: cell value})`` with the canonical
column names of docs/rules.md §1.1, plus the number format of the cells whose meaning
depends on it (``number_format_key(SHARE)``). A row whose known columns are all
empty is skipped. Turning values into a decision is ``planning.parsing.parse_row``'s job, so
one bad row never stops the others.

Anything that makes the whole file unusable raises ``ExportFileError`` with a code
and an English message that says exactly what is wrong (never a cell's value).
"""

from __future__ import annotations

import contextlib
import warnings
import zipfile
import zlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import IO, Any

from lxml import etree
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.utils.exceptions import InvalidFileException

from splitpayout.domain.errors import ExportFileError
from splitpayout.domain.export_columns import (
    A2_ID,
    A2_NAME,
    ACCOUNT_COLUMNS,
    ALL_COLUMNS,
    APPLICANTS,
    DECISION,
    DEFAULT_MAX_DECISIONS,
    NUMBER_FORMAT_COLUMNS,
    REQUIRED_COLUMNS,
    number_format_key,
)

HEADER_SEARCH_ROWS = 10
#: What the package may unpack to, per decision allowed, and at least (docs/rules.md §1.3).
UNPACKED_BYTES_PER_DECISION = 4096
MIN_UNPACKED_BYTES = 64 * 1024 * 1024

_OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_SIGNATURE = b"PK\x03\x04"
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
_BY_KEY = {" ".join(name.split()).casefold(): name for name in ALL_COLUMNS}
_HEADER_KEY = " ".join(DECISION.split()).casefold()

RawRow = tuple[int, dict[str, object]]
StrPath = str | PathLike[str]


def _header_key(value: object) -> str | None:
    if isinstance(value, str):
        return " ".join(value.split()).casefold()
    return None


@dataclass(frozen=True)
class ExportHeader:
    """Where the export's data starts and which column holds what."""

    file_name: str
    sheet: str
    row_number: int  # 1-based, as a spreadsheet program shows it
    columns: dict[str, int]  # canonical column name -> 0-based column index


def _has_encryption_stream(path: Path) -> bool:
    """Whether an OLE2 compound file holds an ``EncryptionInfo`` stream (an encrypted OOXML package)."""
    overlap = len(_ENCRYPTION_STREAM)
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            if _ENCRYPTION_STREAM in tail + chunk:
                return True
            tail = chunk[-overlap:]
    return False


def _sniff(path: Path) -> None:
    """Refuse files that are not a zip package before openpyxl sees them."""
    name = path.name
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
    except FileNotFoundError as exc:
        raise ExportFileError("unreadable", f"The export file {name} does not exist.") from exc
    except OSError as exc:
        raise ExportFileError(
            "unreadable", f"The export file {name} cannot be opened ({exc.strerror or type(exc).__name__})."
        ) from exc
    if not head:
        raise ExportFileError(
            "not_xlsx", f"The export file {name} is empty (0 bytes); expected an .xlsx workbook."
        )
    if head.startswith(_OLE2_SIGNATURE):
        if _has_encryption_stream(path):
            raise ExportFileError(
                "encrypted",
                f"The export file {name} is an encrypted (password-protected) workbook; "
                "save it again without a password.",
            )
        raise ExportFileError(
            "not_xlsx",
            f"The export file {name} is a legacy Excel 97-2003 (.xls) workbook; save it as .xlsx.",
        )
    if not head.startswith(_ZIP_SIGNATURE):
        looks_like_text = b"\x00" not in head
        hint = " It looks like a text file (for example CSV) with an .xlsx name." if looks_like_text else ""
        raise ExportFileError("not_xlsx", f"The export file {name} is not an .xlsx workbook.{hint}")


def unpacked_limit(max_decisions: int) -> int:
    """How many bytes an export allowed ``max_decisions`` rows may unpack to."""
    return max(MIN_UNPACKED_BYTES, max_decisions * UNPACKED_BYTES_PER_DECISION)


def _check_unpacked_size(handle: IO[bytes], name: str, max_decisions: int) -> None:
    """Refuse a package that unpacks to more than its row limit allows, before reading any part.

    The sizes are the archive's own; reading a part never yields more than its stated size
    (Python's zipfile stops there), so a file that lies about them cannot get past this.
    """
    try:
        with zipfile.ZipFile(handle) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise ExportFileError(
            "not_xlsx",
            f"The export file {name} is damaged or incomplete: it is not a readable .xlsx archive.",
        ) from exc
    finally:
        handle.seek(0)
    limit = unpacked_limit(max_decisions)
    if total > limit:
        raise ExportFileError(
            "export_too_large",
            f"The export file {name} unpacks to {total // (1 << 20)} MB, more than the "
            f"{limit // (1 << 20)} MB allowed for {max_decisions} decisions (MAX_DECISIONS): "
            "nothing was read. Split the export or raise MAX_DECISIONS.",
        )


def too_many_decisions(name: str, max_decisions: int) -> ExportFileError:
    """The error for an export with more data rows than one run takes."""
    return ExportFileError(
        "export_too_large",
        f"The export file {name} has more than {max_decisions} decisions (MAX_DECISIONS): "
        "nothing was planned or entered. Split the export or raise MAX_DECISIONS.",
    )


@contextlib.contextmanager
def _open_first_sheet(path: Path, max_decisions: int = DEFAULT_MAX_DECISIONS) -> Iterator[_SheetRows]:
    """The rows of the workbook's first worksheet."""
    _sniff(path)
    name = path.name
    with path.open("rb") as handle, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
        _check_unpacked_size(handle, name, max_decisions)
        package = _load(handle, name)
        try:
            yield _first_sheet(package, name)
        finally:
            package.archive.close()


def _load(handle: IO[bytes], name: str) -> Any:
    """The workbook package read by openpyxl (as ``load_workbook(read_only=True, data_only=True)``
    does) except its worksheets.

    ``load_workbook`` also builds every worksheet, and for a sheet without a stored size
    (openpyxl's own write-only files have none) that parses the whole sheet once more just
    to measure it. The package, shared strings, workbook and stylesheet are read by the same
    openpyxl steps; the rows are then read by ``_SheetRows``.
    """
    try:
        package = ExcelReader(handle, read_only=True, data_only=True)
        package.read_manifest()
        package.read_strings()
        package.read_workbook()
        apply_stylesheet(package.archive, package.wb)
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise ExportFileError(
            "not_xlsx",
            f"The export file {name} is damaged or incomplete: it is not a readable .xlsx archive.",
        ) from exc
    except (KeyError, InvalidFileException) as exc:
        raise ExportFileError(
            "not_xlsx", f"The export file {name} is a zip archive but not an Excel workbook."
        ) from exc
    except Exception as exc:
        raise ExportFileError(
            "unreadable", f"The export file {name} cannot be read as a workbook ({type(exc).__name__})."
        ) from exc
    return package


def _first_sheet(package: Any, name: str) -> _SheetRows:
    for sheet, relation in package.parser.find_sheets():
        if relation.target in package.valid_files and "chartsheet" not in relation.Type:
            return _SheetRows(package, sheet.name, relation.target, name)
    raise ExportFileError("unreadable", f"The export file {name} has no worksheet.")


class _SheetRows:
    """The rows of one worksheet, parsed with lxml straight from the open package.

    openpyxl opens and checks the workbook and supplies what a cell's meaning depends on:
    the shared strings, the cell styles, which styles are dates, the date epoch. Its own
    row parser costs about 20 µs per cell in pure Python, which made reading the sheet the
    bottleneck of planning; lxml's C ``iterparse`` reads the rows here at a fraction of that
    and converts each value the way openpyxl's read-only reader does (``data_only``:
    cached formula results). Rows come out as ``(row number, {0-based column: value},
    {0-based column: style id of a number cell})``; rows absent from the file are skipped
    (they are empty). Memory stays flat: each row element is discarded once read.
    """

    def __init__(self, package: Any, title: str, part: str, file_name: str) -> None:
        self.file_name = file_name
        self.title = title
        # openpyxl 3.1 reader internals (the version is pinned in requirements.txt).
        workbook = package.wb
        self._archive = package.archive
        self._path = part
        self._strings: list[Any] = package.shared_strings
        self._date_styles: set[int] = set(workbook._date_formats)
        self._timedelta_styles: set[int] = set(workbook._timedelta_formats)
        self._epoch = workbook.epoch
        self._cell_styles = workbook._cell_styles
        self._custom_formats = workbook._number_formats
        self._formats: dict[int, str] = {}

    def number_format(self, style_id: int) -> str:
        """The number format of a cell style, e.g. ``0%`` or ``General``."""
        cached = self._formats.get(style_id)
        if cached is None:
            try:
                fmt_id = self._cell_styles[style_id].numFmtId
            except IndexError:
                fmt_id = 0
            if fmt_id < BUILTIN_FORMATS_MAX_SIZE:
                cached = BUILTIN_FORMATS.get(fmt_id, "General")
            else:
                cached = self._custom_formats[fmt_id - BUILTIN_FORMATS_MAX_SIZE]
            self._formats[style_id] = cached
        return cached

    def __iter__(self) -> Iterator[tuple[int, dict[int, object], dict[int, int]]]:
        source = self._archive.open(self._path)
        try:
            events = etree.iterparse(
                source, events=("end",), tag=_ROW_TAG, resolve_entities=False, no_network=True
            )
            row_number = 0
            for _, row in events:
                number = row.get("r")
                row_number = int(number) if number else row_number + 1
                values, styles = self._cells(row)
                row.clear()
                while row.getprevious() is not None:
                    del row.getparent()[0]
                yield row_number, values, styles
        finally:
            source.close()

    def _cells(self, row: Any) -> tuple[dict[int, object], dict[int, int]]:
        values: dict[int, object] = {}
        styles: dict[int, int] = {}
        column = -1
        for cell in row:
            if cell.tag != _CELL_TAG:
                continue
            reference = cell.get("r")
            if reference:
                letters = reference.rstrip("0123456789")
                index = _COLUMN_INDEX.get(letters)
                column = index if index is not None else column_index_from_string(letters) - 1
            else:
                column += 1
            kind = cell.get("t", "n")
            if kind == "inlineStr":
                value: object = _inline_text(cell)
            else:
                text = cell.findtext(_VALUE_TAG)
                if text is None or text == "":
                    continue
                if kind == "s":
                    value = self._strings[int(text)]
                elif kind == "n":
                    number: int | float = int(text) if text.lstrip("-").isdigit() else float(text)
                    style = cell.get("s")
                    style_id = int(style) if style else 0
                    if style_id in self._date_styles:
                        value = self._date(number, style_id)
                    else:
                        value = number
                        if style_id:
                            styles[column] = style_id
                elif kind == "b":
                    value = text.strip() not in ("0", "false")
                elif kind == "d":
                    value = from_ISO8601(text)
                else:  # "str" (a formula's text result) and "e" (an error such as #N/A)
                    value = text
            if value is not None:
                values[column] = value
        return values, styles

    def _date(self, number: float, style_id: int) -> object:
        try:
            return from_excel(number, self._epoch, timedelta=style_id in self._timedelta_styles)
        except (OverflowError, ValueError):
            return "#VALUE!"  # as openpyxl: a date cell whose serial is out of range is an error


_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW_TAG = f"{_MAIN_NS}row"
_CELL_TAG = f"{_MAIN_NS}c"
_VALUE_TAG = f"{_MAIN_NS}v"
_INLINE_TAG = f"{_MAIN_NS}is"
_TEXT_TAG = f"{_MAIN_NS}t"
_RUN_TAG = f"{_MAIN_NS}r"
_COLUMN_INDEX = {
    **{chr(65 + i): i for i in range(26)},
    **{chr(65 + i) + chr(65 + j): 26 * (i + 1) + j for i in range(26) for j in range(26)},
}


def _inline_text(cell: Any) -> str | None:
    """The text of an inline string: its ``t`` element, or the ``t`` of each rich-text run."""
    for inline in cell:
        if inline.tag != _INLINE_TAG:
            continue
        if len(inline) == 1 and inline[0].tag == _TEXT_TAG:  # the usual case, kept fast
            text: str | None = inline[0].text
            return text or ""
        parts = [child.text or "" for child in inline.iterchildren(_TEXT_TAG)]
        if not parts:
            parts = [run.findtext(_TEXT_TAG) or "" for run in inline.iterchildren(_RUN_TAG)]
        return "".join(parts)
    return None


def _next_row(rows: Iterator[Any], name: str, row_number: int) -> Any:
    """The next row, or None at the end; a damaged sheet becomes ExportFileError."""
    try:
        return next(rows, None)
    except Exception as exc:
        raise ExportFileError(
            "unreadable",
            f"The export file {name} is damaged: its first sheet cannot be read beyond row {row_number}.",
        ) from exc


def _find_header(
    rows: Iterator[tuple[int, dict[int, object], dict[int, int]]], sheet: _SheetRows
) -> ExportHeader:
    last = 0
    while (item := _next_row(rows, sheet.file_name, last)) is not None:
        row_number, values, _ = item
        if row_number > HEADER_SEARCH_ROWS:
            break
        last = row_number
        keys = {index: _header_key(value) for index, value in values.items()}
        if _HEADER_KEY in keys.values():
            return _header_from(keys, sheet.file_name, sheet.title, row_number)
    raise ExportFileError(
        "no_header",
        f"No header row in the export file {sheet.file_name}: none of the first {HEADER_SEARCH_ROWS} rows "
        f"of sheet '{sheet.title}' has a column named {DECISION}.",
    )


def _header_from(keys: dict[int, str | None], file_name: str, sheet: str, row_number: int) -> ExportHeader:
    columns: dict[str, int] = {}
    repeated: list[str] = []
    for index, key in sorted(keys.items()):
        canonical = _BY_KEY.get(key) if key is not None else None
        if canonical is None:
            continue
        if canonical in columns:
            repeated.append(canonical)
        else:
            columns[canonical] = index
    if repeated:
        names = ", ".join(dict.fromkeys(repeated))
        raise ExportFileError(
            "duplicate_columns",
            f"The header row (row {row_number}) of the export file {file_name} has these columns "
            f"more than once, so it is unclear which to use: {names}.",
            tuple(dict.fromkeys(repeated)),
        )
    missing = tuple(name for name in REQUIRED_COLUMNS if name not in columns)
    if missing:
        raise ExportFileError(
            "missing_columns",
            f"The export file {file_name} lacks required columns in its header row (row {row_number}): "
            f"{', '.join(missing)}.",
            missing,
        )
    incomplete = incomplete_groups(columns)
    if incomplete:
        raise ExportFileError(
            "missing_columns",
            f"The export file {file_name} has only part of a group of columns that belong together in its "
            f"header row (row {row_number}); it lacks: {', '.join(incomplete)}.",
            incomplete,
        )
    return ExportHeader(file_name=file_name, sheet=sheet, row_number=row_number, columns=columns)


def incomplete_groups(columns: Collection[str]) -> tuple[str, ...]:
    """The columns missing from a group the header has only part of (docs/rules.md §1).

    Sökande 2's identity number and name come together. Account columns are optional, but an
    export that has any has clearing and account number for every applicant it names: one
    without the other would send every decision to manual handling for an empty account.
    """
    missing: list[str] = []
    second = (A2_ID, A2_NAME)
    if any(name in columns for name in second):
        missing.extend(name for name in second if name not in columns)
    if any(name in columns for name in ACCOUNT_COLUMNS):
        for applicant in APPLICANTS:
            if any(name in columns for name in applicant.all):
                pair = (applicant.clearing, applicant.account)
                missing.extend(name for name in pair if name not in columns)
    return tuple(dict.fromkeys(missing))


def missing_for_split(header: ExportHeader) -> tuple[str, ...]:
    """The columns a split decision needs that the header lacks: Sökande 2's identity number and
    name, and, with no account column at all, the account columns (both partners' own accounts)."""
    missing = [name for name in (A2_ID, A2_NAME) if name not in header.columns]
    if not any(name in header.columns for name in ACCOUNT_COLUMNS):
        missing.extend(ACCOUNT_COLUMNS)
    return tuple(missing)


def read_header(path: StrPath, *, max_decisions: int = DEFAULT_MAX_DECISIONS) -> ExportHeader:
    """Open the export and check its header; raises ExportFileError when the file cannot be used.

    Reads at most the first ``HEADER_SEARCH_ROWS`` rows, so a robot can fail fast before planning.
    """
    with _open_first_sheet(Path(path), max_decisions) as sheet:
        return _find_header(iter(sheet), sheet)


def iter_rows(
    path: StrPath, *, columns: Collection[str] | None = None, max_decisions: int = DEFAULT_MAX_DECISIONS
) -> Iterator[RawRow]:
    """Every non-empty data row of the export as ``(row_number, {column: value})``, streamed.

    ``columns`` limits which known columns are extracted (default: all present in the file).
    A row counts as empty when every known column of the file is empty, whatever ``columns``
    asks for, so every caller sees the same rows. Raises ExportFileError for a file-level
    problem, including ``no_decisions`` (raised at the end) when there is no data row at all,
    and ``export_too_large`` when the package unpacks to more than ``max_decisions`` allow
    (before any row) or as soon as there is a data row more than ``max_decisions``.
    """
    wanted = set(ALL_COLUMNS if columns is None else columns)
    with _open_first_sheet(Path(path), max_decisions) as sheet:
        rows = iter(sheet)
        header = _find_header(rows, sheet)
        extract = [(column, index) for column, index in header.columns.items() if column in wanted]
        formats = [(column, index) for column, index in extract if column in NUMBER_FORMAT_COLUMNS]
        known = set(header.columns.values())
        row_number = header.row_number
        found = 0
        while (item := _next_row(rows, sheet.file_name, row_number)) is not None:
            row_number, values, styles = item
            if not any(not _is_blank(values[index]) for index in known.intersection(values)):
                continue
            raw: dict[str, object] = {column: values.get(index) for column, index in extract}
            for column, index in formats:
                style_id = styles.get(index)
                if style_id is not None:
                    raw[number_format_key(column)] = sheet.number_format(style_id)
            found += 1
            if found > max_decisions:
                raise too_many_decisions(sheet.file_name, max_decisions)
            yield row_number, raw
        if not found:
            raise ExportFileError(
                "no_decisions",
                f"The export file {sheet.file_name} has a header row (row {header.row_number}) "
                "but no decisions below it.",
            )


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
