"""Read DGDDI regional trade files and their label files into one canonical table.

The data files have no header, `;` separators and ten fields:
``Flux;Trimestre;Année;Département;Région;A129;CPF4;Pays;Valeur;Masse``. Every code stays a
string (``01``, ``9A``, ``NA`` for Namibia). A year is the sum of its quarters.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from fiches.geography import DEPARTEMENTS, REGIONS

FIELDS = ("flow", "quarter", "year", "dep", "region", "a129", "cpf4", "country", "value", "mass")
KEYS = ("year", "flow", "dep", "region", "a129", "cpf4", "country")
BOM = b"\xef\xbb\xbf"

DATA_MEMBER = re.compile(
    r"(?:^|/)(?:Region_(?P<year>\d{4})_(?P<flow>Export|Import)|REGIONAL_CPF4PAYS(?P<rolling>[EI]))\.txt$",
    re.IGNORECASE,
)
LABEL_MEMBERS = {
    "a129": re.compile(r"(?:^|/)Libelle_A129[^/]*\.txt$", re.IGNORECASE),
    "cpf4": re.compile(r"(?:^|/)Libelle_CPF4[^/]*\.txt$", re.IGNORECASE),
    "countries": re.compile(r"(?:^|/)Libelle_PAYS[^/]*\.txt$", re.IGNORECASE),
    "departements": re.compile(r"(?:^|/)Departement_region[^/]*\.txt$", re.IGNORECASE),
}

#: Patterns every field must match, in the order a bad row's reason is chosen.
_CHECKS: tuple[tuple[str, str, str], ...] = (
    ("flow", r"^[EI]$", "flux inconnu (attendu E ou I)"),
    ("quarter", r"^[1-4]$", "trimestre invalide (attendu 1 à 4)"),
    ("year", r"^(19|20)[0-9]{2}$", "année invalide"),
    ("region", r"^[0-9]{2}$", "code région invalide"),
    ("a129", r"^[A-Z][0-9]{2}[A-Z0-9]$", "code A129 invalide"),
    ("cpf4", r"^[0-9A-Z]{4}$", "code CPF4 invalide"),
    ("country", r"^[A-Z][A-Z0-9]$", "code pays invalide"),
    ("value", r"^[0-9]{1,15}$", "valeur négative ou non numérique"),
    ("mass", r"^[0-9]{0,15}$", "masse négative ou non numérique"),
)


@dataclass(frozen=True)
class BadRow:
    source: str
    line: int
    reason: str
    text: str

    def __str__(self) -> str:
        return f"{self.source}, ligne {self.line} : {self.reason} : {self.text!r}"


@dataclass(frozen=True)
class Labels:
    """Official labels by code, as found in the archives (current validity period only)."""

    a129: dict[str, str] = field(default_factory=dict)
    cpf4: dict[str, str] = field(default_factory=dict)
    countries: dict[str, str] = field(default_factory=dict)
    departements: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    def merged(self, other: Labels) -> Labels:
        return Labels(
            {**self.a129, **other.a129},
            {**self.cpf4, **other.cpf4},
            {**self.countries, **other.countries},
            {**self.departements, **other.departements},
        )

    def to_json(self) -> dict:
        return {
            "a129": self.a129,
            "cpf4": self.cpf4,
            "countries": self.countries,
            "departements": {k: list(v) for k, v in self.departements.items()},
        }

    @classmethod
    def from_json(cls, data: dict) -> Labels:
        return cls(
            data.get("a129", {}),
            data.get("cpf4", {}),
            data.get("countries", {}),
            {k: tuple(v) for k, v in data.get("departements", {}).items()},
        )


@dataclass
class ParsedFile:
    """One data member: its valid rows summed by quarter, and what was rejected."""

    source: str
    table: pa.Table  # KEYS + quarter, value, mass
    rows: int
    bad_rows: list[BadRow]
    annual: bool


def data_member_kind(name: str) -> tuple[int | None, str | None] | None:
    """(year, flow) announced by a data member's name, or None if it is not a data member."""
    match = DATA_MEMBER.search(name)
    if not match:
        return None
    if match["rolling"]:
        return None, match["rolling"].upper()
    return int(match["year"]), "E" if match["flow"].lower() == "export" else "I"


