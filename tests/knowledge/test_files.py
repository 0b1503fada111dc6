"""The file store in a local folder, the default: the same keys and errors as on S3
(tests/knowledge/test_files_s3.py), checked against the folder itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakechat.errors import BadRequest, DependencyUnavailable
from lakechat.knowledge.files import FileStore


@pytest.mark.parametrize("url", [False, True], ids=["path", "file-url"])
def test_files_round_trip_under_nested_keys(tmp_path: Path, url: bool) -> None:
    root = tmp_path / "files"
    store = FileStore(f"file://{root}" if url else str(root))
    store.put("acme/ab/abcdef.pdf", b"%PDF-1.7 original")
    store.put("acme/ab/cd/deeper.md", b"# Deeper")
    assert (root / "acme" / "ab" / "abcdef.pdf").read_bytes() == b"%PDF-1.7 original"
    assert store.get("acme/ab/cd/deeper.md") == b"# Deeper"

    store.put("acme/ab/abcdef.pdf", b"%PDF-1.7 replaced")
    assert store.get("acme/ab/abcdef.pdf") == b"%PDF-1.7 replaced"

    store.delete("acme/ab/abcdef.pdf")
    store.delete("acme/ab/abcdef.pdf")  # deleting twice is fine
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*.*")) == [
        "acme/ab/cd/deeper.md"
    ]


def test_keys_cannot_leave_the_folder(tmp_path: Path) -> None:
    store = FileStore(str(tmp_path / "files" / "inner"))
    store.put("../../outside.md", b"escaped?")
    store.put("acme/../../../other-tenant/x.md", b"escaped?")
    store.put("/absolute.md", b"escaped?")
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.md")) == [
        "files/inner/absolute.md",
        "files/inner/other-tenant/x.md",
        "files/inner/outside.md",
    ]
    for nothing in ("", ".", "acme/..", "../"):
        with pytest.raises(BadRequest, match="names no file"):
            store.get(nothing)


def test_a_missing_file_says_what_may_have_happened(tmp_path: Path) -> None:
    with pytest.raises(DependencyUnavailable) as caught:
        FileStore(str(tmp_path / "files")).get("acme/ab/never-stored.pdf")
    assert "no file is kept under 'acme/ab/never-stored.pdf'" in caught.value.message


def test_a_folder_that_cannot_be_made_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "files").write_bytes(b"a file where the folder should be")
    with pytest.raises(DependencyUnavailable, match="cannot keep the file"):
        FileStore(str(tmp_path / "files")).put("acme/handbook.md", b"# Handbook")
