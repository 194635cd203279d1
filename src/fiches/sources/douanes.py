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

from fiches.errors import FetchError
from fiches.reference.geography import DEPARTEMENTS, REGIONS

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
    # Magnitudes: no single row of a département's trade comes near a thousand billion euros (France's
    # yearly exports are about 600 billion); a larger one is a damaged or forged file.
)
#: Magnitudes, checked on the fields' lengths once they are digits: no single row of a département's
#: trade comes near a thousand billion euros (France's yearly exports are about 600 billion); a
#: larger one is a damaged or forged file.
_MAGNITUDES = (
    ("value", 12, "valeur hors de toute vraisemblance (1 000 milliards d'euros ou plus)"),
    ("mass", 13, "masse hors de toute vraisemblance (10 milliards de tonnes ou plus)"),
)
#: A file's valid rows may total at most this many euros (France's yearly trade is about 1.3e12):
#: beyond, it is refused. It also bounds every sum of its rows far below 64-bit integers' 9.2e18.
MAX_FILE_VALUE = 10**15


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
    """One data member: its valid rows by quarter and summed into years, the quarters they cover,
    and what was rejected."""

    source: str
    table: pa.Table  # KEYS, value, mass: valid rows summed by year, sorted by the cache's order
    rows: int
    bad_rows: list[BadRow]
    annual: bool
    quarters: dict[tuple[int, str], list[int]] = field(default_factory=dict)  # (year, flow) -> quarters
    quarterly: pa.Table | None = None  # KEYS, quarter, value, mass: the valid rows, one per key and quarter
    total_value: int = 0  # euros of the valid rows
    bad_value: int = 0  # euros of the rejected rows whose value could be read
    bad_listed: int = 0  # rejected rows of a listed département
    totals: pa.Table | None = None  # year, quarter, flow, dep, partner ("*", "US", "CN"), value

    @property
    def bad_share(self) -> float:
        """The rejected rows' share of the file's value, in %."""
        whole = self.total_value + self.bad_value
        return 100.0 * self.bad_value / whole if whole else (100.0 if self.bad_rows else 0.0)


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


#: Code columns: few distinct values, so every check runs on the distinct values, not on each row.
CODE_COLUMNS = ("flow", "quarter", "year", "dep", "region", "a129", "cpf4", "country")
#: Order of the annual key: the cache's sort order (flow, dep, a129, cpf4, country; région last).
SORT_KEYS = ("year", "flow", "dep", "a129", "cpf4", "country", "region")


@dataclass(frozen=True)
class _Codes:
    """A code column dictionary-encoded: sorted distinct values and each row's index into them."""

    values: list[bytes]
    indices: np.ndarray

    @classmethod
    def encode(cls, column: pa.ChunkedArray) -> _Codes:
        encoded = pc.dictionary_encode(column.combine_chunks()) if len(column) else pa.array([], pa.binary()).dictionary_encode()
        values = encoded.dictionary.to_pylist()
        order = sorted(range(len(values)), key=values.__getitem__)
        rank = np.empty(len(values), dtype=np.int64)
        rank[order] = np.arange(len(values))
        return cls([values[i] for i in order], rank[encoded.indices.to_numpy(zero_copy_only=False)])

    def rows_where(self, bad_value) -> np.ndarray:
        """Boolean mask of the rows whose value fails `bad_value` (called once per distinct value)."""
        flags = np.fromiter((bool(bad_value(v)) for v in self.values), dtype=bool, count=len(self.values))
        return flags[self.indices] if flags.any() else np.zeros(len(self.indices), dtype=bool)

    def strings(self, rows: np.ndarray) -> pa.Array:
        # The distinct values include those of rejected rows, which may hold any byte (a cp1252 "É",
        # UTF-16...): they are never taken, but must not stop the decoding of the valid ones.
        values = [v.decode("ascii", errors="replace") for v in self.values]
        return pa.array(values, pa.string()).take(pa.array(self.indices[rows]))

    def dictionary(self, rows: np.ndarray) -> pa.DictionaryArray:
        """The same as `strings`, dictionary-encoded: no string copied per row."""
        values = pa.array([v.decode("ascii", errors="replace") for v in self.values], pa.string())
        return pa.DictionaryArray.from_arrays(pa.array(self.indices[rows], pa.int32()), values)


