import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HEALTH_ACTION_TEXT } from '@aami/shared';
import { renderEmail } from '../channels/email/render.ts';
import { renderSlackPayload } from '../channels/slack/blocks.ts';
import { enrichAlert } from './enrichment.ts';
import { buildAlertMessage, buildSummaryMessage, formatDuration, formatTime, messageColour, stormItem } from './message.ts';
import type { WebhookAlert } from './payload.ts';
import { catalogLookup, presetRunbook, xid79Alert } from './testdata/fixtures.ts';

/** A GPUUnhealthy alert as Prometheus sends it for presets/gpu-health.yaml. */
function healthAlert(overrides: Partial<WebhookAlert> = {}, labels: Record<string, string> = {}): WebhookAlert {
  return {
    status: 'firing',
    labels: {
      alertname: 'GPUUnhealthy', severity: 'critical', component: 'gpu', cluster: 'prod', node: 'gpu-node-07', gpu: '3',
      UUID: 'GPU-5fb4c3a2-7d1e-4c1b-9e0a-2b7f6a1c9d33', pci_bus_id: '00000000:9B:00.0', instance: 'analyzer:8082', job: 'aami',
      service: 'analyzer', state: 'unhealthy', action: 'inspect-hardware', ...labels,
    },
    annotations: {
      summary: 'GPU 3 on gpu-node-07 is unhealthy (suggested action inspect-hardware)',
      description: 'AAMI\'s health analyzer rates GPU 3 on node gpu-node-07 unhealthy, with a health score of 20/100.',
      runbook: 'Run "aami health gpu-node-07 --gpu 3" to see which checks failed.',
    },
    startsAt: '2024-05-01T10:00:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph?g0.expr=aami_gpu_health_state',
    fingerprint: '7b2e0c9d8a6f5e4d',
    ...overrides,
  };
}

test('an Xid 79 alert says what, where, what it means and what to do first', () => {
  const msg = buildAlertMessage(enrichAlert(xid79Alert(), catalogLookup), { externalURL: 'http://am:9093' });
  assert.match(msg.title, /^CRITICAL: Xid 79: GPU has fallen off the bus .* on gpu-node-07 GPU 3$/);
  const fields = Object.fromEntries(msg.fields.map((f) => [f.label, f.value]));
  assert.equal(fields.Node, 'gpu-node-07');
  assert.equal(fields.GPU, '3');
  assert.equal(fields['GPU UUID'], 'GPU-5fb4c3a2-7d1e-4c1b-9e0a-2b7f6a1c9d33');
  assert.equal(fields.Model, 'NVIDIA H100 80GB HBM3');
  assert.equal(fields['PCI bus'], '00000000:9B:00.0');
  assert.equal(fields.Value, '79');
  assert.equal(msg.xid?.code, 79);
  assert.equal(msg.xid?.name, 'ROBUST_CHANNEL_GPU_HAS_FALLEN_OFF_THE_BUS');
  assert.match(msg.xid?.meaning ?? '', /PCIe/);
  assert.equal(msg.xid?.actions.length, 3);
  assert.match(msg.xid?.actions[0] ?? '', /nodename=gpu-node-07/, 'the catalog placeholder <node> is filled in');
  assert.deepEqual(msg.links.map((l) => l.label), ['Runbook', 'Source', 'Alertmanager']);
  assert.equal(messageColour(msg), '#D7263D');
});

test('the resolved follow-up is green, says how long it fired, and keeps the advice for next time', () => {
  const msg = buildAlertMessage(enrichAlert(xid79Alert({ status: 'resolved', endsAt: '2024-05-01T10:42:10Z' }), catalogLookup));
  assert.match(msg.title, /^RESOLVED: Xid 79: GPU has fallen off the bus .* on gpu-node-07 GPU 3$/);
  assert.match(msg.text, /stopped firing at 2024-05-01 10:42:10 UTC after 42m 10s/);
  assert.equal(msg.xid?.actions.length, 0);
  assert.ok(msg.xid?.ifRepeats);
  assert.equal(messageColour(msg), '#2EB67D');
});

test('a runbook is a link only when it is a lone http(s) URL; anything else is prose to show', () => {
  const withRunbook = (annotations: Record<string, string>) => buildAlertMessage(enrichAlert(xid79Alert({ annotations: { summary: 's', ...annotations } }), catalogLookup));
  const url = withRunbook({ runbook: 'https://wiki.example/gpu' });
  assert.deepEqual(url.links[0], { label: 'Runbook', url: 'https://wiki.example/gpu' });
  assert.equal(url.runbook, undefined);
  const prose = presetRunbook('gpu-hardware.yaml', 'GPURowRemapFailure');
  for (const text of [prose, 'javascript:alert(1)', 'https://wiki.example/gpu, then drain the node']) {
    const msg = withRunbook({ runbook_url: text });
    assert.equal(msg.runbook, text);
    assert.ok(!msg.links.some((l) => l.label === 'Runbook'), `${text} is not a link`);
  }
});

