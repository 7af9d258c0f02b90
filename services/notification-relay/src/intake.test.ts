import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobsOptions } from 'bullmq';
import { Notifications } from '@aami/shared';
import { catalogLookup, xid79Alert } from './domain/testdata/fixtures.ts';
import { WebhookPayload } from './domain/payload.ts';
import { createIntake, type DeliveryQueue } from './intake.ts';
import type { DeliveryJob } from './queues.ts';

type Added = { name: string; data: DeliveryJob; opts: JobsOptions };

function fakeQueues() {
  const calls: Record<'slack' | 'email', Added[][]> = { slack: [], email: [] };
  const q = (ch: 'slack' | 'email'): DeliveryQueue => ({
    add: async (name, data, opts) => void calls[ch].push([{ name, data, opts }]),
    addBulk: async (jobs) => void calls[ch].push(jobs),
  });
  return { calls, queues: { slack: q('slack'), email: q('email') } };
}

const cfg = Notifications.parse({ slack: { webhook_url: 'https://h.test/x' }, email: { smtp_host: 'mail.test', from: 'a@b.c', to: ['d@e.f'] } });
const payload = (alerts: unknown[]) => WebhookPayload.parse({ receiver: 'aami', status: 'firing', alerts, externalURL: 'http://am:9093' });

test('each alert goes to the channels its severity routes to, one call per channel queue', async () => {
  const { calls, queues } = fakeQueues();
  const intake = createIntake({ notifications: { get: async () => cfg }, xidLookup: catalogLookup, queues, jobOptions: { attempts: 7 } });
  const res = await intake.accept(
    payload([
      xid79Alert(),
      xid79Alert({ fingerprint: 'w1' }, { severity: 'warning' }),
      xid79Alert({ fingerprint: 'i1' }, { severity: 'info' }),
      xid79Alert({ fingerprint: 'x1' }, { severity: '' }),
    ]),
    1234,
  );
  assert.deepEqual(res, { alerts: 4, deliveries: 5, unrouted: 1 });
  assert.equal(calls.slack.length, 1);
  assert.equal(calls.email.length, 1);
  assert.equal(calls.slack[0]?.length, 3, 'critical, warning, and the Xid 79 alert without severity (catalog says critical)');
  assert.equal(calls.email[0]?.length, 2, 'critical and the catalog-critical one');
  const first = calls.slack[0]?.[0];
  assert.equal(first?.opts.attempts, 7);
  assert.match(first?.opts.jobId ?? '', /^slack-[0-9a-f]{32}$/);
  assert.equal(first?.data.kind === 'alert' && first.data.externalURL, 'http://am:9093');
  assert.equal(first?.data.receivedAt, 1234);
});

test('the same alert state always gets the same job id; another state another', async () => {
  const { calls, queues } = fakeQueues();
  const intake = createIntake({ notifications: { get: async () => cfg }, xidLookup: catalogLookup, queues, jobOptions: {} });
  await intake.accept(payload([xid79Alert()]), 1);
  await intake.accept(payload([xid79Alert()]), 2);
  await intake.accept(payload([xid79Alert({ status: 'resolved' })]), 3);
  const ids = calls.slack.map((c) => c[0]?.opts.jobId);
  assert.equal(ids[0], ids[1]);
  assert.notEqual(ids[0], ids[2]);
});

test("each job says until when its state counts as delivered: before the next reminder of the alert's route", async () => {
  const { calls, queues } = fakeQueues();
  const repeat = Notifications.parse({ ...cfg, repeat: { critical: '30m', warning: '2h' } });
  const intake = createIntake({ notifications: { get: async () => repeat }, xidLookup: catalogLookup, queues, jobOptions: {} });
  const at = 1_700_000_000_000;
  await intake.accept(payload([xid79Alert(), xid79Alert({ fingerprint: 'w1' }, { severity: 'warning' }), xid79Alert({ fingerprint: 'x1' }, { severity: '' }), xid79Alert({ fingerprint: 'r1', status: 'resolved' })]), at);
  const until = Object.fromEntries((calls.slack[0] ?? []).map((j) => [j.data.kind === 'alert' ? (j.data.alert.fingerprint ?? '') : '', j.data.kind === 'alert' ? j.data.dedupUntil : undefined]));
  const min = 60_000;
  assert.equal(until['4a1c0d9e8b7f6a5c'], at + 28 * min, 'critical: 30m repeat less 1m group_interval and 1m');
  assert.equal(until['w1'], at + 114 * min, 'warning: 2h less 5m and 1m');
  assert.equal(until['x1'], at + 114 * min, 'no severity label: Alertmanager sends it by the root route, the warning cadence');
  assert.equal(until['r1'], at + 3 * 3600_000, 'resolved: the fixed 3 h');
});

test('no config means no 2xx: intake rejects and nothing is queued', async () => {
  const { calls, queues } = fakeQueues();
  const intake = createIntake({ notifications: { get: () => Promise.reject(new Error('cannot read config')) }, xidLookup: catalogLookup, queues, jobOptions: {} });
  await assert.rejects(intake.accept(payload([xid79Alert()]), 1), /cannot read config/);
  assert.equal(calls.slack.length + calls.email.length, 0);
});
