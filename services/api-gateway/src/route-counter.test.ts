import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createRouteCounter } from './route-counter.ts';

test('answers are counted by method, route template and code, never by the values in the path', async (t) => {
  const counter = createRouteCounter();
  const app = express();
  app.use(counter.middleware);
  const api = express.Router();
  const nodes = express.Router();
  nodes.get('/:name', (req, res) => { res.status(req.params.name === 'ghost' ? 404 : 200).json({}); });
  nodes.get('/', (_req, res) => { res.json([]); });
  nodes.post('/:name', () => { throw new Error('refused'); });
  api.use('/nodes', nodes);
  app.use('/api/v1', api);
  // As the gateway's error handler does: the answer is made after the routers were left.
  app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => { res.status(400).json({}); });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  t.after(() => server.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const p of ['/api/v1/nodes/gpu-01', '/api/v1/nodes/gpu-02', '/api/v1/nodes/ghost', '/api/v1/nodes', '/nowhere']) await (await fetch(`${base}${p}`)).arrayBuffer();
  await (await fetch(`${base}/api/v1/nodes/gpu-03`, { method: 'POST' })).arrayBuffer();
  await new Promise((r) => setTimeout(r, 20));
  const text = await counter.registry.metrics();
  assert.match(text, /aami_gateway_requests_total\{method="GET",route="\/api\/v1\/nodes\/:name",code="200"\} 2/);
  assert.match(text, /aami_gateway_requests_total\{method="GET",route="\/api\/v1\/nodes\/:name",code="404"\} 1/);
  assert.match(text, /aami_gateway_requests_total\{method="GET",route="\/api\/v1\/nodes",code="200"\} 1/);
  assert.match(text, /route="unmatched",code="404"\} 1/);
  assert.match(text, /aami_gateway_requests_total\{method="POST",route="\/api\/v1\/nodes\/:name",code="400"\} 1/, 'an error answer keeps the full template');
  assert.doesNotMatch(text, /gpu-01|ghost/, 'no caller-chosen text in a label');
});
