"""Canonical table -> frozen dataclasses: every figure a factsheet prints is computed here, once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd

from fiches.reference.geography import FRANCE, MONACO, OVERSEAS_GROUP, Territory, region, region_of
from fiches.reference.geography import departement_or_monaco as departement_territory
from fiches.reference.labels import a129_short, country_short
from fiches.reference.territoires import TiList, territoires_in
from fiches.sources.douanes import Labels
from fiches.sources.store import YearData, period_tag, quarters_text, span_text

EXPORTS, IMPORTS = "E", "I"
OTHER = "_autres"
OTHER_PRODUCTS = "Autres produits"
OTHER_COUNTRIES = "Autres pays"
SANKEY_SIDE = 10
TOP_FLOWS = 5
PARTNERS_PER_FLOW = 6
#: Customs codes that are not partner countries (undetermined, ship supplies, high seas,
#: corrections): kept in every total, never shown as a named partner.
NOT_A_COUNTRY = frozenset({"QU", "QS", "QR", "QP", "QQ", "QV", "QW", "QX", "QY", "QZ"})


@dataclass(frozen=True)
class Node:
    key: str
    label: str
    value: int
    is_other: bool = False


@dataclass(frozen=True)
class Link:
    source: int  # index in SankeyModel.left
    target: int  # index in SankeyModel.right
    value: int
    top: bool


@dataclass(frozen=True)
class SankeyModel:
    """Exports: products (left) -> countries (right). Imports: countries (left) -> products (right)."""

    flow: str
    territory: str
    total: int
    left: tuple[Node, ...]
    right: tuple[Node, ...]
    links: tuple[Link, ...]
    of_name: str = ""  # "de l’Aveyron", for the sentences about it

    @property
    def top_links(self) -> tuple[Link, ...]:
        return tuple(sorted((link for link in self.links if link.top), key=lambda link: -link.value))


@dataclass(frozen=True)
class Activity:
    code: str
    label: str
    value: int
    share: float  # % of the flow's total


@dataclass(frozen=True)
class Partner:
    code: str
    label: str
    exports: int
    imports: int

    @property
    def balance(self) -> int:
        return self.exports - self.imports


@dataclass(frozen=True)
class Change:
    previous_year: int
    previous: int
    delta: int
    percent: float | None
    #: What is compared: "2023" for two whole years, "T1–T2 2025" for the same quarters of the year before.
    basis: str = ""


@dataclass(frozen=True)
class FlowFigures:
    flow: str
    total: int
    region_share: float | None  # % of the région's same flow
    france_share: float  # % of France's same flow
    change: Change | None
    activities: tuple[Activity, ...]
    sankey: SankeyModel


@dataclass(frozen=True)
class Comparison:
    """A région's or France's Sankeys and totals, computed once per run and shared."""

    territory: Territory
    exports: SankeyModel
    imports: SankeyModel
    exposure: Exposure


#: European Union partners of France (the 26 other member states), customs country codes.
EU_PARTNERS = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)


@dataclass(frozen=True)
class Exposure:
    """How a territory's trade depends on a few markets and products. Shares in % of the flow."""

    exports_us: float
    exports_eu: float
    exports_china: float
    imports_china: float
    top_partner: str  # label of the first export partner
    top_partner_share: float
    top5_partners_share: float
    partners_hhi: float  # Herfindahl-Hirschman index of export partners, 0-10,000
    top_product: str
    top_product_share: float
    top5_products_share: float
    products_hhi: float
    coverage: float | None  # exports / imports, %; None without imports


@dataclass(frozen=True)
class Member:
    """A département of a région, or a région of France, with its weight in the whole."""

    code: str
    name: str
    exports: int
    imports: int
    export_share: float  # % of the whole's exports
    import_share: float

    @property
    def is_monaco(self) -> bool:
        """Monaco: counted in its région by the customs, but not one of its départements (no factsheet)."""
        return self.code == MONACO


@dataclass(frozen=True)
class YearTotals:
    year: int
    exports: int
    imports: int