test('an alert without Xid uses its summary; an unknown Xid says so', () => {
  const plain = buildAlertMessage(enrichAlert(xid79Alert({ annotations: { summary: 'GPU 3 is hot' } }, { xid: '', alertname: 'GPUHot', severity: 'warning' }), catalogLookup));
  assert.equal(plain.title, 'WARNING: GPU 3 is hot on gpu-node-07 GPU 3');
  assert.equal(plain.xid, undefined);
  const unknown = buildAlertMessage(enrichAlert(xid79Alert({}, { xid: '4321' }), catalogLookup));
  assert.match(unknown.title, /Xid 4321 \(not in AAMI's Xid catalog\)/);
  assert.ok((unknown.xid?.actions.length ?? 0) > 0);
});

test('a storm summary lists firing before resolved, worst first', () => {
  const items = [
    stormItem(enrichAlert(xid79Alert({ status: 'resolved' }, { node: 'a' }), catalogLookup)),
    stormItem(enrichAlert(xid79Alert({}, { node: 'b', severity: 'warning' }), catalogLookup)),
    stormItem(enrichAlert(xid79Alert({}, { node: 'c' }), catalogLookup)),
  ];
  const msg = buildSummaryMessage(items, { channel: 'slack', threshold: 10, windowMs: 60_000, part: 1, parts: 2, total: 3 });
  assert.match(msg.items[0] ?? '', /^CRITICAL GPUXidError on c GPU 3 - Xid 79/);
  assert.match(msg.items[1] ?? '', /^WARNING .* on b /);
  assert.match(msg.items[2] ?? '', /^RESOLVED .* on a /);
  assert.match(msg.title, /3 more alerts .*part 1 of 2/);
  assert.equal(msg.severity, 'critical');
});

test('times and durations read well', () => {
  assert.equal(formatTime('2024-05-01T10:00:00.123456789Z'), '2024-05-01 10:00:00 UTC');
  assert.equal(formatTime('garbage'), 'garbage');
  assert.equal(formatDuration('2024-05-01T10:00:00Z', '2024-05-01T10:00:40Z'), '40s');
  assert.equal(formatDuration('2024-05-01T10:00:00Z', '2024-05-02T13:05:00Z'), '1d 3h');
  assert.equal(formatDuration('2024-05-01T10:00:00Z', '2024-05-01T09:00:00Z'), undefined);
});

test('a gpu-health alert says the GPU\'s state and the suggested next step, first', () => {
  const msg = buildAlertMessage(enrichAlert(healthAlert(), catalogLookup));
  assert.equal(msg.title, 'CRITICAL: GPU 3 on gpu-node-07 is unhealthy (suggested action inspect-hardware) on gpu-node-07 GPU 3');
  assert.equal(msg.text.split('\n')[0], `Health: unhealthy — next: ${HEALTH_ACTION_TEXT['inspect-hardware']}`);
  assert.match(msg.text, /^Health: unhealthy — next: drain the node and have the hardware inspected/);
  assert.match(msg.text, /health score of 20\/100/, 'the description follows');
  assert.equal(msg.xid, undefined);
  const degraded = buildAlertMessage(enrichAlert(healthAlert({}, { alertname: 'GPUDegraded', severity: 'warning', state: 'degraded', action: 'reset-gpu' }), catalogLookup));
  assert.match(degraded.text, /^Health: degraded — next: stop the work on this GPU and reset it \(nvidia-smi -r\)/);
});

test('the resolved gpu-health message says what the health was when it fired, not that it still is', () => {
  const msg = buildAlertMessage(enrichAlert(healthAlert({ status: 'resolved', endsAt: '2024-05-01T10:30:00Z' }), catalogLookup));
  const lines = msg.text.split('\n');
  assert.match(lines[0] ?? '', /stopped firing at 2024-05-01 10:30:00 UTC after 30m/);
  assert.equal(lines[1], `Health when it fired: unhealthy — the suggested action was: ${HEALTH_ACTION_TEXT['inspect-hardware']}`);
  assert.doesNotMatch(msg.text, /next:/);
});

test('alerts without health labels get no health line; unknown values are not echoed', () => {
  assert.doesNotMatch(buildAlertMessage(enrichAlert(xid79Alert(), catalogLookup)).text, /Health/);
  const hostile = buildAlertMessage(enrichAlert(healthAlert({}, { action: '<!channel> reboot-node' }), catalogLookup));
  assert.doesNotMatch(hostile.text, /Health:/);
  assert.doesNotMatch(hostile.text, /<!channel>/);
});

test('Slack and email show the health line, escaped like every other text', () => {
  const msg = buildAlertMessage(enrichAlert(healthAlert({ annotations: { summary: 'GPU 3 <b>hot</b> & unhealthy', description: 'see <http://evil|here> & act' } }), catalogLookup));
  const slack = JSON.stringify(renderSlackPayload(msg));
  assert.match(slack, /Health: unhealthy — next: drain the node and have the hardware inspected \(RMA if it fails again\)/);
  assert.match(slack, /see &lt;http:\u200B\/\/evil\|here&gt; &amp; act/, 'escaped, and the URL broken so Slack does not auto-link it');
  assert.doesNotMatch(slack, /<http:\/\/evil/);
  const email = renderEmail(msg);
  assert.match(email.text, /Health: unhealthy — next: drain the node and have the hardware inspected/);
  assert.match(email.html, /Health: unhealthy — next: drain the node and have the hardware inspected \(RMA if it fails again\)<br>see &lt;http:\/\/evil\|here&gt; &amp; act/);
  assert.doesNotMatch(email.html, /<b>hot/);
});
