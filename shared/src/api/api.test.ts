// The API contract's own checks: every schema turns into the JSON Schema the OpenAPI document is
// built from, the vocabularies (channel names, severities, install actions) agree with the copies
// config.yaml and the queues still keep, and the answers refuse what they do not describe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import * as api from './index.ts';
import { Notifications, Severity } from '../config/schema.ts';
import { InstallJob } from '../queues.ts';

test('every schema of the contract converts to JSON Schema', () => {
  const schemas = Object.entries(api as Record<string, unknown>).filter((e): e is [string, z.ZodType] => e[1] instanceof z.ZodType);
  assert.ok(schemas.length >= 60, `${schemas.length} schemas`);
  for (const [name, s] of schemas) {
    for (const io of ['input', 'output'] as const) assert.doesNotThrow(() => z.toJSONSchema(s, { io, unrepresentable: 'any' }), `${name} (${io})`);
  }
});

test('channel names, severities and install actions are one vocabulary wherever they are spelled out', () => {
  const routing = Notifications.shape.routing.unwrap();
  assert.deepEqual(Object.keys(routing.shape).sort(), [...Severity.options].sort(), 'routing has one entry per severity');
  for (const key of Severity.options) assert.deepEqual(routing.shape[key].unwrap().element.options, api.ChannelName.options, `routing.${key} takes the channel names`);
  assert.deepEqual(InstallJob.shape.action.options, api.InstallAction.options, 'an install job does what a run asks');
});

test('answers are strict: a field the contract does not name is refused', () => {
  const node = { name: 'gpu-01', ip: '10.0.0.1', labels: {}, health: { status: 'up', gpus: 8, alerts: 0 } };
  assert.equal(api.NodeView.safeParse(node).success, true);
  assert.equal(api.NodeView.safeParse({ ...node, extra: true }).success, false);
  assert.equal(api.WhoamiResponse.safeParse({ name: 'x', role: 'admin', token: 'aami_...' }).success, false, 'no secret slips into whoami');
  assert.equal(api.TokenInfo.safeParse({ id: '1', name: 'x', role: 'viewer', created_at: 'now', sha256: 'ab' }).success, false, 'a token listing never has its hash');
});

test('a compile that was not queued says why; a refused expression says why', () => {
  assert.equal(api.CompileQueueResult.safeParse({ queued: false }).success, false);
  assert.equal(api.ExpressionCheckResponse.safeParse({ valid: false }).success, false);
  assert.deepEqual(api.ExpressionCheckResponse.parse({ valid: true }), { valid: true });
});
