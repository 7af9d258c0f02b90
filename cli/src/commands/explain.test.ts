// Tests `aami explain` and `aami xid scan` in-process through commander, with a fixture catalog
// and captured output: the box layout, list tables, JSON, and exit codes for bad input.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { loadXidCatalog } from '@aami/shared/xid/index';
import { CliError } from '../errors.ts';
import { displayWidth } from '../output.ts';
import { BOX_WIDTH, registerExplainCommands, renderXidBox, wrapText } from './explain.ts';
import { registerXidCommands } from './xid.ts';

const here = dirname(fileURLToPath(import.meta.url));
const shared = join(here, '../../../shared/src/xid/testdata');
// The catalog loader's fixture: Xid 5 (unused), 13, 79 (critical), 145; SXid 11012, 12028.
const catalog = () => loadXidCatalog({ dir: join(shared, 'catalog-ok') });

/** Runs `aami <args>` in-process; returns what it wrote, or the error it ended with. */
async function aami(args: string[], stdin?: string): Promise<{ out: string; error?: unknown }> {
  let out = '';
  const write = (t: string) => {
    out += t;
  };
  const program = new Command('aami')
    .addOption(new Option('-o, --output <format>').choices(['table', 'json']).default('table'))
    .exitOverride()
    .configureOutput({ writeOut: write, writeErr: () => {} });
  registerExplainCommands(program, { catalog, write });
  registerXidCommands(program, { catalog, write, stdin: stdin === undefined ? undefined : Readable.from([stdin]) });
  const walk = (c: Command) => {
    c.exitOverride();
    c.configureOutput({ writeOut: write, writeErr: () => {} });
    c.commands.forEach(walk);
  };
  walk(program);
  try {
    await program.parseAsync(args, { from: 'user' });
    return { out };
  } catch (error) {
    return { out, error };
  }
}

/** The exit code the CLI's main.ts gives an error: CliError's own, 2 for commander usage errors. */
function exitCode(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof CommanderError) return 2;
  throw error;
}

describe('wrapText', () => {
  it('wraps at word boundaries and cuts words longer than a line', () => {
    assert.deepEqual(wrapText('one two three four', 9), ['one two', 'three', 'four']);
    assert.deepEqual(wrapText('abcdefghij', 4), ['abcd', 'efgh', 'ij']);
    assert.deepEqual(wrapText('first line may be shorter', 30, 5), ['first', 'line may be shorter']);
    assert.deepEqual(wrapText('   ', 10), []);
  });
});

describe('aami explain xid <code>', () => {
  it('renders the box: 67 columns, heading, severity, sections', async () => {
    const { out, error } = await aami(['explain', 'xid', '79']);
    assert.equal(error, undefined);
    const lines = out.trimEnd().split('\n');
    for (const l of lines) assert.equal(displayWidth(l), BOX_WIDTH, `width of ${JSON.stringify(l)}`);
    assert.equal(lines[0], `┌${'─'.repeat(65)}┐`);
    assert.equal(lines[1], `│ ${'Xid 79: GPU has fallen off the bus'.padEnd(63)} │`);
    assert.equal(lines[2], `├${'─'.repeat(65)}┤`);
    assert.equal(lines[3], `│ ${'Severity: Critical'.padEnd(63)} │`);
    assert.equal(lines[4], `│${' '.repeat(65)}│`);
    assert.equal(lines.at(-1), `└${'─'.repeat(65)}┘`);
    const text = lines.slice(3, -1).map((l) => l.slice(2, -2).trimEnd());
    const at = (s: string) => text.indexOf(s);
    assert.ok(at('Meaning:') > 1);
    assert.ok(at('Common Causes:') > at('Meaning:'));
    assert.ok(at('Recommended Actions:') > at('Common Causes:'));
    assert.equal(text[at('Common Causes:') + 1], '  1. Riser or slot problem');
    assert.equal(text[at('Common Causes:') + 2], '  2. Power delivery to the board');
    assert.equal(text[at('Recommended Actions:') + 1], '  1. Drain the node and reboot it.');
    const repeats = text.slice(text.findIndex((l) => l.startsWith('If it repeats: ')));
    assert.ok(repeats.length >= 2, 'the long if_repeats text wraps');
    assert.ok(repeats.slice(1).every((l) => l.startsWith('  ')), 'continuation lines are indented');
    assert.equal(
      repeats.map((l) => l.trim()).join(' ').replace('If it repeats: ', ''),
      catalog().requireXid(79).if_repeats,
      'no words lost in wrapping',
    );
  });

  it('wraps the meaning inside the box without losing words', () => {
    const entry = { ...catalog().requireXid(13), meaning: `${'word '.repeat(40)}end-with-a-very-long-token-${'x'.repeat(80)}` };
    const lines = renderXidBox(entry).split('\n');
    for (const l of lines) assert.equal(displayWidth(l), BOX_WIDTH);
    const text = lines.map((l) => l.slice(2, -2).trim());
    const from = text.indexOf('Meaning:') + 1;
    const to = text.indexOf('Common Causes:');
    assert.equal(text.slice(from, to).join(' ').replace(/ (?=x)/g, ''), entry.meaning.trim().replace(/\s+/g, ' '));
  });

  it('marks unused codes and leaves out empty sections', async () => {
    const { out } = await aami(['explain', 'xid', '5']);
    assert.match(out, /Severity: Info/);
    assert.match(out, /unused code/);
    assert.doesNotMatch(out, /Common Causes:/);
    assert.doesNotMatch(out, /If it repeats:/);
  });

  it('prints the entry as JSON with --output json', async () => {
    const { out } = await aami(['explain', 'xid', '79', '--output', 'json']);
    assert.deepEqual(JSON.parse(out), catalog().requireXid(79));
  });

  it('ends with exit 1 and a message for an unknown code', async () => {
    const { out, error } = await aami(['explain', 'xid', '80']);
    assert.equal(exitCode(error), 1);
    assert.match((error as Error).message, /Xid 80 is not in the catalog/);
    assert.equal(out, '');
  });

  it('ends with exit 2 for a code that is not a number', async () => {
    for (const bad of ['abc', '-1', '7x', '1.5']) {
      const { error } = await aami(['explain', 'xid', bad]);
      assert.equal(exitCode(error), 2, bad);
    }
    assert.equal(exitCode((await aami(['explain', 'xid'])).error), 2, 'missing code');
  });
});