class _Compared:
    """A value and the same one a year earlier (`value`, `previous`: fields of the dataclasses below)."""

    value: int
    previous: int

    @property
    def delta(self) -> int:
        return self.value - self.previous

    @property
    def percent(self) -> float | None:
        return 100.0 * self.delta / self.previous if self.previous else None


@dataclass(frozen=True)
class Trend(_Compared):
    """One partner's or product's value this year and the previous one."""

    code: str
    label: str
    value: int
    previous: int


@dataclass(frozen=True)
class Trends:
    """Year-on-year change of the main partners and products (top 5 of this year, per flow)."""

    previous_year: int
    basis: str  # as Change.basis
    export_partners: tuple[Trend, ...]
    import_partners: tuple[Trend, ...]
    export_products: tuple[Trend, ...]
    import_products: tuple[Trend, ...]


@dataclass(frozen=True)
class QuarterTotals:
    """A quarter's exports and imports, and whether they are final (annual file) or provisional."""

    year: int
    quarter: int
    exports: int
    imports: int
    final: bool

    @property
    def label(self) -> str:
        return f"T{self.quarter} {self.year}"


@dataclass(frozen=True)
class QuarterChange(_Compared):
    """One flow with one partner (or all, "*") over the latest four quarters and the same four a year earlier."""

    partner: str
    label: str
    flow: str
    value: int
    previous: int


@dataclass(frozen=True)
class LatestQuarters:
    """ "Les derniers trimestres": the quarters from the first of the newest annual year to the latest
    published, and the latest four against the same four a year earlier (none when those are missing)."""

    quarters: tuple[QuarterTotals, ...]
    period: str  # "T4 2025 – T3 2026"
    previous_period: str  # "T4 2024 – T3 2025", or "" when the year-earlier quarters are not all available
    changes: tuple[QuarterChange, ...]

    @property
    def provisional(self) -> bool:
        return not all(q.final for q in self.quarters[-4:])

    def span(self, final: bool) -> str:
        """The final (or provisional) quarters shown: "T1 2025 – T4 2025", "T3 2026", or ""."""
        chosen = [q for q in self.quarters if q.final == final]
        if not chosen:
            return ""
        return chosen[0].label if len(chosen) == 1 else f"{chosen[0].label} – {chosen[-1].label}"

    def change(self, partner: str, flow: str) -> QuarterChange | None:
        return next((c for c in self.changes if c.partner == partner and c.flow == flow), None)


#: The partners whose latest quarters a factsheet follows, besides all partners: the two the context names.
FOLLOWED_PARTNERS = ("US", "CN")


def latest_quarters(rows: pd.DataFrame | None, territory: Territory, country_label) -> LatestQuarters | None:
    """The latest quarters of a territory, from the cache's quarterly totals (store.read_quarters):
    None without them. A quarter is one of the data folder's, whatever the territory traded in it."""
    if rows is None or not len(rows):
        return None
    frame = rows
    if territory.level == "departement":
        frame = rows[rows["dep"] == territory.code]
    elif territory.level == "region":
        frame = rows[rows["dep"].map(region_of) == territory.code]
    sums = frame.groupby(["year", "quarter", "flow", "partner"])["value"].sum()
    value = {key: int(v) for key, v in sums.items()}
    everywhere = rows[rows["partner"] == "*"]
    present = sorted({(int(y), int(q)) for y, q in zip(everywhere["year"], everywhere["quarter"])})
    final = {(int(y), int(q)): bool(f) for y, q, f in zip(everywhere["year"], everywhere["quarter"], everywhere["final"])}
    finals = sorted({y for y, _ in present if all(final.get((y, q), False) for q in range(1, 5))})
    start = (finals[-1], 1) if finals else present[0]
    shown = [key for key in present if key >= start]
    end = present[-1][0] * 4 + present[-1][1] - 1  # quarters counted from year 0
    latest = [divmod(index, 4) for index in range(end - 3, end + 1)]
    latest = [(y, q + 1) for y, q in latest]
    if not all(key in final for key in latest):  # four consecutive quarters, or no section
        return None
    earlier = [(y - 1, q) for y, q in latest]
    comparable = all(key in final for key in earlier)

    def total(keys, flow: str, partner: str) -> int:
        return sum(value.get((y, q, flow, partner), 0) for y, q in keys)

    changes = ()
    if comparable:
        changes = tuple(
            QuarterChange(partner, "Tous pays" if partner == "*" else country_label(partner), flow,
                          total(latest, flow, partner), total(earlier, flow, partner))
            for partner in ("*", *FOLLOWED_PARTNERS) for flow in (EXPORTS, IMPORTS)
        )
    return LatestQuarters(
        tuple(QuarterTotals(y, q, value.get((y, q, EXPORTS, "*"), 0), value.get((y, q, IMPORTS, "*"), 0), final[(y, q)]) for y, q in shown),
        span_text(latest),
        span_text(earlier) if comparable else "",
        changes,
    )


