"""Stage 4, rendering: a factsheet's model and drawn charts in; its files out.

`html` fills the Jinja templates, `pdf` has WeasyPrint write the tagged PDF, `sidecar` and
`workbook` write the JSON and XLSX with the same figures, `interactive` the HTML page, `assets`
the files those pages share. `accel` holds the speed-ups that use libraries' private internals.
"""