def label_member_kind(name: str) -> str | None:
    for kind, pattern in LABEL_MEMBERS.items():
        if pattern.search(name):
            return kind
    return None


# -- label files ------------------------------------------------------------------------------


def _decode_lines(raw: bytes) -> Iterable[str]:
    """Lines decoded one by one: UTF-8 (BOM or not), falling back to Windows-1252 per line."""
    if raw.startswith(BOM):
        raw = raw[len(BOM) :]
    for line in raw.splitlines():
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            text = line.decode("cp1252", errors="replace")
        if text.strip():
            yield text


def read_label_file(raw: bytes) -> dict[str, str]:
    """``code;label;start;end`` with quoted labels; a code repeated keeps its latest period."""
    best: dict[str, tuple[str, str]] = {}
    for row in csv.reader(_decode_lines(raw), delimiter=";", quotechar='"'):
        if len(row) < 2 or not row[0].strip():
            continue
        code, label = row[0].strip(), row[1].strip()
        end = row[3].strip() if len(row) > 3 else "999912"
        if code not in best or end >= best[code][0]:
            best[code] = (end, label)
    return {code: label for code, (_, label) in best.items()}


def read_departement_file(raw: bytes) -> dict[str, tuple[str, str, str]]:
    """``dep;name;region;region name`` -> {dep: (name, region, region name)}."""
    result: dict[str, tuple[str, str, str]] = {}
    for row in csv.reader(_decode_lines(raw), delimiter=";", quotechar='"'):
        if len(row) >= 4 and row[0].strip():
            result[row[0].strip()] = (row[1].strip(), row[2].strip(), row[3].strip())
    return result


def read_labels(members: dict[str, bytes]) -> Labels:
    """Labels from any label members found (by kind)."""
    found: dict[str, object] = {}
    for kind, raw in members.items():
        found[kind] = read_departement_file(raw) if kind == "departements" else read_label_file(raw)
    return Labels(**found)  # type: ignore[arg-type]


# -- data files -------------------------------------------------------------------------------


def _line_numbers(raw: memoryview | bytes) -> tuple[np.ndarray, np.ndarray]:
    """1-based numbers of the lines with exactly ten fields, and of the other non-empty lines."""
    buf = np.frombuffer(raw, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10)
    starts = np.concatenate(([0], ends + 1))
    stops = np.concatenate((ends, [len(buf)]))
    if starts[-1] == len(buf):  # file ends with a newline: no last line
        starts, stops = starts[:-1], stops[:-1]
    lengths = stops - starts
    has_cr = np.zeros(len(stops), dtype=bool)
    nonzero = lengths > 0
    has_cr[nonzero] = buf[stops[nonzero] - 1] == 13
    lengths = lengths - has_cr
    semicolons = np.flatnonzero(buf == 59)
    per_line = np.searchsorted(semicolons, stops) - np.searchsorted(semicolons, starts)
    numbers = np.arange(1, len(starts) + 1)
    good = (lengths > 0) & (per_line == 9)
    bad = (lengths > 0) & (per_line != 9)
    return numbers[good], numbers[bad]


def _slow_split(raw: bytes) -> tuple[list[list[bytes]], list[int], list[tuple[int, str]]]:
    """Line-by-line fallback for files whose line structure pyarrow and numpy disagree on."""
    rows, numbers, invalid = [], [], []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        line = line.removesuffix(b"\r")
        if not line.strip():
            continue
        parts = line.split(b";")
        if len(parts) == 10:
            rows.append(parts)
            numbers.append(number)
        else:
            invalid.append((number, line.decode("utf-8", errors="replace")))
    return rows, numbers, invalid


