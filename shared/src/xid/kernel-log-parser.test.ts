// Tests the kernel-log parser on fixtures in testdata/*.log covering every driver format, records
// that span lines (three-line bus loss, SXid Severity / Data lines), addresses that are cut or
// redacted, lines that must not produce events, and hostile input (long lines, any chunking).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { CONTINUATION_WINDOW_LINES, KernelLogParser, MAX_LINE_CHARS, MAX_PREFIX_CHARS, parseKernelLog } from './kernel-log-parser.ts';
import type { KernelLogEvent } from './kernel-log-parser.ts';
import { loadNvlinkDecodeTable } from './nvlink-decode.ts';
import { normalizePciBusId, parseKernelPciAddress } from './pci.ts';

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
/** Feeds `text` in the given chunk sizes (cycled) and returns every event, end() included. */
const feedInChunks = (text: string, sizes: number[]): KernelLogEvent[] => {
  const p = new KernelLogParser({ nvlinkTable: null });
  const got: KernelLogEvent[] = [];
  for (let i = 0, k = 0; i < text.length; k++) {
    const n = sizes[k % sizes.length] as number;
    got.push(...p.feed(text.slice(i, i + n)));
    i += n;
  }
  got.push(...p.end());
  return got;
};
const allFixtures = (): string =>
  readdirSync(join(here, 'testdata'))
    .filter((f) => f.endsWith('.log'))
    .sort()
    .map(fixture)
    .join('');

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

  it("reads kernel-log addresses only in the driver's widths (a cut or edited one is unknown)", () => {
    assert.equal(parseKernelPciAddress('PCI:0000:3b:00'), '00000000:3B:00.0');
    assert.equal(parseKernelPciAddress('0000:3b:00.1'), '00000000:3B:00.1');
    assert.equal(parseKernelPciAddress('PCI:00000000:86:00.0'), '00000000:86:00.0');
    assert.equal(parseKernelPciAddress('3b:00'), '00000000:3B:00.0');
    for (const cut of ['PCI:0000:3b:0', 'PCI:0000:3b', 'PCI:000:3b:00', 'PCI:XXXX:XX:XX', 'PCI:<redacted>', '', 'PCI:0000:3b:00.', 'pci:0000:3b:00']) {
      assert.equal(parseKernelPciAddress(cut), undefined, cut);
    }
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
    assert.equal(events[0]?.nvswitch?.index, 3);
    assert.equal(events[0]?.nvswitch?.logSeverity, 'Non-fatal');
    assert.equal(events[0]?.nvswitch?.link, 32);
    assert.equal(events[0]?.message, 'Link 32 egress non-posted PRIV error (First)');
    assert.deepEqual(events[2]?.nvswitch, { index: 2, logSeverity: 'Fatal', link: 24 });
    assert.equal(events[1]?.monotonicSeconds, 701);
    assert.equal(events[2]?.timestamp, 'Jan 12 03:04:05');
  });

  it('attaches the Severity and Data lines to their SXid', () => {
    assert.deepEqual(events[0]?.nvswitch, {
      index: 3,
      logSeverity: 'Non-fatal',
      link: 32,
      severityLevel: 0,
      engineInstance: 32,
      subEngineInstance: 0,
      data: Array<string>(8).fill('0x00000000'),
    });
    assert.deepEqual(events[0]?.continuationLines, [2, 3]);
    assert.equal(events[0]?.raw.split('\n').length, 3);
    assert.match(events[0]?.raw ?? '', /^\[ 700\.000001\] .*\n.*Severity 0 .*\n.*Data \{0x00000000,/);
    assert.deepEqual(events[1]?.nvswitch, { index: 0, logSeverity: 'Fatal', link: 30, severityLevel: 1, engineInstance: 30, subEngineInstance: 0 });
    assert.deepEqual(events[1]?.continuationLines, [5]);
  });
});

