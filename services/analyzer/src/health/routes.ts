// /api/v1/health: the fleet (worst first), one node with its GPUs' history, and the audited clear
// an operator runs after a repair. The gateway authenticates the caller and names them in
// X-AAMI-Actor; the analyzer records that name in the audit.
import express, { Router } from 'express';
import { HealthClearRequest, UnavailableError, ValidationError } from '@aami/shared';
import type { HealthService } from './service.ts';

const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

function nodeParam(raw: string | string[] | undefined): string {
  const s = Array.isArray(raw) ? raw[0] : raw;
  if (!s || !NODE_NAME.test(s)) throw new ValidationError(`"${s ?? ''}" is not a node name`, [{ path: 'node', message: 'letters, digits, ".", "_" and "-"' }]);
  return s;
}

function gpuParam(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^\d{1,2}$/.test(raw)) throw new ValidationError(`gpu must be a GPU index (0-63), got "${String(raw)}"`, [{ path: 'gpu', message: 'a whole number 0-63' }]);
  return Number(raw);
}

/** The health routes; `health` undefined answers 503 (evaluation not configured). */
export function healthRouter(health: HealthService | undefined): Router {
  const r = Router();
  const service = (): HealthService => {
    if (!health) throw new UnavailableError('GPU health evaluation is not running in this analyzer (no Prometheus configured)');
    return health;
  };
  r.get('/health', (_req, res) => { res.json(service().fleet()); });
  r.get('/health/:node', (req, res) => { res.json(service().node(nodeParam(req.params['node']), gpuParam(req.query['gpu']))); });
  r.post('/health/:node/clear', express.json({ limit: '16kb' }), async (req, res) => {
    const node = nodeParam(req.params['node']);
    const parsed = HealthClearRequest.safeParse(req.body ?? {});
    if (!parsed.success) {
      throw new ValidationError('invalid clear request', parsed.error.issues.map((i) => ({ path: i.path.join('.') || 'body', message: i.message })));
    }
    const by = (req.get('x-aami-actor') ?? '').slice(0, 100) || 'unknown';
    res.json(await service().clear(node, parsed.data.gpu, parsed.data.reason, by));
  });
  return r;
}
