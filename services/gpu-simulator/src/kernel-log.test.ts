import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { formatKernelTimestamp, KernelLog } from './kernel-log.ts';

describe('kernel log', () => {
  it("stamps lines like printk's [%5lu.%06lu]", () => {
    assert.equal(formatKernelTimestamp(123.456789), '[  123.456789]');
    assert.equal(formatKernelTimestamp(0.5), '[    0.500000]');
    assert.equal(formatKernelTimestamp(2592000.000001), '[2592000.000001]');
  });

  it('writes boot lines naming the driver, then appends lines with increasing uptime stamps', () => {
    const dir = mkdtempSync(join(tmpdir(), 'klog-'));
    try {
      const bootMs = 1_000_000;
      const log = new KernelLog(join(dir, 'sub', 'n.kern.log'), bootMs);
      log.writeBoot('580.159.04');
      const a = log.append('NVRM: first', bootMs + 123_456);
      const b = log.append('NVRM: second', bootMs + 123_456);
      const lines = readFileSync(log.path, 'utf8').trimEnd().split('\n');
      assert.match(lines[0] ?? '', /^\[ {4}0\.000000\] Linux version 6\.8\.0-49-generic /);
      assert.match(lines[3] ?? '', /NVRM: loading NVIDIA UNIX Open Kernel Module for x86_64 {2}580\.159\.04 /);
      assert.deepEqual(lines.slice(-2), [a, b]);
      const stamp = (l: string) => Number(/^\[\s*(\d+\.\d{6})\]/.exec(l)?.[1]);
      assert.ok(stamp(a) >= 123.456 && stamp(a) < 123.458, a);
      assert.ok(stamp(b) > stamp(a), 'same-millisecond lines still get increasing stamps');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
