// A reboot fault on the demo fleet: the node_exporter stand-in's node_boot_time_seconds follows the
// simulated node's boot time, the since-boot CPU seconds start again, and AAMI's Xid counter (fed from
// the node's kernel log, which keeps every boot) goes on counting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { freePort, makeTempDir } from '../harness/index.ts';
import { startDemoFleet } from './demo-fleet.ts';
import { renderNodeExporterText } from './node-exporter-standin.ts';

const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** GET /metrics with a Host header of our choosing (fetch() will not send one). */
const scrape = (port: number, host: string) =>
  new Promise<string>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', headers: { host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });

const sample = (text: string, re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);

test('node_exporter stand-in: node_boot_time_seconds is the host boot time, CPU seconds count from it', () => {
  const now = Date.parse('2026-03-02T10:00:00Z');
  const text = renderNodeExporterText({ name: 'gpu-node-01', bootMs: now - 90_500, cpus: 2, memBytes: 2 ** 34, diskBytes: 1e12 }, now);
  assert.match(text, /^# TYPE node_boot_time_seconds gauge\nnode_boot_time_seconds 1772445509$/m);
  const idle = sample(text, /^node_cpu_seconds_total\{cpu="0",mode="idle"\} (\S+)$/m);
  assert.ok(idle > 0 && idle < 90.5, `idle seconds ${idle}`);
});

test('demo fleet: a reboot moves node_boot_time_seconds to now, and the Xid counter keeps counting', { timeout: 60_000 }, async () => {
  const [dcgmPort, nodeExporterPort, controlPort] = [await freePort(), await freePort(), await freePort()];
  const fleet = await startDemoFleet({ nodes: 2, gpus: 1, bind: '127.0.0.1', dcgmPort, nodeExporterPort, controlPort, workDir: await makeTempDir('demo-reboot'), xidCounterIntervalMs: 60_000 });
  try {
    const boot = async (node: string) => sample(await scrape(nodeExporterPort, `${node}:9100`), /^node_boot_time_seconds (\d+)$/m);
    const xids = async () => sample(await scrape(nodeExporterPort, 'gpu-node-02:9100'), /^aami_xid_errors_total\{pci_bus_id="[0-9A-F:.]+",xid="79"\} (\d+)$/m);
    const [first1, first2] = [await boot('gpu-node-01'), await boot('gpu-node-02')];
    assert.ok(first2 <= Date.now() / 1000 - 3600, 'up for an hour at least');
    assert.equal((await post(`${fleet.controlUrl}/nodes/gpu-node-02/faults`, { type: 'xid', gpu: 0, xid: 79 })).status, 201);
    await fleet.countXids();
    assert.equal(await xids(), 1);

    const before = Math.floor(Date.now() / 1000);
    const res = await post(`${fleet.controlUrl}/nodes/gpu-node-02/faults`, { type: 'reboot' });
    assert.equal(res.status, 201);
    const rebooted = await boot('gpu-node-02');
    assert.ok(rebooted >= before && rebooted <= Date.now() / 1000, `boot time ${rebooted} is now`);
    assert.equal(rebooted, Math.floor(fleet.sim.fleet.node('gpu-node-02').bootTimeMs / 1000));
    assert.equal(await boot('gpu-node-01'), first1, 'the other node did not reboot');
    const host = await scrape(nodeExporterPort, 'gpu-node-02:9100');
    assert.ok(sample(host, /^node_cpu_seconds_total\{cpu="0",mode="idle"\} (\S+)$/m) < 60, 'CPU seconds count from the new boot');
    const dcgm = await scrape(dcgmPort, 'gpu-node-02:9400');
    assert.match(dcgm, /^DCGM_FI_DEV_XID_ERRORS\{gpu="0",.*err_code="0",err_msg="No Error"\} 0$/m);

    await fleet.countXids();
    assert.equal(await xids(), 1, 'the boot lines count nothing');
    assert.equal((await post(`${fleet.controlUrl}/nodes/gpu-node-02/faults`, { type: 'xid', gpu: 0, xid: 79 })).status, 201);
    await fleet.countXids();
    assert.equal(await xids(), 2, 'counting goes on after the reboot');
  } finally {
    await fleet.stop();
  }
});
