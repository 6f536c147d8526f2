"""Reading an office's register of still-valid results (the report's denominators) and loading
the unit seeds.

Register format (CSV in UTF-8, comma or semicolon separated, or the first sheet of an XLSX): a
header row with at least the columns ``unit_code``, ``year``, ``total`` (in any order, any case;
other columns such as ``unit_name`` are ignored), then one row per unit and year::

    unit_code,year,total,unit_name
    67,2024,1250,Tỉnh Đắk Nông
    663,2024,830,Huyện Đắk Mil
    24640,2024,140,Thị trấn Ea T'Ling

``total`` is how many results of administrative procedures that unit issued which are still valid
(kết quả giải quyết TTHC còn hiệu lực) for that year. Every row is checked before anything is
written; if any row is bad, :class:`~schemas.errors.RegisterInvalid` lists each bad row with its
line number and why, and nothing is imported. This is the only module that imports ``openpyxl``.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from schemas.errors import RegisterInvalid
from schemas.ledger import Succession, Unit
from schemas.targets import DAK_NONG_392, expand
from schemas.units import load_seed
from storage.ledger import ImportReport, Ledger, RegisterRow, UnitsLoaded

REQUIRED = ("unit_code", "year", "total")
_CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
MIN_YEAR, MAX_YEAR = 2000, 2100


def _cells_csv(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RegisterInvalid(
            "not UTF-8 text",
            problems=[(1, f"the file is not UTF-8 text ({exc.reason}): save it as CSV UTF-8")],
        ) from exc
    first = text.splitlines()[0] if text else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        yield number, list(row)


def _cells_xlsx(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - a dependency
        raise RegisterInvalid(
            "openpyxl missing", problems=[(1, "XLSX needs openpyxl: pip install openpyxl")]
        ) from exc
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - zipfile/XML errors of a damaged file
        raise RegisterInvalid("unreadable XLSX", problems=[(1, f"not a readable XLSX file: {exc}")]) from exc
    try:
        sheet = book.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(row)
    finally:
        book.close()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def _integer(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{what} {value!r} is not a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise ValueError(f"{what} {value!r} is not a whole number")
    text = _text(value).replace("\u00a0", "").replace(" ", "")
    if not text:
        raise ValueError(f"{what} is empty")
    if not re.fullmatch(r"-?\d+", text):
        raise ValueError(f"{what} {text!r} is not a whole number")
    return int(text)


def parse_register(
    cells: Iterable[tuple[int, list[Any]]], known_units: set[str] | None = None
) -> list[RegisterRow]:
    """Validate every row; raise :class:`RegisterInvalid` listing all bad rows, else return them."""
    problems: list[tuple[int, str]] = []
    rows: list[RegisterRow] = []
    seen: dict[tuple[str, int], int] = {}
    columns: dict[str, int] | None = None
    for number, raw in cells:
        values = [_text(v) for v in raw]
        if not any(values):
            continue
        if columns is None:
            header = [v.lower() for v in values]
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise RegisterInvalid(
                    "bad header",
                    problems=[
                        (number, f"header lacks column(s) {', '.join(missing)}; need {', '.join(REQUIRED)}")
                    ],
                )
            columns = {c: header.index(c) for c in REQUIRED}
            continue
        cell = {c: (raw[i] if i < len(raw) else None) for c, i in columns.items()}
        why: list[str] = []
        code = _text(cell["unit_code"])
        if not code:
            why.append("unit_code is empty")
        elif not _CODE_RE.fullmatch(code):
            why.append(f"unit_code {code!r} is not a unit code (letters, digits, . _ -)")
        elif known_units is not None and code not in known_units:
            why.append(f"unit_code {code!r} is not a known unit (load units first: sohoa units load)")
        year = total = None
        try:
            year = _integer(cell["year"], "year")
            if not MIN_YEAR <= year <= MAX_YEAR:
                why.append(f"year {year} is out of range {MIN_YEAR}-{MAX_YEAR}")
        except ValueError as exc:
            why.append(str(exc))
        try:
            total = _integer(cell["total"], "total")
            if total < 0:
                why.append(f"total {total} is negative")
        except ValueError as exc:
            why.append(str(exc))
        if not why and year is not None:
            first = seen.setdefault((code, year), number)
            if first != number:
                why.append(f"unit {code} year {year} is already on line {first}")
        if why:
            problems.append((number, "; ".join(why)))
        elif year is not None and total is not None:
            rows.append(RegisterRow(number, code, year, total))
    if columns is None:
        raise RegisterInvalid(
            "empty", problems=[(1, f"the file is empty; need a header {','.join(REQUIRED)}")]
        )
    if problems:
        raise RegisterInvalid(f"{len(problems)} bad row(s)", problems=problems)
    if not rows:
        raise RegisterInvalid("no rows", problems=[(1, "the file has a header but no rows")])
    return rows


def read_register(path: Path, known_units: set[str] | None = None) -> list[RegisterRow]:
    """Read and validate a register file (``.csv`` or ``.xlsx``)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise RegisterInvalid(str(exc), problems=[(0, f"cannot read {path}: {exc.strerror}")]) from exc
    suffix = Path(path).suffix.lower()
    if suffix == ".xlsx" or data[:4] == b"PK\x03\x04":
        return parse_register(_cells_xlsx(data), known_units)
    if suffix in (".csv", ".txt", ""):
        return parse_register(_cells_csv(data), known_units)
    raise RegisterInvalid("unsupported", problems=[(0, f"{path.name}: use a .csv (UTF-8) or .xlsx file")])


