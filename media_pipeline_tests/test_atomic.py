import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from media_pipeline.atomic import atomic_path, current_umask, write_bytes_atomic, write_text_atomic
from media_pipeline.store.intake import store_media_file


@pytest.fixture()
def umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_follow_the_umask_like_any_new_file(tmp_path: Path, umask: None) -> None:
    assert current_umask() == 0o022
    write_text_atomic(tmp_path / "a.srt", "x")
    assert mode(tmp_path / "a.srt") == 0o644  # a media server's own user can read it
    os.umask(0o077)
    write_bytes_atomic(tmp_path / "b.srt", b"x")
    assert mode(tmp_path / "b.srt") == 0o600
    os.umask(0o002)
    write_text_atomic(tmp_path / "a.srt", "y")  # replacing takes the new file's mode
    assert mode(tmp_path / "a.srt") == 0o664 and (tmp_path / "a.srt").read_text() == "y"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.srt", "b.srt"]  # no temporaries


def test_a_failed_block_leaves_nothing(tmp_path: Path, umask: None) -> None:
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "c.srt") as tmp:
        tmp.write_text("half")
        raise RuntimeError
    assert list(tmp_path.iterdir()) == []


def test_a_stored_hard_link_keeps_the_source_mode(tmp_path: Path, umask: None) -> None:
    source = tmp_path / "ep1.mkv"
    source.write_bytes(b"media")
    source.chmod(0o440)
    stored = store_media_file(source, tmp_path / "media", "k")
    assert mode(source) == 0o440 and stored.read_bytes() == b"media"
