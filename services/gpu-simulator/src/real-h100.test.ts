// The simulated H100 against what a real H100 reported (integration-tests/fixtures/nvidia-h100/,
// captured with scripts/capture-gpu-fixtures.sh on an H100 80GB HBM3, driver 580.159.04): model
// name, driver version, the form of UUID and PCI bus id, total and reserved framebuffer. A change that drifts from real hardware fails here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { label, scrape, testNode, valueOf } from './test-support.ts';

const fixtures = new URL('../../../integration-tests/fixtures/nvidia-h100/', import.meta.url);
const xml = readFileSync(new URL('nvidia-smi-q.xml', fixtures), 'utf8');
const nvml = readFileSync(new URL('nvml-fields.txt', fixtures), 'utf8');
const tag = (name: string) => {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  if (!m?.[1]) throw new Error(`fixture has no <${name}>`);
  return m[1].trim();
};
const mib = (name: string) => Number(/<fb_memory_usage>[\s\S]*?<\/fb_memory_usage>/.exec(xml)?.[0].match(new RegExp(`<${name}>(\\d+) MiB<`))?.[1]);

const real = {
  model: tag('product_name'),
  driver: tag('driver_version'),
  uuid: tag('uuid'),
  busId: /^gpu (\d+) .* (GPU-[0-9a-f-]+) ([0-9A-F:.]+)$/m.exec(nvml)?.[3] ?? '',
  totalMiB: mib('total'),
  reservedMiB: mib('reserved'),
};

describe('simulated H100 vs the real one', () => {
  it('fixture sanity: the captured values are there', () => {
    assert.equal(real.model, 'NVIDIA H100 80GB HBM3');
    assert.match(real.busId, /^[0-9A-F]{8}:[0-9A-F]{2}:[0-9A-F]{2}\.[0-9A-F]$/);
    assert.ok(real.totalMiB > 80_000 && real.reservedMiB > 0);
  });

  it('labels: modelName and driver version as the driver reports them; UUID and pci_bus_id in the same form', () => {
    const { node, cleanup } = testNode({ gpus: 2 });
    try {
      const temp = scrape(node).get('DCGM_FI_DEV_GPU_TEMP')!;
      for (const s of temp.samples) {
        assert.equal(label(s, 'modelName'), real.model);
        assert.equal(label(s, 'DCGM_FI_DRIVER_VERSION'), real.driver);
        assert.match(label(s, 'UUID') ?? '', new RegExp(`^${real.uuid.replace(/[0-9a-f]/g, '[0-9a-f]')}$`));
        assert.match(label(s, 'pci_bus_id') ?? '', /^[0-9A-F]{8}:[0-9A-F]{2}:[0-9A-F]{2}\.[0-9A-F]$/);
      }
    } finally {
      cleanup();
    }
  });

  it('framebuffer: used + free + reserved is the real total, reserved is the real reservation', () => {
    const { node, cleanup } = testNode({ gpus: 1 });
    try {
      const f = scrape(node);
      const used = valueOf(f, 'DCGM_FI_DEV_FB_USED', 0);
      const free = valueOf(f, 'DCGM_FI_DEV_FB_FREE', 0);
      const reserved = valueOf(f, 'DCGM_FI_DEV_FB_RESERVED', 0);
      assert.equal(used + free + reserved, real.totalMiB);
      assert.equal(reserved, real.reservedMiB);
    } finally {
      cleanup();
    }
  });
});
