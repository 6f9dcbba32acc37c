"""Benchmarks for issue 7: `python -m bench` (or `make bench`) prints one table and writes
bench/results.json.

Every crawl runs as its own subprocess against the fixture site, which itself runs in a
separate process, so that neither competes with the other for a GIL. Nothing here asserts a
time; the figures are for people to read and rerun. See bench/README.md.
"""
