"""Build the demo lakehouse: each catalog's file, idempotently, with progress.

Each catalog is written to a temporary file and renamed into place, so a reader never sees
half a catalog and an interrupted build leaves the previous one intact. A small JSON file
beside each catalog records how it was built; a build with the same parameters is skipped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from lakechat.errors import BadRequest
from lakechat.lakehouse.samples import build_samples

#: Bump when a catalog's content changes, so existing files are rebuilt.
BUILDER_VERSION = 1

StepProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class CatalogBuild:
    """What was built (or found up to date) for one catalog."""

    catalog: str
    path: str
    scale_factor: float
    builder_version: int
    skipped: bool


def build_lakehouse(
    folder: Path,
    *,
    scale_factor: float = 1.0,
    force: bool = False,
    progress: StepProgress | None = None,
) -> list[CatalogBuild]:
    """Build every catalog of the demo lakehouse in ``folder`` (LAKEHOUSE_PATH)."""
    if not 0.001 <= scale_factor <= 100:
        raise BadRequest(f"--sf {scale_factor:g}: the scale factor must be between 0.001 and 100")
    folder.mkdir(parents=True, exist_ok=True)
    return [_build_catalog(folder, "samples", scale_factor, force, progress)]


def _build_catalog(
    folder: Path, catalog: str, scale_factor: float, force: bool, progress: StepProgress | None
) -> CatalogBuild:
    target = folder / f"{catalog}.duckdb"
    record_path = folder / f"{catalog}.build.json"
    wanted = CatalogBuild(catalog, str(target), scale_factor, BUILDER_VERSION, skipped=True)
    if not force and target.exists() and _read_record(record_path) == _comparable(wanted):
        if progress:
            progress(catalog, 1, 1)
        return wanted
    partial = folder / f".{catalog}.building.duckdb"
    partial.unlink(missing_ok=True)
    try:
        build_samples(
            partial,
            scale_factor,
            (lambda done, total: progress(catalog, done, total)) if progress else None,
        )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
        partial.with_name(partial.name + ".wal").unlink(missing_ok=True)
    built = CatalogBuild(catalog, str(target), scale_factor, BUILDER_VERSION, skipped=False)
    record_path.write_text(json.dumps(_comparable(built), indent=2), encoding="utf-8")
    return built


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
