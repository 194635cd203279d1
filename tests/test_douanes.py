from __future__ import annotations

import pandas as pd
import pytest
from conftest import SHARED_DOUANES, TINY_EXPORT, customs_zip
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from fiches.errors import DataError
from fiches.sources import ingest
from fiches.sources.douanes import (
    Labels,
    annual_tables,
    data_member_kind,
    label_member_kind,
    parse_data_file,
    read_departement_file,
    read_label_file,
)
from fiches.sources.store import load_manifest, read_year


def _rows(text: str) -> pd.DataFrame:
    rows = [line.split(";") for line in text.splitlines() if line]
    frame = pd.DataFrame(rows, columns=["flow", "quarter", "year", "dep", "region", "a129", "cpf4", "country", "value", "mass"], dtype=str)
    frame["value"] = frame["value"].astype(int)
    return frame


def test_member_names_are_recognised_wherever_they_sit():
    assert data_member_kind("Regional-2019-export/Region_2019_Export.txt") == (2019, "E")
    assert data_member_kind("a/b/region_2020_import.TXT") == (2020, "I")
    assert data_member_kind("REGIONAL_CPF4PAYSI.txt") == (None, "I")
    assert data_member_kind("LISEZ-MOI.txt") is None
    assert label_member_kind("x/Libelle_CPF4_rev2.1.txt") == "cpf4"
    assert label_member_kind("Departement_region.txt") == "departements"


def test_tiny_file_sums_quarters_and_keeps_codes_as_strings():
    parsed = parse_data_file(TINY_EXPORT.encode(), "tiny")
    assert parsed.bad_rows == []
    tables, quarters = annual_tables([parsed])
    table = tables[2024].to_pandas()
    aveyron_de = table[(table.dep == "12") & (table.country == "DE")]
    assert aveyron_de.value.sum() == 1_500_000  # Q1 + Q2
    assert set(table.dep) == {"12", "46", "75", "9A", "01"}  # "01" keeps its zero, "9A" its letter
    assert "NA" in set(table.country)  # Namibia, not a missing value
    assert quarters[2024]["E"] == [1, 2, 3, 4]


def test_bad_rows_are_counted_with_their_line_numbers():
    text = (
        "E;1;2024;12;12;C29A;2910;DE;100;1\r\n"
        "E;1;2024;12;12;C29A\r\n"  # line 2: too few fields
        "E;1;2024;12;12;C29A;2910;DE;-5;1\r\n"  # line 3: negative value
        "\r\n"  # line 4: empty, ignored
        "E;1;2024;XX;12;C29A;2910;DE;100;1\r\n"  # line 5: unknown département
        "E;9;2024;12;12;C29A;2910;DE;100;1\r\n"  # line 6: bad quarter
        "E;1;2024;12;12;C29A;2910;DE;100;1\r\n"  # line 7: duplicate of line 1
        "E;1;2023;12;12;C29A;2910;DE;7;1\r\n"  # line 8: year not in the 2024 file
        "E;1;2024;12;12;C29A;2910;ZZ;100;1\r\n"  # line 9: country not in labels
    )
    labels = Labels(countries={"DE": "Allemagne"})
    parsed = parse_data_file(text.encode(), "f.txt", expected_year=2024, expected_flow="E", labels=labels)
    by_line = {row.line: row.reason for row in parsed.bad_rows}
    assert sorted(by_line) == [2, 3, 5, 6, 7, 8, 9]
    assert "champs" in by_line[2] and "négative" in by_line[3] and "département" in by_line[5]
    assert "trimestre" in by_line[6] and "double" in by_line[7] and "année" in by_line[8] and "pays" in by_line[9]
    assert parsed.table.column("value").to_pylist() == [100]


def test_strict_turns_any_bad_row_into_an_error(settings, tmp_path):
    archive = tmp_path / "a.zip"
    archive.write_bytes(customs_zip(data=TINY_EXPORT + "E;1;2024;12;12;C29A;2910;DE;abc;1\r\n"))
    with pytest.raises(DataError, match="--strict"):
        ingest.fetch(settings, files=[archive], strict=True)
    assert not settings.cache_dir.exists() or not list(settings.cache_dir.glob("*.parquet"))
    result = ingest.fetch(settings, files=[archive], accept_bad_rows=True)
    assert len(result.bad_rows) == 1 and result.bad_rows[0].line == 8


def test_ingested_totals_match_the_rows_to_the_euro(settings, tmp_path):
    from conftest import TINY_IMPORT

    export, import_ = tmp_path / "e.zip", tmp_path / "i.zip"
    export.write_bytes(customs_zip(flow="export"))
    import_.write_bytes(customs_zip(flow="import"))
    ingest.fetch(settings, year=2024, files=[export, import_])
    table = read_year(load_manifest(settings.data_dir), 2024, is_sample=False).table
    rows = pd.concat([_rows(TINY_EXPORT), _rows(TINY_IMPORT)])
    for (flow, dep), expected in rows.groupby(["flow", "dep"])["value"].sum().items():
        got = table[(table.flow == flow) & (table.dep == dep)].value.sum()
        assert got == expected, (flow, dep)
    for flow, expected in rows.groupby("flow")["value"].sum().items():
        assert table[table.flow == flow].value.sum() == expected


def test_label_quirks_bom_cp1252_quotes_and_repeated_codes():
    a129 = "\ufeffC26E;\"Appareils de mesure ; horlogerie\";200901;999912\r\nA01Z;Culture;200901;999912\r\n".encode()
    assert read_label_file(a129) == {"C26E": "Appareils de mesure ; horlogerie", "A01Z": "Culture"}
    cpf4 = "0111;Céréales;201501;999912\r\n".encode("cp1252")
    assert read_label_file(cpf4) == {"0111": "Céréales"}
    pays = "QU;Pays NDA;190001;199912\r\nQU;Pays et territoires non déterminés;201201;999912\r\nNA;Namibie;199001;999912\r\n".encode()
    assert read_label_file(pays) == {"QU": "Pays et territoires non déterminés", "NA": "Namibie"}


@pytest.mark.skipif(not SHARED_DOUANES.is_dir(), reason="the real reference files are not beside the project")
def test_real_label_files_parse():
    a129 = read_label_file((SHARED_DOUANES / "Libelle_A129.txt").read_bytes())
    cpf4 = read_label_file((SHARED_DOUANES / "Libelle_CPF4_rev2.1.txt").read_bytes())
    pays = read_label_file((SHARED_DOUANES / "Libelle_PAYS.txt").read_bytes())
    deps = read_departement_file((SHARED_DOUANES / "Departement_region.txt").read_bytes())
    assert len(a129) == 76 and not any(code.startswith("\ufeff") for code in a129)
    assert "horlogerie" in a129["C26E"]
    assert len(cpf4) == 576 and cpf4["0111"].startswith("Céréales")
    assert pays["QU"] == "Pays et territoires non déterminés" and pays["XK"] == "Kosovo" and pays["NA"] == "Namibie"
    assert len(deps) == 101 and deps["12"][1] == "12" and deps["99"][1] == "21" and deps["9A"][1] == "24"


@hsettings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60), max_size=30))
def test_parser_never_crashes_on_arbitrary_lines(lines):
    raw = "\n".join(lines).encode("utf-8")
    parsed = parse_data_file(raw, "fuzz")
    non_empty = [line for line in raw.split(b"\n") if line.removesuffix(b"\r")]
    assert parsed.table.num_rows + len(parsed.bad_rows) >= 0
    assert len(parsed.bad_rows) <= len(non_empty) + raw.count(b"\r")
    assert all(row.line >= 1 for row in parsed.bad_rows)
