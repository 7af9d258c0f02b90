// Runs the real node-side counter (node-files/aami-xid-counter, POSIX sh + awk) against log files and a
// fake journalctl: each event counted once, appends counted, reruns and restarts never recount,
// rotation and truncation handled, output atomic; and it agrees with the TypeScript parser.
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { CONTINUATION_WINDOW_LINES, UNKNOWN_PCI_BUS_ID_LABEL, parseKernelLog } from '@aami/shared/xid/index';

const here = dirname(fileURLToPath(import.meta.url));
const script = join(here, '../../../node-files/aami-xid-counter');
// The parser's fixtures (one per kernel-log format) serve both implementations.
const fixtures = join(here, '../../../shared/src/xid/testdata');
const fixture = (name: string): string => readFileSync(join(fixtures, name), 'utf8');

const XID79 = (bus: string): string => `[ 9.0] NVRM: Xid (PCI:0000:${bus}:00): 79, pid=1, name=x, GPU has fallen off the bus.\n`;
const XID48 = '[ 9.1] NVRM: Xid (PCI:0000:65:00): 48, pid=1, name=init, An uncorrectable double bit error.\n';

interface Run {
  status: number | null;
  stderr: string;
}

let dir = '';
let log = '';
let stateDir = '';
let textDir = '';

