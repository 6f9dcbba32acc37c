"""Datasette on the archive, read-only, with the project's metadata and canned queries.

The file is opened with `mode=ro`, never `immutable=1`: a crawl may be writing to it through
WAL at the same moment, and immutable would let SQLite skip the locking that keeps those
reads consistent. Nothing here writes to the database.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import uvicorn
import yaml
from datasette.app import Datasette
from datasette.plugins import pm

import store.plugin

METADATA_PATH = Path(__file__).with_name("metadata.yml")

# The key metadata.yml files its database section under; replaced by the served file's name.
METADATA_DATABASE = "archive"

SETTINGS: dict[str, Any] = {
    # Ad-hoc SQL over the log views runs correlated subqueries; 1 s (the default) is too short.
    "sql_time_limit_ms": 10_000,
    "max_returned_rows": 5_000,
    "default_page_size": 100,
    "facet_time_limit_ms": 500,
    # Suggestions run a distinct count on every column of every page shown: over the views
    # at 50,000 recommendations that alone is seconds. The facets metadata.yml names stay.
    "suggest_facets": False,
    "allow_download": False,
}


def load_metadata(database: str) -> dict[str, Any]:
    """metadata.yml with its database section filed under `database`."""
    with METADATA_PATH.open(encoding="utf-8") as f:
        metadata = yaml.safe_load(f)
    databases = metadata.get("databases") or {}
    section = databases.pop(METADATA_DATABASE, {})
    section = copy.deepcopy(section)
    if "description_html" in section:
        section["description_html"] = section["description_html"].replace("{database}", database)
    metadata["databases"] = {**databases, database: section}
    return metadata


def make_datasette(db_path: str) -> Datasette:
    """A Datasette for the archive at db_path, read-only, with metadata and canned queries."""
    path = Path(db_path)
    if not path.is_file():
        raise FileNotFoundError(f"no database at {db_path}")
    # Datasette names a database after its file's stem; the metadata must use the same name.
    ds = _datasette(path, path.stem)
    name = next(n for n, db in ds.databases.items() if db.path == str(path))
    if name != path.stem:  # a stem Datasette keeps for itself, such as _internal
        ds = _datasette(path, name)
    return ds


def register_plugin() -> None:
    """Load the archive's plugin (pages, feed, cell links), unless its entry point did."""
    if not pm.is_registered(store.plugin):
        pm.register(store.plugin, name="hmicfrs-archive")


def _datasette(path: Path, name: str) -> Datasette:
    register_plugin()
    return Datasette(files=[str(path)], metadata=load_metadata(name), settings=SETTINGS)


def serve(db_path: str, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Serve the archive over HTTP until interrupted (Ctrl-C)."""
    ds = make_datasette(db_path)
    # Datasette runs its startup hooks on the first request (AsgiRunOnFirstRequest).
    uvicorn.run(ds.app(), host=host, port=port, log_level="info", lifespan="on", workers=1)
