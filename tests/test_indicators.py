from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from fiches.charts import sankey as sankey_chart
from fiches.model.indicators import OTHER, Comparisons, TradeYear, factsheet, provenance
from fiches.reference.geography import FRANCE, departement, region
from fiches.sources.douanes import Labels
from fiches.sources.store import YearData


def _year(rows, year=2024) -> YearData:
    frame = pd.DataFrame(rows, columns=["flow", "dep", "a129", "country", "value"])
    frame["region"] = "00"
    frame["cpf4"] = "0000"
    frame["mass"] = 0
    return YearData(year, frame, Labels(countries={"DE": "Allemagne", "US": "Etats-Unis"}), {"archives": []}, False)


TINY = [
    ("E", "12", "C29A", "DE", 600), ("E", "12", "C29A", "US", 300), ("E", "12", "C10A", "DE", 100),
    ("E", "46", "C30C", "US", 1000), ("E", "75", "C21Z", "US", 8000),
    ("I", "12", "C29A", "DE", 400), ("I", "12", "B06Z", "NO", 100), ("I", "46", "C29A", "CN", 500),
    ("I", "75", "B06Z", "NO", 9000),
]


def _sheet(rows=TINY, code="12", previous=None):
    trade = TradeYear(_year(rows), previous)
    return factsheet(trade, departement(code), provenance(trade, "t", "2026-01-01T00:00:00+00:00"), Comparisons(trade))


def test_totals_shares_and_balance_by_hand():
    fs = _sheet()
    assert fs.exports.total == 1000 and fs.imports.total == 500 and fs.balance == 500
    # Occitanie = Aveyron (12) + Lot (46); France = every département.
    assert fs.exports.region_share == pytest.approx(100 * 1000 / 2000)
    assert fs.exports.france_share == pytest.approx(100 * 1000 / 10000)
    assert fs.imports.region_share == pytest.approx(100 * 500 / 1000)
    assert fs.region.territory.name == "Occitanie"
    assert fs.region.exports.total == 2000 and fs.france.exports.total == 10000


def test_partners_union_with_balance():
    fs = _sheet()
    by_code = {p.code: p for p in fs.partners}
    assert set(by_code) == {"DE", "US", "NO"}
    assert by_code["DE"].exports == 700 and by_code["DE"].imports == 400 and by_code["DE"].balance == 300
    assert by_code["US"].label == "États-Unis"  # short display name, not the official one


def test_year_on_year_change():
    previous = _year([("E", "12", "C29A", "DE", 800), ("I", "12", "C29A", "DE", 1000)], 2023)
    fs = _sheet(previous=previous)
    assert fs.exports.change.delta == 200 and fs.exports.change.percent == pytest.approx(25.0)
    assert fs.imports.change.percent == pytest.approx(-50.0)


def test_sankey_top_ten_plus_others_conserves_values():
    rows = [("E", "12", f"C{10 + i}A", f"C{i % 7}", 1000 - i) for i in range(15)] + [("E", "12", "C99A", "QU", 5)]
    model = _sheet(rows).exports.sankey
    assert [n.key for n in model.left][:10] == [f"C{10 + i}A" for i in range(10)]
    assert model.left[-1].key == OTHER and model.left[-1].value == sum(1000 - i for i in range(10, 15)) + 5
    assert sum(l.value for l in model.links) == model.total == sum(r[4] for r in rows)
    assert sum(n.value for n in model.left) == sum(n.value for n in model.right) == model.total
    assert any(n.key == OTHER for n in model.right)  # QU is never a named partner
    assert len(model.top_links) == 5
    assert all(model.left[l.source].key != OTHER and model.right[l.target].key != OTHER for l in model.top_links)


def test_no_empty_autres_with_few_partners():
    model = _sheet().exports.sankey
    assert all(not n.is_other for n in model.left + model.right)
    assert len(model.top_links) == min(5, len(model.links))


