// Tests the kernel-log parser on fixtures in testdata/*.log covering every driver format, and on
// lines that must not produce events.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KernelLogParser, parseKernelLog } from './kernel-log-parser.ts';
import type { KernelLogEvent } from './kernel-log-parser.ts';
import { loadNvlinkDecodeTable } from './nvlink-decode.ts';
import { normalizePciBusId } from './pci.ts';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (name: string): string => readFileSync(join(here, 'testdata', name), 'utf8');
/** [line, kind, code, pci_bus_id] of each event, for compact comparisons. */
const summary = (events: KernelLogEvent[]): [number, string, number, string][] =>
  events.map((e) => [e.lineNumber, e.kind, e.code, e.pciBusId]);
const at = (events: KernelLogEvent[], line: number): KernelLogEvent => {
  const e = events.find((x) => x.lineNumber === line);
  assert.ok(e, `no event on line ${line}`);
  return e;
};

describe('normalizePciBusId', () => {
  it("writes NVML's form (dcgm-exporter's pci_bus_id label)", () => {
    assert.equal(normalizePciBusId('PCI:0000:3b:00'), '00000000:3B:00.0');
    assert.equal(normalizePciBusId('0000:3b:00'), '00000000:3B:00.0');
    assert.equal(normalizePciBusId('0000:3b:00.1'), '00000000:3B:00.1');
    assert.equal(normalizePciBusId('00000000:00:06.0'), '00000000:00:06.0');
    assert.equal(normalizePciBusId('0018:01:00'), '00000018:01:00.0');
    assert.equal(normalizePciBusId('3b:00.0'), '00000000:3B:00.0');
    assert.equal(normalizePciBusId('zz:00'), undefined);
    assert.equal(normalizePciBusId('0000:3b:00.9'), undefined);
  });

  it('matches the value NVML reports on a real H100', () => {
    const nvml = readFileSync(join(here, '../../../integration-tests/fixtures/nvidia-h100/nvml-fields.txt'), 'utf8');
    const busId = /^gpu 0 .* (\S+)$/m.exec(nvml)?.[1];
    assert.equal(busId, '00000000:00:06.0');
    // the kernel log writes that GPU as 0000:00:06 (see env.txt "Bus Location: 0000:00:06.0")
    assert.equal(normalizePciBusId('PCI:0000:00:06'), busId);
  });
});

describe('parseKernelLog: classic Xid lines (dmesg)', () => {
  const events = parseKernelLog(fixture('classic-dmesg.log'));

  it('finds every Xid line and the untagged bus loss, with line numbers and addresses', () => {
    assert.deepEqual(summary(events), [
      [6, 'xid', 13, '00000000:3B:00.0'],
      [7, 'xid', 13, '00000000:3B:00.0'],
      [8, 'xid', 31, '00000000:B1:00.0'],
      [9, 'xid', 48, '00000000:65:00.0'],
      [10, 'xid', 63, '00000000:65:00.0'],
      [12, 'xid', 94, '00000000:18:00.0'],
      [13, 'xid', 95, '00000000:18:00.0'],
      [14, 'xid', 119, '00000000:3B:00.0'],
      [16, 'xid', 79, '00000000:3B:00.0'],
      [17, 'bus_lost', 79, '00000000:3B:00.0'],
      [18, 'xid', 79, '00000000:D8:00.0'],
      [19, 'xid', 79, '00000000:05:00.0'],
      [20, 'xid', 14, '00000000:03:00.0'],
      [21, 'xid', 61, '00000000:82:00.0'],
      [22, 'xid', 92, '00000001:4B:00.0'],
      [23, 'xid', 43, '00000000:4B:00.0'],
    ]);
  });

  it('reads pid, process name, message and the dmesg stamp', () => {
    const e = at(events, 16);
    assert.equal(e.pid, 1234);
    assert.equal(e.processName, 'python');
    assert.equal(e.message, 'GPU has fallen off the bus.');
    assert.equal(e.monotonicSeconds, 5500.0001);
    assert.equal(e.timestamp, undefined);
    assert.match(e.raw, /^\[ 5500\.000100\] NVRM: Xid/);
    assert.equal(at(events, 6).message, 'Graphics SM Warp Exception on (GPC 1, TPC 0, SM 0): Out Of Range Address');
    assert.equal(at(events, 8).processName, 'pt_main_thread');
  });

  it("leaves pid/name out when the driver wrote none or '<unknown>'", () => {
    for (const line of [13, 18, 19, 22]) {
      const e = at(events, line);
      assert.equal(e.pid, undefined, `line ${line}`);
      assert.equal(e.processName, undefined, `line ${line}`);
    }
    assert.equal(at(events, 19).message, 'GPU has fallen off the bus.');
    assert.equal(at(events, 20).message, 'Channel 00000001');
  });

  it('attaches the UUID from the "GPU at PCI" line to later events of that GPU only', () => {
    assert.equal(at(events, 6).gpuUuid, 'GPU-5d1b9a0e-22f1-4c0b-9d1e-0f2a3b4c5d6e');
    assert.equal(at(events, 17).gpuUuid, 'GPU-5d1b9a0e-22f1-4c0b-9d1e-0f2a3b4c5d6e');
    assert.equal(at(events, 8).gpuUuid, undefined);
  });

  it('keeps MIG attribution written inside the parentheses', () => {
    const e = at(events, 23);
    assert.equal(e.gpuInstance, 'GPU-I:05');
    assert.equal(e.processName, 'ray::Worker');
  });

  it('flags the untagged bus loss', () => {
    const e = at(events, 17);
    assert.equal(e.untagged, true);
    assert.equal(at(events, 16).untagged, undefined);
  });
});

