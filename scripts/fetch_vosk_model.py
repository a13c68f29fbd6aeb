#!/usr/bin/env python
"""Download and unpack the French Vosk model ``vosk-model-small-fr-0.22`` into models/.

The archive comes from Alpha Cephei's official address
(https://alphacephei.com/vosk/models/vosk-model-small-fr-0.22.zip). Its MD5 and byte
size are pinned below: they are the values Alpha Cephei publishes for this model in
https://alphacephei.com/vosk/models/model-list.json (fields ``md5`` and ``size``).
``--list-url`` verifies against the values listed in a model-list.json instead (for
instance the official one, if Alpha Cephei ever republishes the archive).

The download streams into a temporary file beside the destination (with a progress
bar on stderr), its size and MD5 are checked, and the archive is extracted into a
temporary folder beside the destination, which is then renamed into place: an
interrupted or refused run leaves no partial model folder behind. Entries that would
escape the destination (``..``, absolute paths: "zip slip") are refused before anything
is written. A model already in place is left alone and nothing is downloaded.

    python scripts/fetch_vosk_model.py [--dest models/vosk-model-small-fr-0.22]
        [--url URL] [--list-url URL] [--force] [--timeout SECONDS]

Exit status: 0 when the model is in place, 1 on a checksum or size mismatch (corrupt or
truncated download), 2 when the download fails (HTTP error, network, model missing from
the list), 3 when the archive is refused (zip slip, not a zip, not a Vosk model) or the
destination holds something else, 130 when interrupted.
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable, List, Optional, Protocol

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:  # run as a script: scripts/vosk_archive.py beside it
    sys.path.insert(0, str(PROJECT_ROOT))

from scripts.vosk_archive import CHUNK, REQUIRED_FILE, ArchiveRefused, extract  # noqa: E402

MODEL_NAME = "vosk-model-small-fr-0.22"
MODEL_URL = f"https://alphacephei.com/vosk/models/{MODEL_NAME}.zip"
MODEL_LIST_URL = "https://alphacephei.com/vosk/models/model-list.json"
# The "md5" and "size" of vosk-model-small-fr-0.22 in MODEL_LIST_URL. Read from copies of
# that list's entry kept in several independent public repositories, which all agree; the
# official file could not be fetched when this was written. --list-url re-checks them.
MODEL_MD5 = "8873b1234503f6edd55f54bfff31cf3e"
MODEL_SIZE = 42233323

DEFAULT_DEST = PROJECT_ROOT / "models" / MODEL_NAME
MARKER = ".fetch_vosk_model.json"  # written into the model folder once verified
USER_AGENT = "allo-clinique-fetch-vosk-model/1.0"

EXIT_OK, EXIT_CHECKSUM, EXIT_DOWNLOAD, EXIT_ARCHIVE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class FetchError(Exception):
    """The model could not be installed; ``status`` is the exit code."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Expected:
    md5: str
    size: int
    source: str  # where the two values come from, for messages


class Progress(Protocol):
    def update(self, count: int) -> None: ...

    def close(self) -> None: ...


class PercentProgress:
    """Fallback when tqdm is missing: ``name: 42% (17.7/42.2 MB)`` on stderr."""

    def __init__(self, total: Optional[int], desc: str) -> None:
        self.total, self.desc, self.done, self._shown = total, desc, 0, -1

    def update(self, count: int) -> None:
        self.done += count
        if self.total:
            percent = min(100, self.done * 100 // self.total)
            if percent != self._shown:
                self._shown = percent
                sys.stderr.write(f"\r{self.desc}: {percent:3d}% "
                                 f"({self.done / 1e6:.1f}/{self.total / 1e6:.1f} MB)")
                sys.stderr.flush()

    def close(self) -> None:
        if not self.total:
            sys.stderr.write(f"{self.desc}: {self.done / 1e6:.1f} MB")
        sys.stderr.write("\n")
        sys.stderr.flush()


def make_progress(total: Optional[int], desc: str) -> Progress:
    try:
        from tqdm import tqdm
    except ImportError:
        return PercentProgress(total, desc)
    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024,
                file=sys.stderr, mininterval=0.5)


def _open(url: str, timeout: float):
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        raise FetchError(f"download failed: HTTP {error.code} {error.reason} for {url}",
                         EXIT_DOWNLOAD) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise FetchError(f"download failed: cannot reach {url}: {reason}", EXIT_DOWNLOAD) from None


def expected_from_list(list_url: str, name: str, timeout: float) -> Expected:
    """The ``md5`` and ``size`` listed for ``name`` in a model-list.json."""
    try:
        with _open(list_url, timeout) as response:
            models = json.loads(response.read().decode("utf-8"))
    except (ValueError, OSError) as error:
        raise FetchError(f"{list_url} is not a readable model list: {error}", EXIT_DOWNLOAD) from None
    entries = [m for m in models if isinstance(m, dict) and m.get("name") == name] \
        if isinstance(models, list) else []
    if not entries:
        raise FetchError(f"{list_url} lists no model named {name}", EXIT_DOWNLOAD)
    try:
        md5, size = str(entries[0]["md5"]).lower(), int(entries[0]["size"])
    except (KeyError, TypeError, ValueError):
        raise FetchError(f"{list_url}: the {name} entry has no usable md5/size", EXIT_DOWNLOAD) from None
    if len(md5) != 32 or any(c not in "0123456789abcdef" for c in md5):
        raise FetchError(f"{list_url}: the {name} entry has no usable md5/size", EXIT_DOWNLOAD)
    return Expected(md5, size, list_url)


