// Which exporters AAMI installed on which node, as the install worker last saw them: a Redis hash
// (node -> JSON list) that the install worker writes after each successful action and the rule
// compiler reads when it writes scrape targets. A dcgm-exporter target exists only where one runs:
// elsewhere anyone on the node could bind the port and feed Prometheus fake GPU series.
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { JOBS } from './metrics-contract.ts';

/** The exporters a node can run, by the scrape job they feed. */
export const ExporterName = z.enum([JOBS.nodeExporter, JOBS.dcgmExporter]);
export type ExporterName = z.infer<typeof ExporterName>;

export const INSTALLED_EXPORTERS_KEY = 'aami:installed-exporters';

const List = z.array(ExporterName);

/** Every node's installed exporters; entries that do not parse are left out. */
export async function readInstalledExporters(redis: Pick<Redis, 'hgetall'>): Promise<Map<string, ExporterName[]>> {
  const raw = await redis.hgetall(INSTALLED_EXPORTERS_KEY);
  const out = new Map<string, ExporterName[]>();
  for (const [node, text] of Object.entries(raw)) {
    try {
      const parsed = List.safeParse(JSON.parse(text));
      if (parsed.success) out.set(node, parsed.data);
    } catch { /* a malformed entry counts as no record */ }
  }
  return out;
}

/** Records `node`'s exporters (null: nothing of AAMI's is there); true when that changed the record. */
export async function recordInstalledExporters(redis: Pick<Redis, 'hget' | 'hset' | 'hdel'>, node: string, exporters: readonly ExporterName[] | null): Promise<boolean> {
  const before = await redis.hget(INSTALLED_EXPORTERS_KEY, node);
  if (exporters === null) return (await redis.hdel(INSTALLED_EXPORTERS_KEY, node)) > 0;
  const next = JSON.stringify([...new Set(exporters)].sort());
  if (before === next) return false;
  await redis.hset(INSTALLED_EXPORTERS_KEY, node, next);
  return true;
}

/**
 * The exporters Prometheus should scrape on a node: the node's own `exporters:` setting when it has
 * one (exporters AAMI did not install), else what AAMI installed, else node_exporter alone.
 */
export function scrapedExporters(node: { name: string; exporters?: readonly ExporterName[] | undefined }, installed: ReadonlyMap<string, readonly ExporterName[]>): ExporterName[] {
  if (node.exporters) return [...node.exporters];
  return [...(installed.get(node.name) ?? [JOBS.nodeExporter])];
}
