"""``scripts/serve_rasa.sh`` (the Procfile's ``rasa:`` line), run for real with a stand-in
``rasa`` executable that prints the arguments it was given; Rasa's own argument parser then
reads them, as ``rasa run`` would."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from rasa.__main__ import create_argument_parser

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _serve(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """Runs a copy of the script in a project whose ``.venv/bin/rasa`` prints its arguments,
    one per line."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(PROJECT_ROOT / "scripts" / "serve_rasa.sh", tmp_path / "scripts")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    stand_in = tmp_path / ".venv" / "bin" / "rasa"
    stand_in.write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n')
    stand_in.chmod(0o755)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "current.tar.gz").write_bytes(b"")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RASA_")}
    return subprocess.run(["bash", str(tmp_path / "scripts" / "serve_rasa.sh")],
                          env={**clean, **env}, capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("token", ["-starts-with-a-dash-0123456789", "plain_token_0123456789AB",
                                   "--looks-like-an-option"])
def test_any_token_reaches_rasa_as_the_auth_token(tmp_path, token):
    # secrets.token_urlsafe starts with "-" once in 64 draws: passed as two arguments,
    # argparse took it for an option and Rasa refused to start ("expected one argument").
    done = _serve(tmp_path, RASA_API_TOKEN=token)
    assert done.returncode == 0, done.stderr
    args = create_argument_parser().parse_args(done.stdout.splitlines())
    assert args.auth_token == token
    assert args.enable_api and args.interface == "127.0.0.1"
    assert args.model == "models/current.tar.gz"


@pytest.mark.parametrize("token, reason", [("", "empty"), ("short-token", "too short")])
def test_no_or_a_short_token_refuses_to_start(tmp_path, token, reason):
    done = _serve(tmp_path, RASA_API_TOKEN=token)
    assert done.returncode == 1 and reason in done.stderr
    assert done.stdout == ""  # rasa was never started