function run(args: string[] = ['--log-file', log], env: NodeJS.ProcessEnv = {}, shell = 'sh'): Run {
  const r = spawnSync(shell, [script, '--state-dir', stateDir, '--textfile-dir', textDir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { status: r.status, stderr: r.stderr };
}

function runOk(args?: string[], env?: NodeJS.ProcessEnv, shell?: string): void {
  const r = run(args, env, shell);
  assert.equal(r.status, 0, `counter failed: ${r.stderr}`);
}

/** The .prom file as { 'xid 00000000:3B:00.0 79': 2, 'xid unknown 48': 1, ... } plus its last-run stamp. */
function readProm(): { counts: Record<string, number>; lastRun: number; text: string } {
  const text = readFileSync(join(textDir, 'aami_xid.prom'), 'utf8');
  const counts: Record<string, number> = {};
  let lastRun = NaN;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# ')) continue;
    let m = /^aami_(xid|sxid)_errors_total\{pci_bus_id="([0-9A-F]{8}:[0-9A-F]{2}:[0-9A-F]{2}\.[0-7]|unknown)",(?:xid|sxid)="(\d+)"\} (\d+)$/.exec(line);
    if (m) {
      counts[`${m[1]} ${m[2]} ${m[3]}`] = Number(m[4]);
      continue;
    }
    m = /^aami_xid_counter_last_run_timestamp_seconds (\d+)$/.exec(line);
    assert.ok(m, `unexpected line in the .prom file: ${line}`);
    lastRun = Number(m[1]);
  }
  return { counts, lastRun, text };
}

/** What the TypeScript parser counts in the same text: Xid and SXid events per (pci_bus_id, code). */
function tsCounts(text: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of parseKernelLog(text, { nvlinkTable: null })) {
    if (e.kind === 'bus_lost') continue;
    const k = `${e.kind} ${e.pciBusId || UNKNOWN_PCI_BUS_ID_LABEL} ${e.code}`;
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aami-xid-counter-'));
  log = join(dir, 'kern.log');
  stateDir = join(dir, 'state');
  textDir = join(dir, 'textfile');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('aami-xid-counter on a log file', () => {
  it('counts each event once, in NVML pci_bus_id form, with HELP/TYPE lines', () => {
    writeFileSync(log, fixture('classic-dmesg.log'));
    const before = Math.floor(Date.now() / 1000);
    runOk();
    const { counts, lastRun, text } = readProm();
    assert.deepEqual(counts, {
      'xid 00000000:3B:00.0 13': 2,
      'xid 00000000:B1:00.0 31': 1,
      'xid 00000000:65:00.0 48': 1,
      'xid 00000000:65:00.0 63': 1,
      'xid 00000000:18:00.0 94': 1,
      'xid 00000000:18:00.0 95': 1,
      'xid 00000000:3B:00.0 119': 1,
      'xid 00000000:3B:00.0 79': 1,
      'xid 00000000:D8:00.0 79': 1,
      'xid 00000000:05:00.0 79': 1,
      'xid 00000000:03:00.0 14': 1,
      'xid 00000000:82:00.0 61': 1,
      'xid 00000001:4B:00.0 92': 1,
      'xid 00000000:4B:00.0 43': 1,
    });
    assert.ok(lastRun >= before && lastRun <= before + 60, `last run ${lastRun}`);
    assert.match(text, /^# HELP aami_xid_errors_total .+\n# TYPE aami_xid_errors_total counter\n/m);
    assert.match(text, /^# TYPE aami_sxid_errors_total counter$/m);
    assert.match(text, /^# TYPE aami_xid_counter_last_run_timestamp_seconds gauge$/m);
  });

  it('counts appended lines, and only those', () => {
    writeFileSync(log, XID79('3b'));
    runOk();
    appendFileSync(log, `noise\n${XID79('3b')}${XID48}`);
    runOk();
    assert.deepEqual(readProm().counts, { 'xid 00000000:3B:00.0 79': 2, 'xid 00000000:65:00.0 48': 1 });
  });

  it('keeps a byte offset through UTF-8 text', () => {
    writeFileSync(log, `[ 1.0] usb: Gerät «Ünïcödé» ✓ 日本語\n${XID79('3b')}`);
    runOk();
    appendFileSync(log, `[ 2.0] café ✓\n${XID48}`);
    runOk();
    assert.deepEqual(readProm().counts, { 'xid 00000000:3B:00.0 79': 1, 'xid 00000000:65:00.0 48': 1 });
    const offset = /^offset (\d+)$/m.exec(readFileSync(join(stateDir, 'state'), 'utf8'))?.[1];
    assert.equal(Number(offset), statSync(log).size);
  });

  it('keeps counts on reruns without new lines, and after the .prom file is lost', () => {
    writeFileSync(log, fixture('kern-syslog.log'));
    runOk();
    const first = readProm().counts;
    assert.equal(first['xid 00000000:86:00.0 48'], 2);
    runOk();
    runOk();
    assert.deepEqual(readProm().counts, first);
    rmSync(join(textDir, 'aami_xid.prom'));
    runOk(); // a fresh process with only the state left: totals come back, nothing is recounted
    assert.deepEqual(readProm().counts, first);
  });

  it('waits for a half-written last line and counts it once when complete', () => {
    writeFileSync(log, XID79('3b'));
    appendFileSync(log, '[ 9.9] NVRM: Xid (PCI:0000:65:00): 48, pid=1, name=init, An uncorr');
    runOk();
    assert.deepEqual(readProm().counts, { 'xid 00000000:3B:00.0 79': 1 });
    appendFileSync(log, 'ectable double bit error.\n');
    runOk();
    runOk();
    assert.deepEqual(readProm().counts, { 'xid 00000000:3B:00.0 79': 1, 'xid 00000000:65:00.0 48': 1 });
  });

  it('finishes a rotated file, then reads the new one from its start', () => {
    writeFileSync(log, XID79('3b'));
    runOk();
    appendFileSync(log, XID48); // written after the last run, before rotation
    renameSync(log, `${log}.1`);
    writeFileSync(log, `${XID79('3b')}${XID79('d8')}`);
    runOk();
    assert.deepEqual(readProm().counts, {
      'xid 00000000:3B:00.0 79': 2,
      'xid 00000000:65:00.0 48': 1,
      'xid 00000000:D8:00.0 79': 1,
    });
    runOk();
    assert.equal(readProm().counts['xid 00000000:3B:00.0 79'], 2);
  });

  // logrotate renames the file (kern.log.1; messages-20261203 with dateext) or compresses it
  // (kern.log.2.gz: a new inode). Older rotations lie beside it and were counted before, or never.
  for (const [rotated, compress] of [['kern.log.1', false], ['kern.log-20261203', false], ['kern.log.2.gz', true]] as const) {
    it(`finishes a file rotated to ${rotated}, once, and no other rotation`, () => {
      writeFileSync(join(dir, 'kern.log.3.gz'), gzipSync(`[ 1.0] ${XID48}`)); // older rotations
      writeFileSync(join(dir, 'kern.log-20261101'), XID48);
      writeFileSync(log, XID79('3b'));
      runOk();
      appendFileSync(log, XID48); // written after the last run, before rotation
      if (compress) {
        writeFileSync(join(dir, rotated), gzipSync(readFileSync(log)));
        rmSync(log);
      } else renameSync(log, join(dir, rotated));
      writeFileSync(log, XID79('d8'));
      runOk();
      runOk();
      appendFileSync(log, XID79('d8'));
      runOk();
      assert.deepEqual(readProm().counts, {
        'xid 00000000:3B:00.0 79': 1,
        'xid 00000000:65:00.0 48': 1,
        'xid 00000000:D8:00.0 79': 2,
      });
    });
  }

  it('skips compressed rotations with a note when gzip is missing', () => {
    const bin = join(dir, 'bin'); // the tools the counter needs, without gzip
    mkdirSync(bin);
    for (const tool of ['sh', 'awk', 'tail', 'head', 'od', 'tr', 'sed', 'sort', 'wc', 'ls', 'cat', 'date', 'mkdir', 'mv', 'rm', 'grep', 'chmod']) {
      const path = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      assert.ok(path.startsWith('/'), `${tool} not found`);
      symlinkSync(path, join(bin, tool));
    }
    writeFileSync(log, XID79('3b'));
    runOk(['--log-file', log], { PATH: bin }, join(bin, 'sh'));
    appendFileSync(log, XID48);
    writeFileSync(`${log}.1.gz`, gzipSync(readFileSync(log)));
    rmSync(log);
    writeFileSync(log, XID79('d8'));
    const r = run(['--log-file', log], { PATH: bin }, join(bin, 'sh'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /gzip not found: cannot look in .*kern\.log\.1\.gz/);
    assert.deepEqual(readProm().counts, { 'xid 00000000:3B:00.0 79': 1, 'xid 00000000:D8:00.0 79': 1 });
  });

  it('finishes the copy of a copytruncate rotation even when the log grew past the saved offset again', () => {
    writeFileSync(log, XID79('3b'));
    runOk();
    appendFileSync(log, XID48);
    copyFileSync(log, `${log}.1`);
    writeFileSync(log, `${XID79('d8')}${XID79('d8')}`); // the same inode, longer than the saved offset
    runOk();
    assert.deepEqual(readProm().counts, {
      'xid 00000000:3B:00.0 79': 1,
      'xid 00000000:65:00.0 48': 1,
      'xid 00000000:D8:00.0 79': 2,
    });
  });

  it('reads a truncated file (copytruncate) from its start', () => {
    writeFileSync(log, `${XID79('3b')}${XID79('3b')}${XID48}`);
    runOk();
    writeFileSync(log, XID79('d8')); // same inode, shorter than the saved offset
    runOk();
    assert.deepEqual(readProm().counts, {
      'xid 00000000:3B:00.0 79': 2,
      'xid 00000000:65:00.0 48': 1,
      'xid 00000000:D8:00.0 79': 1,
    });
  });

  it('does not count old lines when pointed at another file with totals already kept', () => {
    writeFileSync(log, XID79('3b'));
    runOk();
    const other = join(dir, 'messages');
    writeFileSync(other, `${XID79('3b')}${XID48}`); // the same history, seen through another file
    runOk(['--log-file', other]);
    assert.deepEqual(readProm().counts, { 'xid 00000000:3B:00.0 79': 1 });
    appendFileSync(other, XID48);
    runOk(['--log-file', other]);
    assert.deepEqual(readProm().counts, { 'xid 00000000:3B:00.0 79': 1, 'xid 00000000:65:00.0 48': 1 });
  });

  it('writes atomically: no temp files are left, the file is world-readable', () => {
    writeFileSync(log, XID79('3b'));
    runOk();
    runOk();
    assert.deepEqual(readdirSync(textDir), ['aami_xid.prom']);
    assert.deepEqual(readdirSync(stateDir).sort(), ['lock', 'state']);
    assert.equal(statSync(join(textDir, 'aami_xid.prom')).mode & 0o444, 0o444);
  });

  it('fails without touching the last output when the log cannot be read', () => {
    writeFileSync(log, XID79('3b'));
    runOk();
    const before = readFileSync(join(textDir, 'aami_xid.prom'), 'utf8');
    const r = run(['--log-file', join(dir, 'missing.log')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot read/);
    assert.equal(readFileSync(join(textDir, 'aami_xid.prom'), 'utf8'), before);
  });

  it('rejects bad usage with exit status 2', () => {
    assert.equal(run(['--bogus']).status, 2);
    assert.equal(run(['--source', 'tape']).status, 2);
    assert.equal(run(['--log-file']).status, 2);
  });

  it('counts an Xid or SXid whose address is cut or redacted under pci_bus_id="unknown"', () => {
    writeFileSync(log, fixture('xid-unknown-address.log'));
    runOk();
    assert.deepEqual(readProm().counts, {
      'xid unknown 79': 4,
      'xid unknown 48': 1,
      'xid unknown 13': 1,
      'xid unknown 43': 1,
      'xid unknown 31': 1,
      'xid 00000000:3B:00.0 94': 1,
      'sxid unknown 20034': 1,
    });
  });

  it('counts an SXid record (SXid, Severity and Data lines) once, and Severity / Data lines without their SXid line once', () => {
    writeFileSync(log, fixture('nvswitch-sxid-records.log'));
    runOk();
    assert.deepEqual(readProm().counts, {
      'sxid 00000000:04:00.0 22013': 3,
      'sxid 00000000:06:00.0 22013': 1,
      'sxid 00000000:07:00.0 24007': 2,
      'sxid 00000000:05:00.0 20034': 2,
      'sxid 00000000:05:00.0 12028': 3,
      'xid 00000000:18:00.0 48': 1,
    });
  });

  it('counts a record whose lines fall in different runs once, and a continuation line past the window as its own', () => {
    const sxid = (rest: string) => `[ 5.0] nvidia-nvswitch3: SXid (PCI:0000:86:00.0): 12028, ${rest}\n`;
    writeFileSync(log, sxid('Non-fatal, Link 32 egress non-posted PRIV error (First)'));
    runOk();
    appendFileSync(log, `noise\n${sxid('Severity 0 Engine instance 32 Sub-engine instance 00')}`);
    appendFileSync(log, '[ 5.0] nvidia-nvswitch3: SXid (PCI:0000:86:00.0): 12028, Data {0x0000'); // half-written
    runOk();
    assert.deepEqual(readProm().counts, { 'sxid 00000000:86:00.0 12028': 1 });
    appendFileSync(log, '0000, 0x00000000}\n');
    runOk();
    runOk();
    assert.deepEqual(readProm().counts, { 'sxid 00000000:86:00.0 12028': 1 });
    assert.doesNotMatch(readFileSync(join(stateDir, 'state'), 'utf8'), /^pending /m, 'the Data line closed the record');
    appendFileSync(log, sxid('Non-fatal, Link 33 egress non-posted PRIV error (First)'));
    runOk();
    assert.match(readFileSync(join(stateDir, 'state'), 'utf8'), /^pending 0 0 12028 PCI:0000:86:00\.0 \[nvidia-nvswitch3:\]$/m);
    appendFileSync(log, 'noise\n'.repeat(CONTINUATION_WINDOW_LINES));
    runOk();
    appendFileSync(log, sxid('Data {0x00000000}'));
    runOk();
    assert.deepEqual(readProm().counts, { 'sxid 00000000:86:00.0 12028': 3 });
    const text = readFileSync(log, 'utf8');
    assert.deepEqual(readProm().counts, tsCounts(text));
  });

  it('pairs the last lines of a rotated file with the first lines of the new one', () => {
    writeFileSync(log, '[ 5.0] nvidia-nvswitch3: SXid (PCI:0000:86:00.0): 12028, Non-fatal, Link 32 egress error\n');
    runOk();
    appendFileSync(log, '[ 5.0] nvidia-nvswitch3: SXid (PCI:0000:86:00.0): 12028, Severity 0 Engine instance 32 Sub-engine instance 00\n');
    renameSync(log, `${log}.1`);
    writeFileSync(log, '[ 5.0] nvidia-nvswitch3: SXid (PCI:0000:86:00.0): 12028, Data {0x00000000}\n');
    runOk();
    assert.deepEqual(readProm().counts, { 'sxid 00000000:86:00.0 12028': 1 });
  });

  it('takes its folders from the environment', () => {
    writeFileSync(log, XID79('3b'));
    const r = spawnSync('sh', [script], {
      encoding: 'utf8',
      env: { ...process.env, AAMI_XID_LOG_FILE: log, AAMI_XID_STATE_DIR: stateDir, AAMI_XID_TEXTFILE_DIR: textDir },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readProm().counts, { 'xid 00000000:3B:00.0 79': 1 });
  });
});

describe('aami-xid-counter on hostile input', () => {
  it('counts a marker after every prefix a kernel, dmesg, syslog or journalctl writes', () => {
    writeFileSync(log, fixture('driver-prefixes.log'));
    runOk();
    const expected: Record<string, number> = {};
    for (const b of ['01', '02', '03', '04', '05', '06', '07', '08', '09', '0A', '0B', '0C', '0D', '0E']) expected[`xid 00000000:${b}:00.0 79`] = 1;
    for (const b of ['A1', 'A2', 'A3', 'A4']) expected[`sxid 00000000:${b}:00.0 20034`] = 1;
    assert.deepEqual(readProm().counts, expected);
  });

  it('counts no marker inside text a kernel message quotes (a NULL-argv path), indented, or from another program', () => {
    writeFileSync(log, fixture('negative.log'));
    runOk();
    assert.deepEqual(readProm().counts, {});
  });

  it('reads long pathological lines in bounded time and still counts the Xid 79 on each', () => {
    const xid = (bus: string): string => `[ 9.0] NVRM: Xid (PCI:0000:${bus}:00): 79, pid=1, name=x, GPU has fallen off the bus.`;
    const text = [
      `${xid('3b')}${' '.repeat(3000)}\r x\n`.repeat(500),
      `[ 9.0] NVRM: Xid (PCI:0000:3b:00): 79${' \t'.repeat(1500)}x\u2028y\n`.repeat(500),
      `${xid('d8')}${' '.repeat(2 ** 20)}\u2028\n`, // one huge line
      // a prefix of many [] groups (no kernel writes one): cut group by group, it cost O(n^2) a line
      `[ 5.0] ${'[]'.repeat(1900)} nvidia-nvswitch3: SXid (PCI:0000:86:00.0): 12028, Non-fatal, Link 32\n`.repeat(1000),
    ].join('');
    writeFileSync(log, text);
    const t0 = performance.now();
    runOk();
    const ms = performance.now() - t0;
    assert.deepEqual(readProm().counts, { 'xid 00000000:3B:00.0 79': 1000, 'xid 00000000:D8:00.0 79': 1 });
    assert.ok(ms < 1500, `${Math.round(ms)} ms for ${Math.round(text.length / 2 ** 20)} MB`);
    assert.deepEqual(readProm().counts, tsCounts(text));
  });
});

describe('aami-xid-counter with journald', () => {
  /** A journalctl stand-in: the "journal" is a file; a cursor is a line number. */
  function fakeJournal(): { env: NodeJS.ProcessEnv; journal: string } {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const journal = join(dir, 'journal.txt');
    writeFileSync(journal, '');
    writeFileSync(
      join(bin, 'journalctl'),
      `#!/bin/sh
after=0; boot=0
for a in "$@"; do
  case $a in
    --after-cursor=*) after=\${a#*=}; case $after in *[!0-9]*|'') echo "Failed to seek to cursor" >&2; exit 1;; esac ;;
    -b) boot=1 ;;
  esac
done
echo "$*" >>"${join(dir, 'journalctl-calls')}"
total=$(wc -l <"${journal}" | tr -d ' ')
[ "$total" -gt "$after" ] || exit 0
tail -n +"$((after + 1))" "${journal}"
echo "-- cursor: $total"
`,
    );
    chmodSync(join(bin, 'journalctl'), 0o755);
    return { env: { PATH: `${bin}:${process.env['PATH'] ?? ''}` }, journal };
  }

  it('reads the current boot first, then only entries after its cursor', () => {
    const { env, journal } = fakeJournal();
    writeFileSync(journal, `Jan 12 03:04:05 node kernel: ${XID79('3b')}`);
    runOk(['--source', 'journal'], env);
    assert.deepEqual(readProm().counts, { 'xid 00000000:3B:00.0 79': 1 });
    appendFileSync(journal, `Jan 12 03:04:06 node kernel: ${XID48}`);
    runOk(['--source', 'journal'], env);
    runOk(['--source', 'journal'], env); // nothing new: journalctl prints no cursor, the old one stays
    assert.deepEqual(readProm().counts, { 'xid 00000000:3B:00.0 79': 1, 'xid 00000000:65:00.0 48': 1 });
    const calls = readFileSync(join(dir, 'journalctl-calls'), 'utf8').trim().split('\n');
    assert.match(calls[0] ?? '', /-k -b /);
    assert.match(calls[1] ?? '', /--after-cursor=1/);
    assert.match(calls[2] ?? '', /--after-cursor=2/);
    assert.match(readFileSync(join(stateDir, 'state'), 'utf8'), /^cursor 2$/m);
  });

  it('goes on from the last run time when the cursor is no longer valid', () => {
    const { env, journal } = fakeJournal();
    writeFileSync(journal, `Jan 12 03:04:05 node kernel: ${XID79('3b')}`);
    runOk(['--source', 'journal'], env);
    const state = join(stateDir, 'state');
    writeFileSync(state, readFileSync(state, 'utf8').replace(/^cursor .*$/m, 'cursor s=gone'));
    runOk(['--source', 'journal'], env);
    const calls = readFileSync(join(dir, 'journalctl-calls'), 'utf8').trim().split('\n');
    assert.match(calls.at(-1) ?? '', /--since=@\d+/);
  });
});

describe('aami-xid-counter when journalctl finds nothing or fails', () => {
  function journalctlThat(body: string): NodeJS.ProcessEnv {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'journalctl'), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, 'journalctl'), 0o755);
    return { PATH: `${bin}:${process.env['PATH'] ?? ''}` };
  }

  it('treats "no kernel entries" (exit 1, nothing printed, as in a container) as an empty read', () => {
    const env = journalctlThat('exit 1');
    runOk(['--source', 'journal'], env);
    assert.deepEqual(readProm().counts, {});
    assert.match(readFileSync(join(textDir, 'aami_xid.prom'), 'utf8'), /aami_xid_counter_last_run_timestamp_seconds \d+/);
  });

  it('reports a real journalctl failure in its own words', () => {
    const env = journalctlThat('echo "Failed to open journal: permission denied" >&2; exit 1');
    const r = run(['--source', 'journal'], env);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /journalctl failed: Failed to open journal: permission denied/);
  });
});

describe('aami-xid-counter and the TypeScript parser', () => {
  const logs = readdirSync(fixtures).filter((f) => f.endsWith('.log'));

  it('has fixtures to compare', () => {
    assert.ok(logs.length >= 5, `fixtures: ${logs.join(', ')}`);
  });

  for (const name of logs) {
    it(`agree on ${name} (pci_bus_id + code counts)`, () => {
      const text = fixture(name);
      writeFileSync(log, text);
      runOk();
      assert.deepEqual(readProm().counts, tsCounts(text));
    });
  }

  it('agree on which prefixes a marker may follow, near misses and quoted text included', () => {
    const prefixes = [
      '', '[ 1.0] ', '[1.0]', '[    12.345678] [  T1] ', '[ 1.0] [C2]', '[Sat Dec  4 01:02:03 2026] ', '<6>[ 1.0] ', '<6>',
      'Dec  4 01:02:03 h kernel: ', 'Dec 14 01:02:03.5 h kernel: [ 1.0] ', '2026-12-04 01:02:03,5Z h kernel: ', '2026-12-04T01:02:03-05:00 h kernel: ',
      '[ 1.0] h kernel: [ 1.0] ', 'kernel: ', 'kernel: [ 1.0] [T1] ', `Dec  4 01:02:03 ${'h'.repeat(350)} kernel: `,
      // near misses: none is what a kernel or log daemon writes
      ' ', '\t', 'x ', '[ 1.0] x ', '[ 1.0]  ', '[ 1.0', '[ 1] ', '[x1.0] ', 'Dec 4 01:02:03 h kernel: ', 'Dec  4 01:02:03 kernel: ', 'Dec  4 01:02:03 h sshd: ',
      'Dec  4 01:02:03 h kernel:', 'kernel:  ', 'kernel:[ 1.0] ', '<6> ', '<> ', '2026-12-04T01:02:03 h  kernel: ', `Dec  4 01:02:03 ${'h'.repeat(400)} kernel: `,
      "[ 1.0] process 'a/", '[ 1.0] [ 2.0] [ 3.0] ', '[T1] [ 1.0] ',
    ];
    const lines = prefixes.flatMap((p, i) => {
      const bus = (i + 16).toString(16);
      return [
        `${p}NVRM: Xid (PCI:0000:${bus}:00): 79, pid=1, name=x, GPU has fallen off the bus.`,
        `${p}nvidia-nvswitch${i}: SXid (PCI:0000:${bus}:00.0): 20034, Fatal, Link 30 LTSSM Fault Up`,
        `${p.replace(/ $/, '')}nvidia-nvswitch${i}: SXid (PCI:0000:${bus}:00.1): 20034, Fatal, Link 30 LTSSM Fault Up`,
      ];
    });
    const text = `${lines.join('\n')}\n`;
    writeFileSync(log, text);
    runOk();
    const counts = readProm().counts;
    assert.deepEqual(counts, tsCounts(text));
    // the first 16 prefixes, and no near miss
    assert.deepEqual(Object.keys(counts).filter((k) => k.startsWith('xid ')).sort(), prefixes.slice(0, 16).map((_, i) => `xid 00000000:${(i + 16).toString(16).toUpperCase()}:00.0 79`));
  });

  it('agree on every fixture together, read in many runs that split records', () => {
    const lines = logs.map(fixture).join('').split(/(?<=\n)/);
    writeFileSync(log, '');
    for (let i = 0, k = 0; i < lines.length; k++) {
      const n = [1, 2, 3, 5, 7][k % 5] as number;
      appendFileSync(log, lines.slice(i, i + n).join(''));
      i += n;
      if (k % 3 === 0) runOk();
    }
    runOk();
    assert.deepEqual(readProm().counts, tsCounts(lines.join('')));
  });
});

describe('aami-xid-counter portability', () => {
  const busybox = ['/usr/bin/busybox', '/bin/busybox'].find((p) => existsSync(p));
  it('runs the same under busybox sh and awk', { skip: busybox ? false : 'busybox not installed' }, () => {
    const bin = join(dir, 'bb');
    mkdirSync(bin);
    for (const applet of ['sh', 'awk', 'tail', 'head', 'od', 'tr', 'sed', 'sort', 'wc', 'ls', 'cat', 'date', 'mkdir', 'mv', 'rm', 'grep', 'chmod', 'gzip']) {
      symlinkSync(busybox as string, join(bin, applet));
    }
    const text = [
      fixture('classic-dmesg.log'),
      '[ 1.0] Gerät ✓ 日本語\n',
      fixture('nvswitch-sxid.log'),
      fixture('nvswitch-sxid-records.log'),
      fixture('xid-unknown-address.log'),
      fixture('bus-lost-multiline.log'),
      fixture('journalctl-k.log'),
      fixture('driver-prefixes.log'),
      fixture('negative.log'),
    ].join('');
    writeFileSync(log, text);
    runOk(['--log-file', log], { PATH: bin }, join(bin, 'sh'));
    appendFileSync(log, XID48);
    runOk(['--log-file', log], { PATH: bin }, join(bin, 'sh'));
    assert.deepEqual(readProm().counts, tsCounts(text + XID48));
  });
});
