// `aami explain xid <code>`, `aami explain xid list [--severity S]`, `aami explain sxid <code>`,
// `aami explain sxid list`: what an Xid / SXid means and what to do, read from the catalog on
// disk (works offline, no server). `--output json` prints the catalog entries.
import { Option } from 'commander';
import type { Command } from 'commander';
import { loadXidCatalog } from '@aami/shared/xid/index';
import type { SxidEntry, XidCatalog, XidEntry, XidSeverity } from '@aami/shared/xid/index';
import { outputFormat } from '../context.ts';
import { CliError, UsageError } from '../errors.ts';
import { displayWidth, renderTable } from '../output.ts';

/** Total width of the explain box, borders included. */
export const BOX_WIDTH = 67;
const INNER = BOX_WIDTH - 4; // "│ " + text + " │"

/** What the commands read and write; tests pass their own. */
export interface ExplainDeps {
  catalog?: () => XidCatalog;
  write?: (text: string) => void;
}

/**
 * Splits text into lines of at most `width` display columns (the first line: `firstWidth`).
 * Words longer than a line are cut.
 */
export function wrapText(text: string, width: number, firstWidth = width): string[] {
  const lines: string[] = [];
  const room = () => (lines.length === 0 ? firstWidth : width);
  let line = '';
  for (let word of text.split(/\s+/).filter((w) => w.length > 0)) {
    if (line && displayWidth(`${line} ${word}`) <= room()) {
      line = `${line} ${word}`;
      continue;
    }
    if (line) {
      lines.push(line);
      line = '';
    }
    while (displayWidth(word) > room()) {
      let cut = '';
      for (const ch of word) {
        if (displayWidth(cut + ch) > room()) break;
        cut += ch;
      }
      lines.push(cut);
      word = word.slice(cut.length);
    }
    line = word;
  }
  if (line) lines.push(line);
  return lines;
}

/** `label` + text wrapped to the box; later lines indented by `indent` spaces. */
function hanging(label: string, text: string, indent: number): string[] {
  const lines = wrapText(text, INNER - indent, INNER - displayWidth(label));
  if (lines.length === 0) return [label.trimEnd()];
  return lines.map((l, i) => (i === 0 ? label + l : ' '.repeat(indent) + l));
}

const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

interface BoxContent {
  heading: string;
  facts: string[];
  meaning: string;
  causes: string[];
  actions: string[];
  ifRepeats: string;
}

function renderBox(c: BoxContent): string {
  const body: string[] = [...c.facts, ''];
  body.push('Meaning:');
  for (const l of wrapText(c.meaning, INNER - 2)) body.push(`  ${l}`);
  const numbered = (title: string, items: string[]) => {
    if (items.length === 0) return;
    body.push(title);
    items.forEach((item, i) => body.push(...hanging(`  ${i + 1}. `, item, `  ${i + 1}. `.length)));
  };
  numbered('Common Causes:', c.causes);
  numbered('Recommended Actions:', c.actions);
  if (c.ifRepeats.trim()) body.push(...hanging('If it repeats: ', c.ifRepeats, 2));
  const row = (s: string) => `│ ${s}${' '.repeat(Math.max(0, INNER - displayWidth(s)))} │`;
  const rule = '─'.repeat(BOX_WIDTH - 2);
  return [
    `┌${rule}┐`,
    ...wrapText(c.heading, INNER).map(row),
    `├${rule}┤`,
    ...body.map(row),
    `└${rule}┘`,
  ].join('\n');
}

/** The explain box of one Xid. */
export function renderXidBox(e: XidEntry): string {
  const facts = [`Severity: ${capital(e.severity)}`];
  if (e.unused) facts.push('Not raised by current NVIDIA drivers (unused code).');
  return renderBox({
    heading: `Xid ${e.code}: ${e.title}`,
    facts,
    meaning: e.meaning,
    causes: e.causes,
    actions: e.actions,
    ifRepeats: e.if_repeats,
  });
}

/** The explain box of one NVSwitch SXid. */
export function renderSxidBox(e: SxidEntry): string {
  return renderBox({
    heading: `SXid ${e.code}: ${e.title}`,
    facts: [`Severity: ${capital(e.severity)} (NVIDIA: ${e.nvidia_severity.replace('_', ' ')})`, `NVSwitch unit: ${e.unit}`],
    meaning: e.meaning,
    causes: e.causes,
    actions: e.actions,
    ifRepeats: e.if_repeats,
  });
}

/** The `explain xid list` / `explain sxid list` table. */
export function renderCatalogTable(kind: 'Xid' | 'SXid', entries: readonly (XidEntry | SxidEntry)[]): string {
  return renderTable(
    [kind, 'Severity', 'Title'],
    entries.map((e) => [String(e.code), e.severity, e.title]),
  );
}

function parseCode(raw: string, kind: string): number {
  if (!/^\d{1,9}$/.test(raw)) throw new UsageError(`${kind} code must be a number (or "list"), got "${raw}"`);
  return Number(raw);
}

/** Registers `aami explain xid|sxid ...` on the program. */
export function registerExplainCommands(program: Command, deps: ExplainDeps = {}): void {
  const catalog = deps.catalog ?? (() => loadXidCatalog());
  const write = deps.write ?? ((t: string) => void process.stdout.write(t));
  const severity = () =>
    new Option('--severity <level>', 'with "list": only entries of this severity').choices(['critical', 'warning', 'info']);

  const explain = program.command('explain').description('what an NVIDIA Xid or NVSwitch SXid means and what to do (offline)');

  explain
    .command('xid')
    .description('explain one Xid, or "list" them all')
    .argument('<code>', 'Xid code, or "list"')
    .addOption(severity())
    .action((code: string, opts: { severity?: XidSeverity }, cmd: Command) => {
      const format = outputFormat(cmd);
      const c = catalog();
      if (code === 'list') {
        const items = c.listXid(opts.severity ? { severity: opts.severity } : {});
        write(format === 'json' ? `${JSON.stringify(items, null, 2)}\n` : `${renderCatalogTable('Xid', items)}\n`);
        return;
      }
      if (opts.severity) throw new UsageError('--severity goes with "aami explain xid list"');
      const n = parseCode(code, 'Xid');
      const entry = c.getXid(n);
      if (!entry) throw new CliError(`Xid ${n} is not in the catalog (known: 1-${c.xids.at(-1)?.code ?? 0}); see "aami explain xid list"`);
      write(format === 'json' ? `${JSON.stringify(entry, null, 2)}\n` : `${renderXidBox(entry)}\n`);
    });

  explain
    .command('sxid')
    .description('explain one NVSwitch SXid, or "list" them all')
    .argument('<code>', 'SXid code, or "list"')
    .addOption(severity())
    .action((code: string, opts: { severity?: XidSeverity }, cmd: Command) => {
      const format = outputFormat(cmd);
      const c = catalog();
      if (code === 'list') {
        const items = c.listSxid(opts.severity ? { severity: opts.severity } : {});
        write(format === 'json' ? `${JSON.stringify(items, null, 2)}\n` : `${renderCatalogTable('SXid', items)}\n`);
        return;
      }
      if (opts.severity) throw new UsageError('--severity goes with "aami explain sxid list"');
      const n = parseCode(code, 'SXid');
      const entry = c.getSxid(n);
      if (!entry) throw new CliError(`SXid ${n} is not in the catalog; see "aami explain sxid list"`);
      write(format === 'json' ? `${JSON.stringify(entry, null, 2)}\n` : `${renderSxidBox(entry)}\n`);
    });
}
