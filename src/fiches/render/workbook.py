"""A factsheet's XLSX workbook: the same figures as its JSON, one sheet per table.

Reproducible: the build date (SOURCE_DATE_EPOCH) is the workbook's date and every zip member's,
where openpyxl's own save stamps the clock's time.
"""

from __future__ import annotations

import io
import os
import zipfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from fiches.atomic import write_synced
from fiches.model import formatting
from fiches.model.indicators import Factsheet


def write_xlsx(path: Path, fs: Factsheet) -> None:
    # Write-only (streamed) mode: a third of the time of a regular workbook for the same file.
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    moment = datetime.fromisoformat(fs.provenance.build_date).replace(tzinfo=None)
    workbook.properties.created = moment
    workbook.properties.modified = moment
    workbook.properties.creator = f"fiches {fs.provenance.tool_version}"
    workbook.properties.title = f"Commerce extérieur – {fs.territory.name} – {fs.year}"

    def sheet(title: str, header: list[str], rows: list[list]) -> None:
        ws = workbook.create_sheet(title)
        ws.freeze_panes = "A2"
        for index, name in enumerate(header, start=1):
            ws.column_dimensions[get_column_letter(index)].width = max(12, min(48, len(name) + 4))
        cells = []
        for name in header:
            cell = WriteOnlyCell(ws, value=name)
            cell.font = bold
            cells.append(cell)
        ws.append(cells)
        for row in rows:
            ws.append(row)

    note = " (échantillon synthétique, chiffres fictifs)" if fs.is_sample else ""
    sheet("Synthèse", ["Indicateur", "Valeur (€)", "Texte imprimé"], [
        ["Exportations" + note, fs.exports.total, formatting.meur(fs.exports.total)],
        ["Importations" + note, fs.imports.total, formatting.meur(fs.imports.total)],
        ["Solde", fs.balance, formatting.signed_meur(fs.balance)],
        ["Part régionale des exportations (%)", fs.exports.region_share, formatting.share(fs.exports.region_share, 1)],
        ["Part nationale des exportations (%)", fs.exports.france_share, formatting.share(fs.exports.france_share, 2)],
        ["Part régionale des importations (%)", fs.imports.region_share, formatting.share(fs.imports.region_share, 1)],
        ["Part nationale des importations (%)", fs.imports.france_share, formatting.share(fs.imports.france_share, 2)],
    ])
    if fs.members:
        kind = "Départements" if fs.territory.level == "region" else "Régions"
        sheet(kind, ["Code", kind[:-1], "Exportations (€)", "Part des exportations (%)", "Importations (€)", "Part des importations (%)"],
              [[m.code, m.name, m.exports, m.export_share, m.imports, m.import_share] for m in fs.members])
    sheet("Partenaires", ["Code pays", "Pays", "Exportations (€)", "Importations (€)", "Solde (€)"],
          [[p.code, p.label, p.exports, p.imports, p.balance] for p in fs.partners])
    exposure = [
        ("Exportations vers les États-Unis (%)", "exports_us"), ("Exportations vers l'Union européenne (%)", "exports_eu"),
        ("Exportations vers la Chine (%)", "exports_china"), ("Importations venant de Chine (%)", "imports_china"),
        ("Premier client", "top_partner"), ("Part du premier client (%)", "top_partner_share"),
        ("Part des cinq premiers clients (%)", "top5_partners_share"), ("Concentration des clients (HHI)", "partners_hhi"),
        ("Premier produit exporté", "top_product"), ("Part du premier produit (%)", "top_product_share"),
        ("Part des cinq premiers produits (%)", "top5_products_share"), ("Concentration des produits (HHI)", "products_hhi"),
        ("Taux de couverture (%)", "coverage"),
    ]
    sheet("Exposition", ["Indicateur", fs.territory.name, "France"],
          [[label, getattr(fs.exposure, name), getattr(fs.france.exposure, name)] for label, name in exposure])
    if fs.trends is not None:
        previous = fs.trends.previous_year
        sheet("Évolution", ["Liste", "Code", "Libellé", f"Valeur {fs.year} (€)", f"Valeur {previous} (€)", "Écart (€)", "Évolution (%)"],
              [[title, t.code, t.label, t.value, t.previous, t.delta, t.percent]
               for title, items in (("Premiers clients", fs.trends.export_partners), ("Premiers fournisseurs", fs.trends.import_partners),
                                    ("Premiers produits exportés", fs.trends.export_products), ("Premiers produits importés", fs.trends.import_products))
               for t in items])
    sheet("Activités", ["Flux", "Code A129", "Activité", "Valeur (€)", "Part du flux (%)"],
          [[name, a.code, a.label, a.value, round(a.share, 6)]
           for name, figures in (("Exportations", fs.exports), ("Importations", fs.imports)) for a in figures.activities])
    flows = []
    for scope, models in [(fs.territory.name, (fs.exports.sankey, fs.imports.sankey))] + (
        [(fs.region.territory.name, (fs.region.exports, fs.region.imports))] if fs.region else []
    ) + [("France", (fs.france.exports, fs.france.imports))]:
        for model in models:
            for link in model.links:
                flows.append([scope, "Exportations" if model.flow == "E" else "Importations",
                              model.left[link.source].label, model.right[link.target].label, link.value, "oui" if link.top else None])
    sheet("Flux", ["Territoire", "Flux", "Origine", "Destination", "Valeur (€)", "Cinq premiers flux"], flows)
    # Saved in memory first: a full disk then fails one plain write, instead of cutting openpyxl's
    # zip stream half-way (which leaves generators that complain when garbage-collected). Not with
    # Workbook.save, which stamps the clock's time as the workbook's modification date and on
    # every member of the zip: the build date goes everywhere, so the same data and
    # SOURCE_DATE_EPOCH give the same file.
    buffer = io.BytesIO()
    workbook.properties.modified = moment
    with _DatedZip(buffer, moment) as archive:
        ExcelWriter(workbook, archive).save()
    write_synced(path, buffer.getvalue())


class _DatedZip(zipfile.ZipFile):
    """A zip whose members all carry one date, given, instead of the clock's or a file's."""

    def __init__(self, file: io.BytesIO, moment: datetime) -> None:
        super().__init__(file, "w", zipfile.ZIP_DEFLATED)
        self.date_time = max(moment.timetuple()[:6], (1980, 1, 1, 0, 0, 0))  # the zip format starts in 1980

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None) -> None:
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, self.date_time)
            zinfo_or_arcname.compress_type = self.compression
            zinfo_or_arcname.external_attr = 0o600 << 16
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None) -> None:
        """A streamed worksheet's temporary file: its content, under the given date."""
        with open(filename, "rb") as handle:
            self.writestr(arcname or os.path.basename(filename), handle.read(), compress_type, compresslevel)


class _DatedZip(zipfile.ZipFile):
    """A zip whose members all carry one date, given, instead of the clock's or a file's."""

    def __init__(self, file: io.BytesIO, moment: datetime) -> None:
        super().__init__(file, "w", zipfile.ZIP_DEFLATED)
        self.date_time = max(moment.timetuple()[:6], (1980, 1, 1, 0, 0, 0))  # the zip format starts in 1980

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None) -> None:
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, self.date_time)
            zinfo_or_arcname.compress_type = self.compression
            zinfo_or_arcname.external_attr = 0o600 << 16
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None) -> None:
        """A streamed worksheet's temporary file: its content, under the given date."""
        with open(filename, "rb") as handle:
            self.writestr(arcname or os.path.basename(filename), handle.read(), compress_type, compresslevel)
