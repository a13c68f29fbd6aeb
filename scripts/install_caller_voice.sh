#!/usr/bin/env bash
# Install the MBROLA French voices the simulated callers speak with (tests and
# bench/phone_calls.py): Debian's `mbrola` (contrib) and `mbrola-fr1` (non-free, a male
# voice: the phone callers'), `mbrola-fr4` (non-free, a female voice: recognition is
# measured in both).
#
# Only the tests use it: the assistant itself speaks with espeak-ng's own voice. It is
# measured to be heard far better than espeak-ng's French over 8 kHz µ-law by Whisper
# base (README, "Tests"). Needs root and Debian; enables contrib and non-free for the
# running release in a separate sources file, leaving the system's own untouched.
set -euo pipefail

if [ -f /usr/share/mbrola/fr1/fr1 ] && [ -f /usr/share/mbrola/fr4/fr4 ] \
    && command -v mbrola >/dev/null; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install_caller_voice: run as root (it calls apt-get)" >&2
  exit 1
fi
. /etc/os-release
if [ "${ID:-}" != debian ] || [ -z "${VERSION_CODENAME:-}" ]; then
  echo "install_caller_voice: Debian only; elsewhere install MBROLA and its fr1 voice" >&2
  exit 1
fi
# The mirror the system already uses (deb822 sources first, then sources.list).
mirror=$(grep -hsoE '^URIs: *[^ ]+/debian/?$' /etc/apt/sources.list.d/*.sources | head -1 \
  | sed -E 's/^URIs: *//')
if [ -z "$mirror" ]; then
  mirror=$(grep -hsoE '^deb +[^ ]+/debian/? ' /etc/apt/sources.list | head -1 | awk '{print $2}')
fi
mirror=${mirror:-http://deb.debian.org/debian}
cat > /etc/apt/sources.list.d/allo-clinique-mbrola.sources <<SOURCES
Types: deb
URIs: ${mirror}
Suites: ${VERSION_CODENAME}
Components: contrib non-free
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mbrola mbrola-fr1 mbrola-fr4 >/dev/null
echo "install_caller_voice: mbrola-fr1 and mbrola-fr4 installed from ${mirror} ${VERSION_CODENAME} contrib/non-free"
