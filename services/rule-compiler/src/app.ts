// The rule compiler's HTTP API: liveness, the last compile's status, a dry run of a candidate
// config, and its own /metrics. Routes only parse, call the compiler and reply; errors are mapped
// to JSON once, at the end.
import express from 'express';
import YAML from 'yaml';
import { ValidationError, jsonErrorHandler, jsonNotFound, type Logger } from '@aami/shared';
import type { Registry } from 'prom-client';
import type { CandidateReport } from './compiler.ts';
import type { CompileStatus } from './status.ts';

/** The slice of the compiler the routes use. */
export interface CompilerApi {
  status(): CompileStatus;
  validateCandidate(candidate: unknown): Promise<CandidateReport>;
}

export interface AppDeps {
  compiler: CompilerApi;
  log: Logger;
  version: string;
  registry?: Registry;
}

/** Builds the express app. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: 'rule-compiler', version: deps.version, compile: deps.compiler.status().state });
  });

  app.get('/api/v1/compile/status', (_req, res) => {
    res.json(deps.compiler.status());
  });

  // A candidate config as JSON (the parsed config.yaml) or as YAML text (Content-Type: application/yaml).
  app.post(
    '/api/v1/compile/validate',
    express.json({ limit: '32mb' }),
    express.text({ type: ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'], limit: '32mb' }),
    async (req, res) => {
      let candidate: unknown = req.body;
      if (typeof candidate === 'string') {
        const doc = YAML.parseDocument(candidate, { prettyErrors: true });
        if (doc.errors.length > 0) throw new ValidationError('the candidate config is not valid YAML', doc.errors.map((e) => ({ line: e.linePos?.[0]?.line, message: e.message.split('\n')[0] ?? e.message })));
        candidate = doc.toJS();
      }
      if (candidate === undefined || candidate === null || typeof candidate !== 'object' || Array.isArray(candidate)) {
        throw new ValidationError('send the candidate config as a JSON object or as YAML text (Content-Type: application/yaml)');
      }
      res.json(await deps.compiler.validateCandidate(candidate));
    },
  );

  if (deps.registry) {
    const registry = deps.registry;
    app.get('/metrics', async (_req, res) => {
      res.type(registry.contentType).send(await registry.metrics());
    });
  }

  app.use(jsonNotFound);

  app.use(jsonErrorHandler(deps.log, 'rule-compiler'));
  return app;
}
