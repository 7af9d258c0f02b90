import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonErrorHandler, jsonNotFound } from './json-errors.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { Logger } from '../log.ts';

function fakeRes() {
  const out: { status?: number; body?: unknown } = {};
  const res = { status(code: number) { out.status = code; return res; }, json(b: unknown) { out.body = b; return res; } };
  return { res, out };
}
const logged: string[] = [];
const log: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: (m, f) => { logged.push(`${m} ${(f?.error as Error | undefined)?.message ?? ''}`); } };
const handle = jsonErrorHandler(log, 'test-service');
const req = { method: 'POST', path: '/x' };

test('typed errors keep their status, code and details', () => {
  const { res, out } = fakeRes();
  handle(new ValidationError('bad', [{ path: 'ip', message: 'not an IP' }]), req, res, undefined);
  assert.equal(out.status, 400);
  assert.deepEqual(out.body, { error: { code: 'validation_failed', message: 'bad', details: [{ path: 'ip', message: 'not an IP' }] } });
  handle(new NotFoundError('gone'), req, res, undefined);
  assert.equal(out.status, 404);
});

test('body-parser failures become 413 and 400; anything else is a 500 that hides the cause but logs it', () => {
  const { res, out } = fakeRes();
  handle({ type: 'entity.too.large', limit: 1024 }, req, res, undefined);
  assert.equal(out.status, 413);
  handle({ type: 'entity.parse.failed', message: 'Unexpected end' }, req, res, undefined);
  assert.equal(out.status, 400);
  handle(new Error('secret internal detail'), req, res, undefined);
  assert.equal(out.status, 500);
  assert.ok(!JSON.stringify(out.body).includes('secret internal detail'));
  assert.match(JSON.stringify(out.body), /see the test-service log/);
  assert.ok(logged.some((l) => l.includes('secret internal detail')));
});

test('unknown routes are a JSON 404 naming the method and path', () => {
  const { res, out } = fakeRes();
  jsonNotFound({ method: 'GET', path: '/nope' }, res);
  assert.equal(out.status, 404);
  assert.match(JSON.stringify(out.body), /no route GET \/nope/);
});