describe('parseKernelLog: journalctl -k and syslog files', () => {
  it('reads syslog and ISO time stamps (journalctl -k, -o short-iso)', () => {
    const events = parseKernelLog(fixture('journalctl-k.log'));
    assert.deepEqual(summary(events), [
      [3, 'xid', 79, '00000000:3B:00.0'],
      [4, 'bus_lost', 79, '00000000:3B:00.0'],
      [5, 'xid', 45, '00000000:1A:00.0'],
      [6, 'xid', 45, '00000000:1A:00.0'],
      [7, 'xid', 43, '00000000:1A:00.0'],
      [9, 'xid', 74, '00000000:9A:00.0'],
      [10, 'xid', 109, '00000000:9A:00.0'],
    ]);
    assert.equal(at(events, 3).timestamp, 'Jan 12 03:04:05');
    assert.equal(at(events, 9).timestamp, '2025-01-12T04:00:00.123456+0000');
    assert.equal(at(events, 9).nvlink, undefined, 'Xid 74 is not an extended NVLink5 line');
    assert.equal(at(events, 9).message, 'NVLink: fatal error detected on link 2(0x0, 0x0, 0x10000, 0x0, 0x0, 0x0, 0x0)');
  });

  it('reads /var/log/kern.log lines (syslog prefix and dmesg stamp)', () => {
    const events = parseKernelLog(fixture('kern-syslog.log'));
    assert.deepEqual(summary(events), [
      [2, 'xid', 79, '00000000:3B:00.0'],
      [3, 'bus_lost', 79, '00000000:3B:00.0'],
      [4, 'xid', 48, '00000000:86:00.0'],
      [5, 'xid', 63, '00000000:86:00.0'],
      [6, 'xid', 64, '00000000:86:00.0'],
      [8, 'xid', 48, '00000000:86:00.0'],
    ]);
    const e = at(events, 2);
    assert.equal(e.timestamp, 'Jan 12 03:04:05');
    assert.equal(e.monotonicSeconds, 1234.56789);
  });

  it('reads dmesg -T stamps and CRLF line ends', () => {
    const [e] = parseKernelLog('[Mon Jan 12 03:04:05 2025] NVRM: Xid (PCI:0000:3b:00): 79, GPU has fallen off the bus.\r\n');
    assert.equal(e?.timestamp, 'Mon Jan 12 03:04:05 2025');
    assert.equal(e?.message, 'GPU has fallen off the bus.');
    assert.equal(e?.raw.endsWith('\r'), false);
  });
});

