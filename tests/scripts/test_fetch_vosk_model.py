"""scripts/fetch_vosk_model.py against a local HTTP server (never the real Alpha Cephei site).

The server (http.server in a thread) serves a tiny zip shaped like a Vosk model
(``vosk-model-small-fr-0.22/am/final.mdl``, ``conf/``, ``graph/``…) and a model-list.json;
each test points ``--url``/``--list-url``/``--dest`` at it and at a temporary folder.
"""
from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NAME = "vosk-model-small-fr-0.22"

MODEL_FILES = {
    "am/final.mdl": b"\x00acoustic model\x00" * 64,
    "conf/model.conf": b"--min-active=200\n--max-active=3000\n",
    "conf/mfcc.conf": b"--sample-frequency=16000\n--use-energy=false\n",
    "graph/HCLr.fst": b"fst" * 100,
    "graph/Gr.fst": b"grammar" * 50,
    "graph/phones/word_boundary.int": b"1 nonword\n2 begin\n",
    "ivector/final.ie": b"ivector" * 30,
    "README": b"French small model, tiny test copy\n",
}


def load_fetcher():
    spec = importlib.util.spec_from_file_location(
        "fetch_vosk_model", PROJECT_ROOT / "scripts" / "fetch_vosk_model.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


fetcher = load_fetcher()


def make_zip(entries: Dict[str, bytes], root: str = f"{NAME}/") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if root:
            archive.writestr(root, b"")
        for name, data in entries.items():
            archive.writestr(root + name, data)
    return buffer.getvalue()


MODEL_ZIP = make_zip(MODEL_FILES)


def model_list(md5: str, size: int) -> bytes:
    return json.dumps([
        {"lang": "en-us", "md5": "0" * 32, "name": "vosk-model-small-en-us-0.15", "size": 1,
         "type": "small", "obsolete": "false", "url": "http://x/en.zip"},
        {"lang": "fr", "lang_text": "French", "md5": md5, "name": NAME, "obsolete": "false",
         "size": size, "size_text": "tiny", "type": "small", "url": f"http://x/{NAME}.zip",
         "version": "0.22"},
    ]).encode()


class Server:
    """Routes: path → (status, body, mode); mode "truncate" sends half the body then closes
    (with the full Content-Length), "stall" sends half then hangs."""

    def __init__(self) -> None:
        self.routes: Dict[str, Tuple[int, bytes, str]] = {}
        self.requests: List[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                owner.requests.append(self.path)
                status, body, mode = owner.routes.get(self.path, (404, b"not found", "full"))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if mode == "full":
                    self.wfile.write(body)
                    return
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                if mode == "stall":
                    time.sleep(3)
                self.close_connection = True

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def serve(self, path: str, body: bytes, status: int = 200, mode: str = "full") -> str:
        self.routes[path] = (status, body, mode)
        return self.base + path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(monkeypatch) -> Iterator[Server]:
    for variable in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    instance = Server()
    yield instance
    instance.close()


@pytest.fixture
def models(tmp_path) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    return folder


def published(server: Server, body: bytes = MODEL_ZIP, md5: str = None, size: int = None,
              mode: str = "full") -> List[str]:
    """Serve the archive and a list vouching for it; the matching command-line options."""
    url = server.serve(f"/vosk/models/{NAME}.zip", body, mode=mode)
    listed = model_list(md5 or hashlib.md5(body).hexdigest(), len(body) if size is None else size)
    list_url = server.serve("/vosk/models/model-list.json", listed)
    return ["--url", url, "--list-url", list_url]


def run(models: Path, options: List[str], *extra: str) -> int:
    return fetcher.main(["--dest", str(models / NAME), "--timeout", "5", *options, *extra])


def assert_nothing_left(models: Path) -> None:
    assert list(models.iterdir()) == [], f"left behind: {list(models.iterdir())}"


# --- what is pinned ---------------------------------------------------------------------


def test_official_address_and_published_checksum_are_pinned():
    assert fetcher.MODEL_URL == "https://alphacephei.com/vosk/models/vosk-model-small-fr-0.22.zip"
    assert fetcher.MODEL_LIST_URL == "https://alphacephei.com/vosk/models/model-list.json"
    assert fetcher.MODEL_MD5 == "8873b1234503f6edd55f54bfff31cf3e"
    assert fetcher.MODEL_SIZE == 42233323
    assert fetcher.DEFAULT_DEST == PROJECT_ROOT / "models" / NAME


# --- success and idempotence ---------------------------------------------------------------


def test_download_unpacks_the_model_shows_progress_and_says_how_to_use_it(server, models, capsys):
    status = run(models, published(server))
    out, err = capsys.readouterr()

    assert status == 0, err
    dest = models / NAME
    for name, data in MODEL_FILES.items():
        assert (dest / name).read_bytes() == data
    assert not (dest / NAME).exists(), "the archive's top folder must be stripped"
    assert sorted(p.name for p in models.iterdir()) == [NAME], "no temporary file or zip left"
    marker = json.loads((dest / fetcher.MARKER).read_text())
    assert marker["md5"] == hashlib.md5(MODEL_ZIP).hexdigest()
    assert marker["checksum_source"].endswith("/model-list.json")
    assert "100%" in err
    assert f"VOSK_MODEL_PATH={dest}" in out
    assert "stt_engine: vosk" in out
    assert "credentials.yml" in out
    # The engine accepts the folder.
    from voice_channel.stt.vosk import resolve_model_path
    assert resolve_model_path(str(dest)) == str(dest.resolve())

    before = list(server.requests)
    assert before == ["/vosk/models/model-list.json", f"/vosk/models/{NAME}.zip"]
    assert run(models, published(server)) == 0
    out, _ = capsys.readouterr()
    assert server.requests == before, "the second run must not make any request"
    assert "already installed, nothing downloaded" in out
    assert "VOSK_MODEL_PATH=" in out


def test_pinned_checksum_is_used_without_a_list(server, models, monkeypatch, capsys):
    monkeypatch.setattr(fetcher, "MODEL_MD5", hashlib.md5(MODEL_ZIP).hexdigest())
    monkeypatch.setattr(fetcher, "MODEL_SIZE", len(MODEL_ZIP))
    url = server.serve(f"/{NAME}.zip", MODEL_ZIP)

    assert run(models, ["--url", url]) == 0
    assert server.requests == [f"/{NAME}.zip"]
    marker = json.loads((models / NAME / fetcher.MARKER).read_text())
    assert marker["checksum_source"] == "pinned in scripts/fetch_vosk_model.py"


def test_pinned_checksum_rejects_another_archive(server, models, capsys):
    url = server.serve(f"/{NAME}.zip", MODEL_ZIP)  # the tiny zip is not the real model

    assert run(models, ["--url", url]) == 1
    err = capsys.readouterr().err
    assert "SIZE MISMATCH" in err and "42233323" in err
    assert_nothing_left(models)


def test_a_model_unpacked_by_hand_is_kept_without_any_request(server, models, capsys):
    (models / NAME / "am").mkdir(parents=True)
    (models / NAME / "am" / "final.mdl").write_bytes(b"mine")

    assert run(models, published(server)) == 0
    assert server.requests == []
    assert "not verified by this script" in capsys.readouterr().out
    assert (models / NAME / "am" / "final.mdl").read_bytes() == b"mine"


def test_force_replaces_the_model_atomically(server, models):
    (models / NAME / "am").mkdir(parents=True)
    (models / NAME / "am" / "final.mdl").write_bytes(b"old")
    (models / NAME / "stale.txt").write_text("old")

    assert run(models, published(server), "--force") == 0
    assert (models / NAME / "am" / "final.mdl").read_bytes() == MODEL_FILES["am/final.mdl"]
    assert not (models / NAME / "stale.txt").exists()
    assert sorted(p.name for p in models.iterdir()) == [NAME]


def test_a_failed_force_keeps_the_previous_model(server, models):
    (models / NAME / "am").mkdir(parents=True)
    (models / NAME / "am" / "final.mdl").write_bytes(b"old")

    assert run(models, published(server, md5="f" * 32), "--force") == 1
    assert (models / NAME / "am" / "final.mdl").read_bytes() == b"old"
    assert sorted(p.name for p in models.iterdir()) == [NAME]


def test_a_destination_that_is_not_a_model_is_refused(server, models, capsys):
    (models / NAME).mkdir()
    (models / NAME / "notes.txt").write_text("x")

    assert run(models, published(server)) == 3
    assert "not a Vosk model" in capsys.readouterr().err
    assert server.requests == []


def test_progress_falls_back_to_a_percentage_without_tqdm(server, models, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)

    assert run(models, published(server)) == 0
    err = capsys.readouterr().err
    assert f"{NAME}.zip: 100%" in err


# --- verification failures ---------------------------------------------------------------


def test_checksum_mismatch_fails_and_leaves_nothing(server, models, capsys):
    assert run(models, published(server, md5="0123456789abcdef0123456789abcdef")) == 1
    err = capsys.readouterr().err
    assert "CHECKSUM MISMATCH" in err
    assert "expected md5 0123456789abcdef0123456789abcdef" in err
    assert f"got      md5 {hashlib.md5(MODEL_ZIP).hexdigest()}" in err
    assert "not installing it" in err
    assert_nothing_left(models)


def test_size_mismatch_fails_and_leaves_nothing(server, models, capsys):
    assert run(models, published(server, size=len(MODEL_ZIP) + 1)) == 1
    err = capsys.readouterr().err
    assert "SIZE MISMATCH" in err
    assert f"expected {len(MODEL_ZIP) + 1} bytes" in err
    assert f"got      {len(MODEL_ZIP)} bytes announced by the server" in err
    assert_nothing_left(models)


def test_oversized_download_without_length_is_cut_short(server, models, monkeypatch, capsys):
    options = published(server, size=len(MODEL_ZIP) - 10)
    real_open = fetcher._open

    def without_length(url, timeout):
        response = real_open(url, timeout)
        del response.headers["Content-Length"]
        return response

    monkeypatch.setattr(fetcher, "_open", without_length)

    assert run(models, options) == 1
    err = capsys.readouterr().err
    assert "SIZE MISMATCH" in err and f"more than {len(MODEL_ZIP) - 10} bytes" in err
    assert_nothing_left(models)


def test_truncated_download_fails_and_leaves_nothing(server, models, capsys):
    assert run(models, published(server, mode="truncate")) == 1
    err = capsys.readouterr().err
    assert "TRUNCATED DOWNLOAD" in err
    assert f"got {len(MODEL_ZIP) // 2} bytes, the server announced {len(MODEL_ZIP)}" in err
    assert_nothing_left(models)


def test_server_404_is_a_clear_error(server, models, capsys):
    options = published(server)
    options[1] = server.base + "/vosk/models/missing.zip"

    assert run(models, options) == 2
    err = capsys.readouterr().err
    assert "HTTP 404" in err and "/vosk/models/missing.zip" in err
    assert_nothing_left(models)


def test_model_missing_from_the_list(server, models, capsys):
    url = server.serve(f"/{NAME}.zip", MODEL_ZIP)
    list_url = server.serve("/model-list.json", json.dumps([{"name": "other", "md5": "0" * 32,
                                                              "size": 1}]).encode())

    assert run(models, ["--url", url, "--list-url", list_url]) == 2
    assert f"lists no model named {NAME}" in capsys.readouterr().err
    assert server.requests == ["/model-list.json"]
    assert_nothing_left(models)


def test_unreachable_server_is_a_clear_error(models, server, capsys):
    server.close()
    url = f"{server.base}/{NAME}.zip"

    assert run(models, ["--url", url, "--list-url", f"{server.base}/model-list.json"]) == 2
    assert "cannot reach" in capsys.readouterr().err
    assert_nothing_left(models)
    server.close = lambda: None


# --- refused archives --------------------------------------------------------------------


@pytest.mark.parametrize("evil", [
    f"{NAME}/../../evil.txt",
    "../evil.txt",
    "/tmp/evil-fetch-vosk.txt",
    f"{NAME}/am/..\\..\\..\\evil.txt",
])
def test_zip_slip_entry_is_refused_before_anything_is_written(server, models, tmp_path, capsys, evil):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in MODEL_FILES.items():
            archive.writestr(f"{NAME}/{name}", data)
        archive.writestr(zipfile.ZipInfo(evil), b"pwned")
    body = buffer.getvalue()

    assert run(models, published(server, body)) == 3
    err = capsys.readouterr().err
    assert "zip slip" in err and "evil" in err
    assert_nothing_left(models)
    assert not list(tmp_path.rglob("evil*"))
    assert not Path("/tmp/evil-fetch-vosk.txt").exists()


def test_symlink_entry_is_refused(server, models, capsys):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in MODEL_FILES.items():
            archive.writestr(f"{NAME}/{name}", data)
        link = zipfile.ZipInfo(f"{NAME}/conf/link")
        link.external_attr = (0o120777 << 16)
        archive.writestr(link, "/etc/passwd")

    assert run(models, published(server, buffer.getvalue())) == 3
    assert "symbolic link" in capsys.readouterr().err
    assert_nothing_left(models)


def test_archive_without_a_vosk_model_is_refused(server, models, capsys):
    body = make_zip({"conf/model.conf": b"x", "README": b"no acoustic model"})

    assert run(models, published(server, body)) == 3
    assert "not a Vosk model" in capsys.readouterr().err
    assert_nothing_left(models)


def test_not_a_zip_is_refused(server, models, capsys):
    body = b"<html>rate limited</html>"

    assert run(models, published(server, body)) == 3
    assert "not a zip file" in capsys.readouterr().err
    assert_nothing_left(models)


def test_archive_without_a_top_folder_is_unpacked_as_is(server, models):
    body = make_zip(MODEL_FILES, root="")

    assert run(models, published(server, body)) == 0
    assert (models / NAME / "am" / "final.mdl").read_bytes() == MODEL_FILES["am/final.mdl"]


# --- interruptions -----------------------------------------------------------------------


def test_stalled_download_times_out_and_leaves_nothing(server, models, capsys):
    options = published(server, mode="stall")

    assert fetcher.main(["--dest", str(models / NAME), "--timeout", "0.5", *options]) == 2
    err = capsys.readouterr().err
    assert "interrupted after" in err
    assert_nothing_left(models)


def test_ctrl_c_during_the_download_leaves_no_partial_model(server, models, monkeypatch, capsys):
    class Interrupting:
        def update(self, count: int) -> None:
            raise KeyboardInterrupt

        def close(self) -> None:
            pass

    monkeypatch.setattr(fetcher, "make_progress", lambda total, desc: Interrupting())

    assert run(models, published(server)) == 130
    assert "interrupted, nothing installed" in capsys.readouterr().err
    assert_nothing_left(models)


def test_ctrl_c_during_extraction_leaves_no_partial_model(server, models, monkeypatch):
    real_copy = fetcher.shutil.copyfileobj
    copied = []

    def copy_then_interrupt(source, sink, length=0):
        real_copy(source, sink, length)
        copied.append(1)
        if len(copied) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(fetcher.shutil, "copyfileobj", copy_then_interrupt)

    assert run(models, published(server)) == 130
    assert_nothing_left(models)