def test_thin_and_missing_flows():
    fs = _sheet([("E", "12", "C29A", "DE", 1), ("E", "75", "C21Z", "US", 10**9)])
    assert fs.imports.total == 0 and fs.imports.sankey.links == () and fs.imports.activities == ()
    assert "Aucun flux" in sankey_chart.alt_text(fs.imports.sankey)


@hsettings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from("EI"), st.sampled_from(["12", "46", "75", "01", "9A", "20"]),
            st.sampled_from(["C29A", "C10A", "B06Z", "C21Z"] + [f"C{n}Z" for n in range(11, 24)]),
            st.sampled_from(["DE", "US", "QU", "NA", "CN", "BE"] + [f"X{c}" for c in "ABCDEFGHIJ"]),
            st.integers(0, 10**9),
        ),
        min_size=1, max_size=80,
    )
)
def test_aggregation_invariants(rows):
    trade = TradeYear(_year(rows))
    for flow in "EI":
        france = trade.total(FRANCE, flow)
        assert france == sum(r[4] for r in rows if r[0] == flow)
        regions = {departement(d).region_code for d in ("12", "46", "75", "01", "9A", "20")}
        assert sum(trade.total(region(code), flow) for code in regions) == france
        for code in ("12", "75", "9A"):
            figures = trade.flow_figures(departement(code), flow)
            assert 0 <= figures.france_share <= 100
            assert figures.region_share is None or 0 <= figures.region_share <= 100
            model = figures.sankey
            assert sum(l.value for l in model.links) == model.total == figures.total
            assert all(n.value > 0 for n in model.left + model.right)


def test_chart_figures_are_valid_plotly():
    """Builders return plain dicts for speed; plotly's own validation checks them here."""
    import plotly.graph_objects as go

    from fiches.charts import sankey, treemap

    fs = _sheet()
    for figure in (sankey.build(fs.exports.sankey), sankey.build(fs.imports.sankey), treemap.build(fs.imports.activities, fs.exports.activities)):
        go.Figure(figure)  # raises on any unknown property or bad value


def test_exposure_and_trends_by_hand():
    previous = _year([("E", "12", "C29A", "DE", 300), ("E", "12", "C10A", "US", 100), ("I", "12", "C29A", "DE", 500)], 2023)
    rows = [
        ("E", "12", "C29A", "DE", 600), ("E", "12", "C29A", "US", 300), ("E", "12", "C10A", "CN", 100),
        ("I", "12", "C29A", "CN", 400), ("I", "12", "B06Z", "NO", 100), ("E", "75", "C21Z", "US", 9000),
    ]
    fs = _sheet(rows, previous=previous)
    e = fs.exposure
    assert e.exports_us == pytest.approx(30.0) and e.exports_eu == pytest.approx(60.0) and e.exports_china == pytest.approx(10.0)
    assert e.imports_china == pytest.approx(80.0)
    assert e.top_partner_share == pytest.approx(60.0) and e.top5_partners_share == pytest.approx(100.0)
    assert e.partners_hhi == pytest.approx(60**2 + 30**2 + 10**2)
    assert e.top_product_share == pytest.approx(90.0) and e.products_hhi == pytest.approx(90**2 + 10**2)
    assert e.coverage == pytest.approx(200.0)
    assert fs.france.exposure.exports_us == pytest.approx(100 * 9300 / 10000)
    t = fs.trends
    assert t.previous_year == 2023
    assert [(x.code, x.value, x.previous, x.delta) for x in t.export_partners] == [("DE", 600, 300, 300), ("US", 300, 100, 200), ("CN", 100, 0, 100)]
    assert t.export_partners[0].percent == pytest.approx(100.0) and t.export_partners[2].percent is None
    assert [(x.code, x.value, x.previous) for x in t.import_products] == [("C29A", 400, 500), ("B06Z", 100, 0)]
    assert _sheet(rows).trends is None
