import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseOrThrow, ValidationError } from '@aami/shared';
import { alertFingerprint, isZeroTime, WebhookPayload } from './payload.ts';

const sample = (): Record<string, unknown> => JSON.parse(readFileSync(new URL('./testdata/webhook-xid79.json', import.meta.url), 'utf8')) as Record<string, unknown>;

test('accepts the payload Alertmanager 0.25 sends, nanosecond times included', () => {
  const p = WebhookPayload.parse(sample());
  assert.equal(p.version, '4');
  assert.equal(p.alerts.length, 1);
  assert.equal(p.alerts[0]?.labels.xid, '79');
  assert.equal(p.alerts[0]?.startsAt, '2024-05-01T10:00:00.123456789Z');
  assert.ok(isZeroTime(p.alerts[0]?.endsAt ?? ''));
});

test('unknown top-level fields from a newer Alertmanager are accepted', () => {
  const p = WebhookPayload.parse({ ...sample(), somethingNew: true });
  assert.equal(p.receiver, 'aami-relay');
});

test('a bad field is named in the error', () => {
  const bad = sample();
  (bad.alerts as Array<Record<string, unknown>>)[0]!.status = 'burning';
  assert.throws(
    () => parseOrThrow(WebhookPayload, bad, 'webhook payload'),
    (err: unknown) => err instanceof ValidationError && err.details.some((d) => d.path === 'alerts[0].status') && /alerts\[0\]\.status/.test(err.message),
  );
});

test('labels must be strings and startsAt a time', () => {
  const bad = sample();
  const alert = (bad.alerts as Array<Record<string, unknown>>)[0]!;
  alert.labels = { gpu: 3 };
  alert.startsAt = 'yesterday';
  assert.throws(
    () => parseOrThrow(WebhookPayload, bad, 'webhook payload'),
    (err: unknown) => err instanceof ValidationError && err.details.map((d) => d.path).sort().join(',') === 'alerts[0].labels.gpu,alerts[0].startsAt',
  );
});

test('missing alerts array is refused', () => {
  const bad = sample();
  delete bad.alerts;
  assert.throws(() => parseOrThrow(WebhookPayload, bad, 'webhook payload'), /alerts/);
});

test('fingerprint falls back to a stable hash of the labels', () => {
  const a = alertFingerprint({ labels: { b: '2', a: '1' } });
  const b = alertFingerprint({ labels: { a: '1', b: '2' } });
  assert.equal(a, b);
  assert.match(a, /^[0-9a-f]{16}$/);
  assert.notEqual(a, alertFingerprint({ labels: { a: '1', b: '3' } }));
  assert.equal(alertFingerprint({ labels: {}, fingerprint: 'abc' }), 'abc');
});
