import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startFleet } from './index.ts';
import { FleetOptions, nodeNames, nthAddress, optionsFromEnv } from './options.ts';

describe('fleet options', () => {
  it('names nodes from 01, widening for big fleets', () => {
    assert.deepEqual(nodeNames('gpu-node-', 3), ['gpu-node-01', 'gpu-node-02', 'gpu-node-03']);
    assert.equal(nodeNames('n', 1000).at(-1), 'n1000');
    assert.equal(nodeNames('n', 1000)[0], 'n0001');
  });

  it('counts loopback addresses up, skipping .0 and .255', () => {
    assert.equal(nthAddress('127.0.0.1', 0), '127.0.0.1');
    assert.equal(nthAddress('127.0.0.1', 9), '127.0.0.10');
    assert.equal(nthAddress('127.0.0.1', 254), '127.0.1.1');
    assert.equal(nthAddress('127.0.0.250', 5), '127.0.1.1');
  });

  it('reads the compose environment', () => {
    const o = FleetOptions.parse(
      optionsFromEnv({ AAMI_SIM_NODES: '50', AAMI_SIM_GPUS: '4', AAMI_SIM_MODEL: 'H100', AAMI_SIM_BASE_PORT: '9400', AAMI_SIM_LOG_DIR: '/logs', AAMI_SIM_CONTROL_PORT: '9501', AAMI_BIND: '0.0.0.0' }),
    );
    assert.deepEqual([o.nodes, o.gpus, o.model, o.basePort, o.logDir, o.controlPort, o.bind], [50, 4, 'H100', 9400, '/logs', 9501, '0.0.0.0']);
    assert.equal(FleetOptions.safeParse({ model: 'B200' }).success, false);
    assert.deepEqual(FleetOptions.parse(optionsFromEnv({ AAMI_SIM_MODELS: 'h100, V100,' })).models, ['H100', 'V100']);
    assert.deepEqual(FleetOptions.parse({ models: ['A100'] }).models, ['A100']);
    assert.equal(FleetOptions.parse({}).models, undefined);
    const bad = FleetOptions.safeParse({ models: 'H100,B200' });
    assert.deepEqual(bad.error?.issues.map((i) => i.path.join('.')), ['models.1']);
    assert.equal(FleetOptions.safeParse({ gpus: 0 }).success, false);
  });

  it('loopback addressing puts each node on its own 127.0.0.x address', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'gpu-sim-lo-'));
    const sim = await startFleet({ nodes: 3, gpus: 1, addressing: 'loopback', firstAddress: '127.0.0.101', basePort: 0, controlPort: null, logDir });
    try {
      assert.deepEqual(sim.nodes.map((n) => n.target.split(':')[0]), ['127.0.0.101', '127.0.0.102', '127.0.0.103']);
      assert.equal(sim.controlUrl, undefined);
      for (const n of sim.nodes) assert.match(await (await fetch(n.url)).text(), new RegExp(`Hostname="${n.name}"`));
    } finally {
      await sim.stop();
      rmSync(logDir, { recursive: true, force: true });
    }
  });

  it('models: node i plays models[i], the rest play model', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'gpu-sim-mix-'));
    const sim = await startFleet({ nodes: 4, gpus: 1, model: 'A100', models: 'H100,V100', basePort: 0, controlPort: null, logDir });
    try {
      assert.deepEqual(sim.fleet.summaries().map((n) => n.model), ['NVIDIA H100 80GB HBM3', 'Tesla V100-SXM2-32GB', 'NVIDIA A100-SXM4-80GB', 'NVIDIA A100-SXM4-80GB']);
      assert.match(await (await fetch(sim.nodes[1]?.url ?? '')).text(), /^DCGM_FI_DEV_PCIE_LINK_GEN\{gpu="0",.*modelName="Tesla V100-SXM2-32GB".*\} 3$/m);
    } finally {
      await sim.stop();
      rmSync(logDir, { recursive: true, force: true });
    }
  });

  it('refuses to start when a node port is taken, closing what it opened', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'gpu-sim-busy-'));
    const first = await startFleet({ nodes: 1, gpus: 1, basePort: 0, controlPort: null, logDir });
    try {
      const port = Number(first.nodes[0]?.target.split(':')[1]);
      await assert.rejects(startFleet({ nodes: 2, gpus: 1, basePort: port - 1, controlPort: null, logDir }), /cannot listen on 127\.0\.0\.1:\d+/);
    } finally {
      await first.stop();
      rmSync(logDir, { recursive: true, force: true });
    }
  });
});