def import_register(ledger: Ledger, path: Path) -> ImportReport:
    """Validate the whole file against the ledger's units, then write it in one transaction."""
    known = {u.code for u in ledger.units()}
    rows = read_register(path, known)
    return ledger.import_register(rows)


def load_units_seed(ledger: Ledger, name: str, *, with_targets: bool = True) -> UnitsLoaded:
    """Load a shipped seed (``dak-nong-2021``, ``lam-dong-2025``) idempotently; with
    ``with_targets``, also write Plan 392's targets year by year so they can be edited."""
    seed = load_seed(name)
    units = [
        Unit(
            code=u.code,
            name=u.name,
            level=u.level,
            parent_code=u.parent_code,
            unit_type=u.unit_type,
            valid_from=u.valid_from,
            valid_to=u.valid_to,
            source=u.source,
        )  # fmt: skip
        for u in seed.units
    ]
    links = [
        Succession(
            predecessor_code=s.predecessor_code,
            successor_code=s.successor_code,
            kind=s.kind,
            effective=s.effective,
            note=s.note,
        )  # fmt: skip
        for s in seed.successions
    ]
    loaded = ledger.load_units(units, links, source=f"seed {name}")
    if with_targets and ledger.plan_targets(DAK_NONG_392.name) is None:
        ledger.set_targets(DAK_NONG_392.name, expand(DAK_NONG_392, range(2021, 2026)))
    return loaded


def read_targets(path: Path) -> dict[tuple[int, str], float]:
    """A plan's targets from a CSV with columns ``year, level, percent`` (level: tinh, huyen, xa),
    e.g. another province's plan. Every bad row is reported; nothing is returned if any is bad."""
    problems: list[tuple[int, str]] = []
    out: dict[tuple[int, str], float] = {}
    header: list[str] | None = None
    for number, raw in _cells_csv(Path(path).read_bytes()):
        values = [_text(v) for v in raw]
        if not any(values):
            continue
        if header is None:
            header = [v.lower() for v in values]
            missing = [c for c in ("year", "level", "percent") if c not in header]
            if missing:
                raise RegisterInvalid("bad header", problems=[(number, f"header lacks {', '.join(missing)}")])
            continue
        cell = dict(zip(header, values, strict=False))
        try:
            year = _integer(cell.get("year"), "year")
            level = cell.get("level", "")
            if level not in ("tinh", "huyen", "xa"):
                raise ValueError(f"level {level!r} is not tinh, huyen or xa")
            pct = float(cell.get("percent", "").replace(",", ".").rstrip("%"))
            if not 0 <= pct <= 100:
                raise ValueError(f"percent {pct} is not between 0 and 100")
            if (year, level) in out:
                raise ValueError(f"{year} {level} appears twice")
            out[(year, level)] = pct
        except ValueError as exc:
            problems.append((number, str(exc)))
    if problems or not out:
        raise RegisterInvalid("bad targets", problems=problems or [(1, "no target rows")])
    return out
