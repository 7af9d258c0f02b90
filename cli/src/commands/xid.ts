// `aami xid scan <FILE|->`: finds NVIDIA Xid, NVSwitch SXid and "fallen off the bus" events in a
// kernel log (dmesg, journalctl -k, kern.log; a file or standard input) and prints them with the
// catalog's name and severity, as a table or `--output json`. Offline: no server needed.
import { createReadStream } from 'node:fs';
import type { Command } from 'commander';
import { KernelLogParser, describeKernelLogEvent, loadXidCatalog } from '@aami/shared/xid/index';
import type { KernelLogEvent, XidCatalog } from '@aami/shared/xid/index';
import { outputFormat } from '../context.ts';
import { CliError } from '../errors.ts';
import { renderTable } from '../output.ts';

/** What the command reads and writes; tests pass their own. */
export interface XidDeps {
  catalog?: () => XidCatalog;
  write?: (text: string) => void;
  stdin?: NodeJS.ReadableStream;
}

/** A kernel-log event with the catalog's facts. */
export type ScannedEvent = KernelLogEvent & { name?: string; title?: string; severity?: string };

/** Reads a stream through the streaming parser (constant memory for big logs). */
export async function scanStream(stream: NodeJS.ReadableStream, catalog: XidCatalog): Promise<{ events: ScannedEvent[]; lines: number }> {
  const parser = new KernelLogParser();
  const events: ScannedEvent[] = [];
  const add = (found: KernelLogEvent[]) => {
    for (const e of found) events.push({ ...e, ...describeKernelLogEvent(e, catalog) });
  };
  stream.setEncoding('utf8');
  for await (const chunk of stream) add(parser.feed(chunk as string));
  add(parser.end());
  return { events, lines: parser.lineCount };
}

const MESSAGE_WIDTH = 72;

/** The table of `aami xid scan`. */
export function renderScanTable(events: readonly ScannedEvent[]): string {
  const time = (e: ScannedEvent) =>
    e.timestamp ?? (e.monotonicSeconds !== undefined ? `[${e.monotonicSeconds.toFixed(6)}]` : '-');
  const code = (e: ScannedEvent) => (e.kind === 'sxid' ? `SXid ${e.code}` : e.untagged ? `${e.code} (untagged)` : String(e.code));
  const message = (e: ScannedEvent) => (e.message.length > MESSAGE_WIDTH ? `${e.message.slice(0, MESSAGE_WIDTH - 1)}…` : e.message);
  return renderTable(
    ['Time', 'PCI bus ID', 'Xid', 'Name', 'Severity', 'Message'],
    events.map((e) => [time(e), e.pciBusId || '-', code(e), e.title ?? '(not in catalog)', e.severity ?? '-', message(e)]),
  );
}

/** Registers `aami xid scan` on the program. */
export function registerXidCommands(program: Command, deps: XidDeps = {}): void {
  const catalog = deps.catalog ?? (() => loadXidCatalog());
  const write = deps.write ?? ((t: string) => void process.stdout.write(t));
  const xid = program.command('xid').description('NVIDIA Xid tools that work offline');

  xid
    .command('scan')
    .description('find Xid / SXid / GPU-lost events in a kernel log (dmesg, journalctl -k, kern.log)')
    .argument('<file>', 'log file, or - for standard input')
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const format = outputFormat(cmd);
      const c = catalog();
      let result: { events: ScannedEvent[]; lines: number };
      try {
        const stream = file === '-' ? (deps.stdin ?? process.stdin) : createReadStream(file);
        result = await scanStream(stream, c);
      } catch (err) {
        throw new CliError(`cannot read ${file === '-' ? 'standard input' : file}: ${(err as Error).message}`);
      }
      if (format === 'json') {
        write(`${JSON.stringify(result.events, null, 2)}\n`);
        return;
      }
      if (result.events.length === 0) {
        write(`No Xid, SXid or GPU-lost events in ${result.lines} line(s).\n`);
        return;
      }
      write(`${renderScanTable(result.events)}\n`);
      const critical = result.events.filter((e) => e.severity === 'critical').length;
      write(`${result.events.length} event(s) in ${result.lines} line(s), ${critical} critical. Details: aami explain xid <code>\n`);
    });
}
