// Benchmark: kernel-log parser throughput (lines/s on one core) against `grep -c -E` on the same
// file in the same run. Generates ~2 million mixed kernel-log lines (mostly unrelated, ~0.2% Xid
// / SXid / bus-loss lines), parses them, and prints both rates and their ratio. Also checks that
// the parser found every event the generator wrote. Run: node bench/xid-parser.bench.ts [lines]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseKernelLog } from '../shared/src/xid/kernel-log-parser.ts';

const LINES = Number(process.argv[2] ?? 2_000_000);
const RUNS = 3;

const noise = [
  'kernel: e1000e 0000:00:1f.6 eno1: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: None',
  'kernel: audit: type=1400 audit(1700000000.000:42): apparmor="STATUS" operation="profile_load" name="snap-confine"',
  'kernel: NVRM: GPU Board Serial Number: 1650123456789',
  'kernel: NVRM: Persistence mode is deprecated and will be removed in a future release.',
  'kernel: nvidia-nvlink: Nvlink Core is being initialized, major device number 240',
  'kernel: EXT4-fs (nvme0n1p2): mounted filesystem with ordered data mode. Quota mode: none.',
  'kernel: IPv6: ADDRCONF(NETDEV_CHANGE): ib0: link becomes ready',
  'kernel: mlx5_core 0000:c1:00.0: mlx5_pcie_event:301:(pid 1234): PCIe slot advertised sufficient power (75W).',
  'kernel: [UFW BLOCK] IN=eno1 OUT= MAC=00:00:00:00:00:00 SRC=10.0.0.1 DST=10.0.0.2 LEN=40 PROTO=TCP SPT=443 DPT=51514',
  'kernel: perf: interrupt took too long (2503 > 2500), lowering kernel.perf_event_max_sample_rate to 79750',
];
const events = [
  'kernel: NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, name=python, GPU has fallen off the bus.',
  'kernel: NVRM: Xid (PCI:0000:65:00): 48, pid=1, name=init, An uncorrectable double bit error (DBE) has been detected on GPU in the framebuffer at partition 6, subpartition 0.',
  "kernel: NVRM: Xid (PCI:0000:18:00): 95, pid='<unknown>', name=<unknown>, Uncontained: FBHUB. RST: Yes, D-RST: No",
  'kernel: NVRM: Xid (PCI:0000:2a:00): 145, RLW_REMAP Nonfatal XC0 i0 Link 10 (0x004617ee 0x00000001 0x00000000 0x00000000 0x00000000 0x00000000)',
  'kernel: NVRM: Xid (PCI:0000:3b:00): 154, GPU recovery action changed from 0x0 (None) to 0x1 (GPU Reset Required)',
  'kernel: nvidia-nvswitch3: SXid (PCI:0000:86:00.0): 12028, Non-fatal, Link 32 egress non-posted PRIV error',
];

function generate(): { text: string; expected: number } {
  const parts: string[] = [];
  let expected = 0;
  let seed = 12345;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  for (let i = 0; i < LINES; i++) {
    const stamp = `Jan 12 03:${String(Math.floor(i / 60000) % 60).padStart(2, '0')}:${String(Math.floor(i / 1000) % 60).padStart(2, '0')} gpu-node-07 `;
    if (rand() < 0.002) {
      parts.push(stamp + (events[i % events.length] as string));
      expected++;
    } else parts.push(stamp + (noise[Math.floor(rand() * noise.length)] as string));
  }
  return { text: `${parts.join('\n')}\n`, expected };
}

function best(fn: () => void): number {
  let min = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min / 1000;
}

const dir = mkdtempSync(join(tmpdir(), 'aami-xid-bench-'));
try {
  const { text, expected } = generate();
  const file = join(dir, 'kern.log');
  writeFileSync(file, text);
  const mib = Buffer.byteLength(text) / 1048576;

  let found = 0;
  const parseOnly = best(() => {
    found = parseKernelLog(text).length;
  });
  const readAndParse = best(() => {
    parseKernelLog(readFileSync(file, 'utf8'));
  });
  let grepCount = 0;
  const grep = best(() => {
    const r = spawnSync('grep', ['-c', '-E', 'NVRM: Xid|SXid', file], { encoding: 'utf8' });
    if (r.status !== 0 && r.status !== 1) throw new Error(`grep failed: ${r.stderr}`);
    grepCount = Number(r.stdout.trim());
  });

  const rate = (s: number): string => `${(LINES / s / 1e6).toFixed(2)} M lines/s`;
  console.log(`xid-parser bench: ${LINES.toLocaleString('en-US')} lines, ${mib.toFixed(0)} MiB, ${expected} event lines; best of ${RUNS}`);
  console.log(`  aami parser (parse only)      ${parseOnly.toFixed(3)} s  ${rate(parseOnly)}  events=${found}`);
  console.log(`  aami parser (read + parse)    ${readAndParse.toFixed(3)} s  ${rate(readAndParse)}`);
  console.log(`  grep -c -E 'NVRM: Xid|SXid'   ${grep.toFixed(3)} s  ${rate(grep)}  matches=${grepCount}`);
  console.log(`  ratio aami/grep (lines/s): ${(grep / parseOnly).toFixed(2)}x parse only, ${(grep / readAndParse).toFixed(2)}x read + parse`);
  if (found !== expected) {
    console.error(`parser found ${found} events, generator wrote ${expected}`);
    process.exitCode = 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
