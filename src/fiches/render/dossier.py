"""A Territoire d'industrie's dossier: its HTML (for the PDF), its JSON and its XLSX."""

from __future__ import annotations

import io
import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import jinja2
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.writer.excel import ExcelWriter

from fiches.atomic import write_synced
from fiches.model import formatting
from fiches.model.indicators import Dossier
from fiches.render.edition import Edition, words
from fiches.render.sidecar import period_document
from fiches.render.workbook import FORMATS, _DatedZip, data_label


def html(dossier: Dossier, env: jinja2.Environment, edition: Edition) -> str:
    return env.get_template("dossier.html.j2").render(fs=dossier, edition=edition.data, assets="../assets",
                                                      words=words(dossier.territory, dossier.period), of_name=dossier.territory.of_name)


def document(dossier: Dossier) -> dict:
    """Every figure the dossier prints, as numbers and as the printed strings."""
    t = dossier.territory
    return {
        "territory": {"level": "territoire", "code": t.code, "name": t.name, "slug": t.slug},
        "year": dossier.year,
        "period": period_document(dossier.provenance),
        "sample": dossier.is_sample,
        "exports": {"total_eur": dossier.exports, "total": formatting.meur(dossier.exports), "france_share_pct": dossier.export_france_share},
        "imports": {"total_eur": dossier.imports, "total": formatting.meur(dossier.imports), "france_share_pct": dossier.import_france_share},
        "balance_eur": dossier.balance,
        "balance": formatting.balance(dossier.balance),
        "total_is": "la somme des départements entiers, plus large que le territoire",
        "departements": [
            {"code": p.territory.display_code, "name": p.territory.name, "factsheet": f"../departements/{p.territory.slug}{dossier.provenance.name_suffix}.pdf",
             "exports_eur": p.exports, "imports_eur": p.imports, "balance_eur": p.balance,
             "export_region_share_pct": p.export_region_share, "export_france_share_pct": p.export_france_share,
             "import_region_share_pct": p.import_region_share, "import_france_share_pct": p.import_france_share,
             "partners": [asdict(r) for r in p.partners], "suppliers": [asdict(r) for r in p.suppliers],
             "products": [asdict(r) for r in p.products]}
            for p in dossier.parts
        ],
        "source": dossier.source,
        "provenance": {**asdict(dossier.provenance), "is_sample": dossier.is_sample},
    }


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def write_xlsx(path: Path, dossier: Dossier) -> None:
    workbook = Workbook(write_only=True)
    moment = datetime.fromisoformat(dossier.provenance.build_date).replace(tzinfo=None)
    workbook.properties.created = workbook.properties.modified = moment
    workbook.properties.creator = f"fiches {dossier.provenance.tool_version}"
    workbook.properties.title = f"Territoire d’industrie {dossier.territory.name} – {dossier.provenance.period_label}"
    bold = Font(bold=True)

    def sheet(title, header, rows, formats=(), widths=()):
        ws = workbook.create_sheet(title)
        ws.freeze_panes = "A2"
        for index, width in enumerate(widths):
            ws.column_dimensions[chr(65 + index)].width = width
        cells = []
        for name in header:
            cell = WriteOnlyCell(ws, value=name)
            cell.font = bold
            cells.append(cell)
        ws.append(cells)
        for row in rows:
            out = []
            for index, value in enumerate(row):
                cell = WriteOnlyCell(ws, value=value)
                if index < len(formats) and formats[index]:
                    cell.number_format = FORMATS[formats[index]]
                out.append(cell)
            ws.append(out)

    sheet("Lisez-moi", ["Rubrique", "Contenu"], [
        ["Document", f"Territoire d’industrie {dossier.territory.name} – {data_label(dossier.provenance)}"],
        ["Source", "Échantillon synthétique : chiffres fictifs" if dossier.is_sample else
         "Douanes françaises (DGDDI), statistiques régionales et départementales du commerce extérieur"],
        ["Licence", "Licence ouverte Etalab 2.0 ; citer « source : douanes françaises »"],
        ["Attention", "Chiffres des départements entiers : leur somme couvre un espace plus large que le territoire"],
        ["Unités", "Montants en euros, affichés en millions d’euros (M€) ; parts en pourcentage"],
        ["Départements du territoire", dossier.source],
        ["Date de production", dossier.provenance.build_date[:10]],
    ], (), (28, 100))
    rows = [[p.territory.display_code, p.territory.name, p.exports, p.imports, p.balance,
             None if p.export_region_share is None else p.export_region_share / 100, p.export_france_share / 100]
            for p in dossier.parts]
    rows.append([None, "Somme des départements entiers", dossier.exports, dossier.imports, dossier.balance, None,
                 dossier.export_france_share / 100])
    sheet("Départements", ["Code", "Département", "Exportations", "Importations", "Solde", "Part de la région (export)",
                           "Part de la France (export)"], rows, (None, None, "meur", "meur", "signed_meur", "pct1", "pct2"),
          (8, 34, 16, 16, 16, 14, 14))
    buffer = io.BytesIO()
    with _DatedZip(buffer, moment) as archive:
        ExcelWriter(workbook, archive).save()
    write_synced(path, buffer.getvalue())
