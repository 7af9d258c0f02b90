// The demo profile's helpers on their own: the Slack sink answers and records like Slack, the demo
// fleet serves each node by host name with AAMI's Xid counter output, and the node_exporter stand-in
// carries every node_exporter series the dashboards query.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { freePort, makeTempDir, REPO_ROOT } from '../harness/index.ts';
import { nodeFromHost, startDemoFleet } from './demo-fleet.ts';
import { renderNodeExporterText } from './node-exporter-standin.ts';
import { startSlackSinkServer } from './slack-sink.ts';

const post = (url: string, body: unknown, type = 'application/json') =>
  fetch(url, { method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });

test('slack sink: accepts a valid payload, refuses a bad one, fails on request, lists messages', async () => {
  const sink = await startSlackSinkServer({ secret: 'test' });
  try {
    const base = sink.url.replace(sink.path, '');
    let res = await post(sink.url, { text: 'Xid 79 on gpu-node-02' });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok');
    res = await post(sink.url, { blocks: [{ type: 'header', text: { type: 'mrkdwn', text: 'x' } }] });
    assert.equal(res.status, 400);
    assert.equal(await res.text(), 'invalid_payload');
    res = await post(`${base}/services/T0AAMI/B0AAMI/wrong`, { text: 'x' });
    assert.equal(res.status, 404);
    await post(`${base}/control/fail`, { status: 503, count: 1 });
    assert.equal((await post(sink.url, { text: 'during the outage' })).status, 503);
    assert.equal((await post(sink.url, { text: 'after the outage' })).status, 200);
    const delivered = (await (await fetch(`${base}/messages`)).json()) as { messages: Array<{ body: { text: string } }> };
    assert.deepEqual(delivered.messages.map((m) => m.body.text), ['Xid 79 on gpu-node-02', 'after the outage']);
    const all = (await (await fetch(`${base}/messages?all=1`)).json()) as { messages: Array<{ status: number; problems: string[] }> };
    assert.deepEqual(all.messages.map((m) => m.status), [200, 400, 404, 503, 200]);
    assert.ok(all.messages[1]!.problems.some((p) => /plain_text/.test(p)));
  } finally {
    await sink.close();
  }
});

test('demo fleet: nodes by host name, node-down drops the connection, Xids reach the textfile', { timeout: 60_000 }, async () => {
  assert.equal(nodeFromHost('gpu-node-02:9400', new Set(['gpu-node-02'])), 'gpu-node-02');
  assert.equal(nodeFromHost('GPU-NODE-02.cluster.local', new Set(['gpu-node-02'])), 'gpu-node-02');
  assert.equal(nodeFromHost('10.0.0.1:9400', new Set(['gpu-node-02'])), undefined);
  const [dcgmPort, nodeExporterPort, controlPort] = [await freePort(), await freePort(), await freePort()];
  const fleet = await startDemoFleet({ nodes: 2, gpus: 2, bind: '127.0.0.1', dcgmPort, nodeExporterPort, controlPort, workDir: await makeTempDir('demo-fleet'), xidCounterIntervalMs: 60_000 });
  try {
    // fetch() will not send a Host header of our choosing; Prometheus does, so use node:http.
    const scrape = (port: number, host: string) =>
      new Promise<{ status: number; text(): string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/metrics', headers: { host } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: () => Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      });
    const dcgm = (await scrape(dcgmPort, 'gpu-node-02:9400')).text();
    assert.match(dcgm, /DCGM_FI_DEV_GPU_TEMP\{gpu="1",.*Hostname="gpu-node-02"/);
    assert.equal((await scrape(dcgmPort, 'elsewhere:9400')).status, 404);
    const inject = await post(`${fleet.controlUrl}/nodes/gpu-node-02/faults`, { type: 'xid', gpu: 1, xid: 79 });
    assert.equal(inject.status, 201);
    await fleet.countXids();
    const host = (await scrape(nodeExporterPort, 'gpu-node-02:9100')).text();
    assert.match(host, /^aami_xid_errors_total\{pci_bus_id="[0-9A-F:.]+",xid="79"\} 1$/m);
    assert.match(host, /^node_uname_info\{.*nodename="gpu-node-02"/m);
    assert.equal((await post(`${fleet.controlUrl}/nodes/gpu-node-01/faults`, { type: 'node-down' })).status, 201);
    await assert.rejects(scrape(nodeExporterPort, 'gpu-node-01:9100'));
    await assert.rejects(scrape(dcgmPort, 'gpu-node-01:9400'));
  } finally {
    await fleet.stop();
  }
});

test('node_exporter stand-in: every node_* series a dashboard queries is there', async () => {
  const dir = join(REPO_ROOT, 'grafana-dashboards/dashboards');
  const wanted = new Set<string>();
  for (const f of await readdir(dir)) {
    for (const m of (await readFile(join(dir, f), 'utf8')).matchAll(/\bnode_[a-zA-Z0-9_]+/g)) wanted.add(m[0]);
  }
  wanted.delete('node_exporter');
  const text = renderNodeExporterText({ name: 'gpu-node-01', bootMs: Date.now() - 3600_000, cpus: 4, memBytes: 2 ** 34, diskBytes: 1e12 }, Date.now());
  const have = new Set([...text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/gm)].map((m) => m[1]!));
  // node_textfile_mtime_seconds only appears once a textfile exists; the rest must always be there.
  wanted.delete('node_textfile_mtime_seconds');
  assert.deepEqual([...wanted].filter((n) => !have.has(n)).sort(), []);
});
