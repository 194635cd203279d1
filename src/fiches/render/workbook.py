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
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from fiches.atomic import write_synced
from fiches.model import formatting
from fiches.model.indicators import Factsheet, Provenance
from fiches.sources.store import quarters_text

#: Cell formats: amounts stay exact euros, shown in millions with one decimal; shares are fractions
#: shown as percentages. Excel and LibreOffice apply the reader's own separators.
FORMATS = {
    "meur": '#,##0.0,," M€"',
    "signed_meur": '+#,##0.0,," M€";-#,##0.0,," M€";0.0,," M€"',
    "pct1": "0.0%",
    "pct2": "0.00%",
    "signed_pct": "+0.0%;-0.0%;0.0%",
    "int": "0",
}


def _fraction(value: float | None) -> float | None:
    return None if value is None else value / 100


def write_xlsx(path: Path, fs: Factsheet) -> None:
    # Write-only (streamed) mode: a third of the time of a regular workbook for the same file.
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    moment = datetime.fromisoformat(fs.provenance.build_date).replace(tzinfo=None)
    workbook.properties.created = moment
    workbook.properties.modified = moment
    workbook.properties.creator = f"fiches {fs.provenance.tool_version}"
    workbook.properties.title = f"Commerce extérieur – {fs.territory.name} – {fs.provenance.period_label}"

    def sheet(title: str, header: list[str], rows: list[list], formats: tuple = (), widths: tuple = ()) -> None:
        ws = workbook.create_sheet(title)
        ws.freeze_panes = "A2"  # the header row stays in view
        for index, name in enumerate(header, start=1):
            width = widths[index - 1] if index <= len(widths) else max(12, min(48, len(name) + 4))
            ws.column_dimensions[get_column_letter(index)].width = width
        cells = []
        for name in header:
            cell = WriteOnlyCell(ws, value=name)
            cell.font = bold
            cells.append(cell)
        ws.append(cells)
        for row in rows:
            out = []
            for index, value in enumerate(row):
                kind = formats[index] if index < len(formats) else None
                if kind is None and not (widths and isinstance(value, str) and len(value) > 60):
                    out.append(value)
                    continue
                cell = WriteOnlyCell(ws, value=value)
                if kind in FORMATS:
                    cell.number_format = FORMATS[kind]
                else:
                    cell.alignment = wrap
                out.append(cell)
            ws.append(out)

    readme(fs, sheet)
    note = " (échantillon synthétique, chiffres fictifs)" if fs.is_sample else ""
    share_formats = (None, "pct2", None)  # the national shares are printed with two decimals
    sheet("Synthèse", ["Indicateur", "Valeur", "Texte imprimé"], [
        ["Exportations" + note, fs.exports.total, formatting.meur(fs.exports.total)],
        ["Importations" + note, fs.imports.total, formatting.meur(fs.imports.total)],
        ["Solde", fs.balance, formatting.balance(fs.balance)],
    ], (None, "meur", None), (44, 16, 16))
    sheet("Parts", ["Indicateur", "Part", "Texte imprimé"], [
        ["Part régionale des exportations", _fraction(fs.exports.region_share), formatting.share(fs.exports.region_share, 1)],
        ["Part nationale des exportations", _fraction(fs.exports.france_share), formatting.share(fs.exports.france_share, 2)],
        ["Part régionale des importations", _fraction(fs.imports.region_share), formatting.share(fs.imports.region_share, 1)],
        ["Part nationale des importations", _fraction(fs.imports.france_share), formatting.share(fs.imports.france_share, 2)],
    ], share_formats, (44, 12, 16))
    if fs.members:
        kind = "Départements" if fs.territory.level == "region" else "Régions"
        sheet(kind, ["Code", kind[:-1], "Exportations", "Part des exportations", "Importations", "Part des importations"],
              [[m.code, m.name, m.exports, _fraction(m.export_share), m.imports, _fraction(m.import_share)] for m in fs.members],
              (None, None, "meur", "pct1", "meur", "pct1"), (8, 30, 16, 12, 16, 12))
    sheet("Partenaires", ["Code pays", "Pays", "Importations", "Exportations", "Solde"],
          [[p.code, p.label, p.imports, p.exports, p.balance] for p in fs.partners],
          (None, None, "meur", "meur", "signed_meur"), (10, 26, 16, 16, 16))
    exposure = [
        ("Exportations vers les États-Unis", "exports_us", "pct1"), ("Exportations vers l’Union européenne", "exports_eu", "pct1"),
        ("Exportations vers la Chine", "exports_china", "pct1"), ("Importations venant de Chine", "imports_china", "pct1"),
        ("Premier client", "top_partner", None), ("Part du premier client", "top_partner_share", "pct1"),
        ("Part des cinq premiers clients", "top5_partners_share", "pct1"), ("Concentration des clients (IHH, 0 à 10 000)", "partners_hhi", "int"),
        ("Premier produit exporté", "top_product", None), ("Part du premier produit", "top_product_share", "pct1"),
        ("Part des cinq premiers produits", "top5_products_share", "pct1"), ("Concentration des produits (IHH, 0 à 10 000)", "products_hhi", "int"),
        ("Taux de couverture (exportations / importations)", "coverage", "pct1"),
    ]
    ws = workbook.create_sheet("Exposition")
    ws.freeze_panes = "A2"
    for column, width in zip("ABC", (46, 20, 20)):
        ws.column_dimensions[column].width = width
    header = []
    for name in ("Indicateur", fs.territory.name, "France"):
        cell = WriteOnlyCell(ws, value=name)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for label, name, kind in exposure:
        row = [label]
        for source in (fs.exposure, fs.france.exposure):
            value = getattr(source, name)
            value = _fraction(value) if kind and kind.startswith("pct") else value
            cell = WriteOnlyCell(ws, value=value)
            if kind:
                cell.number_format = FORMATS[kind]
            row.append(cell)
        ws.append(row)
    if fs.trends is not None:
        basis = fs.trends.basis
        sheet("Évolution", ["Liste", "Code", "Libellé", f"Valeur {fs.period}", f"Valeur {basis}", "Écart", "Évolution"],
              [[title, t.code, t.label, t.value, t.previous, t.delta, _fraction(t.percent)]
               for title, items in (("Premiers clients", fs.trends.export_partners), ("Premiers fournisseurs", fs.trends.import_partners),
                                    ("Premiers produits exportés", fs.trends.export_products), ("Premiers produits importés", fs.trends.import_products))
               for t in items],
              (None, None, None, "meur", "meur", "signed_meur", "signed_pct"), (26, 8, 30, 16, 16, 16, 12))
    if fs.latest is not None:
        lq = fs.latest
        sheet("Trimestres", ["Trimestre", "Exportations", "Importations", "Données"],
              [[q.label, q.exports, q.imports, "définitives" if q.final else "provisoires"] for q in lq.quarters],
              (None, "meur", "meur", None), (12, 16, 16, 14))
        if lq.changes:
            sheet("Trimestres sur un an", ["Partenaire", "Flux", lq.period, lq.previous_period, "Écart", "Évolution"],
                  [[c.label, "Exportations" if c.flow == "E" else "Importations", c.value, c.previous, c.delta, _fraction(c.percent)]
                   for c in lq.changes],
                  (None, None, "meur", "meur", "signed_meur", "signed_pct"), (16, 14, 20, 20, 16, 12))
    sheet("Activités", ["Flux", "Code A129", "Activité", "Valeur", "Part du flux"],
          [[name, a.code, a.label, a.value, _fraction(a.share)]
           for name, figures in (("Exportations", fs.exports), ("Importations", fs.imports)) for a in figures.activities],
          (None, None, None, "meur", "pct1"), (14, 10, 40, 16, 12))
    flows = []
    for scope, models in [(fs.territory.name, (fs.exports.sankey, fs.imports.sankey))] + (
        [(fs.region.territory.name, (fs.region.exports, fs.region.imports))] if fs.region else []
    ) + [("France", (fs.france.exports, fs.france.imports))]:
        for model in models:
            for link in model.links:
                flows.append([scope, "Exportations" if model.flow == "E" else "Importations",
                              model.left[link.source].label, model.right[link.target].label, link.value, "oui" if link.top else None])
    sheet("Flux", ["Territoire", "Flux", "Origine", "Destination", "Valeur", "Cinq premiers flux"], flows,
          (None, None, None, None, "meur", None), (24, 14, 30, 30, 16, 16))
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