describe('parseKernelLog: NVLink5 Xid 144-150', () => {
  const events = parseKernelLog(fixture('nvlink-r575.log'));

  it('finds every line', () => {
    assert.deepEqual(
      events.map((e) => [e.lineNumber, e.code]),
      [
        [1, 145],
        [2, 149],
        [3, 149],
        [4, 149],
        [5, 145],
        [6, 150],
        [7, 146],
        [8, 145],
        [9, 144],
        [10, 147],
      ],
    );
  });

  it('reads the raw fields of an R575+ line', () => {
    const n = at(events, 1).nvlink;
    assert.ok(n);
    assert.equal(n.unit, 'RLW_REMAP');
    assert.equal(n.logSeverity, 'Nonfatal');
    assert.equal(n.xc, 0);
    assert.equal(n.instance, 0);
    assert.equal(n.link, 10);
    assert.equal(n.intrInfo, 0x004617ee);
    assert.equal(n.errorStatus, 0x00000001);
    assert.equal(n.subCode, 4);
    assert.equal(n.words.length, 6);
    assert.equal(at(events, 4).nvlink?.link, -1);
  });

  it('decodes unit and error status with the table', () => {
    const d = at(events, 1).nvlink?.decoded;
    assert.equal(d?.unit, 'RLW_REMAP');
    assert.equal(d?.resolutionBucket, 'XID_154_EVAL');
    assert.equal(d?.severity, 'Non-fatal');
    assert.equal(d?.match, 'unit_status');
    // NETIR link-down rows differ only by IntrInfo bits 20-25: the pattern picks sub-code 4
    const link = at(events, 2).nvlink?.decoded;
    assert.equal(link?.unit, 'NETIR_LINK_EVT/NETIR_LINK_DOWN');
    assert.equal(link?.investigatoryBucket, 'INVESTIGATE_LINK_SI');
    assert.equal(link?.match, 'pattern');
    assert.equal(at(events, 3).nvlink?.decoded?.investigatoryBucket, 'INVESTIGATE_LINK_SI_AND_CABLES');
    assert.equal(at(events, 4).nvlink?.decoded?.unit, 'NETIR/NETIR_INT');
    assert.equal(at(events, 4).nvlink?.decoded?.severity, 'Link Fatal');
    assert.equal(at(events, 6).nvlink?.decoded?.resolutionBucket, 'RESET_GPU');
    assert.equal(at(events, 7).nvlink?.decoded?.unit, 'TLW_RX/TLW_RX_PIPE0');
    assert.equal(at(events, 7).nvlink?.decoded?.severity, 'Fatal');
  });

  it('reads the older "pid=..., name=..., NVLink: UNIT" form', () => {
    const e = at(events, 8);
    assert.equal(e.pid, 4411);
    assert.equal(e.processName, 'python');
    assert.equal(e.nvlink?.unit, 'RLW_REMAP');
    assert.equal(e.nvlink?.errorStatus, 0x40);
    assert.equal(e.nvlink?.decoded?.severity, 'Fatal');
    assert.equal(at(events, 5).processName, 'ray::WorkerDict');
    assert.equal(at(events, 5).nvlink?.decoded?.unit, 'RLW_RXPIPE');
  });

  it('reports raw fields without a decode where the table has no row', () => {
    const unknownStatus = at(events, 9).nvlink; // SAW_MVB has no 0x400 row
    assert.equal(unknownStatus?.unit, 'SAW_MVB');
    assert.equal(unknownStatus?.errorStatus, 0x400);
    assert.equal(unknownStatus?.decoded, undefined);
    const unknownUnit = at(events, 10).nvlink;
    assert.equal(unknownUnit?.unit, 'XYZ_UNKNOWN');
    assert.equal(unknownUnit?.decoded, undefined);
  });

  it('can run without the table', () => {
    const [e] = parseKernelLog(fixture('nvlink-r575.log'), { nvlinkTable: null });
    assert.equal(e?.nvlink?.unit, 'RLW_REMAP');
    assert.equal(e?.nvlink?.decoded, undefined);
  });

  it('leaves unstructured 144-150 messages as text', () => {
    const [e] = parseKernelLog('NVRM: Xid (PCI:0000:2a:00): 145, Something the driver said\n');
    assert.equal(e?.code, 145);
    assert.equal(e?.nvlink, undefined);
    assert.equal(e?.message, 'Something the driver said');
  });
});

describe('parseKernelLog: Xid 154 recovery actions', () => {
  it('reads from/to actions', () => {
    const events = parseKernelLog(fixture('xid154.log'));
    assert.deepEqual(
      events.map((e) => e.code),
      [48, 154, 154, 154],
    );
    assert.deepEqual(events[1]?.recoveryAction, { fromCode: 0, fromName: 'None', toCode: 1, toName: 'GPU Reset Required' });
    assert.deepEqual(events[2]?.recoveryAction, {
      fromCode: 1,
      fromName: 'GPU Reset Required',
      toCode: 2,
      toName: 'Node Reboot Required',
    });
    assert.equal(events[3]?.recoveryAction?.toCode, 4);
    assert.equal(events[0]?.recoveryAction, undefined);
  });
});

