#!/usr/bin/env bash
# Creates the unprivileged user the shim's end-to-end tests run as, with a sudoers drop-in for a few
# harmless commands. Idempotent; needs root and sudo installed. Used by .ci/run and by the tests themselves.
set -euo pipefail
user=ocsec-e2e
if ! id "$user" >/dev/null 2>&1; then
  useradd --system --create-home --shell /bin/bash "$user"
fi
dropin=/etc/sudoers.d/ocsec-e2e
tmp=$(mktemp)
cat > "$tmp" <<SUDOERS
# ocsec end-to-end tests: the test user may run these as root without a password, so the tests need no typing into sudo.
Defaults:$user !lecture
$user ALL=(root) NOPASSWD: /usr/bin/id, /usr/bin/true, /usr/bin/env, /usr/bin/bash, /usr/bin/sh, /usr/bin/dash, /usr/bin/rm, /usr/bin/sleep
SUDOERS
visudo -cqf "$tmp"
install -m 0440 -o root -g root "$tmp" "$dropin"
rm -f "$tmp"
