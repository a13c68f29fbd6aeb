"""Unpacking a downloaded Vosk model archive safely, for ``scripts/fetch_vosk_model.py``.

Every entry is checked before anything is written: entries that would escape the
destination (``..``, absolute paths: "zip slip") and symbolic links are refused, the
single top folder of the official layout is stripped, and the archive must hold what
``voice_channel/stt/vosk.py`` loads (:data:`REQUIRED_FILE`). A refusal raises
:class:`ArchiveRefused` (the fetch script exits with its status 3).
"""
from __future__ import annotations

import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import List

REQUIRED_FILE = PurePosixPath("am") / "final.mdl"  # what voice_channel/stt/vosk.py checks
CHUNK = 1 << 16


class ArchiveRefused(Exception):
    """The archive is not unpacked: not a zip file, an entry out of the model folder or a
    link, or no Vosk model inside."""


def _member_path(name: str) -> PurePosixPath:
    """The entry's relative path, or ArchiveRefused if it could land outside the target."""
    text = name.replace("\\", "/")
    path = PurePosixPath(text)
    if (not text or text.startswith("/") or (len(text) > 1 and text[1] == ":")
            or ".." in path.parts or "\0" in text):
        raise ArchiveRefused(f"archive refused: entry {name!r} would be written outside the "
                             "model folder (zip slip)")
    return path


def _strip_root(infos: List[zipfile.ZipInfo], paths: List[PurePosixPath]) -> int:
    """1 when every entry sits under one top folder (the official layout), else 0."""
    tops = {p.parts[0] for p in paths if p.parts}
    top_level_file = any(len(p.parts) == 1 and not i.is_dir() for i, p in zip(infos, paths))
    return 1 if len(tops) == 1 and not top_level_file else 0


def extract(archive: Path, target: Path) -> int:
    """Unpack ``archive`` into the empty folder ``target`` (top folder stripped).

    Every entry is checked before anything is written; returns the number of files.
    """
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile:
        raise ArchiveRefused(f"archive refused: {archive.name} is not a zip file") from None
    with zf:
        infos = zf.infolist()
        paths = [_member_path(info.filename) for info in infos]
        depth = _strip_root(infos, paths)
        root = target.resolve()
        plan = []
        for info, path in zip(infos, paths):
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ArchiveRefused(f"archive refused: entry {info.filename!r} is a symbolic link")
            parts = path.parts[depth:]
            if not parts:
                continue
            destination = root.joinpath(*parts).resolve()
            if destination != root and root not in destination.parents:
                raise ArchiveRefused(f"archive refused: entry {info.filename!r} would be written "
                                     "outside the model folder (zip slip)")
            plan.append((info, destination))
        relative = {PurePosixPath(*d.relative_to(root).parts) for i, d in plan if not i.is_dir()}
        if REQUIRED_FILE not in relative:
            raise ArchiveRefused(f"archive refused: no {REQUIRED_FILE} inside, not a Vosk model")
        files = 0
        for info, destination in plan:
            if info.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as source, destination.open("wb") as sink:
                shutil.copyfileobj(source, sink, CHUNK)
            files += 1
    return files
