import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { queryPrometheus } from './query.ts';

const AUTH = { authorization: `Basic ${Buffer.from('aami:s3cret').toString('base64')}` };

/** A Prometheus stand-in that answers the query API only to the right basic-auth header, as web.config.file does. */
async function guarded() {
  const seen: Array<string | undefined> = [];
  const server = createServer((req, res) => {
    seen.push(req.headers.authorization);
    if (req.headers.authorization !== AUTH.authorization) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Basic' }).end('Unauthorized\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: { node: 'n1' }, value: [1, '1'] }] } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test('the auth headers go with the query; without them a guarded Prometheus is a plain "refused" error', async (t) => {
  const prom = await guarded();
  t.after(prom.close);
  assert.deepEqual(await queryPrometheus(prom.url, 'up', 2000, AUTH), [{ metric: { node: 'n1' }, value: [1, '1'] }]);
  assert.equal(prom.seen.at(-1), AUTH.authorization);
  await assert.rejects(queryPrometheus(prom.url, 'up'), /refused the credentials \(HTTP 401\): it asks for a password; set AAMI_PROMETHEUS_PASSWORD_FILE/);
  assert.equal(prom.seen.at(-1), undefined);
  const wrong = { authorization: `Basic ${Buffer.from('aami:nope').toString('base64')}` };
  await assert.rejects(queryPrometheus(prom.url, 'up', 2000, wrong), /refused the credentials \(HTTP 401\): check AAMI_PROMETHEUS_PASSWORD_FILE/);
});
