import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { queryPrometheusRange } from './query.ts';

const AUTH = { authorization: `Basic ${Buffer.from('aami:s3cret').toString('base64')}` };
const MATRIX = [{ metric: { gpu: '0' }, values: [[600, '41'], [615, '42']] }];

/** A Prometheus stand-in for /api/v1/query_range: it records each request and answers `reply(url)`. */
async function standIn(reply: (url: URL) => { status: number; body: unknown }) {
  const seen: Array<{ url: URL; auth: string | undefined }> = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({ url, auth: req.headers.authorization });
    if (req.headers.authorization !== AUTH.authorization) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized\n');
      return;
    }
    const { status, body } = reply(url);
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test('a range query sends the expression and the grid to /api/v1/query_range and returns the matrix', async (t) => {
  const prom = await standIn(() => ({ status: 200, body: { status: 'success', data: { resultType: 'matrix', result: MATRIX } } }));
  t.after(prom.close);
  const expr = 'max by (gpu) (DCGM_FI_DEV_GPU_TEMP{node="n1"})';
  assert.deepEqual(await queryPrometheusRange(prom.url, expr, { start: 600, end: 615, step: 15 }, 2000, AUTH), MATRIX);
  const { url, auth } = prom.seen.at(-1)!;
  assert.equal(url.pathname, '/api/v1/query_range');
  assert.deepEqual(Object.fromEntries(url.searchParams), { query: expr, start: '600', end: '615', step: '15' });
  assert.equal(auth, AUTH.authorization);
});

test('an error answer, an instant-vector answer, a refusal and an unreachable Prometheus each throw', async (t) => {
  let answer: { status: number; body: unknown } = { status: 400, body: { status: 'error', errorType: 'bad_data', error: 'parse error at char 3' } };
  const prom = await standIn(() => answer);
  t.after(prom.close);
  const grid = { start: 0, end: 60, step: 15 };
  await assert.rejects(queryPrometheusRange(prom.url, 'up{', grid, 2000, AUTH), /range query failed \(HTTP 400: parse error at char 3\): up\{/);
  answer = { status: 200, body: { status: 'success', data: { resultType: 'vector', result: [] } } };
  await assert.rejects(queryPrometheusRange(prom.url, 'up', grid, 2000, AUTH), /range query failed \(HTTP 200\): up$/);
  await assert.rejects(queryPrometheusRange(prom.url, 'up', grid), /refused the credentials \(HTTP 401\): it asks for a password/);
  await prom.close();
  await assert.rejects(queryPrometheusRange(prom.url, 'up', grid, 2000, AUTH), (err: Error) => err.name === 'TypeError');
});
