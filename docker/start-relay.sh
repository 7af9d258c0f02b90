#!/bin/sh
# Starts the notification relay in its container. Alertmanager and the relay share one token: the
# relay refuses webhooks without it and Alertmanager reads it from AAMI_RELAY_TOKEN_FILE (the rule
# compiler names that file in alertmanager.yml). On the first start, when that file does not exist
# yet, a random token is written there (mode 0644: Alertmanager runs as another user), so a fresh
# `docker compose up` needs no manual step. Put your own token in the file to choose it.
set -eu
f=${AAMI_RELAY_TOKEN_FILE:-}
if [ -n "$f" ] && [ ! -s "$f" ]; then
  mkdir -p "$(dirname "$f")"
  node -e '
    const fs = require("node:fs");
    try {
      fs.writeFileSync(process.argv[1], require("node:crypto").randomBytes(32).toString("hex") + "\n", { mode: 0o644, flag: "wx" });
      console.log(`relay token created in ${process.argv[1]}`);
    } catch (err) {
      if (err.code !== "EEXIST") throw err;
    }' "$f"
fi
exec node --optimize-for-size services/notification-relay/src/main.ts "$@"
