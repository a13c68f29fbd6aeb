#!/usr/bin/env bash
# Runs a command with the embedded Duckling serving on a free local port
# (RASA_DUCKLING_HTTP_URL points at it), then stops Duckling.
# Usage: scripts/with_duckling.sh rasa test ...
set -euo pipefail
py=${PYTHON:-.venv/bin/python}
port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$py" -m embedded_duckling --host 127.0.0.1 --port "$port" &
duckling=$!
trap 'kill "$duckling" 2>/dev/null; wait "$duckling" 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$port/" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/" >/dev/null
RASA_DUCKLING_HTTP_URL="http://127.0.0.1:$port" "$@"
