// How the CLI prints: box tables for people, `--output json` for scripts.

/** Display width of a string (East Asian wide chars and emoji count 2). */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp === 0xfe0f || cp === 0x200d) continue;
    w += cp >= 0x1100 && (cp <= 0x115f || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0x1f300 && cp <= 0x1faff)) ? 2 : 1;
  }
  return w;
}

const pad = (s: string, width: number) => s + ' '.repeat(Math.max(0, width - displayWidth(s)));

/**
 * Renders rows as the brief's box table. Every cell goes through terminalSafe here, so no caller can
 * forget it: cells are mostly node names, labels, reasons and logs that a node or the server sent.
 */
export function renderTable(rawHeaders: string[], rawRows: string[][]): string {
  const headers = rawHeaders.map((h) => terminalSafe(h));
  const rows = rawRows.map((r) => r.map((c) => terminalSafe(c)));
  const widths = headers.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const line = (l: string, m: string, r: string) => `${l}${widths.map((w) => '─'.repeat(w + 2)).join(m)}${r}`;
  const row = (cells: string[]) => `│${cells.map((c, i) => ` ${pad(c, widths[i] ?? 0)} `).join('│')}│`;
  return [line('┌', '┬', '┐'), row(headers), line('├', '┼', '┤'), ...rows.map(row), line('└', '┴', '┘')].join('\n');
}

/** The output format a read command was asked for. */
export type OutputFormat = 'table' | 'json';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

// Escape sequences are removed whole (not just their ESC), or their text would still reach the
// screen as junk: OSC/DCS/SOS/PM/APC strings up to BEL or ST (ESC \ or U+009C), to the end of the text
// when unterminated (the terminal would swallow the rest too); CSI with its parameters and final
// byte; any other ESC with its intermediates and final byte (ESC c resets the terminal). The 8-bit
// C1 introducers (U+0090, U+0098, U+009B-U+009F) are the same sequences in one character.
const ESCAPE_SEQUENCE = /(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^]*?(?:\x07|\x1b\\|\x9c|$)|(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?|\x1b[\x20-\x2f]*[\x30-\x7e]?/g;
const LINE_BREAK = /\r\n|[\n\r\v\f\x85\u2028\u2029]/g;
// What is left to drop: C0 and C1 controls, DEL, and the bidi embeddings, overrides, isolates and
// marks that make a terminal show text in another order than it is (names that "read" differently).
const INVISIBLE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Server- or node-provided text (GPU names, reasons, stderr tails, labels) made safe to print: nothing
 * in it can retitle the terminal, write the clipboard (OSC 52), move the cursor, overwrite (CR) or hide
 * what was printed. Escape sequences and control characters are removed. A value's own line breaks
 * become a visible "⏎" and tabs a space, so a value stays on its line (a table cell, a progress line);
 * with `keepNewlines` (multi-line messages whose line breaks the CLI or the server meant: error
 * details, a compiler's output) each line is made safe and "\n" is kept.
 */
export function terminalSafe(text: string, opts: { keepNewlines?: boolean } = {}): string {
  if (opts.keepNewlines) return text.split(/\r?\n/).map((line) => terminalSafe(line)).join('\n');
  return text.replace(ESCAPE_SEQUENCE, '').replace(LINE_BREAK, '⏎').replace(/\t/g, ' ').replace(INVISIBLE, '');
}
