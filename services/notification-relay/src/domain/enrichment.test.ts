import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alertSeverity, enrichAlert, extractHealth, extractXid, type XidInfo, type XidLookup } from './enrichment.ts';
import type { WebhookAlert } from './payload.ts';

const XID79: XidInfo = {
  code: 79,
  name: 'ROBUST_CHANNEL_GPU_HAS_FALLEN_OFF_THE_BUS',
  title: 'GPU has fallen off the bus',
  severity: 'critical',
  meaning: 'The host lost the GPU.',
  causes: ['power'],
  actions: ['Drain <node>.', 'Collect logs.'],
  if_repeats: 'RMA.',
};
const lookup: XidLookup = (code) => (code === 79 ? XID79 : undefined);

function alert(labels: Record<string, string>, annotations: Record<string, string> = {}): WebhookAlert {
  return { status: 'firing', labels, annotations, startsAt: '2024-05-01T10:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '' };
}

test('the xid label wins', () => {
  assert.equal(extractXid(alert({ xid: '79' }, { summary: 'Xid 13 seen' })), 79);
});

test('an Xid number in an annotation is found', () => {
  assert.equal(extractXid(alert({ alertname: 'GPUError' }, { summary: 'GPU 3 reported Xid 79 at 10:00' })), 79);
  assert.equal(extractXid(alert({}, { description: 'last error xid=48' })), 48);
  assert.equal(extractXid(alert({}, { xid: '31' })), 31);
  assert.equal(extractXid(alert({}, { summary: 'XID code: 13 on GPU 1' })), 13);
  assert.equal(extractXid(alert({}, { summary: 'xid : 79' })), 79);
  assert.equal(extractXid(alert({}, { summary: 'saw Xid #31' })), 31);
  assert.equal(extractXid(alert({}, { summary: 'xid 12345' })), undefined, 'five digits is not an Xid');
});

test('a 1 MiB hostile annotation is searched for an Xid in well under a second', () => {
  // Annotations carry label values, so their text is the sender's. A long whitespace run after
  // "xid" made the old regex try every split of it: quadratic. 32 KiB goes first so a regression
  // fails in seconds instead of blocking the run for the better part of an hour on 1 MiB.
  for (const size of [32 * 1024, 1024 * 1024]) {
    for (const hostile of [`xid${' '.repeat(size)}x`, `xid code${' '.repeat(size)}:x`, 'xid '.repeat(size / 4)]) {
      const a = alert({ alertname: 'GPUXidError' }, { summary: hostile, description: hostile });
      const started = performance.now();
      assert.equal(extractXid(a), undefined);
      assert.equal(alertSeverity(a, lookup), 'warning');
      assert.equal(enrichAlert(a, lookup).xidCode, undefined);
      const ms = performance.now() - started;
      assert.ok(ms < 1000, `${JSON.stringify(hostile.slice(0, 9))}... (${hostile.length} chars) took ${ms.toFixed(0)} ms`);
    }
  }
});

test('only the start of an annotation is searched (XID_SCAN_CHARS)', () => {
  const mib = '.'.repeat(1024 * 1024);
  assert.equal(extractXid(alert({}, { summary: `Xid 79 ${mib}` })), 79);
  assert.equal(extractXid(alert({}, { summary: `${mib} Xid 79` })), undefined);
});

test('an Xid-named alert takes its value annotation', () => {
  assert.equal(extractXid(alert({ alertname: 'GPUXidError' }, { value: '79' })), 79);
  assert.equal(extractXid(alert({ alertname: 'GPUHot' }, { value: '79' })), undefined);
});

test('no Xid, no guess', () => {
  assert.equal(extractXid(alert({ alertname: 'NodeDown' }, { summary: 'node 7 is down for 5m' })), undefined);
  assert.equal(extractXid(alert({ xid: 'abc' })), undefined);
});

test('node, GPU and catalog facts are picked out', () => {
  const ctx = enrichAlert(
    alert({ alertname: 'GPUXidError', node: 'gpu-07', gpu: '3', UUID: 'GPU-1', modelName: 'H100', pci_bus_id: '0000:9B:00.0', xid: '79' }, { runbook_url: 'http://rb' }),
    lookup,
  );
  assert.equal(ctx.node, 'gpu-07');
  assert.equal(ctx.gpu, '3');
  assert.equal(ctx.uuid, 'GPU-1');
  assert.equal(ctx.model, 'H100');
  assert.equal(ctx.pciBusId, '0000:9B:00.0');
  assert.equal(ctx.runbook, 'http://rb');
  assert.equal(ctx.xid?.title, 'GPU has fallen off the bus');
  assert.equal(ctx.severity, 'critical', 'catalog severity when the alert has none');
  assert.equal(ctx.endsAt, undefined);
});

test('the alert severity label beats the catalog', () => {
  assert.equal(enrichAlert(alert({ xid: '79', severity: 'warning' }), lookup).severity, 'warning');
  assert.equal(enrichAlert(alert({ severity: 'bogus' }), lookup).severity, 'warning');
});

test('an Xid the catalog does not know keeps its code, and a throwing catalog is survived', () => {
  const ctx = enrichAlert(alert({ xid: '999' }), lookup);
  assert.equal(ctx.xidCode, 999);
  assert.equal(ctx.xid, undefined);
  const broken = enrichAlert(alert({ xid: '79' }), () => {
    throw new Error('catalog broken');
  });
  assert.equal(broken.xidCode, 79);
});

test('instance is the node when no node label exists', () => {
  assert.equal(enrichAlert(alert({ instance: '10.0.0.7:9400' }), lookup).node, '10.0.0.7');
});

test('a gpu-health alert brings its health state and suggested action', () => {
  const ctx = enrichAlert(alert({ alertname: 'GPUUnhealthy', node: 'gpu-07', gpu: '3', state: 'unhealthy', action: 'inspect-hardware' }), lookup);
  assert.deepEqual(ctx.health, { state: 'unhealthy', action: 'inspect-hardware' });
  assert.deepEqual(extractHealth(alert({ health_state: 'Degraded ', health_action: 'reset-gpu' })), { state: 'degraded', action: 'reset-gpu' });
  assert.deepEqual(extractHealth(alert({ health_state: 'degraded', state: 'failed', action: 'none' })), { state: 'degraded', action: 'none' }, 'health_state wins over state');
});

test('no health without a known state and a known action (labels are hostile input)', () => {
  assert.equal(enrichAlert(alert({ alertname: 'NodeSystemdUnitFailed', state: 'failed', name: 'x.service' }), lookup).health, undefined);
  assert.equal(extractHealth(alert({ state: 'unhealthy' })), undefined, 'state alone is not enough');
  assert.equal(extractHealth(alert({ action: 'reboot-node' })), undefined);
  assert.equal(extractHealth(alert({ state: 'unhealthy', action: '<script>alert(1)</script>' })), undefined);
  assert.equal(extractHealth(alert({ state: 'unhealthy <b>', action: 'reboot-node' })), undefined);
  assert.equal(extractHealth(alert({ state: 'toString', action: 'constructor' })), undefined);
});
