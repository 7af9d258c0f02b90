// Pure text and data helpers (no DOM), so unit tests run them under Node: PascalCase alert names
// into words, Prometheus template placeholders into label names, durations, label lists, plurals,
// and install-run answers into one per-node progress shape.
import type { InstallNodeProgress, InstallRun, InstallState } from './types.ts';

const ACRONYMS: Record<string, string> = {
  Gpu: 'GPU', Gpus: 'GPUs', Ecc: 'ECC', Nvlink: 'NVLink', Pcie: 'PCIe', Cpu: 'CPU', Dcgm: 'DCGM', Sxid: 'SXid',
  Ntp: 'NTP', Sram: 'SRAM', Dram: 'DRAM', Hbm: 'HBM', Nvswitch: 'NVSwitch', Aami: 'AAMI', Xid: 'Xid',
};

/** "GpuTemperatureCritical" -> "GPU Temperature Critical". */
export function humanizeRuleName(name: string): string {
  return name
    .split(/(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|_/)
    .filter(Boolean)
    .map((w) => ACRONYMS[w] ?? w)
    .join(' ');
}

/** "GPU {{ $labels.gpu }} is hot ({{ $value }})" -> "GPU ‹gpu› is hot (‹value›)". */
export function readableTemplate(text: string): string {
  return text
    .replace(/\{\{-?\s*\$labels\.([A-Za-z_][A-Za-z0-9_]*)\s*-?\}\}/g, '‹$1›')
    .replace(/\{\{-?\s*\$value\b[^}]*\}\}/g, '‹value›')
    .replace(/\{\{[^}]*\}\}/g, '…');
}

/** "1 node", "3 nodes". */
export const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

/** "5m" -> [5, 'm']; anything compound ("1h30m") -> null (edited as text). */
export function splitDuration(d: string): [number, string] | null {
  const m = /^(\d+)(s|m|h|d)$/.exec(d);
  return m ? [Number(m[1]), m[2] ?? 'm'] : null;
}

/** Parses "k=v, k2=v2" (commas, spaces or new lines between pairs); `bad` lists what is not k=v. */
export function parseLabels(text: string): { labels: Record<string, string>; bad: string[] } {
  const labels: Record<string, string> = {};
  const bad: string[] = [];
  for (const part of text.split(/[\s,]+/).filter(Boolean)) {
    const i = part.indexOf('=');
    if (i <= 0) bad.push(part);
    else labels[part.slice(0, i)] = part.slice(i + 1);
  }
  return { labels, bad };
}

/** Install states in words. */
export const INSTALL_STATE_TEXT: Record<InstallState, string> = {
  queued: 'Waiting', running: 'Installing', retrying: 'Retrying', done: 'Done', failed: 'Failed', unchanged: 'Already up to date',
};

/** States a node does not leave. */
export const FINAL_INSTALL_STATES: ReadonlySet<InstallState> = new Set<InstallState>(['done', 'failed', 'unchanged']);

/**
 * Per-node progress from GET /install/runs/:id (its `states`, each with `percent` and `result`). A
 * state this UI does not know yet (a newer worker) is drawn as running.
 */
export function installProgress(run: Pick<InstallRun, 'states'>): InstallNodeProgress[] {
  return run.states.map((s) => {
    const state: InstallState = s.state === 'done' && s.result === 'unchanged' ? 'unchanged'
      : (Object.hasOwn(INSTALL_STATE_TEXT, s.state) ? s.state : 'running');
    const p: InstallNodeProgress = { node: s.node, state, progress: FINAL_INSTALL_STATES.has(state) && state !== 'failed' ? 100 : s.percent };
    if (s.step !== undefined) p.step = s.step;
    if (s.reason !== undefined) p.reason = s.reason;
    if (s.durationMs !== undefined) p.durationMs = s.durationMs;
    return p;
  });
}
