# AAMI's container images: one Dockerfile, one target per service (docker build --target <service>).
# Node.js 24 runs the TypeScript sources directly, so there is no compile stage: one stage installs
# the production dependencies (npm ci --omit=dev), one holds the sources, and each service target
# only adds its command, port and healthcheck. Every target shares the same layers, so the whole set
# costs about one image of disk.
#
# Build arguments:
#   NODE_IMAGE       the Node.js 24 base (default: the official node:24-bookworm-slim); point it at
#                    your own registry for air-gapped sites.
#   EXTRA_CA_CERTS   PEM text of extra CA certificates npm must trust while it downloads packages
#                    (a site behind a TLS-intercepting proxy). Used in the dependency stage only:
#                    it never reaches a runtime image.
#   NPM_REGISTRY     npm registry URL (default: npm's own), for a site's mirror.
#   PROMETHEUS_IMAGE, ALERTMANAGER_IMAGE
#                    where the rule compiler's checkers (promtool, amtool) come from: the same
#                    images the compose stack runs, so checker and server are one version.
#
# Written for the classic builder and BuildKit alike (no RUN --mount), so it builds wherever
# `docker build` or `docker compose build` runs.
ARG NODE_IMAGE=node:24-bookworm-slim
ARG PROMETHEUS_IMAGE=prom/prometheus:v2.55.1
ARG ALERTMANAGER_IMAGE=prom/alertmanager:v0.27.0

# --- promtool and amtool, for the rule compiler's checks ------------------------------------------
FROM ${PROMETHEUS_IMAGE} AS prometheus-tools
FROM ${ALERTMANAGER_IMAGE} AS alertmanager-tools

# --- package manifests only, so the npm ci layer below is reused until a manifest changes ---------
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN set -eu; mkdir -p /out; \
    find . -path ./node_modules -prune -o \( -name package.json -o -name package-lock.json \) -type f -print \
      | while read -r f; do mkdir -p "/out/$(dirname "$f")"; cp "$f" "/out/$f"; done

# --- production dependencies --------------------------------------------------------------------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY --from=manifests /out/ ./
ARG EXTRA_CA_CERTS=""
ARG NPM_REGISTRY=""
# --ignore-scripts: no dependency needs a build step to run here (ssh2 and msgpackr fall back to
# JavaScript or prebuilt binaries), and install scripts are code from the network.
RUN set -eu; \
    if [ -n "$EXTRA_CA_CERTS" ]; then printf '%s\n' "$EXTRA_CA_CERTS" >/tmp/extra-ca.pem; export NODE_EXTRA_CA_CERTS=/tmp/extra-ca.pem; fi; \
    if [ -n "$NPM_REGISTRY" ]; then export npm_config_registry="$NPM_REGISTRY"; fi; \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=warn; \
    rm -rf /tmp/extra-ca.pem /root/.npm "$(npm config get cache 2>/dev/null || echo /nonexistent)"

# --- the runtime every service target starts from -------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# Small V8 young generation and heap limit: the services idle most of the time and must stay small
# (AAMI's five services together under 400 MB); --optimize-for-size on each command line below
# (V8 refuses it in NODE_OPTIONS) trades a little CPU for memory.
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-semi-space-size=1 --max-old-space-size=192" \
    AAMI_DATA_DIR=/var/lib/aami \
    AAMI_BIND=0.0.0.0 \
    AAMI_HEALTHCHECK_URL=""
WORKDIR /app
COPY --from=prod-deps /app/ ./
COPY shared/ ./shared/
COPY presets/ ./presets/
COPY xid-db/ ./xid-db/
COPY node-files/ ./node-files/
COPY services/ ./services/
COPY integration-tests/src/support/ ./integration-tests/src/support/
COPY docker/healthcheck.sh /usr/local/bin/aami-healthcheck
# The data folders belong to the unprivileged user, so a fresh named volume mounted there does too:
# the config volume, and the one volume each writer has of its own (docker-compose.yml).
RUN set -eu; mkdir -p /var/lib/aami /var/lib/aami-generated /var/lib/aami-analyzer /var/lib/aami-install; \
    chown 1000:1000 /var/lib/aami /var/lib/aami-generated /var/lib/aami-analyzer /var/lib/aami-install
USER 1000:1000
# One healthcheck for every target: GET $AAMI_HEALTHCHECK_URL answers 200.
HEALTHCHECK --interval=10s --timeout=4s --start-period=30s --retries=3 CMD ["aami-healthcheck"]

# --- AAMI services ------------------------------------------------------------------------------
FROM runtime AS api-gateway
ENV AAMI_API_PORT=8080 AAMI_HEALTHCHECK_URL=http://127.0.0.1:8080/healthz
EXPOSE 8080
CMD ["node", "--optimize-for-size", "services/api-gateway/src/main.ts"]

FROM runtime AS notification-relay
COPY docker/start-relay.sh /usr/local/bin/aami-start-relay
ENV AAMI_RELAY_PORT=8081 AAMI_HEALTHCHECK_URL=http://127.0.0.1:8081/healthz
EXPOSE 8081
CMD ["aami-start-relay"]

FROM runtime AS analyzer
ENV AAMI_ANALYZER_PORT=8082 AAMI_HEALTHCHECK_URL=http://127.0.0.1:8082/healthz
EXPOSE 8082
CMD ["node", "--optimize-for-size", "services/analyzer/src/main.ts"]

FROM runtime AS rule-compiler
COPY --from=prometheus-tools /bin/promtool /usr/local/bin/promtool
COPY --from=alertmanager-tools /bin/amtool /usr/local/bin/amtool
ENV AAMI_RULE_COMPILER_URL=http://127.0.0.1:8083 AAMI_HEALTHCHECK_URL=http://127.0.0.1:8083/healthz
EXPOSE 8083
CMD ["node", "--optimize-for-size", "services/rule-compiler/src/main.ts"]

FROM runtime AS install-worker
ENV AAMI_INSTALL_WORKER_PORT=8084 AAMI_HEALTHCHECK_URL=http://127.0.0.1:8084/healthz
EXPOSE 8084
CMD ["node", "--optimize-for-size", "services/install-worker/src/main.ts"]

# --- demo profile: simulated GPU nodes and a local Slack webhook stand-in ----------------------------
FROM runtime AS gpu-simulator
ENV AAMI_HEALTHCHECK_URL=http://127.0.0.1:9500/health
EXPOSE 9100 9400 9500
CMD ["node", "--optimize-for-size", "integration-tests/src/support/demo-fleet-main.ts"]

FROM runtime AS slack-sink
ENV AAMI_SLACK_SINK_PORT=8090 AAMI_HEALTHCHECK_URL=http://127.0.0.1:8090/healthz
EXPOSE 8090
CMD ["node", "--optimize-for-size", "integration-tests/src/support/slack-sink-main.ts"]
