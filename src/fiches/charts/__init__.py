"""Stage 3, the charts: a factsheet's model in; its charts drawn as SVG out (`chart.Chart`).

One module per chart (`balance`, `history`, `treemap`, `sankey`; `balance_interactive` for the web
page), each a pure function of the model; `style` holds their look. `export` is the one place
that makes SVG (matplotlib directly, plotly through one kaleido browser), `svgclean` slims it and
`overlay` lifts its labels out as page text. `factsheet` chooses and draws a factsheet's charts.
"""
