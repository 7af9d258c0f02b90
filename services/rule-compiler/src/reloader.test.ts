import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { reloadAll, reloadOne } from './reloader.ts';

async function server(status: number, body: string) {
  const hits: string[] = [];
  const s = createServer((req, res) => { hits.push(`${req.method} ${req.url}`); res.statusCode = status; res.end(body); });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, hits, close: () => new Promise<void>((r) => s.close(() => r())) };
}

test('reload POSTs /-/reload and reports success, the program\'s refusal, or that it is unreachable', async (t) => {
  const good = await server(200, '');
  const bad = await server(500, 'failed to reload config: parsing YAML file prometheus.yml: boom\n');
  t.after(good.close);
  t.after(bad.close);
  assert.deepEqual(await reloadOne(`${good.url}/`), { ok: true, status: 200 });
  assert.deepEqual(good.hits, ['POST /-/reload']);
  assert.deepEqual(await reloadOne(bad.url), { ok: false, status: 500, error: 'failed to reload config: parsing YAML file prometheus.yml: boom' });
  const gone = await server(200, '');
  await gone.close();
  const down = await reloadOne(gone.url);
  assert.equal(down.ok, false);
  assert.match(down.error!, /unreachable: ECONNREFUSED/);
  const both = await reloadAll({ prometheus: good.url, alertmanager: bad.url });
  assert.equal(both.prometheus.ok, true);
  assert.equal(both.alertmanager.ok, false);
});
