// The shape every doctor check has, in the spirit of gpud's components: a name, a line saying what
// it looks at, and run(), which never throws and answers findings (a source it could not read is a
// finding too). Helpers here build findings and keep hostile or secret text out of them.
import type { DoctorFinding, DoctorSeverity } from '@aami/shared';

/** One doctor check. */
export interface DoctorCheck {
  /** Short, stable, kebab-case: what the CLI prints before each finding. */
  readonly name: string;
  /** What it looks at, for people (`aami doctor --output json` lists it). */
  readonly description: string;
  /** The findings; never rejects (the runner still guards against one that does). */
  run(): Promise<DoctorFinding[]>;
}

/** Longest text taken from a node, a label or a neighbour's answer into a finding. */
export const MAX_QUOTED = 300;

/** `text` on one line and at most `max` characters: what a node or a label says is quoted, not trusted. */
export function quote(text: string, max = MAX_QUOTED): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** A URL without its user and password, so a finding never shows a credential written into an address. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, url.endsWith('/') ? '/' : '');
  } catch {
    return url.replace(/\/\/[^/@\s]*@/, '//');
  }
}

/** Why a read failed, in words: the network's code (ECONNREFUSED) rather than fetch's "fetch failed". */
export function describeError(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'no answer in time';
  const cause = e?.cause?.code ?? e?.cause?.message;
  return quote(cause ? `${e.message === 'fetch failed' ? '' : `${e.message}: `}${cause}` : (e?.message ?? String(err)));
}

/** Builds findings of one check. */
export function findingsOf(check: string) {
  const make = (severity: DoctorSeverity) => (message: string, opts: { subject?: string; fix?: string } = {}): DoctorFinding => ({
    check, severity, ...(opts.subject !== undefined ? { subject: opts.subject } : {}), message, ...(opts.fix !== undefined ? { fix: opts.fix } : {}),
  });
  return { ok: make('ok'), warning: make('warning'), critical: make('critical') };
}
