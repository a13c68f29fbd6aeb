#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter: python3.10 on PATH, then pyenv,
# then uv. Rasa 3.6 does not run on 3.11 or newer. Exits 1 with advice if none.
set -u
is_310() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; }

for candidate in "${PYTHON310:-}" python3.10; do
  [ -n "$candidate" ] || continue
  path=$(command -v "$candidate" 2>/dev/null) || continue
  if is_310 "$path"; then "$path" -c "import sys; print(sys.executable)"; exit 0; fi
done
if command -v pyenv >/dev/null 2>&1; then
  for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.[0-9]+)?$' | sort -V -r); do
    path="$(pyenv root)/versions/$version/bin/python3.10"
    if is_310 "$path"; then "$path" -c "import sys; print(sys.executable)"; exit 0; fi
  done
fi
if command -v uv >/dev/null 2>&1; then
  path=$(uv python find 3.10 2>/dev/null) && is_310 "$path" && { echo "$path"; exit 0; }
fi
cat >&2 <<'MSG'
error: no Python 3.10 found. Rasa 3.6 needs Python 3.10 (it does not run on 3.11+).
Install one of these ways, then run `make setup` again:
  - Debian/Ubuntu:  sudo apt-get install python3.10 python3.10-venv
  - pyenv:          pyenv install 3.10.13
  - uv:             uv python install 3.10
or point PYTHON310 at an interpreter: make setup PYTHON310=/path/to/python3.10
MSG
exit 1
