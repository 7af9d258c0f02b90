import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { reloadAll, reloadOne } from './reloader.ts';

const basic = (password: string) => `Basic ${Buffer.from(`aami:${password}`).toString('base64')}`;

async function server(status: number, body: string, password?: string) {
  const hits: string[] = [];
  const s = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    // As a web.config.file with basic_auth_users: the wrong or no header is a bare 401.
    if (password !== undefined && req.headers.authorization !== basic(password)) { res.statusCode = 401; res.end('Unauthorized\n'); return; }
    res.statusCode = status;
    res.end(body);
  });
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
  const both = await reloadAll({ prometheus: { url: good.url }, alertmanager: { url: bad.url } });
  assert.equal(both.prometheus.ok, true);
  assert.equal(both.alertmanager.ok, false);
});

test('each reload carries its program\'s auth headers; a refused password names the setting to check', async (t) => {
  const prom = await server(200, '', 'prom-pw');
  const am = await server(200, '', 'am-pw');
  t.after(prom.close);
  t.after(am.close);
  const ok = await reloadAll({ prometheus: { url: prom.url, headers: { authorization: basic('prom-pw') } }, alertmanager: { url: am.url, headers: { authorization: basic('am-pw') } } });
  assert.deepEqual(ok, { prometheus: { ok: true, status: 200 }, alertmanager: { ok: true, status: 200 } });
  // Swapped passwords and no password: both refused, neither is "unreachable" (the old files stay in use).
  const swapped = await reloadAll({ prometheus: { url: prom.url, headers: { authorization: basic('am-pw') } }, alertmanager: { url: am.url } });
  assert.equal(swapped.prometheus.ok, false);
  assert.equal(swapped.prometheus.unreachable, undefined);
  assert.match(swapped.prometheus.error!, /refused the reload \(HTTP 401\): the password in AAMI_PROMETHEUS_PASSWORD_FILE is not the one/);
  assert.match(swapped.alertmanager.error!, /refused the reload \(HTTP 401\): it asks for a password; set AAMI_ALERTMANAGER_PASSWORD_FILE/);
});