def data_label(provenance: Provenance) -> str:
    """What a workbook's read-me says its figures cover: "données 2024", or the period's label."""
    return provenance.period_label if provenance.period else f"données {provenance.year}"


def readme(fs: Factsheet, sheet) -> None:
    """The first sheet: what the workbook holds, where it comes from, its units and definitions."""
    origin = fs.provenance
    publications = "\u00a0; ".join(
        f"{'exportations' if p.flow == 'E' else 'importations'} : {'fichier annuel, données définitives' if p.is_final else 'dernière publication, données provisoires'}"
        f"{f' (publication {p.vintage})' if p.vintage else ''}, {quarters_text(p.quarters)}{f' {p.year}' if p.year else ''}, {p.archive} (SHA-256 {p.sha256})"
        for p in origin.publications
    )
    rows = [
        ["Document", f"Les indicateurs clés : commerce extérieur – {fs.territory.name} – {data_label(fs.provenance)}"],
        ["Source", "Échantillon synthétique au format des fichiers des douanes : chiffres fictifs" if fs.is_sample else
         "Douanes françaises (DGDDI), statistiques régionales et départementales du commerce extérieur"],
        ["Licence", "Licence ouverte Etalab 2.0 ; citer « source : douanes françaises »"],
        ["Unités", "Montants en euros, affichés en millions d’euros (M€) avec une décimale ; parts affichées en pourcentage"],
        ["Importations, exportations", "Importations valorisées CAF (coût, assurance, fret), exportations FAB (franco à bord), hors matériel militaire, données brutes de collecte"],
        ["Solde", "Exportations − importations"],
        ["Part régionale, nationale", "Part du territoire dans le même flux de sa région, de la France (somme de tous les départements des mêmes fichiers)"],
        ["Concentration (IHH)", "Indice de Herfindahl-Hirschman (IHH), de 0 (échanges très dispersés) à 10 000 (un seul partenaire ou produit)"],
        ["Produits", "Nomenclature agrégée A129 (NA 2008) ; pays : géonomenclature de l’Union européenne"],
        ["Publications", publications or "–"],
        ["Derniers trimestres", (f"Feuilles « Trimestres » et « Trimestres sur un an » : {fs.latest.quarters[0].label} – "
                                 f"{fs.latest.quarters[-1].label}, définitives jusqu’aux fichiers annuels, provisoires ensuite (dernière publication)")
         if fs.latest is not None else "aucune dernière publication des douanes dans les données récupérées"],
        ["Lignes écartées", f"{origin.bad_rows} ligne(s) invalide(s), {formatting.meur(origin.bad_value)}" if origin.bad_rows else "aucune"],
        ["Territoires d’industrie", origin.territoires_list or "–"],
        ["Édition", f"{origin.edition} ({origin.edition_date})" if origin.edition else "–"],
        ["Date de production", origin.build_date[:10]],
        ["Outil", f"fiches {origin.tool_version}"],
    ]
    sheet("Lisez-moi", ["Rubrique", "Contenu"], rows, (None, "wrap"), (26, 110))
