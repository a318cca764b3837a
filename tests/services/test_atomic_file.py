"""The one atomic write every kept file goes through."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from apex_tui.services.atomic_file import read_json_file, write_atomically


def test_a_write_replaces_the_file_whole_with_the_mode_asked(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    write_atomically(target, "old")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # private unless asked otherwise
    write_atomically(target, b"new \xe2\x9c\x93", mode=0o644)
    assert target.read_text(encoding="utf-8") == "new ✓"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "drafts.json"
    write_atomically(target, "kept")
    with pytest.raises(UnicodeEncodeError):
        write_atomically(target, "lone \ud800 surrogate")  # strict: cannot be encoded
    assert target.read_text(encoding="utf-8") == "kept"
    assert [p.name for p in tmp_path.iterdir()] == ["drafts.json"]
    write_atomically(target, "lone \ud800 surrogate", errors="surrogatepass")
    assert target.read_bytes() == "lone \ud800 surrogate".encode("utf-8", "surrogatepass")


def test_a_missing_folder_is_an_oserror_for_the_caller_to_report(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        write_atomically(tmp_path / "missing" / "x.json", "text")


def test_reading_a_kept_file_tells_missing_from_damaged(tmp_path: Path) -> None:
    target = tmp_path / "memory.json"
    assert read_json_file(target) == (None, "")  # nothing kept yet: no error to report
    write_atomically(target, '{"last_chat": {"apex": "c1"}}')
    assert read_json_file(target) == ({"last_chat": {"apex": "c1"}}, "")
    target.write_bytes(b"\xff not json")
    data, error = read_json_file(target)
    assert data is None and error
