"""Stage 5, the build: territories and a data selection in; a year folder of factsheets out.

`jobs` says what a build is (jobs, outcomes, build keys, output paths), `batch` runs it in the
command's process, `worker` and `pool` build factsheets in parallel processes, `index` writes the
year's front page and manifest.
"""
