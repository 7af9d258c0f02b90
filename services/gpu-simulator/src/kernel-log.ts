// The kernel log of one simulated node: a plain file of dmesg-style lines (`[  123.456789] NVRM: ...`,
// seconds since the node booted), written when the node starts and appended when an Xid happens.
// A reboot appends the next boot's lines to the same file, as kern.log keeps every boot: the
// `Linux version` line at [    0.000000], and stamps that count from the new boot.
// Appends are synchronous so lines land in order and a reader sees them before the API call returns.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { bits32 } from './prng.ts';

/** printk's `[%5lu.%06lu]` timestamp for `uptimeS` seconds since boot. */
export function formatKernelTimestamp(uptimeS: number): string {
  const micros = Math.max(0, Math.round(uptimeS * 1e6));
  const secs = Math.floor(micros / 1e6);
  const frac = micros - secs * 1e6;
  return `[${String(secs).padStart(5, ' ')}.${String(frac).padStart(6, '0')}]`;
}

/** The kernel a simulated node runs (the node_exporter stand-in's uname says the same release). */
export const KERNEL_VERSION_LINE =
  'Linux version 6.8.0-49-generic (buildd@lcy02-amd64-103) (x86_64-linux-gnu-gcc-13 (Ubuntu 13.2.0-23ubuntu4) 13.2.0, GNU ld (GNU Binutils for Ubuntu) 2.42) #49-Ubuntu SMP PREEMPT_DYNAMIC Mon Nov  4 02:06:24 UTC 2024 (Ubuntu 6.8.0-49.49-generic 6.8.12)';

/** The lines a booting node with the NVIDIA driver logs, at their seconds since boot. */
function bootLines(driverVersion: string): ReadonlyArray<readonly [number, string]> {
  return [
    [0, KERNEL_VERSION_LINE],
    [0.542635, 'nvidia: loading out-of-tree module taints kernel.'],
    [0.670814, 'nvidia-nvlink: Nvlink Core is being initialized, major device number 240'],
    [0.670827, `NVRM: loading NVIDIA UNIX Open Kernel Module for x86_64  ${driverVersion}  Release Build  (dvs-builder@U22-I3-B17-02-5)  `],
    [3.610006, 'NVRM: Persistence mode is deprecated and will be removed in a future release. Please use nvidia-persistenced instead.'],
  ];
}

/** A kernel log file; `bootMs` is when the simulated node booted (epoch ms). */
export class KernelLog {
  readonly path: string;
  private bootMs: number;
  private lastMicros = 0;
  private lines = 0;

  constructor(path: string, bootMs: number) {
    this.path = path;
    this.bootMs = bootMs;
  }

  /** Starts the file afresh with the lines a booting node with the NVIDIA driver logs. */
  writeBoot(driverVersion: string): void {
    mkdirSync(dirname(this.path), { recursive: true });
    writeFileSync(this.path, this.bootText(driverVersion));
  }

  /** The node booted again at `bootMs`: appends that boot's lines; later stamps count from it. */
  reboot(bootMs: number, driverVersion: string): string[] {
    this.bootMs = bootMs;
    this.lastMicros = 0;
    const text = this.bootText(driverVersion);
    appendFileSync(this.path, text);
    return text.trimEnd().split('\n');
  }

  private bootText(driverVersion: string): string {
    const lines = bootLines(driverVersion);
    this.lastMicros = Math.max(this.lastMicros, Math.round((lines.at(-1)?.[0] ?? 0) * 1e6));
    return lines.map(([t, m]) => `${formatKernelTimestamp(t)} ${m}\n`).join('');
  }

  /** Appends one message stamped at `atMs`; returns the full line written (without newline). Clocks only
   * give milliseconds, so the microseconds are made up, keeping timestamps strictly increasing. */
  append(message: string, atMs: number): string {
    const micros = Math.max(Math.round((atMs - this.bootMs) * 1000) + (bits32(0x6b6c, this.lines++) % 997), this.lastMicros + 17);
    this.lastMicros = micros;
    const line = `${formatKernelTimestamp(micros / 1e6)} ${message}`;
    appendFileSync(this.path, `${line}\n`);
    return line;
  }
}