def _size_mismatch(url: str, expected: Expected, got: str) -> FetchError:
    return FetchError(f"SIZE MISMATCH for {url}:\n  expected {expected.size} bytes "
                      f"({expected.source})\n  got      {got}\n"
                      "The download is incomplete or not the expected archive: not installing it.",
                      EXIT_CHECKSUM)


def download(url: str, into: Path, expected: Expected, timeout: float) -> None:
    """Stream ``url`` into ``into`` and check its size and MD5 (FetchError otherwise)."""
    digest = hashlib.md5()
    received = 0
    with _open(url, timeout) as response:
        length = response.headers.get("Content-Length")
        announced = int(length) if length and length.isdigit() else None
        if announced is not None and announced != expected.size:  # fail before the body
            raise _size_mismatch(url, expected, f"{announced} bytes announced by the server")
        progress = make_progress(announced or expected.size, PurePosixPath(url).name or MODEL_NAME)
        try:
            with into.open("wb") as handle:
                while True:
                    try:
                        block = response.read(CHUNK)
                    except (OSError, ValueError, http.client.HTTPException) as error:
                        # timeout, connection reset, IncompleteRead
                        raise FetchError(f"download of {url} interrupted after {received} bytes: "
                                         f"{error or type(error).__name__}", EXIT_DOWNLOAD) from None
                    if not block:
                        break
                    handle.write(block)
                    digest.update(block)
                    received += len(block)
                    progress.update(len(block))
                    if received > expected.size:
                        raise _size_mismatch(url, expected, f"more than {expected.size} bytes")
                handle.flush()
                os.fsync(handle.fileno())
        finally:
            progress.close()
    if announced is not None and received != announced:
        raise FetchError(f"TRUNCATED DOWNLOAD of {url}: got {received} bytes, the server announced "
                         f"{announced}. Not installing it; run again.", EXIT_CHECKSUM)
    if received != expected.size:
        raise _size_mismatch(url, expected, f"{received} bytes")
    actual = digest.hexdigest()
    if actual != expected.md5:
        raise FetchError(f"CHECKSUM MISMATCH for {url}:\n  expected md5 {expected.md5} "
                         f"({expected.source})\n  got      md5 {actual}\n"
                         "The download is corrupt or not the expected archive: not installing it.",
                         EXIT_CHECKSUM)


def installed(dest: Path) -> Optional[str]:
    """Why ``dest`` already counts as installed, or None when it must be fetched."""
    if not (dest / REQUIRED_FILE).is_file():
        return None
    try:
        recorded = json.loads((dest / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        recorded = None
    if isinstance(recorded, dict) and recorded.get("md5"):
        return (f"already installed, nothing downloaded (md5 {recorded['md5']} verified when it "
                "was fetched)")
    return ("already there, nothing downloaded (unpacked by hand, not verified by this script; "
            "--force downloads it again)")


def fetch(dest: Path, url: str = MODEL_URL, list_url: Optional[str] = None, *,
          force: bool = False, timeout: float = 60.0) -> str:
    """Make sure ``dest`` holds the verified model; returns what happened."""
    if not force:
        reason = installed(dest)  # decided before any request: none when in place
        if reason:
            return reason
    if dest.exists() and not force:
        raise FetchError(f"{dest} exists but is not a Vosk model (no {REQUIRED_FILE}): "
                         "remove it or pass --force", EXIT_ARCHIVE)

    expected = (expected_from_list(list_url, MODEL_NAME, timeout) if list_url
                else Expected(MODEL_MD5, MODEL_SIZE, "pinned in scripts/fetch_vosk_model.py"))
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp"))
    try:
        archive = work / f"{MODEL_NAME}.zip"
        download(url, archive, expected, timeout)
        unpacked = work / dest.name
        unpacked.mkdir()
        try:
            count = extract(archive, unpacked)
        except ArchiveRefused as refused:
            raise FetchError(str(refused), EXIT_ARCHIVE) from None
        archive.unlink()
        (unpacked / MARKER).write_text(json.dumps(
            {"name": MODEL_NAME, "url": url, "md5": expected.md5, "size": expected.size,
             "checksum_source": expected.source}, indent=2) + "\n", encoding="utf-8")
        if dest.exists() or dest.is_symlink():  # --force: swap; the old one goes with `work`
            os.replace(dest, work / ".previous")
        os.replace(unpacked, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return f"downloaded and unpacked ({count} files, md5 {expected.md5} verified)"


def usage_hint(dest: Path) -> Iterable[str]:
    try:
        shown = dest.resolve().relative_to(PROJECT_ROOT)
    except ValueError:
        shown = dest
    yield "To use it:"
    yield f"  export VOSK_MODEL_PATH={shown}"
    yield "  and in credentials.yml, under voice_channel.channel.VoiceInput:  stt_engine: vosk"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST,
                        help=f"model folder (default: {DEFAULT_DEST.relative_to(PROJECT_ROOT)})")
    parser.add_argument("--url", default=MODEL_URL, help=f"archive address (default: {MODEL_URL})")
    parser.add_argument("--list-url", default=None, metavar="URL",
                        help="verify against the md5/size listed for the model in this "
                             f"model-list.json (e.g. {MODEL_LIST_URL}) instead of the pinned values")
    parser.add_argument("--force", action="store_true",
                        help="download again and replace the model folder even if it is there")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="network timeout in seconds (default: 60)")
    args = parser.parse_args(argv)
    try:
        outcome = fetch(args.dest, args.url, args.list_url, force=args.force, timeout=args.timeout)
    except FetchError as error:
        print(f"fetch_vosk_model: {error}", file=sys.stderr)
        return error.status
    except KeyboardInterrupt:
        print("fetch_vosk_model: interrupted, nothing installed", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(f"{args.dest}: {outcome}")
    for line in usage_hint(args.dest):
        print(line)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