def _read_fields(raw: bytes, source: str) -> tuple[pa.Table, np.ndarray | None, list[BadRow]]:
    """Ten binary columns. Line numbers are only worked out when something is wrong."""
    body = memoryview(raw)[len(BOM) :] if raw.startswith(BOM) else memoryview(raw)
    invalid_texts: list[str] = []

    def on_invalid(row: pcsv.InvalidRow) -> str:
        invalid_texts.append(row.text)
        return "skip"

    try:
        table = pcsv.read_csv(
            pa.BufferReader(pa.py_buffer(body)),
            read_options=pcsv.ReadOptions(column_names=list(FIELDS), block_size=16 << 20),
            parse_options=pcsv.ParseOptions(delimiter=";", quote_char=False, invalid_row_handler=on_invalid),
            convert_options=pcsv.ConvertOptions(column_types={name: pa.binary() for name in FIELDS}),
        )
    except pa.ArrowInvalid:  # empty input, or bytes pyarrow will not split: go line by line
        table = None
    if table is not None and not invalid_texts:
        return table, None, []
    good_lines, bad_lines = _line_numbers(body)
    if table is None or len(good_lines) != table.num_rows or len(bad_lines) != len(invalid_texts):
        rows, numbers, invalid = _slow_split(bytes(body))
        columns = list(zip(*rows, strict=True)) if rows else [()] * 10
        table = pa.table({name: pa.array(list(col), pa.binary()) for name, col in zip(FIELDS, columns)})
        good_lines = np.asarray(numbers, dtype=np.int64)
        bad = [BadRow(source, n, "nombre de champs différent de 10", t[:200]) for n, t in invalid]
        return table, good_lines, bad
    bad = [
        BadRow(source, int(n), "nombre de champs différent de 10", text[:200])
        for n, text in zip(bad_lines, invalid_texts)
    ]
    return table, good_lines, bad


def _text(table: pa.Table, index: int) -> str:
    return ";".join(
        (table.column(name)[index].as_py() or b"").decode("utf-8", errors="replace") for name in FIELDS
    )[:200]


def parse_data_file(
    raw: bytes,
    source: str,
    *,
    expected_year: int | None = None,
    expected_flow: str | None = None,
    labels: Labels | None = None,
) -> ParsedFile:
    """Validate every row of one data member and sum its valid rows by quarter."""
    table, line_numbers, bad_rows = _read_fields(raw, source)
    labels = labels or Labels()
    checks = [(table.column(name), pattern, reason) for name, pattern, reason in _CHECKS]
    masks: list[tuple[pa.ChunkedArray, str]] = [
        (pc.invert(pc.match_substring_regex(column, pattern)), reason) for column, pattern, reason in checks
    ]

    def unknown(column: str, known: Iterable[str], reason: str) -> None:
        value_set = pa.array(sorted(known), pa.binary())
        masks.append((pc.invert(pc.is_in(table.column(column), value_set=value_set)), reason))

    unknown("dep", DEPARTEMENTS, "code département inconnu")
    unknown("region", REGIONS, "code région inconnu")
    if labels.countries:
        unknown("country", labels.countries, "code pays absent du fichier de libellés")
    if labels.a129:
        unknown("a129", labels.a129, "code A129 absent du fichier de libellés")
    if labels.cpf4:
        unknown("cpf4", labels.cpf4, "code CPF4 absent du fichier de libellés")
    if expected_flow:
        masks.append((pc.not_equal(table.column("flow"), expected_flow.encode()), f"flux différent de {expected_flow} annoncé par le nom du fichier"))
    if expected_year:
        masks.append((pc.not_equal(table.column("year"), str(expected_year).encode()), f"année absente du fichier annuel {expected_year}"))

    any_bad = np.zeros(table.num_rows, dtype=bool)
    for mask, _ in masks:
        any_bad |= mask.to_numpy(zero_copy_only=False)
    if any_bad.any():
        if line_numbers is None:
            body = raw[len(BOM) :] if raw.startswith(BOM) else raw
            line_numbers, _ = _line_numbers(body)
        reasons = np.full(table.num_rows, "", dtype=object)
        for mask, reason in reversed(masks):  # the first failing check wins
            reasons[mask.to_numpy(zero_copy_only=False)] = reason
        for index in np.flatnonzero(any_bad):
            bad_rows.append(BadRow(source, int(line_numbers[index]), reasons[index], _text(table, int(index))))
        table = table.filter(pa.array(~any_bad))
        line_numbers = line_numbers[~any_bad]

    typed = pa.table(
        {
            "year": pc.cast(pc.cast(table.column("year"), pa.string()), pa.int16()),
            "flow": pc.cast(table.column("flow"), pa.string()),
            "dep": pc.cast(table.column("dep"), pa.string()),
            "region": pc.cast(table.column("region"), pa.string()),
            "a129": pc.cast(table.column("a129"), pa.string()),
            "cpf4": pc.cast(table.column("cpf4"), pa.string()),
            "country": pc.cast(table.column("country"), pa.string()),
            "quarter": pc.cast(pc.cast(table.column("quarter"), pa.string()), pa.int8()),
            "value": pc.cast(pc.cast(table.column("value"), pa.string()), pa.int64()),
            "mass": pc.cast(
                pc.cast(pc.if_else(pc.equal(table.column("mass"), b""), b"0", table.column("mass")), pa.string()),
                pa.int64(),
            ),
        }
    )
    quarter_keys = [*KEYS, "quarter"]
    grouped = typed.group_by(quarter_keys).aggregate(
        [("value", "sum"), ("mass", "sum"), ("value", "count")]
    )
    if grouped.num_rows != typed.num_rows:
        if line_numbers is None:
            body = raw[len(BOM) :] if raw.startswith(BOM) else raw
            line_numbers, _ = _line_numbers(body)
        deduplicated, duplicates = _drop_duplicates(typed, quarter_keys)
        for index in duplicates:
            bad_rows.append(BadRow(source, int(line_numbers[index]), "ligne en double (même clé et même trimestre)", _text_typed(typed, index)))
        typed = deduplicated
        grouped = typed.group_by(quarter_keys).aggregate([("value", "sum"), ("mass", "sum")])
    grouped = grouped.select([*quarter_keys, "value_sum", "mass_sum"]).rename_columns([*quarter_keys, "value", "mass"])
    bad_rows.sort(key=lambda row: row.line)
    return ParsedFile(source, grouped, typed.num_rows + len(bad_rows), bad_rows, expected_year is not None)