@dataclass(frozen=True)
class Publication:
    """Where one flow of a year comes from: a customs publication and the quarters taken from it."""

    flow: str
    kind: str  # "annual" (final figures) or "rolling" (provisional, the last five quarters)
    vintage: str  # its publication: "2025-02", or the date it was fetched
    archive: str  # the archive's file name
    sha256: str
    quarters: tuple[int, ...]
    year: int | None = None  # the quarters' year, when a period spans two years (--period 12m)

    @property
    def is_final(self) -> bool:
        return self.kind == "annual"


@dataclass(frozen=True)
class Provenance:
    source: str  # "douanes" or "sample"
    year: int
    archives: tuple[tuple[str, str], ...]  # (file name, SHA-256)
    quarters: tuple[tuple[str, tuple[int, ...]], ...]
    complete: bool
    tool_version: str
    build_date: str
    final: bool = True  # every quarter from final (annual) publications
    publications: tuple[Publication, ...] = ()
    previous_year: int | None = None
    previous_publications: tuple[Publication, ...] = ()  # of the year the change is computed against
    bad_rows: int = 0  # rows of the source files set aside as invalid
    bad_value: int = 0  # their value, in euros
    bad_share: float = 0.0  # their share of the files' value, in %
    comparison_note: str | None = None  # why no change on the year before is shown
    territoires_list: str = ""  # the Territoires d'industrie list used
    edition: str = ""  # the edition's name
    edition_date: str = ""
    lock_sha256: str = ""  # SHA-256 of the locked runtime dependencies
    chromium: str = ""  # version of the browser that drew the charts
    #: The provisional publications "Les derniers trimestres" take beyond the year (none for a period: they are its own).
    quarter_publications: tuple[Publication, ...] = ()
    period: str = ""  # "T4 2025 – T3 2026" for the last four quarters (--period 12m); "" for a calendar year
    previous_period: str = ""  # the same four quarters a year earlier

    @property
    def is_sample(self) -> bool:
        return self.source == "sample"

    @property
    def file_tag(self) -> str:
        """The period in a file name: "2024", or "T4-2025-T3-2026"."""
        return period_tag(self.period) or str(self.year)

    @property
    def name_suffix(self) -> str:
        """What a period's file names add to the territory's: "-T4-2025-T3-2026", or "" for a year
        (as build.jobs.output_base's: both from sources.store.period_tag)."""
        return f"-{self.file_tag}" if self.period else ""

    @property
    def period_label(self) -> str:
        """What the figures cover, as every title says it: "2024", or "données provisoires,
        4 derniers trimestres : T4 2025 – T3 2026"."""
        if not self.period:
            return str(self.year)
        return f"données {'définitives' if self.final else 'provisoires'}, 4 derniers trimestres : {self.period}"


@dataclass(frozen=True)
class TiMention:
    """A Territoire d'industrie on a département's factsheet, with the other départements it covers."""

    id: str
    name: str
    others: tuple[str, ...]  # "le Cantal", "le Lot"


@dataclass(frozen=True)
class Factsheet:
    territory: Territory
    year: int
    exports: FlowFigures
    imports: FlowFigures
    partners: tuple[Partner, ...]
    region: Comparison | None
    france: Comparison
    territoires_industrie: tuple[TiMention, ...]
    provenance: Provenance
    exposure: Exposure
    trends: Trends | None
    members: tuple[Member, ...] = ()  # départements of a région, régions of France
    history: tuple[YearTotals, ...] = ()  # every cached year when more than two are
    latest: LatestQuarters | None = None  # from the rolling publication, when one is cached

    @property
    def balance(self) -> int:
        return self.exports.total - self.imports.total

    @property
    def is_sample(self) -> bool:
        return self.provenance.is_sample

    @property
    def period(self) -> str:
        """The period the figures cover, short: "2024", or "T4 2025 – T3 2026"."""
        return self.provenance.period or str(self.year)


