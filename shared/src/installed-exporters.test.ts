import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INSTALLED_EXPORTERS_KEY, readInstalledExporters, recordInstalledExporters, scrapedExporters } from './installed-exporters.ts';

/** The four hash commands, on a Map (the record is one Redis hash). */
function hashStore() {
  const h = new Map<string, string>();
  const only = (key: string) => assert.equal(key, INSTALLED_EXPORTERS_KEY);
  return {
    h,
    hget: async (key: string, f: string) => { only(key); return h.get(f) ?? null; },
    hset: async (key: string, f: string, v: string) => { only(key); h.set(f, v); return 1; },
    hdel: async (key: string, f: string) => { only(key); return h.delete(f) ? 1 : 0; },
    hgetall: async (key: string) => { only(key); return Object.fromEntries(h); },
  };
}

test('the record says what changed, survives a round trip, and drops entries that do not parse', async () => {
  const r = hashStore();
  assert.equal(await recordInstalledExporters(r as never, 'gpu-1', ['node_exporter', 'dcgm_exporter']), true);
  assert.equal(await recordInstalledExporters(r as never, 'gpu-1', ['dcgm_exporter', 'node_exporter']), false, 'same set, other order: no change');
  assert.equal(await recordInstalledExporters(r as never, 'cpu-1', ['node_exporter']), true);
  r.h.set('bad', '{"not":"a list"}');
  r.h.set('worse', 'not json');
  r.h.set('unknown', '["rocm_exporter"]');
  assert.deepEqual([...(await readInstalledExporters(r as never))], [['gpu-1', ['dcgm_exporter', 'node_exporter']], ['cpu-1', ['node_exporter']]]);
  assert.equal(await recordInstalledExporters(r as never, 'gpu-1', null), true);
  assert.equal(await recordInstalledExporters(r as never, 'gpu-1', null), false);
});

test('scraped exporters: the node\'s setting, else the record, else node_exporter alone', () => {
  const installed = new Map([['gpu-1', ['node_exporter', 'dcgm_exporter'] as const]]);
  assert.deepEqual(scrapedExporters({ name: 'gpu-1' }, installed), ['node_exporter', 'dcgm_exporter']);
  assert.deepEqual(scrapedExporters({ name: 'gpu-1', exporters: ['node_exporter'] }, installed), ['node_exporter']);
  assert.deepEqual(scrapedExporters({ name: 'new-node' }, installed), ['node_exporter']);
});