def _drop_duplicates(typed: pa.Table, keys: list[str]) -> tuple[pa.Table, list[int]]:
    frame = typed.select(keys).to_pandas()
    duplicated = frame.duplicated(keep="first").to_numpy()
    return typed.filter(pa.array(~duplicated)), [int(i) for i in np.flatnonzero(duplicated)]


def _text_typed(typed: pa.Table, index: int) -> str:
    # Line text of a duplicate, rebuilt from typed values (the original bytes are gone by then).
    row = {name: typed.column(name)[index].as_py() for name in typed.column_names}
    return ";".join(str(row[name]) for name in ("flow", "quarter", "year", "dep", "region", "a129", "cpf4", "country", "value", "mass"))


def annual_tables(parsed: list[ParsedFile]) -> tuple[dict[int, pa.Table], dict[int, dict[str, list[int]]]]:
    """Sum quarters into years. When an annual and a rolling file cover the same year and flow,
    the annual file (final figures) wins, so no flow is counted twice."""
    coverage: dict[tuple[int, str], list[tuple[bool, ParsedFile]]] = {}
    for item in parsed:
        pairs = item.table.group_by(["year", "flow"]).aggregate([]).to_pylist()
        for pair in pairs:
            coverage.setdefault((pair["year"], pair["flow"]), []).append((item.annual, item))
    pieces: list[pa.Table] = []
    quarters: dict[int, dict[str, list[int]]] = {}
    for (year, flow), candidates in sorted(coverage.items()):
        candidates.sort(key=lambda c: not c[0])  # annual first
        chosen = candidates[0][1]
        mask = pc.and_(pc.equal(chosen.table.column("year"), year), pc.equal(chosen.table.column("flow"), flow))
        piece = chosen.table.filter(mask)
        pieces.append(piece)
        quarters.setdefault(year, {})[flow] = sorted(pc.unique(piece.column("quarter")).to_pylist())
    result: dict[int, pa.Table] = {}
    if not pieces:
        return result, quarters
    combined = pa.concat_tables(pieces)
    for year in sorted(quarters):
        year_table = combined.filter(pc.equal(combined.column("year"), year))
        summed = year_table.group_by(list(KEYS)).aggregate([("value", "sum"), ("mass", "sum")])
        summed = summed.select([*KEYS, "value_sum", "mass_sum"]).rename_columns([*KEYS, "value", "mass"])
        summed = summed.sort_by([("flow", "ascending"), ("dep", "ascending"), ("a129", "ascending"), ("cpf4", "ascending"), ("country", "ascending")])
        result[year] = summed
    return result, quarters
