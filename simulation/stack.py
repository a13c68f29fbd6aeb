"""Start and stop the real stack from the Procfile, as `make run` does."""
from __future__ import annotations

import csv
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence

import requests

PROJECT_ROOT = Path(__file__).resolve().parent.parent
HONCHO = PROJECT_ROOT / ".venv" / "bin" / "honcho"
START_TIMEOUT_S = 240


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_open(port: int) -> bool:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Stack:
    env: Dict[str, str]
    log_path: Path
    procfile: str = "Procfile"
    process: subprocess.Popen = field(init=False)

    @property
    def ports(self) -> List[int]:
        return [int(self.env[k]) for k in ("DUCKLING_PORT", "ACTION_PORT", "RASA_PORT", "STAFF_PORT")]

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.env['RASA_PORT']}"

    @property
    def staff_url(self) -> str:
        """The staff console (``python -m staff_console``, the Procfile's ``staff``)."""
        return f"http://127.0.0.1:{self.env['STAFF_PORT']}/staff/"

    @property
    def api_token(self) -> str:
        """Rasa's admin token, of its HTTP API (``RASA_API_TOKEN``)."""
        return self.env["RASA_API_TOKEN"]

    @property
    def twilio_auth_token(self) -> str:
        """The Twilio account's auth token the stack checks incoming calls with."""
        return self.env["TWILIO_AUTH_TOKEN"]

    def signed_by_twilio(self, path: str, form: Dict[str, str]) -> Dict[str, str]:
        """The ``X-Twilio-Signature`` header Twilio would send for a POST of ``form`` to
        ``path`` of the Rasa server."""
        from voice_channel.telephony.twilio_signature import (
            SIGNATURE_HEADER,
            compute_twilio_signature,
        )

        return {SIGNATURE_HEADER: compute_twilio_signature(
            self.twilio_auth_token, self.rasa_url + path, form)}

    @property
    def staff_token(self) -> str:
        """The staff chat's own token (``STAFF_CHAT_TOKEN``)."""
        return self.env["STAFF_CHAT_TOKEN"]

    def api(self, path: str) -> str:
        """``path`` of Rasa's HTTP API, with the token (Rasa reads it from ``?token=``)."""
        separator = "&" if "?" in path else "?"
        return f"{self.rasa_url}{path}{separator}token={self.api_token}"

    def staff_say(self, sender: str, message: str, timeout: float = 60,
                  http: Optional[requests.Session] = None) -> requests.Response:
        """A typed turn in the staff chat (``staff:<sender>`` in Rasa); ``http``: a
        session to reuse (keep-alive), else a new connection."""
        return (http or requests).post(f"{self.rasa_url}/webhooks/staff/webhook",
                             json={"sender": sender, "message": message},
                             headers={"Authorization": f"Bearer {self.staff_token}"},
                             timeout=timeout)

    def register_patients(self, patients: Iterable[Sequence[str]]) -> None:
        """Register ``(patient_id, last_name, first_name, phone)`` rows in the stack's
        clinic database as a clinic does (``python -m clinic.patient_import``, what
        ``make import-patients`` runs): the shipped clinic.yml books registered patients
        only."""
        path = self.log_path.with_name(f"patients-{secrets.token_hex(4)}.csv")
        with open(path, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["patient_id", "last_name", "first_name", "phone"])
            writer.writerows(patients)
        done = subprocess.run([sys.executable, "-m", "clinic.patient_import", str(path)],
                              cwd=PROJECT_ROOT, env=self.env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"registering patients failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        self.log = open(self.log_path, "wb")
        # A session of its own, like a terminal's foreground job, so that one SIGINT to
        # the group is exactly what Ctrl-C does.
        self.process = subprocess.Popen(
            [str(HONCHO), "start", "-f", self.procfile, "-d", str(PROJECT_ROOT)],
            cwd=PROJECT_ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_until_ready(self) -> None:
        checks = {
            "duckling": (f"http://127.0.0.1:{self.env['DUCKLING_PORT']}/", lambda r: r.text == "quack!"),
            "actions": (f"http://127.0.0.1:{self.env['ACTION_PORT']}/health", lambda r: r.ok),
            "rasa": (self.api("/status"), lambda r: r.ok and r.json().get("model_file")),
            "staff": (f"{self.staff_url}login", lambda r: r.ok),
        }
        deadline = time.monotonic() + START_TIMEOUT_S
        pending = dict(checks)
        while pending and time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"stack exited early:\n{self.output()}")
            for name, (url, ok) in list(pending.items()):
                try:
                    if ok(requests.get(url, timeout=2)):
                        del pending[name]
                except requests.RequestException:
                    pass
            time.sleep(1)
        if pending:
            raise RuntimeError(f"not ready after {START_TIMEOUT_S}s: {sorted(pending)}\n{self.output()}")

    def interrupt(self, timeout: float = 60) -> int:
        """Ctrl-C: SIGINT to the whole process group; returns honcho's exit code."""
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self.log.close()

    def process_tree(self) -> List[int]:
        """Honcho and every process below it (the services run in sessions of their own)."""
        return [self.process.pid, *descendants(self.process.pid)]

    def kill(self) -> None:
        for pid in self.process_tree():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-6000:]


