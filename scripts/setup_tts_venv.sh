#!/usr/bin/env bash
# Creates .venv-tts, the virtualenv of the Coqui TTS server (tts_service/), from
# requirements-tts.txt. It is separate from .venv because coqui-tts needs a newer
# NumPy than Rasa 3.6 allows. About 7.5 GB: PyPI's PyTorch for x86_64 is the CUDA
# build (it runs on the CPU too).
#
# Idempotent: the venv keeps the SHA-256 of the requirements it was built from;
# while requirements-tts.txt is unchanged a second run does nothing. When it
# changes, the venv is rebuilt from scratch, so no package outlives its pin.
#
#   scripts/setup_tts_venv.sh              # TTS_VENV=dir to build it elsewhere,
#                                          # PYTHON310=/path/to/python3.10 to choose Python
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${TTS_VENV:-.venv-tts}
requirements=requirements-tts.txt
stamp="$venv/.requirements-tts.sha256"
wanted=$(sha256sum "$requirements" | cut -d' ' -f1)

if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then
  echo "$venv is up to date with $requirements"
  exit 0
fi
# Never delete a directory that is not a virtualenv (a mistyped TTS_VENV).
if [ -e "$venv" ] && [ ! -f "$venv/pyvenv.cfg" ]; then
  echo "error: $venv exists and is not a virtualenv; move it away or set TTS_VENV" >&2
  exit 1
fi

python310=$(scripts/find_python310.sh)
echo "Creating $venv with $python310 from $requirements (about 7.5 GB, a few minutes)"
started=$(date +%s)
rm -rf "$venv"
"$python310" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade "pip==24.3.1" "wheel==0.45.1" "setuptools==70.3.0"
"$venv/bin/python" -m pip install --quiet -r "$requirements"
"$venv/bin/python" -m pip check
# coqui-tts checks torch, torchaudio and torchcodec when imported: fail here, not at first use.
"$venv/bin/python" -c "import TTS.api"
echo "$wanted" > "$stamp"
echo "$venv ready in $(( $(date +%s) - started )) s ($(du -sh "$venv" | cut -f1))"
