"""Stage 1, the sources: the customs' archives in; verified raw files, the Parquet cache and a year's data out.

`fetch` downloads and verifies, `archive` reads zips by member within limits, `douanes` parses the
DGDDI files, `ingest` runs it all as one transaction, `store` reads the cache back as `YearData`,
`sample` generates the synthetic sample in the same layout, and `selection` chooses what a build uses.
"""