def parse_data_file(
    raw: bytes,
    source: str,
    *,
    expected_year: int | None = None,
    expected_flow: str | None = None,
    labels: Labels | None = None,
) -> ParsedFile:
    """Validate every row of one data member and sum its valid rows into years."""
    table, line_numbers, bad_rows = _read_fields(raw, source)
    labels = labels or Labels()
    codes = {name: _Codes.encode(table.column(name)) for name in CODE_COLUMNS}

    def regex(pattern: str):
        compiled = re.compile(pattern.encode())
        return lambda value: compiled.search(value) is None

    def unknown(known: Iterable[str]):
        known_bytes = {k.encode() for k in known}
        return lambda value: value not in known_bytes

    masks: list[tuple[np.ndarray, str]] = []  # in the order a bad row's reason is chosen
    for name, pattern, reason in _CHECKS:
        if name in codes:
            masks.append((codes[name].rows_where(regex(pattern)), reason))
        else:  # value and mass: many distinct values, checked row by row in pyarrow
            masks.append((pc.invert(pc.match_substring_regex(table.column(name), pattern)).to_numpy(zero_copy_only=False), reason))
    for name, digits, reason in _MAGNITUDES:
        masks.append((pc.greater(pc.binary_length(table.column(name)), digits).to_numpy(zero_copy_only=False), reason))
    masks.append((codes["dep"].rows_where(unknown(DEPARTEMENTS)), "code département inconnu"))
    masks.append((codes["region"].rows_where(unknown(REGIONS)), "code région inconnu"))
    masks.append((_region_mismatch(codes["dep"], codes["region"]), "code région différent de celui du département"))
    for name, known, reason in (
        ("country", labels.countries, "code pays absent du fichier de libellés"),
        ("a129", labels.a129, "code A129 absent du fichier de libellés"),
        ("cpf4", labels.cpf4, "code CPF4 absent du fichier de libellés"),
    ):
        if known:
            masks.append((codes[name].rows_where(unknown(known)), reason))
    if expected_flow:
        masks.append((codes["flow"].rows_where(lambda v: v != expected_flow.encode()), f"flux différent de {expected_flow} annoncé par le nom du fichier"))
    if expected_year:
        masks.append((codes["year"].rows_where(lambda v: v != str(expected_year).encode()), f"année absente du fichier annuel {expected_year}"))

    any_bad = np.zeros(table.num_rows, dtype=bool)
    for mask, _ in masks:
        any_bad |= mask
    if any_bad.any():
        line_numbers = _ensure_line_numbers(raw, line_numbers)
        reasons = np.full(table.num_rows, "", dtype=object)
        for mask, reason in reversed(masks):  # the first failing check wins
            reasons[mask] = reason
        for index in np.flatnonzero(any_bad):
            bad_rows.append(BadRow(source, int(line_numbers[index]), reasons[index], _text(table, int(index))))
    good = np.flatnonzero(~any_bad)
    values = _integers(table.column("value"), good)
    masses = _integers(table.column("mass"), good)
    total_value = float(values.sum(dtype=np.float64))
    if total_value > MAX_FILE_VALUE:
        raise FetchError(f"{source} : {total_value:.3g} € de valeurs valides, hors de toute vraisemblance pour un fichier des douanes, fichier refusé")

    # One stable sort on a composite integer key orders rows by (annual key, quarter): equal
    # neighbours are duplicates (the first is kept), and runs of one annual key are summed.
    sizes = [len(codes[name].values) for name in SORT_KEYS]
    if float(np.prod([max(n, 1) for n in sizes], dtype=np.float64)) * max(len(codes["quarter"].values), 1) >= 2.0**62:
        raise FetchError(f"{source} : trop de codes distincts pour un fichier des douanes, fichier refusé")
    annual = np.zeros(len(good), dtype=np.int64)
    for name, size in zip(SORT_KEYS, sizes):
        annual = annual * size + codes[name].indices[good]
    quarter_key = annual * max(len(codes["quarter"].values), 1) + codes["quarter"].indices[good]
    order = np.argsort(quarter_key, kind="stable")
    ordered = quarter_key[order]
    duplicate = np.zeros(len(order), dtype=bool)
    duplicate[1:] = ordered[1:] == ordered[:-1]
    if duplicate.any():
        line_numbers = _ensure_line_numbers(raw, line_numbers)
        for position in np.flatnonzero(duplicate):
            index = int(good[order[position]])
            bad_rows.append(BadRow(source, int(line_numbers[index]), "ligne en double (même clé et même trimestre)", _text(table, index)))
    kept = order[~duplicate]
    keys = annual[kept]
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1]))) if len(keys) else np.zeros(0, dtype=np.int64)
    first_rows = good[kept[starts]]
    summed = pa.table(
        {
            **{name: codes[name].strings(first_rows) for name in KEYS},
            "value": pa.array(np.add.reduceat(values[kept], starts) if len(starts) else np.zeros(0, np.int64), pa.int64()),
            "mass": pa.array(np.add.reduceat(masses[kept], starts) if len(starts) else np.zeros(0, np.int64), pa.int64()),
        }
    )
    summed = summed.set_column(0, "year", pc.cast(summed.column("year"), pa.int16()))
    kept_rows = good[kept]
    quarterly = pa.table(
        {
            **{name: codes[name].dictionary(kept_rows) for name in KEYS if name != "year"},
            "quarter": pc.cast(codes["quarter"].strings(kept_rows), pa.int8()),
            "value": pa.array(values[kept], pa.int64()),
            "mass": pa.array(masses[kept], pa.int64()),
        }
    )
    quarterly = quarterly.add_column(0, "year", pc.cast(codes["year"].strings(kept_rows), pa.int16()))
    totals = _quarter_totals(codes, kept_rows, values[kept])
    coverage: dict[tuple[int, str], list[int]] = {}
    if len(good):
        combos = np.unique(
            (codes["year"].indices[good] * len(codes["flow"].values) + codes["flow"].indices[good]) * len(codes["quarter"].values)
            + codes["quarter"].indices[good]
        )
        n_flow, n_quarter = len(codes["flow"].values), len(codes["quarter"].values)
        for combo in combos.tolist():
            year_i, rest = divmod(combo, n_flow * n_quarter)
            flow_i, quarter_i = divmod(rest, n_quarter)
            key = (int(codes["year"].values[year_i]), codes["flow"].values[flow_i].decode())
            coverage.setdefault(key, []).append(int(codes["quarter"].values[quarter_i]))
    bad_rows.sort(key=lambda row: row.line)
    valid = len(good) - int(duplicate.sum())
    duplicate_value = int(values[order[duplicate]].sum()) if duplicate.any() else 0
    bad_value = duplicate_value + _readable_value(table, np.flatnonzero(any_bad))
    listed = {code.encode() for code in DEPARTEMENTS}
    bad_listed = int(duplicate.sum()) + sum(1 for v in table.column("dep").take(pa.array(np.flatnonzero(any_bad))).to_pylist() if v in listed)
    return ParsedFile(
        source, summed, valid + len(bad_rows), bad_rows, expected_year is not None, {k: sorted(v) for k, v in coverage.items()},
        quarterly=quarterly, total_value=int(values[kept].sum()), bad_value=bad_value, bad_listed=bad_listed, totals=totals,
    )


