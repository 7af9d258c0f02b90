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

/** Renders rows as the brief's box table. */
export function renderTable(headers: string[], rows: string[][]): string {
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

/**
 * Text from the server (node names, reasons built from labels and logs) made safe to print: control
 * characters (escape sequences that could move the cursor or retitle the terminal) become "?".
 */
export function terminalSafe(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
}
