"""``scripts/serve_rasa.sh`` (the Procfile's ``rasa:`` line), run for real with a stand-in
``python`` that prints the arguments ``-m rasa_server`` was given; Rasa's own argument
parser then reads them, as ``rasa run`` would. Then ``rasa_server``'s fix itself."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from rasa.__main__ import create_argument_parser

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _serve(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """Runs a copy of the script in a project whose ``.venv/bin/python`` prints the
    arguments it was given after ``-m rasa_server``, one per line."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(PROJECT_ROOT / "scripts" / "serve_rasa.sh", tmp_path / "scripts")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    stand_in = tmp_path / ".venv" / "bin" / "python"
    stand_in.write_text('#!/bin/sh\n[ "$1 $2" = "-m rasa_server" ] || exit 9\nshift 2\n'
                        'for a in "$@"; do printf "%s\\n" "$a"; done\n')
    stand_in.chmod(0o755)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "current.tar.gz").write_bytes(b"")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RASA_")}
    return subprocess.run(["bash", str(tmp_path / "scripts" / "serve_rasa.sh")],
                          env={**clean, **env}, capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("token", ["-starts-with-a-dash-0123456789", "plain_token_0123456789AB",
                                   "--looks-like-an-option"])
def test_the_token_never_reaches_the_command_line(tmp_path, token):
    """The admin token stays in the environment: `ps` shows Rasa's command line to every
    user of the machine. rasa_server hands it to Rasa inside the process (next test)."""
    done = _serve(tmp_path, RASA_API_TOKEN=token)
    assert done.returncode == 0, done.stderr
    assert token not in done.stdout
    args = create_argument_parser().parse_args(done.stdout.splitlines())
    assert args.auth_token is None
    assert args.enable_api and args.interface == "127.0.0.1"
    assert args.model == "models/current.tar.gz"


@pytest.mark.parametrize("token", ["-starts-with-a-dash-0123456789", "plain_token_0123456789AB",
                                   "--looks-like-an-option"])
def test_rasa_server_gives_rasa_the_token_of_the_environment(token):
    # secrets.token_urlsafe starts with "-" once in 64 draws: passed as two arguments,
    # argparse took it for an option and Rasa refused to start ("expected one argument").
    from rasa_server.admin_token import arguments_with_token

    argv = ["rasa_server", "run", "--enable-api", "--port", "5005"]
    args = create_argument_parser().parse_args(
        arguments_with_token(argv, {"RASA_API_TOKEN": token})[1:])
    assert args.auth_token == token


def test_rasa_server_reads_the_token_from_a_file(tmp_path):
    from rasa_server.admin_token import arguments_with_token

    (tmp_path / "token").write_text("from-a-file-0123456789\n")
    argv = arguments_with_token(["rasa_server", "run"],
                                {"RASA_API_TOKEN_FILE": str(tmp_path / "token")})
    assert create_argument_parser().parse_args(argv[1:]).auth_token == "from-a-file-0123456789"


def test_rasa_server_refuses_a_token_on_the_command_line():
    done = subprocess.run(
        [str(PROJECT_ROOT / ".venv" / "bin" / "python"), "-m", "rasa_server", "run",
         "--auth-token=visible-in-ps-0123456789"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    assert done.returncode != 0
    assert "must not be on the command line" in done.stderr


@pytest.mark.parametrize("token, reason", [("", "empty"), ("short-token", "too short")])
def test_no_or_a_short_token_refuses_to_start(tmp_path, token, reason):
    done = _serve(tmp_path, RASA_API_TOKEN=token)
    assert done.returncode == 1 and reason in done.stderr
    assert done.stdout == ""  # rasa was never started


RESULTS = [
    {"events": [{"event": "slot", "name": "last_name", "value": "Dupont"}],
     "responses": [{"text": "Et votre prénom ?", "metadata": {"expect": "name"}}]},
    {"events": [], "responses": []},
    {},
    {"events": "not a list"},
    {"events": [{"event": "no such event"}]},
    {"responses": "not a list"},
    {"events": [{"event": "slot", "name": 3}]},
]


def test_the_servers_action_result_check_is_rasas_own_compiled_once():
    """rasa_server's check of the action server's answers accepts and refuses exactly as
    Rasa's own (same error message), without re-checking the schema on every call."""
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction

    from rasa_server import action_result_schema

    def verdicts():
        action, found = RemoteAction("action_x", None), []
        for result in RESULTS:
            try:
                found.append(action._validate_action_result(result))
            except ValidationError as error:
                found.append(error.message)
        return found

    original = RemoteAction._validate_action_result
    rasas = verdicts()
    try:
        action_result_schema.install()
        assert RemoteAction._validate_action_result is not original
        assert verdicts() == rasas
    finally:
        RemoteAction._validate_action_result = original
        action_result_schema._installed = False
    assert rasas[:3] == [True, True, True] and all(isinstance(v, str) for v in rasas[3:])
    assert "Failed to validate Action server response" in rasas[3]