def _ranked(frame: pd.DataFrame, column: str) -> pd.Series:
    """The frame's values summed by `column`, positive sums only, largest first; ties broken by
    code so that the same data always give the same order.

    In numpy (exact integer sums): a tenth of the time of pandas' groupby and sort on a
    département's few hundred rows, and a factsheet asks for eight of them.
    """
    codes, uniques = pd.factorize(frame[column], sort=False)
    sums = np.zeros(len(uniques), dtype=np.int64)
    np.add.at(sums, codes, frame["value"].to_numpy(dtype=np.int64))
    keep = sums > 0
    keys, sums = np.asarray(uniques, dtype=object)[keep], sums[keep]
    order = np.lexsort((keys, -sums))
    return pd.Series(sums[order], index=pd.Index(keys[order], name=column, dtype=object), name="value")


class TradeYear:
    """One year's canonical table, indexed once for all the territories of a run."""

    def __init__(self, data: YearData, previous: YearData | None = None, history: dict | None = None,
                 quarters: pd.DataFrame | None = None) -> None:
        self.year = data.year
        self.labels: Labels = data.labels
        self.meta = data.meta
        self.is_sample = data.is_sample
        table = data.table
        # Régions come from the département, so départements always sum to their région.
        dep = table["dep"].astype(str)
        regions = dep.map(lambda code: region_of(code) if code else None)
        self._matrix = (
            pd.DataFrame(
                {
                    "flow": table["flow"].astype(str),
                    "dep": dep,
                    "region": regions,
                    "a129": table["a129"].astype(str),
                    "country": table["country"].astype(str),
                    "value": table["value"].astype("int64"),
                }
            )
            .groupby(["flow", "dep", "region", "a129", "country"], observed=True, sort=False)["value"]
            .sum()
            .reset_index()
        )
        self.previous_year = previous.year if previous is not None else None
        self._previous = TradeYear(previous) if previous is not None else None
        # A factsheet asks for the same ranking up to three times (Sankey, activities or partners,
        # exposure, trends): each is computed once. Small: a few territories are in use at a time.
        self._by = lru_cache(maxsize=64)(self._ranked_by)
        self._history = {year: _totals(rows) for year, rows in sorted((history or {}).items())}
        self._quarters = quarters

    def latest_quarters(self, territory: Territory) -> LatestQuarters | None:
        return latest_quarters(self._quarters, territory, self.country_label)

    @cached_property
    def _by_dep(self) -> dict[tuple[str, str], pd.DataFrame]:
        return {key: frame for key, frame in self._matrix.groupby(["flow", "dep"], sort=False)}

    @cached_property
    def _by_region(self) -> dict[tuple[str, str], pd.DataFrame]:
        return {key: frame for key, frame in self._matrix.groupby(["flow", "region"], sort=False)}

    @cached_property
    def totals(self) -> dict[tuple[str, str, str], int]:
        """(level, code, flow) -> total in euros, for départements, régions and France."""
        return _totals(self._matrix)

    @staticmethod
    def codes_in(data: YearData) -> set[str]:
        """Département codes present in the data."""
        return {str(code) for code in data.table["dep"].unique()}

    @staticmethod
    def codes_in_trade(trade: TradeYear) -> set[str]:
        """Département codes with trade in this year (Monaco included: it counts in its région)."""
        return {code for (level, code, _flow) in trade.totals if level == "departement"}

    def flows_of(self, territory: Territory, flow: str) -> pd.DataFrame:
        if territory.level == "france":
            frame = self._matrix[self._matrix["flow"] == flow]
        elif territory.level == "region":
            frame = self._by_region.get((flow, territory.code))
        else:
            frame = self._by_dep.get((flow, territory.code))
        if frame is None:
            return self._matrix.iloc[0:0]
        return frame

    def total(self, territory: Territory, flow: str) -> int:
        return self.totals.get((territory.level, territory.code, flow), 0)

    def country_label(self, code: str) -> str:
        return country_short(code, self.labels.countries.get(code))

    def product_label(self, code: str) -> str:
        return a129_short(code, self.labels.a129.get(code))

    # -- pieces ---------------------------------------------------------------------------

    def sankey(self, territory: Territory, flow: str) -> SankeyModel:
        frame = self.flows_of(territory, flow)
        products, countries = self._by(territory, flow, "a129"), self._by(territory, flow, "country")
        named_countries = [c for c in countries.index if c not in NOT_A_COUNTRY][:SANKEY_SIDE]
        top_products = list(products.index[:SANKEY_SIDE])
        product_key = frame["a129"].where(frame["a129"].isin(top_products), OTHER)
        country_key = frame["country"].where(frame["country"].isin(named_countries), OTHER)
        grouped = frame.assign(p=product_key, c=country_key).groupby(["p", "c"])["value"].sum()
        grouped = grouped[grouped > 0]

        def nodes(keys: list[str], values: pd.Series, label, other_label: str) -> tuple[Node, ...]:
            named = [Node(k, label(k), int(values.get(k, 0))) for k in keys if values.get(k, 0) > 0]
            named.sort(key=lambda n: (-n.value, n.key))
            other = int(values.get(OTHER, 0))
            return tuple(named) + ((Node(OTHER, other_label, other, True),) if other > 0 else ())

        product_nodes = nodes(top_products, grouped.groupby(level="p").sum(), self.product_label, OTHER_PRODUCTS)
        country_nodes = nodes(named_countries, grouped.groupby(level="c").sum(), self.country_label, OTHER_COUNTRIES)
        left, right = (product_nodes, country_nodes) if flow == EXPORTS else (country_nodes, product_nodes)
        left_index = {n.key: i for i, n in enumerate(left)}
        right_index = {n.key: i for i, n in enumerate(right)}
        raw_links = []
        for (p, c), value in grouped.items():
            source, target = (p, c) if flow == EXPORTS else (c, p)
            raw_links.append((left_index[source], right_index[target], int(value), OTHER in (p, c)))
        # The largest real product-country flows; aggregates of "Autres" are never flagged.
        ranked = sorted((l for l in raw_links if not l[3]), key=lambda l: (-l[2], l[0], l[1]))
        top = {(l[0], l[1]) for l in ranked[:TOP_FLOWS]}
        links = tuple(
            Link(s, t, v, (s, t) in top) for s, t, v, _ in sorted(raw_links, key=lambda l: (l[0], l[1]))
        )
        return SankeyModel(flow, territory.name, int(frame["value"].sum()), left, right, links, territory.of_name)

    def activities(self, territory: Territory, flow: str) -> tuple[Activity, ...]:
        ranked = self._by(territory, flow, "a129")
        total = int(ranked.sum())
        return tuple(
            Activity(code, self.product_label(code), int(value), 100.0 * value / total) for code, value in ranked.items()
        )

    def partners(self, territory: Territory) -> tuple[Partner, ...]:
        by_flow = {flow: self._by(territory, flow, "country") for flow in (EXPORTS, IMPORTS)}
        chosen: list[str] = []
        for flow in (EXPORTS, IMPORTS):
            named = [c for c in by_flow[flow].index if c not in NOT_A_COUNTRY]
            chosen += [c for c in named[:PARTNERS_PER_FLOW] if c not in chosen]
        partners = [
            Partner(c, self.country_label(c), int(by_flow[EXPORTS].get(c, 0)), int(by_flow[IMPORTS].get(c, 0)))
            for c in chosen
        ]
        return tuple(sorted(partners, key=lambda p: (-(p.exports + p.imports), p.code)))

    def change(self, territory: Territory, flow: str) -> Change | None:
        if self._previous is None:
            return None
        previous = self._previous.totals.get((territory.level, territory.code, flow))
        if previous is None:
            return None
        delta = self.total(territory, flow) - previous
        return Change(self.previous_year, previous, delta, 100.0 * delta / previous if previous else None, self.previous_basis(flow))

    def previous_basis(self, flow: str | None = None) -> str:
        """ "2023", or "T1–T2 2023" when the year before is taken on the same quarters as this one."""
        meta = self._previous.meta if self._previous is not None else {}
        if meta.get("period"):  # the same four quarters a year earlier
            return str(meta["period"])
        quarters = meta.get("quarters", {})
        flows = [flow] if flow else sorted(quarters)
        partial = [quarters.get(f, []) for f in flows if len(quarters.get(f, [])) != 4]
        if not partial:
            return str(self.previous_year)
        return f"{quarters_text(partial[0])} {self.previous_year}"

    def comparison(self, territory: Territory) -> Comparison:
        return Comparison(territory, self.sankey(territory, EXPORTS), self.sankey(territory, IMPORTS), self.exposure(territory))

    def _ranked_by(self, territory: Territory, flow: str, column: str) -> pd.Series:
        """A territory's flow summed by product ("a129") or by country, largest first (read-only)."""
        return _ranked(self.flows_of(territory, flow), column)

    def exposure(self, territory: Territory) -> Exposure:
        exports, imports = self.total(territory, EXPORTS), self.total(territory, IMPORTS)
        countries = self._by(territory, EXPORTS, "country")
        origins = self._by(territory, IMPORTS, "country")
        products = self._by(territory, EXPORTS, "a129")
        named = countries[[c not in NOT_A_COUNTRY for c in countries.index]]

        def pct(value: float, total: int) -> float:
            return 100.0 * value / total if total else 0.0

        def hhi(values: pd.Series, total: int) -> float:
            return float(sum(pct(v, total) ** 2 for v in values)) if total else 0.0

        return Exposure(
            exports_us=pct(countries.get("US", 0), exports),
            exports_eu=pct(countries[[c in EU_PARTNERS for c in countries.index]].sum(), exports),
            exports_china=pct(countries.get("CN", 0), exports),
            imports_china=pct(origins.get("CN", 0), imports),
            top_partner=self.country_label(named.index[0]) if len(named) else "",
            top_partner_share=pct(named.iloc[0], exports) if len(named) else 0.0,
            top5_partners_share=pct(named.iloc[:5].sum(), exports),
            partners_hhi=hhi(named, exports),
            top_product=self.product_label(products.index[0]) if len(products) else "",
            top_product_share=pct(products.iloc[0], exports) if len(products) else 0.0,
            top5_products_share=pct(products.iloc[:5].sum(), exports),
            products_hhi=hhi(products, exports),
            coverage=pct(exports, imports) if imports else None,
        )

    def history(self, territory: Territory) -> tuple[YearTotals, ...]:
        """Totals of every year of the history (more than two years, or nothing)."""
        if len(self._history) <= 2:
            return ()
        return tuple(
            YearTotals(year, totals.get((territory.level, territory.code, EXPORTS), 0), totals.get((territory.level, territory.code, IMPORTS), 0))
            for year, totals in self._history.items()
        )

    def trends(self, territory: Territory, top: int = 5) -> Trends | None:
        if self._previous is None:
            return None

        def changes(flow: str, column: str, label) -> tuple[Trend, ...]:
            now, before = self._by(territory, flow, column), self._previous._by(territory, flow, column)
            keys = [k for k in now.index if column != "country" or k not in NOT_A_COUNTRY][:top]
            return tuple(Trend(k, label(k), int(now[k]), int(before.get(k, 0))) for k in keys)

        return Trends(
            self._previous.year,
            self.previous_basis(),
            changes(EXPORTS, "country", self.country_label),
            changes(IMPORTS, "country", self.country_label),
            changes(EXPORTS, "a129", self.product_label),
            changes(IMPORTS, "a129", self.product_label),
        )

    def flow_figures(self, territory: Territory, flow: str) -> FlowFigures:
        total = self.total(territory, flow)
        reg = territory.region
        region_total = self.total(reg, flow) if reg else 0
        france_total = self.total(FRANCE, flow)
        return FlowFigures(
            flow,
            total,
            100.0 * total / region_total if region_total else None,
            100.0 * total / france_total if france_total else 0.0,
            self.change(territory, flow),
            self.activities(territory, flow),
            self.sankey(territory, flow),
        )