#: The partners whose quarters a factsheet follows (the context names them), besides all ("*").
FOLLOWED = ("US", "CN")


def _quarter_totals(codes: dict, rows: np.ndarray, values: np.ndarray) -> pa.Table:
    """Totals by year, quarter, flow and département, for every partner ("*") and the followed ones,
    summed on the codes' indices (a few thousand groups out of millions of rows)."""
    names = ("year", "quarter", "flow", "dep")
    sizes = [max(len(codes[n].values), 1) for n in names]
    key = np.zeros(len(rows), dtype=np.int64)
    for name, size in zip(names, sizes):
        key = key * size + codes[name].indices[rows]
    country_values = codes["country"].values
    followed = {v: i for i, v in enumerate(country_values) if v.decode("ascii", "replace") in FOLLOWED}
    partner = np.zeros(len(rows), dtype=np.int64)  # 0: not followed, 1 + position in FOLLOWED otherwise
    lookup = np.zeros(max(len(country_values), 1), dtype=np.int64)
    for value, index in followed.items():
        lookup[index] = 1 + FOLLOWED.index(value.decode("ascii"))
    if len(rows):
        partner = lookup[codes["country"].indices[rows]]
    columns: dict[str, list] = {"year": [], "quarter": [], "flow": [], "dep": [], "partner": [], "value": []}
    for label, mask in [("*", None)] + [(name, partner == 1 + i) for i, name in enumerate(FOLLOWED)]:
        keys, weights = (key, values) if mask is None else (key[mask], values[mask])
        if not len(keys):
            continue
        size = int(np.prod(sizes))  # a few hundred groups: counted densely, no sort
        present = np.flatnonzero(np.bincount(keys, minlength=size))
        sums = np.bincount(keys, weights=weights.astype(np.float64), minlength=size)[present].astype(np.int64)  # exact: < 2**53
        groups = present
        rest = groups
        parts = []
        for size in reversed(sizes):
            parts.append(rest % size)
            rest = rest // size
        year_i, quarter_i, flow_i, dep_i = reversed(parts)
        columns["year"] += [int(codes["year"].values[i]) for i in year_i]
        columns["quarter"] += [int(codes["quarter"].values[i]) for i in quarter_i]
        columns["flow"] += [codes["flow"].values[i].decode() for i in flow_i]
        columns["dep"] += [codes["dep"].values[i].decode() for i in dep_i]
        columns["partner"] += [label] * len(groups)
        columns["value"] += sums.tolist()
    return pa.table({"year": pa.array(columns["year"], pa.int16()), "quarter": pa.array(columns["quarter"], pa.int8()),
                     "flow": pa.array(columns["flow"], pa.string()), "dep": pa.array(columns["dep"], pa.string()),
                     "partner": pa.array(columns["partner"], pa.string()), "value": pa.array(columns["value"], pa.int64())})


