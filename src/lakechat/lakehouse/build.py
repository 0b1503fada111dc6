"""Build the demo lakehouse: each catalog's file, idempotently, with progress.

- ``samples.duckdb``: TPC-H at the chosen scale factor.
- ``system.duckdb``: 90 days of Databricks system tables ending at the as-of day.
- ``main.duckdb``: the learning-analytics app and the sales, HR and finance schemas.
- ``incidents.json``: the incidents injected into system and main, as measured.

Each catalog is written to a temporary file and renamed into place, so a reader never sees
half a catalog and an interrupted build leaves the previous one intact. A small JSON file
beside each catalog records how it was built; a build with the same parameters is skipped.
``system`` and ``main`` come from one seeded population and are built together.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lakechat.errors import BadRequest
from lakechat.lakehouse.main_catalog import build_main
from lakechat.lakehouse.samples import build_samples
from lakechat.lakehouse.system.generate import build_system
from lakechat.lakehouse.system.incidents import Incident
from lakechat.lakehouse.system.population import DEFAULT_SEED
from lakechat.lakehouse.system.scale import check_row_count

#: Bump when a catalog's content changes, so existing files are rebuilt.
BUILDER_VERSION = 3
INCIDENTS_FILE = "incidents.json"

StepProgress = Callable[[str, int, int], None]
CatalogWriter = Callable[[Path, Callable[[int, int], None] | None], None]


@dataclass(frozen=True)
class CatalogBuild:
    """What was built (or found up to date) for one catalog."""

    catalog: str
    path: str
    parameters: dict[str, Any] = field(hash=False)
    builder_version: int = BUILDER_VERSION
    skipped: bool = False

    def describe(self) -> str:
        return ", ".join(f"{key} {value}" for key, value in self.parameters.items())


def build_lakehouse(
    folder: Path,
    *,
    scale_factor: float = 1.0,
    as_of: dt.date | None = None,
    seed: int = DEFAULT_SEED,
    force: bool = False,
    system_scale: int | None = None,
    progress: StepProgress | None = None,
) -> list[CatalogBuild]:
    """Build every catalog of the demo lakehouse in ``folder`` (LAKEHOUSE_PATH).

    ``system_scale`` grows system.billing.usage to that many rows, every incident intact.
    """
    if not 0.001 <= scale_factor <= 100:
        raise BadRequest(f"--sf {scale_factor:g}: the scale factor must be between 0.001 and 100")
    if not 0 <= seed < 2**31:
        raise BadRequest(f"--seed {seed}: the seed must be between 0 and 2147483647")
    as_of = as_of or dt.datetime.now(dt.UTC).date()
    if not dt.date(2000, 1, 1) <= as_of <= dt.date(2200, 1, 1):
        raise BadRequest(f"--as-of {as_of}: choose a day between 2000-01-01 and 2200-01-01")
    if system_scale is not None:
        check_row_count(system_scale)
    folder.mkdir(parents=True, exist_ok=True)

    def step(catalog: str) -> Callable[[int, int], None] | None:
        return (lambda done, total: progress(catalog, done, total)) if progress else None

    samples = _catalog(
        folder,
        "samples",
        {"scale_factor": scale_factor},
        force,
        lambda path, report: build_samples(path, scale_factor, report),
        step("samples"),
    )
    demo: dict[str, Any] = {"as_of": as_of.isoformat(), "seed": seed}
    # only a scaled build records its scale, so unscaled catalogs built before stay current
    scaled = {**demo, "system_scale": system_scale} if system_scale is not None else demo
    current = [_current(folder, "system", scaled), _current(folder, "main", demo)]
    if not force and all(current) and (folder / INCIDENTS_FILE).exists():
        for name in ("system", "main"):
            if progress:
                progress(name, 1, 1)
        return [samples, *(c for c in current if c is not None)]
    incidents: list[Incident] = []
    shared: dict[str, Any] = {}

    def write_system(path: Path, report: Callable[[int, int], None] | None) -> None:
        _, plan, found = build_system(
            path, as_of=as_of, seed=seed, usage_rows=system_scale, progress=report
        )
        incidents.extend(found)
        shared["plan"] = plan

    def write_main(path: Path, report: Callable[[int, int], None] | None) -> None:
        plan = shared["plan"]
        evidence = build_main(path, plan, seed, report)
        incidents.append(
            Incident("data_quality", "null_rate", plan.null_table, as_of.isoformat(), evidence)
        )

    system = _catalog(folder, "system", scaled, True, write_system, step("system"))
    main = _catalog(folder, "main", demo, True, write_main, step("main"))
    _write_incidents(folder / INCIDENTS_FILE, as_of, seed, incidents)
    return [samples, system, main]


def _current(folder: Path, catalog: str, parameters: dict[str, Any]) -> CatalogBuild | None:
    wanted = CatalogBuild(catalog, str(folder / f"{catalog}.duckdb"), parameters, skipped=True)
    record = _read_record(folder / f"{catalog}.build.json")
    if (folder / f"{catalog}.duckdb").exists() and record == _comparable(wanted):
        return wanted
    return None


def _catalog(
    folder: Path,
    catalog: str,
    parameters: dict[str, Any],
    force: bool,
    write: CatalogWriter,
    progress: Callable[[int, int], None] | None,
) -> CatalogBuild:
    existing = None if force else _current(folder, catalog, parameters)
    if existing is not None:
        if progress:
            progress(1, 1)
        return existing
    target = folder / f"{catalog}.duckdb"
    partial = folder / f".{catalog}.building.duckdb"
    partial.unlink(missing_ok=True)
    try:
        write(partial, progress)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
        partial.with_name(partial.name + ".wal").unlink(missing_ok=True)
    built = CatalogBuild(catalog, str(target), parameters)
    record = folder / f"{catalog}.build.json"
    record.write_text(json.dumps(_comparable(built), indent=2), encoding="utf-8")
    return built


def _write_incidents(path: Path, as_of: dt.date, seed: int, incidents: list[Incident]) -> None:
    document = {
        "as_of": as_of.isoformat(),
        "seed": seed,
        "snapshot": f"{as_of.isoformat()}T12:00:00+00:00",
        "incidents": [incident.as_json() for incident in incidents],
    }
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)


def _comparable(build: CatalogBuild) -> dict[str, object]:
    record = asdict(build)
    record.pop("skipped")
    return record


def _read_record(path: Path) -> dict[str, object] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