def _totals(table: pd.DataFrame) -> dict[tuple[str, str, str], int]:
    frame = pd.DataFrame(
        {"flow": table["flow"].astype(str), "dep": table["dep"].astype(str), "value": table["value"].astype("int64")}
    )
    frame["region"] = frame["dep"].map(region_of)
    result: dict[tuple[str, str, str], int] = {}
    for (flow, dep), value in frame.groupby(["flow", "dep"])["value"].sum().items():
        result[("departement", dep, flow)] = int(value)
    for (flow, reg), value in frame.groupby(["flow", "region"])["value"].sum().items():
        result[("region", reg, flow)] = int(value)
    for flow, value in frame.groupby("flow")["value"].sum().items():
        result[("france", FRANCE.code, flow)] = int(value)
    return result


class Comparisons:
    """Région and France comparisons for a run: each computed the first time it is asked for."""

    def __init__(self, trade: TradeYear) -> None:
        self._trade = trade
        self._cache: dict[str, Comparison] = {}

    def seed(self, comparison: Comparison) -> None:
        """Adopt a comparison computed elsewhere (by the parent process of a parallel run)."""
        self._cache.setdefault(f"{comparison.territory.level}:{comparison.territory.code}", comparison)

    def get(self, territory: Territory) -> Comparison:
        key = f"{territory.level}:{territory.code}"
        if key not in self._cache:
            self._cache[key] = self._trade.comparison(territory)
        return self._cache[key]


