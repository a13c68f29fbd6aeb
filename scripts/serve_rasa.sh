#!/usr/bin/env bash
# The Rasa server as `make run` starts it (Procfile): its HTTP API only with the token
# RASA_API_TOKEN (which `make run` generates into var/ when it is not set), on
# RASA_HOST (127.0.0.1 unless configured otherwise), telemetry off. The token stays in the
# environment: `python -m rasa_server` hands it to Rasa inside the process, so that it is
# never on a command line `ps` shows (rasa_server/admin_token.py).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${RASA_API_TOKEN:-}" ]; then
  echo "serve_rasa: RASA_API_TOKEN is empty: start with \`make run\` (it generates" \
       "var/rasa_api_token) or set a long random token" >&2
  exit 1
fi
if [ "${#RASA_API_TOKEN}" -lt 16 ]; then
  echo "serve_rasa: RASA_API_TOKEN is too short (16 characters or more)" >&2
  exit 1
fi
export RASA_TELEMETRY_ENABLED="${RASA_TELEMETRY_ENABLED:-false}"
umask 077  # the tracker store's SQLite file and Rasa's logs: owner only
# RASA_ENDPOINTS: endpoints.yml, or the cluster's endpoints.cluster.yml (make run-cluster).
# The newest model: `make train` writes models/current.tar.gz, a plain `rasa train` a
# timestamped one beside it; whichever is newer is served.
model=$(ls -t models/*.tar.gz 2>/dev/null | head -n 1)
if [ -z "$model" ]; then
  echo "serve_rasa: no trained model in models/: run \`make train\`" >&2
  exit 1
fi
# `python -m rasa_server` is `rasa` with one measured fix (rasa_server/action_result_schema.py).
exec .venv/bin/python -m rasa_server run --enable-api \
  --interface "${RASA_HOST:-127.0.0.1}" --port "${RASA_PORT:-5005}" \
  --model "$model" \
  --credentials "${RASA_CREDENTIALS:-credentials.yml}" --endpoints "${RASA_ENDPOINTS:-endpoints.yml}"
