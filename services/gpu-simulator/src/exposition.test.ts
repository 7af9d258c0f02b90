import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatValue, NodeExposition } from './exposition.ts';
import { loadFieldCatalog, parseCountersCsv } from './field-catalog.ts';
import { GPU_MODELS } from './gpu-models.ts';
import { makeGpuIdentities } from './gpu-identity.ts';
import { parsePromText } from './prom-text.ts';
import { label, scrape, testNode } from './test-support.ts';

const DCGM_LABELS = ['gpu', 'UUID', 'pci_bus_id', 'device', 'modelName', 'Hostname', 'DCGM_FI_DRIVER_VERSION'];

describe('exposition in dcgm-exporter format', () => {
  for (const counters of ['default', 'aami'] as const) {
    it(`${counters} counters file: every field once per GPU, HELP/TYPE from the file, families in file order`, () => {
      const { node, cleanup } = testNode({ counters, gpus: 8 });
      try {
        const catalog = loadFieldCatalog(counters);
        const families = parsePromText(node.metricsText());
        // RETIRED_* is blank on Ampere/Hopper (row remapping replaced page retirement): DCGM gives no value,
        // dcgm-exporter prints nothing for it, not even HELP.
        const expected = catalog.metrics.filter((m) => !m.name.startsWith('DCGM_FI_DEV_RETIRED_'));
        assert.deepEqual(families.map((f) => f.name), expected.map((m) => m.name));
        for (const m of expected) {
          const f = families.find((x) => x.name === m.name);
          assert.equal(f?.help, m.help, `${m.name} HELP`);
          assert.equal(f?.type, m.type, `${m.name} TYPE`);
          const gpus = f?.samples.map((s) => label(s, 'gpu'));
          assert.deepEqual(gpus, ['0', '1', '2', '3', '4', '5', '6', '7'], `${m.name}: one series per GPU`);
          for (const s of f?.samples ?? []) {
            const names = s.labels.map(([k]) => k);
            if (m.name === 'DCGM_FI_DEV_XID_ERRORS') assert.deepEqual(names, [...DCGM_LABELS, 'err_code', 'err_msg']);
            else if (m.name === 'DCGM_EXP_XID_ERRORS_COUNT') assert.deepEqual(names, [...DCGM_LABELS, 'window_size_in_ms']);
            else assert.deepEqual(names, DCGM_LABELS, m.name);
          }
        }
      } finally {
        cleanup();
      }
    });
  }

  it('labels carry the node and GPU identity exactly like dcgm-exporter', () => {
    const { node, cleanup } = testNode({ name: 'node-01', gpus: 2 });
    try {
      const temp = scrape(node).get('DCGM_FI_DEV_GPU_TEMP');
      const s = temp?.samples[1];
      assert.ok(s);
      const id = node.identities[1];
      assert.deepEqual(s.labels, [
        ['gpu', '1'],
        ['UUID', id?.uuid],
        ['pci_bus_id', '00000000:2A:00.0'],
        ['device', 'nvidia1'],
        ['modelName', 'NVIDIA H100 80GB HBM3'],
        ['Hostname', 'node-01'],
        ['DCGM_FI_DRIVER_VERSION', '580.159.04'],
      ]);
      assert.match(node.metricsText(), /^# HELP DCGM_FI_DEV_SM_CLOCK SM clock frequency \(in MHz\)\.\n# TYPE DCGM_FI_DEV_SM_CLOCK gauge\nDCGM_FI_DEV_SM_CLOCK\{gpu="0",UUID="GPU-/);
      assert.ok(node.metricsText().endsWith('\n'));
    } finally {
      cleanup();
    }
  });

  it('prints DCGM doubles with six decimals and int64 fields as integers', () => {
    const { node, cleanup } = testNode({ gpus: 2 });
    try {
      const f = scrape(node);
      for (const s of f.get('DCGM_FI_DEV_POWER_USAGE')?.samples ?? []) assert.match(s.raw, /^\d+\.\d{6}$/);
      for (const s of f.get('DCGM_FI_PROF_GR_ENGINE_ACTIVE')?.samples ?? []) assert.match(s.raw, /^\d\.\d{6}$/);
      for (const name of ['DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', 'DCGM_FI_DEV_GPU_TEMP', 'DCGM_FI_DEV_FB_USED', 'DCGM_FI_PROF_PCIE_TX_BYTES']) {
        for (const s of f.get(name)?.samples ?? []) assert.match(s.raw, /^\d+$/, name);
      }
      assert.equal(formatValue('double', 71.911), '71.911000');
      assert.equal(formatValue('int', 3597364.9), '3597364');
    } finally {
      cleanup();
    }
  });

  it('sorts several label fields by name, as Go templates range over a map', () => {
    const catalog = parseCountersCsv('DCGM_FI_DEV_GPU_TEMP, gauge, t\nDCGM_FI_NVML_VERSION, label, n\nDCGM_FI_DRIVER_VERSION, label, d\nDCGM_FI_DEV_BRAND, label, b\n');
    const gpus = makeGpuIdentities('n', 1, GPU_MODELS.H100);
    const exp = new NodeExposition(catalog, { hostname: 'n', model: GPU_MODELS.H100, driverVersion: '580.159.04', gpus, xidWindowMs: 1000 });
    const { node, cleanup } = testNode({ gpus: 1 });
    try {
      const text = exp.render(node.samples());
      const s = parsePromText(text)[0]?.samples[0];
      assert.deepEqual(s?.labels.slice(6), [
        ['DCGM_FI_DEV_BRAND', 'NVIDIA'],
        ['DCGM_FI_DRIVER_VERSION', '580.159.04'],
        ['DCGM_FI_NVML_VERSION', '13.580.159.04'],
      ]);
    } finally {
      cleanup();
    }
  });

  it('refuses a counters file naming a field it does not model', () => {
    const catalog = parseCountersCsv('DCGM_FI_DEV_GPU_TEMP, gauge, t\nDCGM_FI_DEV_FAN_SPEED, gauge, f\nDCGM_EXP_P2P_STATUS, counter, p\n', 'mine.csv');
    const gpus = makeGpuIdentities('n', 1, GPU_MODELS.H100);
    assert.throws(
      () => new NodeExposition(catalog, { hostname: 'n', model: GPU_MODELS.H100, driverVersion: '1.0', gpus, xidWindowMs: 1000 }),
      /mine\.csv: the simulator has no model for DCGM_FI_DEV_FAN_SPEED, DCGM_EXP_P2P_STATUS/,
    );
  });

  it('accepts the DCGM 3.3+ name of the throttle bitmask too', () => {
    const catalog = parseCountersCsv('DCGM_FI_DEV_CLOCKS_EVENT_REASONS, gauge, r\n');
    const gpus = makeGpuIdentities('n', 1, GPU_MODELS.H100);
    const exp = new NodeExposition(catalog, { hostname: 'n', model: GPU_MODELS.H100, driverVersion: '1.0', gpus, xidWindowMs: 1000 });
    const { node, cleanup } = testNode({ gpus: 1 });
    try {
      assert.match(exp.render(node.samples()), /^DCGM_FI_DEV_CLOCKS_EVENT_REASONS\{.*\} \d+$/m);
    } finally {
      cleanup();
    }
  });

  it('A100 nodes use the A100 name and memory size', () => {
    const { node, cleanup } = testNode({ model: GPU_MODELS.A100, gpus: 1 });
    try {
      const f = scrape(node);
      const s = f.get('DCGM_FI_DEV_FB_FREE')?.samples[0];
      assert.equal(s && label(s, 'modelName'), 'NVIDIA A100-SXM4-80GB');
      const used = f.get('DCGM_FI_DEV_FB_USED')?.samples[0]?.value ?? NaN;
      const free = f.get('DCGM_FI_DEV_FB_FREE')?.samples[0]?.value ?? NaN;
      const reserved = f.get('DCGM_FI_DEV_FB_RESERVED')?.samples[0]?.value ?? NaN;
      assert.equal(used + free + reserved, 81920);
    } finally {
      cleanup();
    }
  });
});
