#!/usr/bin/env bash
# Stops the Postfix and Dovecot that start.sh started (by their private configuration; the
# system's own instances, if any, are not touched).
#
#   scripts/interop/stop.sh [STATE_DIR]    (default: target/interop under the repository)
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
state=${1:-$repo/target/interop}
[ -d "$state" ] || { echo "interop: nothing to stop in $state"; exit 0; }
state=$(cd "$state" && pwd)
if [ -f "$state/postfix/main.cf" ]; then
  postfix -c "$state/postfix" stop >/dev/null 2>&1 && echo "interop: postfix stopped"
fi
if [ -f "$state/dovecot/dovecot.conf" ]; then
  doveadm -c "$state/dovecot/dovecot.conf" stop >/dev/null 2>&1 && echo "interop: dovecot stopped"
fi
rm -f "$state/env"
exit 0
