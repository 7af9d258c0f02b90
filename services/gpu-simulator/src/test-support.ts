// Helpers shared by this package's tests: a hand-driven clock, a node built without sockets, and
// lookups into parsed /metrics text. Not used by the simulator itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFieldCatalog } from './field-catalog.ts';
import { GPU_MODELS, type GpuModel } from './gpu-models.ts';
import { parsePromText, type PromFamily, type PromSample } from './prom-text.ts';
import { SimNode } from './sim-node.ts';

/** A clock that only moves when told to. */
export interface ManualClock {
  now: () => number;
  advance(ms: number): void;
}

/** A manual clock starting at a fixed instant. */
export function manualClock(startMs = Date.parse('2026-03-02T10:00:00Z')): ManualClock {
  let t = startMs;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** A node for tests, with its kernel log in a fresh temp dir (removed by `cleanup`). */
export function testNode(
  o: { name?: string; model?: GpuModel; gpus?: number; counters?: string; clock?: ManualClock; xidWindowMs?: number; cacheTtlMs?: number } = {},
): { node: SimNode; clock: ManualClock; logDir: string; cleanup(): void } {
  const clock = o.clock ?? manualClock();
  const logDir = mkdtempSync(join(tmpdir(), 'gpu-sim-test-'));
  const name = o.name ?? 'node-01';
  const node = new SimNode({
    name,
    model: o.model ?? GPU_MODELS.H100,
    gpuCount: o.gpus ?? 8,
    catalog: loadFieldCatalog(o.counters ?? 'aami'),
    driverVersion: '580.159.04',
    xidWindowMs: o.xidWindowMs ?? 300_000,
    cacheTtlMs: o.cacheTtlMs ?? 0,
    logPath: join(logDir, `${name}.kern.log`),
    clock: clock.now,
  });
  return { node, clock, logDir, cleanup: () => rmSync(logDir, { recursive: true, force: true }) };
}

/** Parsed families of a node's current /metrics, by name. */
export function scrape(node: SimNode): Map<string, PromFamily> {
  return new Map(parsePromText(node.metricsText()).map((f) => [f.name, f]));
}

/** The label value of a sample, or undefined. */
export function label(s: PromSample, name: string): string | undefined {
  return s.labels.find(([k]) => k === name)?.[1];
}

/** The value of `field` for GPU `gpu` (throws when absent). */
export function valueOf(families: Map<string, PromFamily>, field: string, gpu: number): number {
  const s = families.get(field)?.samples.find((x) => label(x, 'gpu') === String(gpu));
  if (!s) throw new Error(`no ${field} for gpu ${gpu}`);
  return s.value;
}
