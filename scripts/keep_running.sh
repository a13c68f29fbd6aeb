#!/usr/bin/env bash
# Run a cluster process again when it dies (`make run-cluster`'s Procfile): Honcho stops
# every process as soon as one exits, so without this a crashed replica or Redis would
# take the whole cluster down instead of leaving the survivors serving. In production
# the service manager does the same (systemd `Restart=always`). Ctrl-C or SIGTERM stop
# the process for good.
#   scripts/keep_running.sh COMMAND [ARGS...]      (RESTART_DELAY_S: pause, default 2)
set -uo pipefail
delay="${RESTART_DELAY_S:-2}"
child=0
stopping=0
stop() {
  stopping=1
  if [ "$child" -gt 0 ]; then kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; fi
  exit 0
}
trap stop TERM INT
while true; do
  "$@" &
  child=$!
  wait "$child"
  status=$?
  [ "$stopping" -eq 1 ] && exit 0
  echo "keep_running: $(basename "$1") exited with status $status; starting it again in ${delay} s" >&2
  sleep "$delay" &
  wait $!
done
