// The API gateway's express app, wired from injected parts so tests run it on port 0 with a temp
// config and real or fake neighbours.
import express, { type Express } from 'express';
import { jsonErrorHandler, jsonNotFound, type ConfigStore, type HealthzResponse, type Logger, type ReadyzResponse, type RuntimeSettings } from '@aami/shared';
import { requireToken } from './auth/middleware.ts';
import type { TokenStore } from './auth/token-store.ts';
import type { CompileTrigger } from './compile-trigger.ts';
import { buildOpenApi } from './openapi.ts';
import { alertsRouter } from './routes/alerts.ts';
import { installProxyRouter } from './routes/install-proxy.ts';
import { uiRouter } from './ui/serve-ui.ts';
import { configRouter } from './routes/config.ts';
import { doctorRouter } from './routes/doctor.ts';
import { healthRouter } from './routes/health.ts';
import { nodesRouter } from './routes/nodes.ts';
import { overviewRouter } from './routes/overview.ts';
import { notificationsRouter } from './routes/notifications.ts';
import { statusRouter } from './routes/status.ts';
import { tokensRouter } from './routes/tokens.ts';
import { whoamiRouter } from './routes/whoami.ts';
import { xidRouter } from './routes/xid.ts';
import { createRouteCounter } from './route-counter.ts';

/** Largest JSON body of an API request. */
export const DEFAULT_BODY_LIMIT = '1mb';
/** Largest body of POST /api/v1/nodes/import (a hosts file). */
export const HOSTS_IMPORT_BODY_LIMIT = '10mb';

export interface GatewayDeps {
  store: ConfigStore;
  tokens: TokenStore;
  compile: CompileTrigger;
  settings: RuntimeSettings;
  log: Logger;
  version: string;
  /** What the gateway presents to the services behind it (shared/src/http/service-token.ts). */
  serviceToken: string;
}

export function createApp(deps: GatewayDeps): Express {
  const { store, tokens, compile, settings, log, version, serviceToken } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((_req, res, next) => {
    res.set('X-Content-Type-Options', 'nosniff');
    res.set('Cache-Control', 'no-store');
    next();
  });

  // Counted by route template; read by operators and by the compose e2e's coverage check.
  const counter = createRouteCounter();
  app.use(counter.middleware);
  app.get('/metrics', async (_req, res) => { res.type(counter.registry.contentType).send(await counter.registry.metrics()); });
  app.get('/healthz', (_req, res) => {
    const answer: HealthzResponse = { status: 'ok', version };
    res.json(answer);
  });
  app.get('/readyz', async (_req, res) => {
    try {
      const { revision } = await store.read();
      const answer: ReadyzResponse = { status: 'ready', revision };
      res.json(answer);
    } catch (err) {
      // ReadyzResponse is the ready answer; not ready is a 503 that says why.
      res.status(503).json({ status: 'not ready', reason: (err as Error).message });
    }
  });
  const openapi = buildOpenApi(version);
  app.get('/api/v1/openapi.json', (_req, res) => { res.json(openapi); });

  const api = express.Router();
  // The token is checked before any body is read: an unauthenticated request costs no parsing.
  // Bodies are small (1 MB) except a hosts-file import of thousands of nodes.
  api.use(requireToken(tokens));
  api.use('/nodes/import', express.json({ limit: HOSTS_IMPORT_BODY_LIMIT }));
  api.use(express.json({ limit: DEFAULT_BODY_LIMIT }));
  api.use('/nodes', nodesRouter({ store, compile, cluster: { prometheusUrl: settings.AAMI_PROMETHEUS_URL, alertmanagerUrl: settings.AAMI_ALERTMANAGER_URL, prometheusAuth: settings.prometheusAuth, alertmanagerAuth: settings.alertmanagerAuth } }));
  api.use('/config', configRouter(store));
  api.use('/alerts', alertsRouter({ store, compile, alertmanagerUrl: settings.AAMI_ALERTMANAGER_URL, alertmanagerAuth: settings.alertmanagerAuth, ruleCompiler: { url: settings.AAMI_RULE_COMPILER_URL, token: serviceToken } }));
  api.use('/status', statusRouter(store, settings, version));
  api.use('/doctor', doctorRouter({ store, settings, version, serviceToken }));
  api.use('/tokens', tokensRouter(tokens));
  api.use('/whoami', whoamiRouter());
  api.use('/notifications', notificationsRouter({ store, compile, relayUrl: settings.AAMI_RELAY_URL, serviceToken }));
  api.use(healthRouter(settings.AAMI_ANALYZER_URL, serviceToken));
  api.use(xidRouter());
  api.use(installProxyRouter(settings.AAMI_INSTALL_WORKER_URL, serviceToken));
  api.use(overviewRouter({
    store, prometheusUrl: settings.AAMI_PROMETHEUS_URL, prometheusAuth: settings.prometheusAuth, alertmanagerUrl: settings.AAMI_ALERTMANAGER_URL,
    alertmanagerAuth: settings.alertmanagerAuth, ruleCompilerUrl: settings.AAMI_RULE_COMPILER_URL, installWorkerUrl: settings.AAMI_INSTALL_WORKER_URL, serviceToken,
  }));
  api.use(jsonNotFound);
  app.use('/api/v1', api);
  app.use(uiRouter());
  app.use(jsonErrorHandler(log, 'api-gateway'));
  return app;
}
