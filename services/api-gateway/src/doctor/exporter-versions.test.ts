import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AamiConfig } from '@aami/shared';
import { exporterVersionsCheck } from './exporter-versions.ts';
import { fakeSources, nodeResult } from './fake-sources.ts';

describe('exporter-versions check', () => {
  it("warns about an exporter that is not the store's version, one the store cannot compare, and a node AAMI never installed", async () => {
    const config = AamiConfig.parse({ nodes: [{ name: 'own', ip: '10.0.0.9', exporters: ['node_exporter'] }, { name: 'bare', ip: '10.0.0.8' }] });
    const out = await exporterVersionsCheck(fakeSources({
      config: async () => ({ revision: 1, config }),
      nodes: async () => ({
        checked_at: 'x',
        results: [
          nodeResult('current'),
          nodeResult('old', { exporters: [{ name: 'node_exporter', installed: '1.5.0', wanted: ['1.8.2'] }, { name: 'dcgm_exporter', installed: '3.3.5', wanted: ['3.3.5', '3.3.6'] }] }),
          nodeResult('arm', { arch: 'arm64', exporters: [{ name: 'node_exporter', installed: '1.8.2', wanted: [] }] }),
          nodeResult('bare', { exporters: null }),
          nodeResult('own', { exporters: null }),
          nodeResult('moved', { host_key: { status: 'changed', offered: 'a', pinned: 'b' }, exporters: null }),
        ],
      }),
    })).run();
    assert.deepEqual(out.map((x) => [x.severity, x.subject]), [['warning', 'old'], ['warning', 'arm'], ['warning', 'bare'], ['ok', undefined]]);
    assert.equal(out[0]?.message, 'old runs node_exporter 1.5.0; the artifact store has 1.8.2');
    assert.equal(out[0]?.fix, 'aami nodes install old --upgrade');
    assert.match(out[1]?.message ?? '', /no node_exporter for arm64 to compare with/);
    assert.equal(out[2]?.fix, 'aami nodes install bare');
    assert.equal(out[3]?.message, "1 node(s) run the artifact store's exporter versions");
  });

  it('is ok when the nodes that answered run their own exporters, and silent without an answer', async () => {
    const config = AamiConfig.parse({ nodes: [{ name: 'own', ip: '10.0.0.9', exporters: ['node_exporter'] }] });
    const out = await exporterVersionsCheck(fakeSources({ config: async () => ({ revision: 1, config }), nodes: async () => ({ checked_at: 'x', results: [nodeResult('own', { exporters: null })] }) })).run();
    assert.deepEqual(out.map((x) => [x.severity, x.message]), [['ok', 'none of the 1 node(s) that answered runs exporters installed by AAMI: config.yaml says they run their own']]);
    assert.deepEqual(await exporterVersionsCheck(fakeSources()).run(), []);
  });
});