def _region_mismatch(deps: _Codes, regions: _Codes) -> np.ndarray:
    """Rows whose région is not their département's: the same row under another région would be counted twice."""
    position = {value: i for i, value in enumerate(regions.values)}
    expected = np.array([position.get(DEPARTEMENTS[d.decode("ascii", "replace")][1].encode(), -1)
                         if d.decode("ascii", "replace") in DEPARTEMENTS else -2 for d in deps.values], dtype=np.int64)
    if not len(deps.indices):
        return np.zeros(0, dtype=bool)
    wanted = expected[deps.indices]
    return (wanted != -2) & (wanted != regions.indices)


def _readable_value(table: pa.Table, rows: np.ndarray) -> int:
    """Euros of the rejected rows whose value field is a number at all (a few rows: plain Python)."""
    total = 0
    for raw in table.column("value").take(pa.array(rows, pa.int64())).to_pylist() if len(rows) else ():
        text = (raw or b"").strip()
        if text.isdigit() and len(text) <= 18:
            total += int(text)
    return total


def _ensure_line_numbers(raw: bytes, line_numbers: np.ndarray | None) -> np.ndarray:
    if line_numbers is None:
        body = raw[len(BOM) :] if raw.startswith(BOM) else raw
        line_numbers, _ = _line_numbers(body)
    return line_numbers


def _integers(column: pa.ChunkedArray, rows: np.ndarray) -> np.ndarray:
    """Validated digit strings (empty means 0) as int64."""
    taken = column.take(pa.array(rows))
    taken = pc.if_else(pc.equal(taken, b""), b"0", taken)
    return pc.cast(pc.cast(taken, pa.string()), pa.int64()).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)


def annual_tables(parsed: list[ParsedFile]) -> tuple[dict[int, pa.Table], dict[int, dict[str, list[int]]]]:
    """Years from the parsed files. When an annual and a rolling file cover the same year and flow,
    the annual file (final figures) wins, so no flow is counted twice."""
    coverage: dict[tuple[int, str], list[ParsedFile]] = {}
    for item in parsed:
        for key in item.quarters:
            coverage.setdefault(key, []).append(item)
    pieces: dict[int, list[pa.Table]] = {}
    quarters: dict[int, dict[str, list[int]]] = {}
    for (year, flow), candidates in sorted(coverage.items()):
        chosen = sorted(candidates, key=lambda c: not c.annual)[0]  # annual first, then file order
        mask = pc.and_(pc.equal(chosen.table.column("year"), year), pc.equal(chosen.table.column("flow"), flow))
        pieces.setdefault(year, []).append(chosen.table.filter(mask))
        quarters.setdefault(year, {})[flow] = chosen.quarters[(year, flow)]
    # Each piece is already summed by annual key and sorted; pieces are in flow order (E, I).
    return {year: pa.concat_tables(tables) for year, tables in pieces.items()}, quarters