describe('parseKernelLog: NVSwitch SXid', () => {
  const events = parseKernelLog(fixture('nvswitch-sxid.log'));

  it('reports one event per SXid, not per continuation line', () => {
    assert.deepEqual(summary(events), [
      [1, 'sxid', 12028, '00000000:86:00.0'],
      [4, 'sxid', 20034, '00000000:05:00.0'],
      [6, 'sxid', 24007, '00000000:07:00.0'],
    ]);
  });

  it('reads switch, severity, link and message', () => {
    assert.deepEqual(events[0]?.nvswitch, { index: 3, logSeverity: 'Non-fatal', link: 32 });
    assert.equal(events[0]?.message, 'Link 32 egress non-posted PRIV error (First)');
    assert.deepEqual(events[1]?.nvswitch, { index: 0, logSeverity: 'Fatal', link: 30 });
    assert.equal(events[1]?.monotonicSeconds, 701);
    assert.equal(events[2]?.timestamp, 'Jan 12 03:04:05');
  });
});

describe('parseKernelLog: untagged bus loss', () => {
  it('reports driver lines only, as Xid 79 flagged untagged', () => {
    const events = parseKernelLog(fixture('bus-lost.log'));
    assert.deepEqual(summary(events), [
      [3, 'bus_lost', 79, '00000000:C1:00.0'],
      [4, 'bus_lost', 79, '00000000:C2:00.0'],
      [5, 'bus_lost', 79, '00000000:C3:00.1'],
    ]);
    assert.ok(events.every((e) => e.untagged === true));
    assert.equal(events[0]?.gpuUuid, 'GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee');
    assert.equal(events[1]?.gpuUuid, undefined);
  });
});

describe('parseKernelLog: lines that are not events', () => {
  it('reports nothing for unrelated NVRM lines and look-alikes', () => {
    assert.deepEqual(parseKernelLog(fixture('negative.log')), []);
  });

  it("reports nothing for a real H100's NVRM lines", () => {
    const real = readFileSync(join(here, '../../../integration-tests/fixtures/nvidia-h100/kernel-nvrm.txt'), 'utf8');
    assert.ok(real.includes('NVRM:'));
    assert.deepEqual(parseKernelLog(real), []);
  });

  it('handles empty text', () => {
    assert.deepEqual(parseKernelLog(''), []);
    assert.deepEqual(parseKernelLog('\n\n'), []);
  });
});

describe('KernelLogParser streaming', () => {
  it('gives the same events whatever the chunk boundaries', () => {
    const text = fixture('classic-dmesg.log') + fixture('nvswitch-sxid.log') + fixture('bus-lost.log');
    const whole = parseKernelLog(text);
    for (const size of [1, 7, 64, 1000]) {
      const p = new KernelLogParser();
      const got: KernelLogEvent[] = [];
      for (let i = 0; i < text.length; i += size) got.push(...p.feed(text.slice(i, i + size)));
      got.push(...p.end());
      assert.deepEqual(got, whole, `chunk size ${size}`);
      assert.equal(p.lineCount, text.split('\n').length - 1);
    }
  });

  it('parses a last line without a newline only at end()', () => {
    const p = new KernelLogParser();
    assert.deepEqual(p.feed('x\nNVRM: Xid (PCI:0000:3b:00): 79, GPU has'), []);
    const events = p.end();
    assert.equal(events.length, 1);
    assert.equal(events[0]?.lineNumber, 2);
    assert.equal(events[0]?.message, 'GPU has');
  });

  it('counts lines correctly across long runs of unrelated lines', () => {
    const filler = 'kernel: something else\n'.repeat(10_000);
    const text = `${filler}NVRM: Xid (PCI:0000:3b:00): 48, DBE\n${filler}nvidia-nvswitch0: SXid (PCI:0000:05:00.0): 20034, Fatal, Link 30 LTSSM Fault Up\n`;
    assert.deepEqual(
      parseKernelLog(text).map((e) => e.lineNumber),
      [10_001, 20_002],
    );
  });
});

describe('NVLink decode table (xid-db/nvlink-decode.tsv)', () => {
  it("holds the catalog's 94 rows for Xid 144-150", () => {
    const t = loadNvlinkDecodeTable();
    assert.equal(t.rules.length, 94);
    assert.ok(t.rules.every((r) => r.xid >= 144 && r.xid <= 150));
  });
});
