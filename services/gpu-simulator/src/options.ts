// Fleet options: one zod schema for the programmatic API, the CLI flags and the AAMI_SIM_* environment
// (docker compose). Addressing: `port` gives node i the port basePort+i on `bind` (basePort 0: any free
// port per node); `loopback` gives node i its own address firstAddress+i, all on basePort (9400).
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { GpuModelKey } from './gpu-models.ts';

const Port = z.coerce.number().int().min(0).max(65_535);
const Ipv4 = z.string().refine((s) => isIP(s) === 4, { message: 'an IPv4 address' });

/** Options of a simulated fleet (all optional; defaults are what `start` with no flags does). */
export const FleetOptions = z.object({
  nodes: z.coerce.number().int().min(1).max(5000).default(4),
  gpus: z.coerce.number().int().min(1).max(16).default(8),
  model: GpuModelKey.default('H100'),
  /** Per-node models: node i plays models[i], the nodes past the list play `model` (a comma-separated
   * string works too, as in --models H100,H100,A100,V100 or AAMI_SIM_MODELS). */
  models: z
    .preprocess(
      (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : v),
      z.array(GpuModelKey).max(5000),
    )
    .optional(),
  addressing: z.enum(['port', 'loopback']).default('port'),
  basePort: Port.default(9400),
  bind: z.string().min(1).default('127.0.0.1'),
  /** First node's address in loopback addressing; the next nodes count up from it. */
  firstAddress: Ipv4.default('127.0.0.1'),
  /** Where the per-node kernel logs go (`<dir>/<node>.kern.log`). */
  logDir: z.string().min(1).default(join(tmpdir(), 'aami-gpu-simulator')),
  /** Control API port; null runs no control API. */
  controlPort: Port.nullable().default(9500),
  controlBind: z.string().min(1).default('127.0.0.1'),
  nodePrefix: z.string().regex(/^[A-Za-z0-9._-]*$/).default('gpu-node-'),
  /** `aami` (default fields plus AAMI's extras), `default` (dcgm-exporter's file) or a path to a counters file. */
  counters: z.string().min(1).default('aami'),
  driverVersion: z.string().regex(/^\d+\.\d+(\.\d+)?$/).default('580.159.04'),
  /** dcgm-exporter's --xid-count-window-size for DCGM_EXP_XID_ERRORS_COUNT. */
  xidWindowMs: z.coerce.number().int().min(1000).default(300_000),
  /** How long a rendered /metrics body is reused. */
  cacheTtlMs: z.coerce.number().int().min(0).max(60_000).default(1000),
});
export type FleetOptionsInput = z.input<typeof FleetOptions>;
export type FleetOptions = z.output<typeof FleetOptions>;

/** Reads the AAMI_SIM_* / AAMI_BIND variables the compose service sets; unset ones are left out. */
export function optionsFromEnv(env: NodeJS.ProcessEnv): FleetOptionsInput {
  const map: Array<[keyof FleetOptionsInput, string]> = [
    ['nodes', 'AAMI_SIM_NODES'],
    ['gpus', 'AAMI_SIM_GPUS'],
    ['model', 'AAMI_SIM_MODEL'],
    ['models', 'AAMI_SIM_MODELS'],
    ['basePort', 'AAMI_SIM_BASE_PORT'],
    ['logDir', 'AAMI_SIM_LOG_DIR'],
    ['controlPort', 'AAMI_SIM_CONTROL_PORT'],
    ['bind', 'AAMI_BIND'],
    ['controlBind', 'AAMI_BIND'],
    ['addressing', 'AAMI_SIM_ADDRESSING'],
    ['nodePrefix', 'AAMI_SIM_NODE_PREFIX'],
    ['counters', 'AAMI_SIM_COUNTERS'],
  ];
  const out: Record<string, string> = {};
  for (const [key, name] of map) {
    const v = env[name];
    if (v !== undefined && v !== '') out[key] = v;
  }
  return out as FleetOptionsInput;
}

/** Node names: prefix + number from 1, zero-padded to at least two digits (gpu-node-01). */
export function nodeNames(prefix: string, count: number): string[] {
  const width = Math.max(2, String(count).length);
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(width, '0')}`);
}

/** The i-th loopback address counting from `first`, skipping .0 and .255 host parts. */
export function nthAddress(first: string, i: number): string {
  const p = first.split('.').map(Number) as [number, number, number, number];
  let n = ((p[0] << 24) >>> 0) + (p[1] << 16) + (p[2] << 8) + p[3];
  for (let k = 0; k < i; k++) {
    n++;
    while ((n & 0xff) === 0 || (n & 0xff) === 0xff) n++;
  }
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}