def stop_process(process: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL if ``process`` has not exited within ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def descendants(pid: int) -> List[int]:
    """All processes whose parent chain leads to ``pid`` (read from /proc)."""
    children: Dict[int, List[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waiting for its parent is gone for our purpose
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stack_env(tmp: Path, database_url: str, tracker_url: str) -> Dict[str, str]:
    env = dict(os.environ)
    duckling, actions, rasa, staff = free_port(), free_port(), free_port(), free_port()
    env.update(
        DUCKLING_HOST="127.0.0.1",
        DUCKLING_PORT=str(duckling),
        ACTION_PORT=str(actions),
        RASA_HOST="127.0.0.1",
        RASA_PORT=str(rasa),
        STAFF_HOST="127.0.0.1",
        STAFF_PORT=str(staff),
        RASA_DUCKLING_HTTP_URL=f"http://127.0.0.1:{duckling}",
        ACTION_ENDPOINT_URL=f"http://127.0.0.1:{actions}/webhook",
        DATABASE_URL=database_url,
        TRACKER_STORE_URL=tracker_url,
        PYTHONPATH=str(PROJECT_ROOT),
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONUNBUFFERED="1",
        RASA_API_TOKEN=secrets.token_urlsafe(24),
        STAFF_CHAT_TOKEN=secrets.token_urlsafe(24),
        TWILIO_AUTH_TOKEN=secrets.token_hex(16),
        VOICE_CHANNEL_SECRET=secrets.token_hex(32),
    )
    # What the Procfile does by default is under test (telemetry off, the action server
    # on 127.0.0.1): the make variables of the caller must not decide it.
    for name in ("RASA_TELEMETRY_ENABLED", "ACTION_HOST", "SANIC_HOST"):
        env.pop(name, None)
    return env


def migrate(env: Dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "clinic.database"], cwd=PROJECT_ROOT, env=env, check=True,
        capture_output=True,
    )


@contextmanager
def running_stack(tmp: Path, extra_env: Optional[Dict[str, str]] = None,
                  sqlite: bool = False) -> Iterator[Stack]:
    """The whole stack on free ports with a fresh database, ready: PostgreSQL in CI
    unless ``sqlite``; ``extra_env`` is added to the services' environment (e.g.
    ``RASA_CREDENTIALS``, read by the Procfile)."""
    from simulation.databases import postgres_url, reset_schema

    if not (PROJECT_ROOT / "models" / "current.tar.gz").exists():
        raise RuntimeError("no trained model: run `make train` first (make test does)")
    if not sqlite and (os.environ.get("TEST_POSTGRES_URL") or os.environ.get("CI")):
        database = tracker = postgres_url()
        reset_schema(database)  # also drops Rasa's events table
    else:
        database = f"sqlite:///{tmp / 'clinic.db'}"
        tracker = f"sqlite:///{tmp / 'tracker.db'}"
    env = {**stack_env(tmp, database, tracker), **(extra_env or {})}
    migrate(env)
    stack = Stack(env, tmp / "stack.log")
    stack.start()
    try:
        stack.wait_until_ready()
        yield stack
    finally:
        stack.kill()


def settings_copy(source: Path, folder: Path, section: str, **changes: Any) -> Path:
    """A copy of the YAML settings file ``source`` (clinic.yml, credentials.yml) in
    ``folder``, with ``changes`` made to its mapping ``section``: for a stack that must
    run with other limits than the shipped ones (``CLINIC_CONFIG``, ``RASA_CREDENTIALS``
    in ``running_stack``'s ``extra_env``). Comments are not kept."""
    import yaml

    data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    data[section] = {**(data.get(section) or {}), **changes}
    path = folder / f"{source.stem}-{secrets.token_hex(4)}{source.suffix}"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def clinic_config_with(folder: Path, **security: Any) -> Path:
    """clinic.yml with its ``security`` settings changed (``CLINIC_CONFIG``), e.g.
    ``max_bookings_per_caller_per_day`` for a bench that books from one address."""
    return settings_copy(PROJECT_ROOT / "clinic.yml", folder, "security", **security)


def credentials_with(folder: Path, **voice: Any) -> Path:
    """credentials.yml with the voice channel's settings changed (``RASA_CREDENTIALS``),
    e.g. ``http_turns_per_minute`` for a bench that sends many turns from one address."""
    return settings_copy(PROJECT_ROOT / "credentials.yml", folder,
                         "voice_channel.channel.VoiceInput", **voice)