def factsheet(trade: TradeYear, territory: Territory, provenance: Provenance, comparisons: Comparisons,
              tis: TiList | None = None) -> Factsheet:
    reg = territory.region
    codes = sorted(TradeYear.codes_in_trade(trade))
    if territory.level == "region":
        parts = [departement_territory(code) for code in codes if region_of(code) == territory.code]
    elif territory.level == "france":  # each overseas département is a région of its own
        parts = [region(code) for code in sorted({region_of(code) for code in codes} - {OVERSEAS_GROUP})]
        parts += [departement_territory(code) for code in codes if region_of(code) == OVERSEAS_GROUP]
    else:
        parts = []
    whole = (trade.total(territory, EXPORTS), trade.total(territory, IMPORTS))
    members = tuple(
        sorted(
            (
                Member(
                    part.display_code, part.name, trade.total(part, EXPORTS), trade.total(part, IMPORTS),
                    100.0 * trade.total(part, EXPORTS) / whole[0] if whole[0] else 0.0,
                    100.0 * trade.total(part, IMPORTS) / whole[1] if whole[1] else 0.0,
                )
                for part in parts
            ),
            key=lambda m: (-(m.exports + m.imports), m.code),
        )
    )
    return Factsheet(
        territory=territory,
        year=trade.year,
        exports=trade.flow_figures(territory, EXPORTS),
        imports=trade.flow_figures(territory, IMPORTS),
        partners=trade.partners(territory),
        region=comparisons.get(reg) if reg else None,
        france=comparisons.get(FRANCE),
        territoires_industrie=tuple(TiMention(ti.id, ti.name, ti.others(territory.code)) for ti in territoires_in(territory.code, tis))
        if territory.level == "departement" else (),
        provenance=provenance,
        exposure=trade.exposure(territory),
        trends=trade.trends(territory),
        members=members,
        history=trade.history(territory),
        latest=trade.latest_quarters(territory),
    )


