// What a simulated GPU node's node_exporter would answer: a small, plausible set of host series
// (uname, boot time, load, CPU seconds, memory, root filesystem, network) under the names and labels
// the real node_exporter uses, plus every *.prom file of the node's textfile-collector folder, which
// is how AAMI's Xid counter (aami_xid_errors_total) reaches Prometheus on a real node. For the demo
// fleet only: tests of node_exporter behaviour start the real one (harness/node-exporter.ts).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The host a node_exporter stand-in describes. */
export interface StandinHost {
  name: string;
  /** When the host last booted (epoch ms; a simulated node's SimNode.bootTimeMs, which a reboot fault
   * moves): node_boot_time_seconds, and the base of the since-boot counters (CPU seconds, network bytes). */
  bootMs: number;
  cpus: number;
  memBytes: number;
  diskBytes: number;
  /** node_exporter's textfile-collector folder for this host; skipped when absent. */
  textfileDir?: string;
}

/** A stable number in [0, 1) from a string, so each host looks a little different. */
function hashUnit(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0) / 2 ** 32;
}

function family(out: string[], name: string, type: 'gauge' | 'counter', help: string, samples: Array<[Record<string, string>, number]>): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  for (const [labels, value] of samples) {
    const l = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',');
    out.push(`${name}${l ? `{${l}}` : ''} ${Number.isInteger(value) ? value : value.toFixed(6)}`);
  }
}

/** The textfile collector's part: each readable *.prom file, plus node_textfile_mtime_seconds. */
function textfiles(dir: string | undefined): { text: string; mtimes: Array<[string, number]>; error: number } {
  if (!dir) return { text: '', mtimes: [], error: 0 };
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.prom')).sort();
  } catch {
    return { text: '', mtimes: [], error: 0 };
  }
  const parts: string[] = [];
  const mtimes: Array<[string, number]> = [];
  let error = 0;
  for (const n of names) {
    try {
      const p = join(dir, n);
      const body = readFileSync(p, 'utf8');
      mtimes.push([p, statSync(p).mtimeMs / 1000]);
      parts.push(body.endsWith('\n') ? body : `${body}\n`);
    } catch {
      error = 1;
    }
  }
  return { text: parts.join(''), mtimes, error };
}

/** The /metrics text of the host at `nowMs`. */
export function renderNodeExporterText(host: StandinHost, nowMs: number): string {
  const out: string[] = [];
  const seed = hashUnit(host.name);
  const uptime = Math.max(1, (nowMs - host.bootMs) / 1000);
  // A slow daily-ish wave plus a per-host offset keeps values moving and distinct between hosts.
  const busy = 0.35 + 0.25 * Math.sin(nowMs / 600_000 + seed * 6.28) + 0.1 * seed;
  family(out, 'node_uname_info', 'gauge', 'Labeled system information as provided by the uname system call.', [
    [{ domainname: '(none)', machine: 'x86_64', nodename: host.name, release: '6.8.0-49-generic', sysname: 'Linux', version: '#49-Ubuntu SMP PREEMPT_DYNAMIC' }, 1],
  ]);
  family(out, 'node_boot_time_seconds', 'gauge', 'Node boot time, in unixtime.', [[{}, Math.floor(host.bootMs / 1000)]]);
  family(out, 'node_time_seconds', 'gauge', 'System time in seconds since epoch (1970).', [[{}, nowMs / 1000]]);
  family(out, 'node_load1', 'gauge', '1m load average.', [[{}, host.cpus * busy]]);
  family(out, 'node_load5', 'gauge', '5m load average.', [[{}, host.cpus * (busy * 0.9 + 0.05)]]);
  family(out, 'node_load15', 'gauge', '15m load average.', [[{}, host.cpus * (busy * 0.8 + 0.1)]]);
  const modes: Array<[string, number]> = [['user', busy * 0.8], ['system', busy * 0.15], ['iowait', busy * 0.05], ['idle', 1 - busy]];
  const cpuSamples: Array<[Record<string, string>, number]> = [];
  for (let c = 0; c < host.cpus; c++) for (const [mode, share] of modes) cpuSamples.push([{ cpu: String(c), mode }, uptime * share]);
  family(out, 'node_cpu_seconds_total', 'counter', 'Seconds the CPUs spent in each mode.', cpuSamples);
  const availShare = 0.55 - 0.2 * busy;
  family(out, 'node_memory_MemTotal_bytes', 'gauge', 'Memory information field MemTotal_bytes.', [[{}, host.memBytes]]);
  family(out, 'node_memory_MemAvailable_bytes', 'gauge', 'Memory information field MemAvailable_bytes.', [[{}, Math.round(host.memBytes * availShare)]]);
  family(out, 'node_memory_MemFree_bytes', 'gauge', 'Memory information field MemFree_bytes.', [[{}, Math.round(host.memBytes * availShare * 0.4)]]);
  family(out, 'node_memory_Cached_bytes', 'gauge', 'Memory information field Cached_bytes.', [[{}, Math.round(host.memBytes * availShare * 0.5)]]);
  family(out, 'node_memory_Buffers_bytes', 'gauge', 'Memory information field Buffers_bytes.', [[{}, Math.round(host.memBytes * 0.01)]]);
  const fs = { device: '/dev/nvme0n1p2', fstype: 'ext4', mountpoint: '/' };
  const diskFree = host.diskBytes * (0.6 - 0.2 * seed);
  family(out, 'node_filesystem_size_bytes', 'gauge', 'Filesystem size in bytes.', [[fs, host.diskBytes]]);
  family(out, 'node_filesystem_avail_bytes', 'gauge', 'Filesystem space available to non-root users in bytes.', [[fs, Math.round(diskFree * 0.95)]]);
  family(out, 'node_filesystem_free_bytes', 'gauge', 'Filesystem free space in bytes.', [[fs, Math.round(diskFree)]]);
  const net = { device: 'eth0' };
  family(out, 'node_network_receive_bytes_total', 'counter', 'Network device statistic receive_bytes.', [[net, Math.round(uptime * 40e6 * (0.5 + busy))]]);
  family(out, 'node_network_transmit_bytes_total', 'counter', 'Network device statistic transmit_bytes.', [[net, Math.round(uptime * 25e6 * (0.5 + busy))]]);
  const tf = textfiles(host.textfileDir);
  if (tf.mtimes.length > 0) family(out, 'node_textfile_mtime_seconds', 'gauge', 'Unixtime mtime of textfiles successfully read.', tf.mtimes.map(([file, m]) => [{ file }, m]));
  family(out, 'node_textfile_scrape_error', 'gauge', '1 if there was an error opening or reading a file, 0 otherwise', [[{}, tf.error]]);
  return `${out.join('\n')}\n${tf.text}`;
}