describe('parseKernelLog: NVSwitch SXid records that span lines', () => {
  const events = parseKernelLog(fixture('nvswitch-sxid-records.log'));

  it('reports one event per record: SXid line + Severity + Data, or the Severity / Data lines alone', () => {
    assert.deepEqual(summary(events), [
      [1, 'sxid', 22013, '00000000:04:00.0'],
      [2, 'sxid', 22013, '00000000:04:00.0'],
      [5, 'sxid', 22013, '00000000:04:00.0'],
      [6, 'sxid', 22013, '00000000:06:00.0'],
      [9, 'xid', 48, '00000000:18:00.0'],
      [12, 'sxid', 24007, '00000000:07:00.0'],
      [13, 'sxid', 24007, '00000000:07:00.0'],
      [17, 'sxid', 20034, '00000000:05:00.0'],
      [27, 'sxid', 20034, '00000000:05:00.0'],
      [29, 'sxid', 12028, '00000000:05:00.0'],
      [31, 'sxid', 12028, '00000000:05:00.0'],
      [32, 'sxid', 12028, '00000000:05:00.0'],
    ]);
  });

  it('keeps a Data line whose SXid line is missing as a headless observation with code and switch', () => {
    const e = at(events, 1);
    assert.equal(e.nvswitch?.headless, true);
    assert.equal(e.nvswitch?.index, 3);
    assert.equal(e.nvswitch?.data?.length, 9);
    assert.equal(e.nvswitch?.data?.[4], '0x80005302');
    assert.match(e.message, /^Data \{0x0000002b,/);
    assert.equal(e.continuationLines, undefined);
    assert.equal(at(events, 2).nvswitch?.headless, undefined);
  });

  it('pairs lines of the same switch, address, code and host only, across interleaved records', () => {
    assert.deepEqual(at(events, 5).continuationLines, [7, 10]);
    assert.equal(at(events, 5).nvswitch?.engineInstance, 45);
    assert.equal(at(events, 5).nvswitch?.data?.[0], '0x0000002d');
    assert.deepEqual(at(events, 6).continuationLines, [8, 11]);
    assert.equal(at(events, 6).nvswitch?.engineInstance, 12);
    assert.equal(at(events, 6).nvswitch?.data?.[0], '0x0000000c');
    // hgx-01 and hgx-02 log the same switch address: each host's lines stay with that host's record
    assert.deepEqual(at(events, 12).continuationLines, [14, 15]);
    assert.equal(at(events, 12).nvswitch?.data?.[0], '0x00000001');
    assert.deepEqual(at(events, 13).continuationLines, [16]);
    assert.equal(at(events, 13).nvswitch?.headless, true);
    assert.equal(at(events, 13).nvswitch?.severityLevel, 5);
    assert.equal(at(events, 13).nvswitch?.data?.[0], '0x00000002');
  });

  it(`waits at most ${CONTINUATION_WINDOW_LINES} lines for a record's continuation lines`, () => {
    assert.equal(at(events, 17).continuationLines, undefined, 'the Severity line 10 lines later is too late');
    assert.equal(at(events, 17).nvswitch?.severityLevel, undefined);
    assert.equal(at(events, 27).nvswitch?.headless, true);
    assert.equal(at(events, 27).nvswitch?.severityLevel, 1);
    assert.deepEqual(at(events, 27).continuationLines, [28]);
    const head = 'nvidia-nvswitch0: SXid (PCI:0000:05:00.0): 20034, Fatal, Link 30 LTSSM Fault Up\n';
    const sev = 'nvidia-nvswitch0: SXid (PCI:0000:05:00.0): 20034, Severity 1 Engine instance 30 Sub-engine instance 00\n';
    const filler = (n: number) => 'unrelated\n'.repeat(n);
    const justInTime = parseKernelLog(head + filler(CONTINUATION_WINDOW_LINES - 1) + sev);
    assert.deepEqual(summary(justInTime), [[1, 'sxid', 20034, '00000000:05:00.0']]);
    assert.deepEqual(justInTime[0]?.continuationLines, [CONTINUATION_WINDOW_LINES + 1]);
    const late = parseKernelLog(head + filler(CONTINUATION_WINDOW_LINES) + sev);
    assert.deepEqual(summary(late), [
      [1, 'sxid', 20034, '00000000:05:00.0'],
      [CONTINUATION_WINDOW_LINES + 2, 'sxid', 20034, '00000000:05:00.0'],
    ]);
  });

  it('starts a new observation for a second Data line, or a Severity line after the Data line', () => {
    assert.deepEqual(at(events, 29).continuationLines, [30]);
    assert.equal(at(events, 29).nvswitch?.data?.length, 2);
    assert.deepEqual(at(events, 31).nvswitch?.data, ['0x00000002', '0x0000'], 'a Data line cut short keeps what it has');
    assert.equal(at(events, 32).nvswitch?.headless, true);
    assert.equal(at(events, 32).nvswitch?.engineInstance, 32);
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

describe('parseKernelLog: bus loss over three printk lines', () => {
  const events = parseKernelLog(fixture('bus-lost-multiline.log'));

  it("reports it once, on its first line, with that line's address", () => {
    assert.deepEqual(summary(events), [
      [2, 'bus_lost', 79, '00000000:41:00.0'],
      [5, 'bus_lost', 79, '00000000:C1:00.0'],
      [6, 'xid', 79, '00000000:3B:00.0'],
      [9, 'bus_lost', 79, '00000000:9A:00.0'],
      [10, 'bus_lost', 79, '00000000:1A:00.0'],
      [15, 'bus_lost', 79, '00000000:18:00.0'],
      [30, 'bus_lost', 79, ''],
      [31, 'bus_lost', 79, '00000000:C2:00.0'],
    ]);
  });

  it('joins its lines: message, raw lines, PCI ID, and the first line\'s time stamp and GPU UUID', () => {
    const e = at(events, 2);
    assert.equal(e.message, 'The NVIDIA GPU 0000:41:00.0 (PCI ID: 10de:2330) installed in this system has fallen off the bus and is not responding to commands.');
    assert.deepEqual(e.continuationLines, [3, 4]);
    assert.equal(e.raw.split('\n').length, 3);
    assert.equal(e.pciId, '10de:2330');
    assert.equal(e.untagged, true);
    assert.equal(e.monotonicSeconds, 1234.56789);
    assert.equal(e.gpuUuid, 'GPU-41414141-2222-3333-4444-555555555555');
    assert.equal(at(events, 5).pciId, undefined, 'the middle line may come without a PCI ID');
    assert.equal(at(events, 15).timestamp, '2025-01-12T04:00:00.123456+0000');
  });

  it('pairs lines of the same host across interleaved records, and indented lines of one kernel record', () => {
    assert.deepEqual(at(events, 5).continuationLines, [7, 8], 'an Xid of another GPU in between');
    assert.deepEqual(at(events, 9).continuationLines, [12, 13]);
    assert.equal(at(events, 9).pciId, '10de:2335');
    assert.deepEqual(at(events, 10).continuationLines, [11, 14]);
    assert.deepEqual(at(events, 15).continuationLines, [16, 17]);
  });

  it(`waits at most ${CONTINUATION_WINDOW_LINES} lines; a "fallen off the bus" line alone has an unknown address`, () => {
    const e = at(events, 30);
    assert.equal(e.message, 'fallen off the bus and is not responding to commands.');
    assert.equal(e.continuationLines, undefined);
    assert.equal(events.filter((x) => x.pciBusId === '00000000:AB:00.0').length, 0, 'the head on line 21 got no last line in time');
    const head = '[ 1.0] NVRM: The NVIDIA GPU 0000:41:00.0\n';
    const tail = '[ 1.0] NVRM: fallen off the bus and is not responding to commands.\n';
    const filler = (n: number) => 'unrelated\n'.repeat(n);
    assert.deepEqual(summary(parseKernelLog(head + filler(CONTINUATION_WINDOW_LINES - 1) + tail)), [[1, 'bus_lost', 79, '00000000:41:00.0']]);
    assert.deepEqual(summary(parseKernelLog(head + filler(CONTINUATION_WINDOW_LINES) + tail)), [[CONTINUATION_WINDOW_LINES + 2, 'bus_lost', 79, '']]);
  });

  it('reports nothing for a first line without its last line, or for the unsupported-GPU message', () => {
    assert.equal(events.filter((x) => x.pciBusId === '00000000:5D:00.0').length, 0);
    assert.deepEqual(parseKernelLog('NVRM: The NVIDIA GPU 0000:41:00.0\nNVRM: (PCI ID: 10de:2330) installed in this system has\n'), []);
  });

  it('keeps the single-line forms as they were', () => {
    assert.deepEqual(summary(parseKernelLog(fixture('bus-lost.log'))), [
      [3, 'bus_lost', 79, '00000000:C1:00.0'],
      [4, 'bus_lost', 79, '00000000:C2:00.0'],
      [5, 'bus_lost', 79, '00000000:C3:00.1'],
    ]);
  });
});

describe('parseKernelLog: Xid with an unknown address', () => {
  const events = parseKernelLog(fixture('xid-unknown-address.log'));

  it("still reports an Xid whose address is cut or redacted, with pciBusId ''", () => {
    assert.deepEqual(summary(events), [
      [1, 'xid', 79, ''],
      [2, 'xid', 48, ''],
      [3, 'xid', 79, ''],
      [4, 'xid', 79, ''],
      [5, 'xid', 13, ''],
      [6, 'xid', 43, ''],
      [7, 'xid', 31, ''],
      [8, 'xid', 94, '00000000:3B:00.0'],
      [9, 'xid', 79, ''],
      [10, 'sxid', 20034, ''],
    ]);
  });

  it('keeps code, message, pid, name, MIG instance and what was written as the address', () => {
    assert.deepEqual(
      events.map((e) => e.pciAddressRaw),
      ['PCI:XXXX:XX:XX', 'PCI:<redacted>', 'PCI:0000:3b:0', 'PCI:zzzz:3b:00', 'PCI:0000:3b', 'PCI:XXXX:XX:XX', '', undefined, 'PCI:000:3b:00', 'PCI:XXXX:XX:XX.X'],
    );
    const e = at(events, 1);
    assert.equal(e.pid, 2345);
    assert.equal(e.processName, 'python3');
    assert.equal(e.message, 'GPU has fallen off the bus.');
    assert.equal(at(events, 5).message, 'Graphics SM Warp Exception on (GPC 1, TPC 0, SM 0): Out Of Range Address');
    assert.equal(at(events, 6).gpuInstance, 'GPU-I:05');
    assert.equal(at(events, 6).timestamp, 'Jan 12 03:04:05');
    assert.equal(at(events, 10).nvswitch?.link, 30);
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

describe('parseKernelLog: a marker counts only where a driver message starts', () => {
  // The exec "NULL argv" warning quotes a path the user chose (fs/exec.c).
  const nullArgv = (path: string): string => `[   23.000000] process '${path}' launched '/tmp/x' with NULL argv: empty string added\n`;
  const XID79 = 'NVRM: Xid (PCI:0000:3b:00): 79, pid=1, name=x, GPU has fallen off the bus.';

  it('reads the marker after every prefix a kernel, dmesg, syslog or journalctl writes', () => {
    const events = parseKernelLog(fixture('driver-prefixes.log'), { nvlinkTable: null });
    const addr = (bus: string): string => `00000000:${bus}:00.0`;
    assert.deepEqual(summary(events), [
      ...['01', '02', '03', '04', '05', '06', '07', '08', '09', '0A', '0B', '0C', '0D', '0E'].map((b, i): [number, string, number, string] => [i + 1, 'xid', 79, addr(b)]),
      ...['A1', 'A2', 'A3', 'A4'].map((b, i): [number, string, number, string] => [15 + i, 'sxid', 20034, addr(b)]),
      [19, 'bus_lost', 79, addr('C2')],
      [20, 'bus_lost', 79, addr('C3')],
    ]);
    assert.equal(at(events, 7).monotonicSeconds, 7);
    assert.equal(at(events, 7).timestamp, 'Dec  4 01:02:03');
    assert.equal(at(events, 4).timestamp, 'Sat Dec  4 01:02:03 2026');
    assert.equal(at(events, 18).nvswitch?.index, 3);
    assert.equal(at(events, 18).monotonicSeconds, 801);
  });

  it('reports nothing for a marker inside text a kernel message quotes (a NULL-argv path), for every marker', () => {
    for (const marker of [XID79, 'nvidia-nvswitch0: SXid (PCI:0000:05:00.0): 20034, Fatal, Link 30 LTSSM Fault Up', 'NVRM: GPU 0000:3b:00.0: GPU has fallen off the bus.']) {
      assert.deepEqual(parseKernelLog(nullArgv(`a/${marker}`)), [], marker);
      assert.deepEqual(parseKernelLog(`Dec  4 01:02:03 gpu-node-07 kernel: ${nullArgv(`a/${marker}`)}`), [], marker);
    }
    // the same driver text at the start of the message is an event
    assert.deepEqual(summary(parseKernelLog(`[   23.000000] ${XID79}\n`)), [[1, 'xid', 79, '00000000:3B:00.0']]);
  });

  it('takes no GPU UUID from quoted text', () => {
    const text = `${nullArgv('a/NVRM: GPU at PCI:0000:3b:00: GPU-66666666-6666-6666-6666-666666666666')}[ 24.0] ${XID79}\n`;
    const [e] = parseKernelLog(text);
    assert.equal(e?.code, 79);
    assert.equal(e?.gpuUuid, undefined);
  });

  it('takes an indented line only as the rest of an open record, never as a record of its own', () => {
    // journalctl and dmesg indent the lines after a newline inside one kernel message; a newline
    // in quoted user text makes such a line too
    const indent = ' '.repeat(30);
    for (const line of [XID79, 'nvidia-nvswitch0: SXid (PCI:0000:05:00.0): 20034, Fatal, Link 30', 'NVRM: GPU 0000:3b:00.0: GPU has fallen off the bus.', 'NVRM: fallen off the bus and is not responding to commands.']) {
      assert.deepEqual(parseKernelLog(`${nullArgv('a')}${indent}${line}\n`), [], line);
    }
    const record = ['[ 1.0] NVRM: The NVIDIA GPU 0000:41:00.0', `${indent}NVRM: (PCI ID: 10de:2330) installed in this system has`, `${indent}NVRM: fallen off the bus and is not responding to commands.`];
    const [bus] = parseKernelLog(`${record.join('\n')}\n`);
    assert.deepEqual(bus?.continuationLines, [2, 3]);
  });

  it(`reads no marker after a prefix longer than ${MAX_PREFIX_CHARS} characters, or with another program's tag`, () => {
    assert.deepEqual(parseKernelLog(`Dec  4 01:02:03 ${'h'.repeat(MAX_PREFIX_CHARS)} kernel: ${XID79}\n`), []);
    assert.equal(parseKernelLog(`Dec  4 01:02:03 ${'h'.repeat(200)} kernel: ${XID79}\n`).length, 1);
    assert.deepEqual(parseKernelLog(`Dec  4 01:02:03 gpu-node-07 sshd[123]: ${XID79}\n`), []);
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

  it('gives the same events byte by byte and in random chunks, records that span chunks included', () => {
    const text = allFixtures();
    const whole = parseKernelLog(text, { nvlinkTable: null });
    assert.ok(whole.filter((e) => e.continuationLines).length >= 12, 'the fixtures hold multi-line records');
    assert.deepEqual(feedInChunks(text, [1]), whole, 'byte by byte');
    let seed = 7;
    for (let round = 0; round < 5; round++) {
      const sizes = Array.from({ length: 50 }, () => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return 1 + (seed % 97);
      });
      assert.deepEqual(feedInChunks(text, sizes), whole, `random chunks ${sizes.slice(0, 5).join(',')}...`);
    }
    // a record whose lines come in different feed() calls
    const p = new KernelLogParser();
    const lines = fixture('nvswitch-sxid.log').split(/(?<=\n)/);
    const got = lines.flatMap((l) => p.feed(l)).concat(p.end());
    assert.deepEqual(got[0]?.continuationLines, [2, 3]);
  });

  it(`holds at most ${CONTINUATION_WINDOW_LINES + 1} records back and gives them out as the window passes`, () => {
    const p = new KernelLogParser();
    let out = 0;
    for (let i = 0; i < 1000; i++) {
      out += p.feed(`[ ${i}.0] nvidia-nvswitch0: SXid (PCI:0000:05:00.0): 20034, Fatal, Link ${i % 36} LTSSM Fault Up\n`).length;
      assert.ok(p.pendingCount <= CONTINUATION_WINDOW_LINES + 1, `${p.pendingCount} held after line ${i + 1}`);
    }
    assert.equal(out, 1000 - 1, 'each record comes out when the next SXid line of its switch closes it');
    assert.equal(p.end().length, 1);
    const q = new KernelLogParser();
    q.feed('[ 1.0] NVRM: The NVIDIA GPU 0000:41:00.0\n');
    for (let i = 0; i < 100; i++) q.feed('unrelated\n');
    assert.equal(q.pendingCount, 0, 'a first line whose last line never came is dropped');
  });

  it(`reads at most ${MAX_LINE_CHARS} characters of a line, in whole text and in chunks, in linear time`, () => {
    const long = `[ 1.0] NVRM: Xid (PCI:0000:3b:00): 13, pid=1, name=x, ${'y'.repeat(20_000)}\n`;
    const [e] = parseKernelLog(long);
    assert.equal(e?.raw.length, MAX_LINE_CHARS);
    assert.deepEqual(feedInChunks(long, [1000]), [e]);
    // a huge line without newline, fed in pieces, keeps nothing beyond the cap and counts as one line
    const p = new KernelLogParser();
    for (let i = 0; i < 2000; i++) assert.deepEqual(p.feed('NVRM: Xid (PCI:0000:3b:00): 79, '.repeat(30)), []);
    const after = p.feed('\n[ 2.0] NVRM: Xid (PCI:0000:65:00): 48, DBE\n');
    assert.deepEqual(summary(after), [
      [1, 'xid', 79, '00000000:3B:00.0'],
      [2, 'xid', 48, '00000000:65:00.0'],
    ]);
    assert.equal(after[0]?.raw.length, MAX_LINE_CHARS);
    // hostile candidate lines: each parsed in bounded time
    const hostile = [
      `NVRM: Xid (${'('.repeat(5000)}`,
      `NVRM: Xid (PCI:0000:3b:00): ${'9'.repeat(5000)}`,
      `nvidia-nvswitch0: SXid (${'PCI:0'.repeat(1000)}): 1, Data {${'0x'.repeat(2000)}`,
      `NVRM: The NVIDIA GPU ${' 0000:3b:00.0'.repeat(400)}`,
      `NVRM: ${'(PCI ID: 10de:2330) '.repeat(200)}installed in this system has`,
      `${'[ '.repeat(2000)}nvidia-nvswitch0: SXid (PCI:0000:05:00.0): 1, Severity 0`,
      `${'2025-01-12T04:00:00'.repeat(200)} NVRM: fallen off the bus${' fallen off the bus'.repeat(200)}`,
      `NVRM: Xid (PCI:0000:3b:00): 13, pid=1, name=${' '.repeat(4000)}x`,
      `NVRM: Xid (PCI:0000:3b:00): 154, ${'recovery action changed from 0x1 ('.repeat(120)}`,
      `${'[]'.repeat(1500)} nvidia-nvswitch0: SXid (PCI:0000:05:00.0): 1, Data {0x1}`,
    ];
    const text = `${hostile.join('\n')}\n`.repeat(200);
    const t0 = performance.now();
    parseKernelLog(text);
    assert.ok(performance.now() - t0 < 3000, `took ${Math.round(performance.now() - t0)} ms`);
  });

  it('reads pathological 1 MB inputs in well under a second and still reports the Xid 79 on each line', () => {
    // Long runs of blanks before a character that `.` or `\s` handle differently: a regex whose
    // quantifiers share the run backtracks over it (O(n^2) or O(n^3) per line).
    const xid = (bus: string): string => `[ 9.0] NVRM: Xid (PCI:0000:${bus}:00): 79, pid=1, name=x, GPU has fallen off the bus.`;
    const megabyte = (line: string): string => line.repeat(Math.ceil(2 ** 20 / line.length));
    const cases: Record<string, string> = {
      'blanks then \\r': megabyte(`${xid('3b')}${' '.repeat(2000)}\r x\n`),
      'blanks then \\u2028': megabyte(`${xid('3b')}${' '.repeat(2000)}\u2028x\n`),
      'tabs and blanks then \\u2028': megabyte(`${xid('3b')}${' \t'.repeat(1000)}\u2028\n`),
      // the shape that took the parser before f412253 (\s*(\d+)\s*,?\s*(.*)$) 15 s for one 2,000-character line
      'blanks after the code, then \\r': megabyte(`[ 9.0] NVRM: Xid (PCI:0000:3b:00): 79${' '.repeat(2000)}x\r y\n`),
      'blanks after the code, then \\u2028': megabyte(`[ 9.0] NVRM: Xid (PCI:0000:3b:00): 79,${' \t'.repeat(1000)}x\u2028y\n`),
      'blanks in a pid field': megabyte(`[ 9.0] NVRM: Xid (PCI:0000:3b:00): 79, pid=1${' '.repeat(3000)}\u2028,\n`),
      'blanks in an NVLink line': megabyte(`[ 9.0] NVRM: Xid (PCI:0000:3b:00): 79, RLW${' '.repeat(1000)}Link${' '.repeat(1000)}\r (${'0x1 '.repeat(200)}\n`),
      'blanks in the prefix': megabyte(`[${' '.repeat(3000)}\u2028 NVRM: Xid (PCI:0000:3b:00): 79, x\n${xid('3b')}\n`),
      'one huge line': `${xid('3b')}${' '.repeat(2 ** 20)}\u2028\r\n`,
    };
    for (const [name, text] of Object.entries(cases)) {
      const lines = text.split('\n').length - 1;
      const t0 = performance.now();
      const events = parseKernelLog(text, { nvlinkTable: null });
      const ms = performance.now() - t0;
      assert.ok(ms < 1000, `${name}: ${Math.round(ms)} ms`);
      const expected = name === 'blanks in the prefix' ? lines / 2 : lines;
      assert.equal(events.length, expected, `${name}: one Xid per line`);
      assert.ok(events.every((e) => e.code === 79 && e.pciBusId === '00000000:3B:00.0'), name);
      if (name === 'one huge line') assert.deepEqual(feedInChunks(text, [65_536]), events, 'the same in 64 KiB chunks');
    }
  });

  it('remembers a bounded number of GPU UUIDs', () => {
    const lines: string[] = [];
    for (let i = 0; i < 2000; i++) lines.push(`NVRM: GPU at PCI:${i.toString(16).padStart(4, '0')}:3b:00: GPU-${String(i).padStart(8, '0')}-0000-0000-0000-000000000000`);
    lines.push('NVRM: Xid (PCI:0000:3b:00): 48, DBE', 'NVRM: Xid (PCI:07cf:3b:00): 48, DBE');
    const [first, last] = parseKernelLog(`${lines.join('\n')}\n`);
    assert.equal(first?.gpuUuid, undefined, 'the oldest UUID was dropped');
    assert.equal(last?.gpuUuid, 'GPU-00001999-0000-0000-0000-000000000000');
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
