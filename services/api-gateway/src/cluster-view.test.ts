import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchNodeHealth } from './cluster-view.ts';

const header = (password: string) => ({ authorization: `Basic ${Buffer.from(`aami:${password}`).toString('base64')}` });

/** Prometheus or Alertmanager behind basic auth (as with --web.config.file), answering `body` to the right password. */
async function guarded(password: string, body: unknown) {
  const server = createServer((req, res) => {
    if (req.headers.authorization !== header(password).authorization) { res.writeHead(401).end('Unauthorized\n'); return; }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test('the node view presents each source its own password; without them both are "no answer"', async (t) => {
  const prom = await guarded('prom-pw', { status: 'success', data: { resultType: 'vector', result: [{ metric: { node: 'n1' }, value: [1, '1'] }] } });
  const am = await guarded('am-pw', [{ labels: { node: 'n1', alertname: 'X' } }, { labels: { node: 'n1', alertname: 'Y' } }]);
  t.after(prom.close);
  t.after(am.close);
  const cluster = { prometheusUrl: prom.url, alertmanagerUrl: am.url };
  const withAuth = await fetchNodeHealth(['n1'], { ...cluster, prometheusAuth: header('prom-pw'), alertmanagerAuth: header('am-pw') });
  assert.deepEqual(withAuth.get('n1'), { status: 'up', gpus: 1, alerts: 2 });
  const without = await fetchNodeHealth(['n1'], cluster);
  assert.deepEqual(without.get('n1'), { status: null, gpus: null, alerts: null });
});
