"""Atomic checksummed files: their permissions follow the umask, as ``open()`` would make them."""

from __future__ import annotations

import os
import stat

import pytest

from c2kd_analyze import io


@pytest.mark.parametrize(("umask", "expected"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_written_files_follow_the_umask(tmp_path, umask, expected):
    old = os.umask(umask)
    io.file_mode.cache_clear()
    try:
        io.write_json(tmp_path / "run" / "config.json", {"a": 1})
    finally:
        os.umask(old)
        io.file_mode.cache_clear()
    for name in ("config.json", "config.json.sha256"):
        mode = stat.S_IMODE((tmp_path / "run" / name).stat().st_mode)
        assert mode == expected, (name, oct(mode))
    assert io.read_json(tmp_path / "run" / "config.json") == {"a": 1}


def test_disk_errors_become_one_line_whatever_library_raised(tmp_path):
    import errno

    from c2kd_analyze.errors import UserError

    class SafetensorError(Exception):  # Rust-backed writers raise plain exceptions
        pass

    for raised, words in (
        (OSError(errno.ENOSPC, "No space left on device"), "free some space"),
        (SafetensorError("Error while serializing: No space left on device (os error 28)"),
         "free some space"),
        (OSError(errno.EROFS, "Read-only file system"), "a folder you can write to"),
    ):  # fmt: skip
        expected = pytest.raises(UserError, match=f"cannot write {tmp_path}.*{words}")
        with expected, io.disk_errors(tmp_path):
            raise raised
    with pytest.raises(ValueError, match="not a disk problem"), io.disk_errors(tmp_path):
        raise ValueError("not a disk problem")