describe('aami explain xid list', () => {
  it('prints a table of every entry', async () => {
    const { out } = await aami(['explain', 'xid', 'list']);
    const rows = out.split('\n').filter((l) => /^│ \d/.test(l));
    assert.deepEqual(
      rows.map((r) => Number(r.split('│')[1])),
      [5, 13, 79, 145],
    );
    assert.match(out, /│ Xid +│ Severity +│ Title +│/);
  });

  it('filters by --severity', async () => {
    const { out } = await aami(['explain', 'xid', 'list', '--severity', 'critical']);
    const rows = out.split('\n').filter((l) => /^│ \d/.test(l));
    assert.equal(rows.length, 1);
    assert.match(rows[0] ?? '', /│ 79 +│ critical +│ GPU has fallen off the bus +│/);
    const json = await aami(['explain', 'xid', 'list', '--severity', 'warning', '-o', 'json']);
    assert.deepEqual(
      (JSON.parse(json.out) as { code: number }[]).map((e) => e.code),
      [13, 145],
    );
  });

  it('refuses an unknown severity, and --severity without list', async () => {
    assert.equal(exitCode((await aami(['explain', 'xid', 'list', '--severity', 'urgent'])).error), 2);
    assert.equal(exitCode((await aami(['explain', 'xid', '79', '--severity', 'critical'])).error), 2);
  });
});

describe('aami explain sxid', () => {
  it('renders the box with NVIDIA severity and unit', async () => {
    const { out } = await aami(['explain', 'sxid', '12028']);
    const lines = out.trimEnd().split('\n');
    for (const l of lines) assert.equal(displayWidth(l), BOX_WIDTH);
    assert.match(lines[1] ?? '', /│ SXid 12028: Fixture egress error +│/);
    assert.match(out, /Severity: Critical \(NVIDIA: fatal\)/);
    assert.match(out, /NVSwitch unit: Egress/);
  });

  it('lists, prints JSON, and refuses unknown or bad codes', async () => {
    assert.match((await aami(['explain', 'sxid', 'list'])).out, /│ 11012 +│ warning +│/);
    assert.equal(JSON.parse((await aami(['explain', 'sxid', '11012', '-o', 'json'])).out).unit, 'Ingress');
    assert.equal(exitCode((await aami(['explain', 'sxid', '1'])).error), 1);
    assert.equal(exitCode((await aami(['explain', 'sxid', 'x'])).error), 2);
  });
});

describe('aami xid scan', () => {
  it('prints the events of a log file as a table', async () => {
    const { out, error } = await aami(['xid', 'scan', join(shared, 'classic-dmesg.log')]);
    assert.equal(error, undefined);
    assert.match(out, /│ Time +│ PCI bus ID +│ Xid +│ Name +│ Severity +│ Message +│/);
    assert.match(out, /│ \[5500\.000100\] +│ 00000000:3B:00\.0 +│ 79 +│ GPU has fallen off the bus +│ critical +│ GPU has fallen off the bus\. +│/);
    assert.match(out, /│ 79 \(untagged\) +│/);
    assert.match(out, /│ 31 +│ \(not in catalog\) +│ - +│/);
    assert.match(out, /16 event\(s\) in 23 line\(s\), 4 critical/);
  });

  it('prints JSON events with catalog facts', async () => {
    const { out } = await aami(['xid', 'scan', join(shared, 'nvswitch-sxid.log'), '-o', 'json']);
    const events = JSON.parse(out) as { kind: string; code: number; severity?: string; name?: string }[];
    assert.deepEqual(
      events.map((e) => [e.kind, e.code]),
      [
        ['sxid', 12028],
        ['sxid', 20034],
        ['sxid', 24007],
      ],
    );
    assert.equal(events[0]?.severity, 'critical');
    assert.equal(events[0]?.name, 'Egress_nonposted_PRIV_error');
  });

  it('reads standard input with -', async () => {
    const { out } = await aami(['xid', 'scan', '-', '-o', 'json'], 'x\nNVRM: Xid (PCI:0000:3b:00): 13, pid=1, name=a, Graphics Exception\n');
    const events = JSON.parse(out) as { code: number; lineNumber: number; title?: string }[];
    assert.equal(events.length, 1);
    assert.equal(events[0]?.lineNumber, 2);
    assert.equal(events[0]?.title, 'Fixture graphics engine exception');
  });

  it('says so when there is nothing, and fails on a missing file', async () => {
    const lines = (await readFile(join(shared, 'negative.log'), 'utf8')).split('\n').filter((l, i, all) => i < all.length - 1 || l !== '').length;
    assert.match((await aami(['xid', 'scan', join(shared, 'negative.log')])).out, new RegExp(`No Xid, SXid or GPU-lost events in ${lines} line\\(s\\)`));
    const missing = await aami(['xid', 'scan', join(shared, 'does-not-exist.log')]);
    assert.equal(exitCode(missing.error), 1);
    assert.match((missing.error as Error).message, /cannot read .*does-not-exist\.log/);
  });
});
