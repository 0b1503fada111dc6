"""The embedded vector index: exact cosine search, filters, replace and delete, and another
process's changes seen through the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lakechat.knowledge.base import Filters
from lakechat.knowledge.vectors_local import LocalVectorIndex


def vectors(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, 8)).astype(np.float32)


def test_search_is_exact_cosine_with_filters(tmp_path: Path) -> None:
    index = LocalVectorIndex(tmp_path, 8)
    data = vectors(50)
    index.upsert(
        [f"c{i}" for i in range(50)],
        data,
        [
            {"version": "v1" if i % 2 else "v2", "tenant": "t1" if i < 40 else "t2"}
            for i in range(50)
        ],
    )
    hits = index.search(data[7] * 3, 3)  # the same direction, any length
    assert hits[0].id == "c7" and hits[0].score == pytest.approx(1.0, abs=1e-5)
    expected = np.argsort(
        -(data / np.linalg.norm(data, axis=1, keepdims=True)) @ (data[7] / np.linalg.norm(data[7]))
    )[:3]
    assert [h.id for h in hits] == [f"c{i}" for i in expected]
    filtered = index.search(data[7], 5, Filters(versions=("v2",)))
    assert all(int(h.id[1:]) % 2 == 0 for h in filtered) and len(filtered) == 5
    assert index.search(data[7], 5, Filters(documents=("nothing",))) == []
    theirs = index.search(data[7], 50, tenant="t2")
    assert sorted(h.id for h in theirs) == sorted(f"c{i}" for i in range(40, 50))


def test_replace_delete_and_another_process(tmp_path: Path) -> None:
    writer, reader = LocalVectorIndex(tmp_path, 8), LocalVectorIndex(tmp_path, 8)
    data = vectors(10)
    writer.upsert([f"c{i}" for i in range(10)], data, [{} for _ in range(10)])
    assert reader.count() == 10
    writer.upsert(["c3"], data[5:6], [{"moved": True}])  # c3 now points where c5 does
    assert reader.count() == 10
    top = reader.search(data[5], 2)
    assert {h.id for h in top} == {"c3", "c5"} and all(
        h.score == pytest.approx(1.0, abs=1e-5) for h in top
    )
    assert writer.delete(["c3", "c5", "nope"]) == 2
    assert reader.count() == 8 and "c5" not in {h.id for h in reader.search(data[5], 10)}


def test_a_different_embedder_is_refused_clearly(tmp_path: Path) -> None:
    LocalVectorIndex(tmp_path, 8).upsert(["a"], vectors(1), [{}])
    with pytest.raises(ValueError, match="holds 8-dimension vectors; the embedder makes 4"):
        LocalVectorIndex(tmp_path, 4).count()
