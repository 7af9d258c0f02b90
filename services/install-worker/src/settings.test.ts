import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '@aami/shared';
import { loadInstallWorkerSettings } from './settings.ts';

test('defaults: port 8084, 3 attempts, exporters on 9100 and 9400, no seeding', () => {
  const s = loadInstallWorkerSettings({});
  assert.equal(s.AAMI_INSTALL_WORKER_PORT, 8084);
  assert.equal(s.AAMI_INSTALL_ATTEMPTS, 3);
  assert.deepEqual([s.AAMI_NODE_EXPORTER_PORT, s.AAMI_DCGM_EXPORTER_PORT], [9100, 9400]);
  assert.equal(s.AAMI_ARTIFACTS_SEED_SYSTEM, '0');
  assert.equal(s.shared.AAMI_BIND, '127.0.0.1');
});

test('a bad value is refused, naming each variable (no NaN port, no zero attempts)', () => {
  assert.equal(loadInstallWorkerSettings({ AAMI_INSTALL_WORKER_PORT: '9184', AAMI_INSTALL_VERIFY_WAIT_S: '5' }).AAMI_INSTALL_WORKER_PORT, 9184);
  assert.throws(
    () => loadInstallWorkerSettings({ AAMI_INSTALL_WORKER_PORT: 'http', AAMI_INSTALL_ATTEMPTS: '0', AAMI_ARTIFACTS_SEED_SYSTEM: 'yes' }),
    (err: unknown) => err instanceof ValidationError
      && ['AAMI_INSTALL_WORKER_PORT', 'AAMI_INSTALL_ATTEMPTS', 'AAMI_ARTIFACTS_SEED_SYSTEM'].every((v) => err.details.some((d) => d.path === v)),
  );
});
