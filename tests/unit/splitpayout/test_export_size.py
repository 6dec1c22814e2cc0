"""A file is never trusted to be as small as it looks: too many rows, or a package that unpacks
to more than its row limit allows, is refused as a whole (``export_too_large``) before any
planning, quickly and in little memory."""

from __future__ import annotations

import tracemalloc
import zipfile
from pathlib import Path

import pytest
from export_builder import TODAY, raw_row, write_export
from splitpayout.adapters.reader import read_header, unpacked_limit
from splitpayout.domain.errors import ExportFileError
from splitpayout.domain.export_columns import ALL_COLUMNS, DEFAULT_MAX_DECISIONS
from splitpayout.domain.planning.rules import PlanningRules
from splitpayout.jobs.export_plan import plan_export

SHEET = "xl/worksheets/sheet1.xml"


def inflate(template: Path, target: Path, rows: int, *, cell: str) -> Path:
    """A copy of ``template`` whose first sheet holds the header and then ``rows`` tiny rows,
    written as a stream: a file of a few hundred kB that unpacks to many MB."""
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            if info.filename != SHEET:
                out.writestr(info, source.read(info.filename))
        with out.open(SHEET, "w", force_zip64=True) as sheet:
            head = "".join(
                f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{name}</t></is></c>'
                for i, name in enumerate(ALL_COLUMNS)
            )
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxml'
                b'formats.org/spreadsheetml/2006/main"><sheetData><row r="1">' + head.encode() + b"</row>"
            )
            chunk: list[str] = []
            for number in range(2, rows + 2):
                chunk.append(f'<row r="{number}">{cell.format(row=number)}</row>')
                if len(chunk) == 10_000:
                    sheet.write("".join(chunk).encode())
                    chunk.clear()
            sheet.write(("".join(chunk) + "</sheetData></worksheet>").encode())
    return target


@pytest.fixture
def template(tmp_path: Path) -> Path:
    return write_export(tmp_path / "template.xlsx", [raw_row()])


def test_one_row_more_than_max_decisions_is_refused_naming_the_limit(tmp_path: Path) -> None:
    path = write_export(tmp_path / "e.xlsx", [raw_row(Beslutsnummer=f"B-{n}") for n in range(21)])
    with pytest.raises(ExportFileError) as raised:
        list(plan_export(path, PlanningRules(TODAY, max_decisions=20)))
    assert raised.value.code == "export_too_large"
    assert "MAX_DECISIONS" in raised.value.message and "20" in raised.value.message
    assert len(list(plan_export(path, PlanningRules(TODAY, max_decisions=21)))) == 21


@pytest.mark.slow  # reads a million rows
def test_a_million_tiny_rows_are_refused_at_the_first_row_too_many_in_little_memory(
    tmp_path: Path, template: Path
) -> None:
    path = inflate(template, tmp_path / "rows.xlsx", 1_000_000, cell='<c r="A{row}"><v>1</v></c>')
    assert path.stat().st_size < 6_000_000  # a few MB on disk
    tracemalloc.start()
    try:
        with pytest.raises(ExportFileError) as raised:
            list(plan_export(path, PlanningRules(TODAY)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert raised.value.code == "export_too_large"
    assert f"more than {DEFAULT_MAX_DECISIONS} decisions" in raised.value.message
    assert peak < 50 * 1024 * 1024


@pytest.mark.slow  # unpacks a package up to its limit
def test_a_package_that_unpacks_beyond_its_limit_is_refused_before_any_row_is_read(
    tmp_path: Path, template: Path
) -> None:
    cell = '<c r="A{row}" t="inlineStr"><is><t>xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx</t></is></c>'
    row_bytes = len(f'<row r="500000">{cell.format(row=500000)}</row>')
    rows = (unpacked_limit(100) + (4 << 20)) // row_bytes  # just beyond the smallest limit
    assert unpacked_limit(100) < rows * row_bytes < unpacked_limit(20_000)
    path = inflate(template, tmp_path / "bomb.xlsx", rows, cell=cell)
    for attempt in (
        lambda: read_header(path, max_decisions=100),
        lambda: list(plan_export(path, PlanningRules(TODAY))),
    ):
        tracemalloc.start()
        try:
            with pytest.raises(ExportFileError) as raised:
                attempt()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert raised.value.code == "export_too_large"
        assert peak < 20 * 1024 * 1024
    # the same file under a larger limit is read (and then refused only for its rows)
    with pytest.raises(ExportFileError, match="more than 20000 decisions"):
        list(plan_export(path, PlanningRules(TODAY, max_decisions=20_000)))