def _publications(meta: dict) -> tuple[Publication, ...]:
    return tuple(
        Publication(flow, item.get("kind") or "annual", item.get("vintage") or "", item.get("archive") or "", item.get("sha256") or "",
                    tuple(item.get("quarters", ())), item.get("year"))
        for flow, items in sorted(meta.get("sources", {}).items()) for item in items
    )


def provenance(data: TradeYear | YearData, tool_version: str, build_date: str, comparison_note: str | None = None,
               previous: YearData | None = None, quarters_sources: dict | None = None) -> Provenance:
    meta = data.meta
    previous = previous or getattr(data, "_previous", None)
    bad = meta.get("bad_rows", {}) if isinstance(meta.get("bad_rows"), dict) else {}
    return Provenance(
        source="sample" if data.is_sample else "douanes",
        year=data.year,
        archives=tuple((a["name"], a["sha256"]) for a in meta.get("archives", [])),
        quarters=tuple((flow, tuple(q)) for flow, q in sorted(meta.get("quarters", {}).items())),
        complete=bool(meta.get("complete", True)),
        tool_version=tool_version,
        build_date=build_date,
        final=bool(meta.get("final", True)),
        publications=_publications(meta),
        previous_year=previous.year if previous is not None else None,
        previous_publications=_publications(previous.meta) if previous is not None else (),
        bad_rows=int(bad.get("rows", 0)),
        bad_value=int(bad.get("value", 0)),
        bad_share=100.0 * bad.get("value", 0) / bad["total"] if bad.get("total") else 0.0,
        comparison_note=comparison_note,
        quarter_publications=_publications(quarters_sources or {}) if not meta.get("period") else (),
        period=str(meta.get("period", "")),
        previous_period=str(previous.meta.get("period", "")) if previous is not None else "",
    )


