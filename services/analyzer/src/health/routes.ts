// /api/v1/health: the fleet (worst first), one node with its GPUs' history, and the audited clear
// an operator runs after a repair. The gateway authenticates the caller and names them in
// X-AAMI-Actor; the analyzer records that name in the audit.
import express, { Router } from 'express';
import { UnavailableError, parseHealthClear, parseHealthTarget } from '@aami/shared';
import type { HealthService } from './service.ts';

/** The health routes; `health` undefined answers 503 (evaluation not configured). */
export function healthRouter(health: HealthService | undefined): Router {
  const r = Router();
  const service = (): HealthService => {
    if (!health) throw new UnavailableError('GPU health evaluation is not running in this analyzer (no Prometheus configured)');
    return health;
  };
  r.get('/health', (_req, res) => { res.json(service().fleet()); });
  r.get('/health/:node', (req, res) => {
    const { node, gpu } = parseHealthTarget(req.params['node'], req.query['gpu']);
    res.json(service().node(node, gpu));
  });
  r.post('/health/:node/clear', express.json({ limit: '16kb' }), async (req, res) => {
    const { node } = parseHealthTarget(req.params['node'], undefined);
    const { gpu, reason } = parseHealthClear(req.body);
    const by = (req.get('x-aami-actor') ?? '').slice(0, 100) || 'unknown';
    res.json(await service().clear(node, gpu, reason, by));
  });
  return r;
}
