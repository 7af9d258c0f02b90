import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FleetHealthResponse, GpuHealth, NodeHealthResponse } from '@aami/shared';
import { renderFleet, renderNode } from './health.ts';

const gpu = (over: Partial<GpuHealth>): GpuHealth => ({
  node: 'gpu-node-01', gpu: 0, pciBusId: '00000000:41:00.0', state: 'healthy', score: 100, action: 'none', reasons: [], checks: [], ...over,
});
const bad = gpu({
  gpu: 3, state: 'unhealthy', score: 39, action: 'inspect-hardware',
  reasons: [{ check: 'xid', state: 'unhealthy', action: 'inspect-hardware', reason: 'Xid 79 at 2026-12-03 03:12 UTC, the 3rd time \u001b]0;pwned\u0007' }],
});

describe('aami health output', () => {
  it('lists nodes worst first with a symbol per state, the action and the worst finding, control characters neutralised', () => {
    const fleet: FleetHealthResponse = {
      evaluatedAt: '2026-12-03T03:13:00.000Z',
      counts: { healthy: 1, unknown: 0, degraded: 0, unhealthy: 1 },
      evaluation: { fieldErrors: [] },
      nodes: [
        { node: 'gpu-node-01', state: 'unhealthy', score: 39, action: 'inspect-hardware', reasons: [], gpus: [bad] },
        { node: 'gpu-node-02', state: 'healthy', score: 100, action: 'none', reasons: [], gpus: [gpu({ node: 'gpu-node-02' })] },
      ],
    };
    const out = renderFleet(fleet);
    const rows = out.split('\n').filter((l) => l.startsWith('│'));
    assert.match(rows[1] ?? '', /gpu-node-01 .*✕ unhealthy .*39 .*0\/1 .*inspect-hardware .*GPU 3: Xid 79/);
    assert.match(rows[2] ?? '', /gpu-node-02 .*✓ healthy .*100 .*1\/1/);
    assert.doesNotMatch(out, /[\u001b\u0007]/);
    assert.match(out, /GPUs: 1 healthy, 0 degraded, 1 unhealthy, 0 unknown/);
  });

  it('says when the first evaluation has not finished, and when results are stale', () => {
    assert.match(renderFleet({ nodes: [], counts: { healthy: 0, unknown: 0, degraded: 0, unhealthy: 0 }, evaluation: { fieldErrors: [] } }), /first health evaluation has not finished/);
    const stale = renderFleet({
      evaluatedAt: 'x', counts: { healthy: 0, unknown: 0, degraded: 0, unhealthy: 1 }, evaluation: { fieldErrors: [], lastError: 'prometheus query failed' },
      nodes: [{ node: 'n', state: 'unhealthy', score: 39, action: 'reboot-node', reasons: [], gpus: [bad] }],
    });
    assert.match(stale, /The last evaluation failed, these are older results: prometheus query failed/);
  });

  it('shows one node with the next action in words, every finding, and its history', () => {
    const node: NodeHealthResponse = {
      node: 'gpu-node-01', state: 'unhealthy', score: 39, action: 'inspect-hardware', reasons: [], gpus: [bad],
      history: [{ at: '2026-12-03T03:12:00.000Z', node: 'gpu-node-01', gpu: 3, from: 'healthy', to: 'unhealthy', action: 'inspect-hardware', reason: 'Xid 79' }],
    };
    const out = renderNode(node);
    assert.match(out, /GPU 3 00000000:41:00.0: ✕ unhealthy, score 39/);
    assert.match(out, /Next: drain the node and have the hardware inspected/);
    assert.match(out, /- xid: unhealthy: Xid 79 at 2026-12-03 03:12 UTC, the 3rd time $/m);
    assert.doesNotMatch(out, /pwned|[\u001b\u0007]/);
    assert.match(out, /2026-12-03 03:12:00 .* 3 .* healthy .* unhealthy/);
  });
});
