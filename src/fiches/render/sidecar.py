"""A factsheet's JSON sidecar: every figure the PDF prints, as a number and as the printed string."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from fiches.charts.chart import Chart
from fiches.model import formatting
from fiches.model.indicators import Factsheet, Provenance, SankeyModel


def _sankey_json(model: SankeyModel) -> dict:
    return {
        "territory": model.territory,
        "flow": model.flow,
        "total_eur": model.total,
        "total": formatting.meur(model.total),
        "left": [{"key": n.key, "label": n.label, "value_eur": n.value, "value": formatting.meur(n.value)} for n in model.left],
        "right": [{"key": n.key, "label": n.label, "value_eur": n.value, "value": formatting.meur(n.value)} for n in model.right],
        "links": [
            {"source": model.left[l.source].label, "target": model.right[l.target].label, "value_eur": l.value, "top": l.top}
            for l in model.links
        ],
    }


def period_document(provenance: Provenance) -> dict | None:
    """What the figures cover when it is the last four quarters (--period 12m); None for a calendar year."""
    if not provenance.period:
        return None
    return {"label": provenance.period_label, "quarters": provenance.period, "provisional": not provenance.final}


def sidecar(fs: Factsheet, charts: dict[str, Chart]) -> dict:
    """Every figure the PDF prints, as numbers and as the exact strings printed."""

    def flow(figures) -> dict:
        change = figures.change
        return {
            "total_eur": figures.total,
            "total": formatting.meur(figures.total),
            "region_share_pct": figures.region_share,
            "region_share": formatting.share(figures.region_share, 1) if figures.region_share is not None else None,
            "france_share_pct": figures.france_share,
            "france_share": formatting.share(figures.france_share, 2),
            "change": None if change is None else {
                "previous_year": change.previous_year,
                "basis": change.basis,  # what is compared: "2023", "T1–T2 2023" or "T4 2023 – T3 2024"
                "previous_eur": change.previous,
                "delta_eur": change.delta,
                "delta": formatting.signed_meur(change.delta),
                "percent": change.percent,
                "percent_text": formatting.signed_percent(change.percent),
            },
            "activities": [
                {"code": a.code, "label": a.label, "value_eur": a.value, "value": formatting.meur(a.value), "share_pct": a.share}
                for a in figures.activities
            ],
            "sankey": _sankey_json(figures.sankey),
        }

    document = {
        "territory": {"level": fs.territory.level, "code": fs.territory.code, "name": fs.territory.name, "slug": fs.territory.slug},
        "year": fs.year,
        "period": period_document(fs.provenance),
        "sample": fs.is_sample,
        "exports": flow(fs.exports),
        "imports": flow(fs.imports),
        "balance_eur": fs.balance,
        "balance": formatting.signed_meur(fs.balance),
        "partners": [
            {
                "code": p.code, "label": p.label,
                "exports_eur": p.exports, "imports_eur": p.imports, "balance_eur": p.balance,
                "balance": formatting.balance(p.balance),
            }
            for p in fs.partners
        ],
        "region": None if fs.region is None else {
            "code": fs.region.territory.code, "name": fs.region.territory.name,
            "exports": _sankey_json(fs.region.exports), "imports": _sankey_json(fs.region.imports),
        },
        "france": {"exports": _sankey_json(fs.france.exports), "imports": _sankey_json(fs.france.imports)},
        "members": [asdict(m) for m in fs.members],
        "history": [asdict(h) for h in fs.history],
        "exposure": {"territory": asdict(fs.exposure), "france": asdict(fs.france.exposure)},
        "trends": None if fs.trends is None else {
            "previous_year": fs.trends.previous_year,
            **{
                name: [
                    {"code": t.code, "label": t.label, "value_eur": t.value, "previous_eur": t.previous,
                     "delta_eur": t.delta, "percent": t.percent, "percent_text": formatting.signed_percent(t.percent)}
                    for t in getattr(fs.trends, name)
                ]
                for name in ("export_partners", "import_partners", "export_products", "import_products")
            },
        },
        "latest_quarters": None if fs.latest is None else {
            "period": fs.latest.period,
            "previous_period": fs.latest.previous_period or None,
            "provisional": fs.latest.provisional,
            "quarters": [{"year": q.year, "quarter": q.quarter, "label": q.label, "exports_eur": q.exports, "imports_eur": q.imports,
                          "final": q.final} for q in fs.latest.quarters],
            "changes": [{"partner": c.partner, "label": c.label, "flow": c.flow, "value_eur": c.value, "previous_eur": c.previous,
                         "delta_eur": c.delta, "percent": c.percent, "percent_text": formatting.signed_percent(c.percent)}
                        for c in fs.latest.changes],
        },
        "territoires_industrie": [{"id": ti.id, "name": ti.name, "others": list(ti.others)} for ti in fs.territoires_industrie],
        "charts_alt_text": {name: chart.alt for name, chart in sorted(charts.items())},
        "provenance": {**asdict(fs.provenance), "is_sample": fs.is_sample},
    }
    return document


# Written to `path` directly: the caller stages it (atomic.Transaction) so that a factsheet's files
# are replaced together or not at all.
def write_json(path: Path, document: dict) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1, sort_keys=False) + "\n", encoding="utf-8")