# -- a Territoire d'industrie's dossier ----------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    label: str
    value: int


@dataclass(frozen=True)
class DossierPart:
    """One département of a Territoire d'industrie, whole."""

    territory: Territory
    exports: int
    imports: int
    export_region_share: float | None
    export_france_share: float
    import_region_share: float | None
    import_france_share: float
    partners: tuple[Ranked, ...]  # its first export destinations
    suppliers: tuple[Ranked, ...]  # its first import origins
    products: tuple[Ranked, ...]  # its first exported products

    @property
    def balance(self) -> int:
        return self.exports - self.imports


@dataclass(frozen=True)
class Dossier:
    """A Territoire d'industrie: its départements side by side, and their sum (wider than the territory)."""

    territory: Territory  # level "territoire": code = the territory's id
    year: int
    parts: tuple[DossierPart, ...]
    exports: int  # the sum of the whole départements
    imports: int
    export_france_share: float
    import_france_share: float
    provenance: Provenance
    source: str  # where the territory's list of départements comes from

    @property
    def balance(self) -> int:
        return self.exports - self.imports

    @property
    def is_sample(self) -> bool:
        return self.provenance.is_sample

    @property
    def period(self) -> str:
        return self.provenance.period or str(self.year)


def dossier(trade: TradeYear, territory: Territory, departements: tuple[str, ...], provenance: Provenance, source: str,
            top: int = 3) -> Dossier:
    def share(part: int, whole: int) -> float:
        return 100.0 * part / whole if whole else 0.0

    def ranked(dep: Territory, flow: str, column: str, label) -> tuple[Ranked, ...]:
        values = trade._by(dep, flow, column)
        keys = [k for k in values.index if column != "country" or k not in NOT_A_COUNTRY][:top]
        return tuple(Ranked(label(k), int(values[k])) for k in keys)

    parts = []
    codes_with_data = TradeYear.codes_in_trade(trade)
    for code in departements:
        dep = departement_territory(code)
        if code not in codes_with_data:
            continue
        reg = dep.region
        e, i = trade.total(dep, EXPORTS), trade.total(dep, IMPORTS)
        parts.append(DossierPart(
            dep, e, i,
            share(e, trade.total(reg, EXPORTS)) if reg else None, share(e, trade.total(FRANCE, EXPORTS)),
            share(i, trade.total(reg, IMPORTS)) if reg else None, share(i, trade.total(FRANCE, IMPORTS)),
            ranked(dep, EXPORTS, "country", trade.country_label), ranked(dep, IMPORTS, "country", trade.country_label),
            ranked(dep, EXPORTS, "a129", trade.product_label),
        ))
    exports, imports = sum(p.exports for p in parts), sum(p.imports for p in parts)
    return Dossier(territory, trade.year, tuple(parts), exports, imports, share(exports, trade.total(FRANCE, EXPORTS)),
                   share(imports, trade.total(FRANCE, IMPORTS)), provenance, source)
