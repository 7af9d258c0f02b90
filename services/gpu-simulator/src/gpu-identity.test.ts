import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kernelPciFromBusId, makeGpuIdentities } from './gpu-identity.ts';
import { GPU_MODELS } from './gpu-models.ts';

describe('GPU identities', () => {
  it('derives the kernel NVRM form from the NVML bus id: 4-digit domain, lower case, no function', () => {
    assert.equal(kernelPciFromBusId('00000000:3B:00.0'), '0000:3b:00');
    assert.equal(kernelPciFromBusId('00000000:00:06.0'), '0000:00:06');
    assert.equal(kernelPciFromBusId('00000001:DB:1F.3'), '0001:db:1f');
    assert.throws(() => kernelPciFromBusId('0000:3b:00.0'), /not an NVML PCI bus id/);
  });

  it('gives each GPU of a node a distinct, well-formed, stable identity on the board layout', () => {
    const a = makeGpuIdentities('gpu-node-07', 8, GPU_MODELS.H100);
    const b = makeGpuIdentities('gpu-node-07', 8, GPU_MODELS.H100);
    assert.deepEqual(a, b);
    assert.deepEqual(a.map((g) => g.pciBusId.slice(9, 11)), ['18', '2A', '3A', '5D', '9A', 'AB', 'BA', 'DB']);
    for (const g of a) {
      assert.match(g.uuid, /^GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.match(g.pciBusId, /^00000000:[0-9A-F]{2}:00\.0$/);
      assert.equal(g.kernelPci, kernelPciFromBusId(g.pciBusId));
      assert.equal(g.device, `nvidia${g.index}`);
    }
    assert.equal(new Set(a.map((g) => g.uuid)).size, 8);
    const other = makeGpuIdentities('gpu-node-08', 8, GPU_MODELS.H100);
    assert.notEqual(other[0]?.uuid, a[0]?.uuid);
  });

  it('finds unique buses beyond the 8-GPU board layout', () => {
    const ids = makeGpuIdentities('n', 16, GPU_MODELS.A100);
    assert.equal(new Set(ids.map((g) => g.pciBusId)).size, 16);
  });
});
