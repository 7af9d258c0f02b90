// /api/v1/health: GPU health, computed by the analyzer and forwarded as it answers. The gateway
// checks the request against the shared schema first (so a bad one never reaches the analyzer)
// and names the caller's token in X-AAMI-Actor for the analyzer's audit of clears.
import { Router } from 'express';
import { parseHealthClear, parseHealthTarget } from '@aami/shared';
import { forward } from '../upstream.ts';

/** Health routes, forwarded to `analyzerUrl` (settings.AAMI_ANALYZER_URL) with the service token. */
export function healthRouter(analyzerUrl: string, token: string): Router {
  const r = Router();
  const base = analyzerUrl.replace(/\/+$/, '');
  const service = `the analyzer at ${base}`;
  r.get('/health', async (_req, res) => {
    await forward(res, { service, token, url: `${base}/api/v1/health` });
  });
  r.get('/health/:node', async (req, res) => {
    const { node, gpu } = parseHealthTarget(req.params['node'], req.query['gpu']);
    await forward(res, { service, token, url: `${base}/api/v1/health/${encodeURIComponent(node)}${gpu !== undefined ? `?gpu=${gpu}` : ''}` });
  });
  r.post('/health/:node/clear', async (req, res) => {
    const { node } = parseHealthTarget(req.params['node'], undefined);
    await forward(res, {
      service,
      token,
      url: `${base}/api/v1/health/${encodeURIComponent(node)}/clear`,
      method: 'POST',
      body: parseHealthClear(req.body),
      headers: { 'x-aami-actor': req.principal?.name ?? 'unknown' },
    });
  });
  return r;
}
