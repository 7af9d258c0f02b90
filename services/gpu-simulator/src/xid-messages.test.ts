import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { dcgmErrMsg, KNOWN_XIDS, nvlinkIntrInfo, xidKernelMessage, XidMessagesFile, type XidEventContext } from './xid-messages.ts';

const ctx = (over: Partial<XidEventContext> = {}): XidEventContext => ({
  kernelPci: '0000:3b:00',
  gpuIndex: 2,
  process: { pid: 2345, name: 'python3' },
  link: 10,
  salt: 7,
  ...over,
});
const CLASSIC = /^NVRM: Xid \(PCI:[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\): (\d+), (.+)$/;

describe('Xid messages', () => {
  it('the data file passes its schema', () => {
    const raw = JSON.parse(readFileSync(new URL('../data/xid-messages.json', import.meta.url), 'utf8'));
    assert.equal(XidMessagesFile.safeParse(raw).success, true);
    assert.equal(XidMessagesFile.safeParse({ ...raw, xids: [...raw.xids, raw.xids[1]] }).success, false, 'duplicates are refused');
  });

  it('writes the classic form with the process, for Xid 79', () => {
    assert.equal(xidKernelMessage(79, ctx()), 'NVRM: Xid (PCI:0000:3b:00): 79, pid=2345, name=python3, GPU has fallen off the bus.');
    assert.equal(
      xidKernelMessage(79, ctx({ process: { pid: null, name: null } })),
      "NVRM: Xid (PCI:0000:3b:00): 79, pid='<unknown>', name=<unknown>, GPU has fallen off the bus.",
    );
  });

  it('every known Xid renders a parseable line carrying its own code and no unfilled placeholder', () => {
    for (const xid of KNOWN_XIDS) {
      const line = xidKernelMessage(xid, ctx());
      const m = CLASSIC.exec(line);
      assert.ok(m, line);
      assert.equal(Number(m[1]), xid);
      assert.doesNotMatch(line, /\{\w+\}/);
    }
  });

  it('writes the R575+ NVLink form for 144-150, with an IntrInfo word that decodes to the unit', () => {
    const line = xidKernelMessage(145, ctx());
    assert.match(line, /^NVRM: Xid \(PCI:0000:3b:00\): 145, RLW_REMAP Nonfatal XC0 i0 Link 10 \(0x([0-9a-f]{8}) 0x00000001 0x00000000 0x00000000 0x00000000 0x00000000\)$/);
    const intr = Number.parseInt(/\(0x([0-9a-f]{8})/.exec(line)?.[1] ?? '', 16);
    assert.equal(intr & 0x7f, 0b0000100, 'RLW_REMAP unit code in bits 6..0');
    assert.equal((intr >>> 20) & 0x3f, 0, 'bits 25..20 zero');
    for (let salt = 0; salt < 50; salt++) assert.equal(nvlinkIntrInfo(19, salt) & 0x03f0007f, 19);
  });

  it('writes Xid 154 without a process, and 48 with an unknown one', () => {
    assert.equal(xidKernelMessage(154, ctx()), 'NVRM: Xid (PCI:0000:3b:00): 154, GPU recovery action changed from 0x0 (None) to 0x1 (GPU Reset Required)');
    assert.match(xidKernelMessage(48, ctx()), /^NVRM: Xid \(PCI:0000:3b:00\): 48, pid='<unknown>', name=<unknown>, An uncorrectable double bit error/);
  });

  it("gives dcgm-exporter's err_msg values, and its out-of-table text otherwise", () => {
    assert.equal(dcgmErrMsg(0), 'No Error');
    assert.equal(dcgmErrMsg(79), 'GPU has fallen off the bus');
    assert.equal(dcgmErrMsg(48), 'Double Bit ECC Error');
    assert.equal(dcgmErrMsg(250), 'Unknown Error');
    assert.match(xidKernelMessage(250, ctx()), CLASSIC);
  });
});
