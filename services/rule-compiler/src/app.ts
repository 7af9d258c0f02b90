// The rule compiler's HTTP API: liveness, the last compile's status, a dry run of a candidate
// config, a promtool check of one custom rule (for the gateway), and its own /metrics. /api/v1 wants the service token (the gateway's); /healthz and
// /metrics stay open on the internal network. Routes only parse, call the compiler and reply;
// errors are mapped to JSON once, at the end.
import express from 'express';
import { RuleCheckRequest, ValidationError, jsonErrorHandler, jsonNotFound, parseOrThrow, requireServiceToken, type CompileStatus, type CustomRule, type Logger, type RuleCheckResult } from '@aami/shared';
import type { Registry } from 'prom-client';
import type { CandidateReport } from './compiler.ts';

/** The slice of the compiler the routes use. */
export interface CompilerApi {
  status(): CompileStatus;
  validateCandidate(candidate: unknown): Promise<CandidateReport>;
  checkCustomRule(input: unknown): Promise<CustomRule>;
}

export interface AppDeps {
  compiler: CompilerApi;
  log: Logger;
  version: string;
  /** What the gateway presents on /api/v1 (shared/src/http/service-token.ts). */
  serviceToken: string;
  registry?: Registry;
}

/** Builds the express app. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: 'rule-compiler', version: deps.version, auth: 'service-token', compile: deps.compiler.status().state });
  });

  if (deps.registry) {
    const registry = deps.registry;
    app.get('/metrics', async (_req, res) => {
      res.type(registry.contentType).send(await registry.metrics());
    });
  }

  const api = express.Router();
  api.use(requireServiceToken(deps.serviceToken, 'rule-compiler'));
  api.get('/compile/status', (_req, res) => {
    res.json(deps.compiler.status());
  });

  // A candidate config as JSON (the parsed config.yaml).
  api.post('/compile/validate', express.json({ limit: '32mb' }), async (req, res) => {
    const candidate: unknown = req.body;
    if (candidate === undefined || candidate === null || typeof candidate !== 'object' || Array.isArray(candidate)) {
      throw new ValidationError('send the candidate config as a JSON object (the parsed config.yaml)');
    }
    res.json(await deps.compiler.validateCandidate(candidate));
  });
  api.post('/rules/check', express.json({ limit: '1mb' }), async (req, res) => {
    const { rule } = parseOrThrow(RuleCheckRequest, req.body, 'rule check');
    const answer: RuleCheckResult = { rule: await deps.compiler.checkCustomRule(rule) };
    res.json(answer);
  });
  app.use('/api/v1', api);

  app.use(jsonNotFound);

  app.use(jsonErrorHandler(deps.log, 'rule-compiler'));
  return app;
}
