"""The models a running service answers from, reloaded when their files change.

Every lookup first checks (at most once a second) whether any model file was added,
removed or modified; if so the whole set is loaded again, so an edited model is live on
the next request without a restart, and a broken edit keeps serving the last good model
of that id while ``problems`` says what is wrong.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from pathlib import Path

from lakechat.errors import DependencyUnavailable, NotFound
from lakechat.semantic.loader import LoadedModel, ModelProblem, load_models
from lakechat.warehouse.base import Warehouse

CHECK_INTERVAL_SECONDS = 1.0


class ModelRegistry:
    def __init__(
        self, folders: list[Path], warehouses: Mapping[str, Warehouse] | None = None
    ) -> None:
        self.folders = folders
        #: the warehouses models name in ``x-lakechat.warehouse`` (``state``), besides the
        #: configured one every other model runs on
        self.warehouses: Mapping[str, Warehouse] = dict(warehouses or {})
        self._lock = threading.Lock()
        self._stamp: tuple[tuple[str, int, int], ...] | None = None
        self._checked = 0.0
        self._models: dict[str, LoadedModel] = {}
        self._problems: list[ModelProblem] = []
        #: Bumped on every reload: caches key on it so a reload invalidates them.
        self.generation = 0

    def _files_stamp(self) -> tuple[tuple[str, int, int], ...]:
        entries = []
        for folder in self.folders:
            if folder.is_dir():
                for path in sorted(folder.glob("*.y*ml")):
                    try:
                        stat = path.stat()
                    except FileNotFoundError:
                        continue
                    entries.append((str(path), stat.st_mtime_ns, stat.st_size))
        return tuple(entries)

    def refresh(self, *, force: bool = False) -> None:
        now = time.monotonic()
        with self._lock:
            if (
                not force
                and now - self._checked < CHECK_INTERVAL_SECONDS
                and self._stamp is not None
            ):
                return
            self._checked = now
            stamp = self._files_stamp()
            if stamp == self._stamp and not force:
                return
            loaded = load_models(self.folders)
            previous = self._models
            broken = {Path(p.file).stem for p in loaded.problems}
            # a broken edit keeps the last good version of that model serving
            kept = {
                mid: m for mid, m in previous.items() if mid in broken and mid not in loaded.models
            }
            self._models = {**kept, **loaded.models}
            self._problems = loaded.problems
            self._stamp = stamp
            self.generation += 1

    def get(self, model_id: str) -> LoadedModel:
        self.refresh()
        found = self._models.get(model_id)
        if found is None:
            known = ", ".join(sorted(self._models)) or "none"
            raise NotFound(f"no dataset {model_id!r} (datasets: {known})")
        return found

    def all(self) -> list[LoadedModel]:
        self.refresh()
        return sorted(self._models.values(), key=lambda m: m.id)

    def warehouse_for(self, model: LoadedModel, default: Warehouse) -> Warehouse:
        """Where ``model`` runs: ``default`` unless its ``x-lakechat.warehouse`` names another."""
        name = model.view.extras.warehouse
        if name is None:
            return default
        found = self.warehouses.get(name)
        if found is None:
            raise DependencyUnavailable(
                f"{name} warehouse", f"dataset {model.id!r} runs on it and it is not set up here"
            )
        return found

    def close(self) -> None:
        """Close the models' own warehouses (the configured one is its owner's to close)."""
        for warehouse in self.warehouses.values():
            warehouse.close()

    @property
    def problems(self) -> list[ModelProblem]:
        self.refresh()
        return list(self._problems)
