// Node probe: one SSH command that tells what the node is (OS, arch, init system, GPUs, container
// runtime, whether we may sudo) and what AAMI already put there (checksums of managed files, unit
// states, free space, /etc/aami/installed.json). The plan is computed from this alone, so a second
// run that finds everything in place needs no more than this probe and a verify.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { normalizeArch } from '../artifacts/store.ts';
import { shq } from '../ssh/executor.ts';

/** What /etc/aami/installed.json on a node records. */
export const InstalledRecord = z.object({
  managed_by: z.literal('aami'),
  updated_at: z.string(),
  run_id: z.string(),
  components: z.record(z.string(), z.object({
    version: z.string(),
    units: z.array(z.string()),
    files: z.record(z.string(), z.string()),
  })),
  notes: z.array(z.string()).default([]),
  /** What the run that wrote this did (a rerun of the same run after a crash reports it again). */
  result: z.enum(['installed', 'upgraded', 'changed']).optional(),
});
export type InstalledRecord = z.infer<typeof InstalledRecord>;

/** What the probe found. */
export interface NodeFacts {
  uid: number;
  user: string;
  /** root: logged in as root; yes: passwordless sudo works; no: neither. */
  sudo: 'root' | 'yes' | 'no';
  os: { id: string; version: string; pretty: string };
  machine: string;
  arch: string;
  init: string;
  gpu: { tool: boolean; names: string[] };
  containerRuntime: 'docker' | 'podman' | null;
  /** Free KiB for each asked directory (measured on its nearest existing parent). */
  freeKb: Record<string, number>;
  /** sha256 of each asked file that exists. */
  sums: Record<string, string>;
  units: Record<string, { active: string; enabled: string }>;
  installed: InstalledRecord | null;
}

/** What the probe should look at besides the basics. */
export interface ProbeRequest {
  files: string[];
  units: string[];
  dirs: string[];
}

const SCRIPT = readFileSync(new URL('./scripts/probe.sh', import.meta.url), 'utf8');

/** The command (script on stdin) for a request. */
export function probeCommand(req: ProbeRequest): { command: string; stdin: string } {
  const args = [...req.files.map((f) => `f:${f}`), ...req.units.map((u) => `u:${u}`), ...req.dirs.map((d) => `d:${d}`)];
  return { command: `bash -s -- ${args.map(shq).join(' ')}`, stdin: SCRIPT };
}

/** Parses the probe's output. Throws when the output is cut short (the node went away mid-probe). */
export function parseProbe(stdout: string): NodeFacts {
  const kv = new Map<string, string>();
  const facts: NodeFacts = {
    uid: -1, user: '', sudo: 'no', os: { id: '', version: '', pretty: '' }, machine: '', arch: '', init: 'unknown',
    gpu: { tool: false, names: [] }, containerRuntime: null, freeKb: {}, sums: {}, units: {}, installed: null,
  };
  for (const line of stdout.split('\n')) {
    if (line.startsWith('sum ')) {
      const [, sum, ...path] = line.split(' ');
      if (sum) facts.sums[path.join(' ')] = sum;
    } else if (line.startsWith('unit ')) {
      const [, unit, active, enabled] = line.split(' ');
      if (unit) facts.units[unit] = { active: active ?? 'unknown', enabled: enabled ?? 'none' };
    } else if (line.startsWith('free ')) {
      const [, dir, kb] = line.split(' ');
      if (dir) facts.freeKb[dir] = Number(kb ?? 0) || 0;
    } else if (line.startsWith('installed ')) {
      try {
        const parsed = InstalledRecord.safeParse(JSON.parse(Buffer.from(line.slice(10), 'base64').toString('utf8')));
        facts.installed = parsed.success ? parsed.data : null;
      } catch {
        facts.installed = null;
      }
    } else if (line.startsWith('gpu=')) {
      facts.gpu.names.push(line.slice(4));
    } else {
      const i = line.indexOf('=');
      if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1));
    }
  }
  if (kv.get('probe') !== 'done') throw new Error('the node probe was cut short');
  facts.uid = Number(kv.get('uid') ?? -1);
  facts.user = kv.get('user') ?? '';
  const sudo = kv.get('sudo');
  facts.sudo = sudo === 'root' || sudo === 'yes' ? sudo : 'no';
  facts.os = { id: kv.get('os_id') ?? '', version: kv.get('os_version') ?? '', pretty: kv.get('os_pretty') ?? '' };
  facts.machine = kv.get('machine') ?? '';
  facts.arch = normalizeArch(facts.machine);
  facts.init = kv.get('init') ?? 'unknown';
  facts.gpu.tool = kv.get('gpu_tool') === 'yes';
  const rt = kv.get('runtime');
  facts.containerRuntime = rt === 'docker' || rt === 'podman' ? rt : null;
  return facts;
}
