// /api/v1/health: GPU health, computed by the analyzer and forwarded as it answers. The gateway
// checks the request against the shared schema first (so a bad one never reaches the analyzer)
// and names the caller's token in X-AAMI-Actor for the analyzer's audit of clears.
import { Router, type Request } from 'express';
import { HealthClearRequest, ValidationError } from '@aami/shared';
import { forward } from '../upstream.ts';

const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

function node(req: Request): string {
  const n = String(req.params['node'] ?? '');
  if (!NODE_NAME.test(n)) throw new ValidationError(`"${n}" is not a node name`, [{ path: 'node', message: 'letters, digits, ".", "_" and "-"' }]);
  return n;
}

/** Health routes, forwarded to `analyzerUrl` (settings.AAMI_ANALYZER_URL). */
export function healthRouter(analyzerUrl: string): Router {
  const r = Router();
  const base = analyzerUrl.replace(/\/+$/, '');
  const service = `the analyzer at ${base}`;
  r.get('/health', async (_req, res) => {
    await forward(res, { service, url: `${base}/api/v1/health` });
  });
  r.get('/health/:node', async (req, res) => {
    const gpu = req.query['gpu'];
    if (gpu !== undefined && (typeof gpu !== 'string' || !/^\d{1,2}$/.test(gpu))) {
      throw new ValidationError(`gpu must be a GPU index (0-63), got "${String(gpu)}"`, [{ path: 'gpu', message: 'a whole number 0-63' }]);
    }
    await forward(res, { service, url: `${base}/api/v1/health/${encodeURIComponent(node(req))}${gpu !== undefined ? `?gpu=${gpu}` : ''}` });
  });
  r.post('/health/:node/clear', async (req, res) => {
    const name = node(req);
    const parsed = HealthClearRequest.safeParse(req.body ?? {});
    if (!parsed.success) throw new ValidationError('invalid clear request', parsed.error.issues.map((i) => ({ path: i.path.join('.') || 'body', message: i.message })));
    await forward(res, {
      service,
      url: `${base}/api/v1/health/${encodeURIComponent(name)}/clear`,
      method: 'POST',
      body: parsed.data,
      headers: { 'x-aami-actor': req.principal?.name ?? 'unknown' },
    });
  });
  return r;
}
