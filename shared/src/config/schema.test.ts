import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AamiConfig, Notifications, SECRET_PATHS } from './schema.ts';
import { parseOrThrow } from './issues.ts';
import { ValidationError } from '../errors.ts';

const issues = (data: unknown): Array<{ path: string | undefined; message: string }> => {
  try {
    parseOrThrow(AamiConfig, data, 'config');
  } catch (err) {
    assert.ok(err instanceof ValidationError);
    return err.details.map((d) => ({ path: d.path, message: d.message }));
  }
  return [];
};

test('notifications.repeat defaults to 1h / 4h / 24h, and a config without it gets them', () => {
  assert.deepEqual(AamiConfig.parse({}).notifications.repeat, { critical: '1h', warning: '4h', info: '24h' });
  assert.deepEqual(Notifications.parse({ routing: { critical: ['slack'] } }).repeat, { critical: '1h', warning: '4h', info: '24h' });
  assert.deepEqual(Notifications.parse({ repeat: { critical: '15m' } }).repeat, { critical: '15m', warning: '4h', info: '24h' });
});

test('a bad repeat interval is an error naming the field', () => {
  assert.deepEqual(issues({ notifications: { repeat: { critical: 'hourly' } } }), [
    { path: 'notifications.repeat.critical', message: 'must be a Prometheus duration such as 30s, 5m, 1h or 15d' },
  ]);
  assert.deepEqual(issues({ notifications: { repeat: { warning: '30m1h' } } }).map((i) => i.path), ['notifications.repeat.warning']);
  assert.match(issues({ notifications: { repeat: { warning: '30m1h' } } })[0]?.message ?? '', /largest to the smallest/);
  assert.deepEqual(issues({ notifications: { repeat: { info: '0s' } } }), [{ path: 'notifications.repeat.info', message: 'must be longer than zero' }]);
  assert.deepEqual(issues({ notifications: { repeat: { critical: 3600 } } }).map((i) => i.path), ['notifications.repeat.critical']);
  assert.deepEqual(issues({ notifications: { repeat: { urgent: '1h' } } }), [{ path: 'notifications.repeat.urgent', message: 'unknown key' }]);
});

test('prometheus.retention must be a duration Prometheus takes', () => {
  assert.equal(AamiConfig.parse({}).prometheus.retention, '15d');
  assert.equal(AamiConfig.parse({ prometheus: { retention: '1y2w' } }).prometheus.retention, '1y2w');
  for (const bad of ['15 days', '1d1y', '0d']) assert.deepEqual(issues({ prometheus: { retention: bad } }).map((i) => i.path), ['prometheus.retention'], bad);
});

test('the schema holds no key for features AAMI does not have', () => {
  const parsed = AamiConfig.parse({});
  assert.deepEqual(Object.keys(parsed).sort(), ['alerts', 'artifacts', 'cluster', 'nodes', 'notifications', 'prometheus', 'revision', 'ssh', 'version']);
  assert.deepEqual(Object.keys(parsed.prometheus).sort(), ['evaluation_interval', 'retention', 'scrape_interval']);
  for (const key of ['federation', 'slurm', 'clusters']) assert.deepEqual(issues({ [key]: {} }), [{ path: key, message: 'unknown key' }]);
  assert.deepEqual([...SECRET_PATHS], ['notifications.slack.webhook_url', 'notifications.email.password']);
});
