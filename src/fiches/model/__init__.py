"""Stage 2, the model: a year's canonical table in; frozen dataclasses out (`indicators.Factsheet`).

Every figure a factsheet prints is computed once, in `indicators`; `formatting` writes them in
French typography. No pandas object goes further.
"""
