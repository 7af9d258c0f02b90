// Small building blocks every screen shares: labelled fields, buttons that are read-only for
// viewer tokens, error boxes that list every detail the gateway gave, and the "changed elsewhere"
// banner for stale writes.
import { ApiError } from './api.ts';
import { h, replace, uid, type Child } from './dom.ts';
import { isAdmin } from './session.ts';
import type { ErrorDetail, Severity } from './types.ts';

/** Tooltip on every control a viewer token may not use. */
export const NEEDS_ADMIN = 'needs an admin token';

type Control = HTMLButtonElement | HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

/** Disables a control (with the reason as tooltip) when the signed-in token is a viewer's. */
export function adminOnly<T extends Control>(el: T): T {
  if (!isAdmin()) {
    el.disabled = true;
    el.title = NEEDS_ADMIN;
    el.setAttribute('aria-description', NEEDS_ADMIN);
    el.classList.add('read-only');
  }
  return el;
}

export interface ButtonOptions {
  kind?: 'primary' | 'secondary' | 'danger' | 'link';
  /** Writes: disabled for viewers. */
  write?: boolean;
  type?: 'button' | 'submit';
  label?: string;
}

/** A button; `write: true` makes it admin-only. */
export function button(text: Child, onClick: ((ev: MouseEvent) => void) | null, opts: ButtonOptions = {}): HTMLButtonElement {
  const b = h('button', {
    class: `btn btn-${opts.kind ?? 'secondary'}`,
    attrs: { type: opts.type ?? 'button', 'aria-label': opts.label },
    on: onClick ? { click: onClick } : {},
  }, text);
  return opts.write ? adminOnly(b) : b;
}

/** A label + control (+ hint) block; the label is tied to the control by id. */
export function field(label: string, control: Control, hint?: Child): HTMLDivElement {
  if (!control.id) control.id = uid('field');
  const hintEl = hint ? h('p', { class: 'hint', attrs: { id: `${control.id}-hint` } }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { attrs: { for: control.id } }, label), control, hintEl);
}

/** A checkbox with its label after it. */
export function checkField(label: Child, box: HTMLInputElement): HTMLDivElement {
  if (!box.id) box.id = uid('check');
  return h('div', { class: 'check' }, box, h('label', { attrs: { for: box.id } }, label));
}

/** A text input (type text unless given). */
export function input(attrs: Record<string, string | number | boolean | undefined> = {}): HTMLInputElement {
  return h('input', { attrs: { type: 'text', autocomplete: 'off', spellcheck: 'false', ...attrs } });
}

/** A drop-down of `[value, text]` options. */
export function select(options: ReadonlyArray<readonly [string, string]>, value: string, attrs: Record<string, string | boolean | undefined> = {}): HTMLSelectElement {
  const s = h('select', { attrs }, options.map(([v, t]) => h('option', { attrs: { value: v } }, t)));
  s.value = value;
  return s;
}

const SEVERITY_TEXT: Record<Severity, string> = { critical: 'Critical', warning: 'Warning', info: 'Info' };

/** Severity in words, for badges and drop-downs. */
export const severityText = (s: string): string => SEVERITY_TEXT[s as Severity] ?? s;

/** A coloured severity badge (colour is never the only signal: the word is always there). */
export function severityBadge(s: string): HTMLSpanElement {
  return h('span', { class: `badge sev-${s in SEVERITY_TEXT ? s : 'unknown'}` }, severityText(s));
}

/** One detail as a sentence: "Line 3: ..." or "ip: ...". */
export function detailText(d: ErrorDetail): string {
  const where = d.line !== undefined ? `Line ${d.line}` : d.path ? d.path : '';
  return where ? `${where}: ${d.message}` : d.message;
}

/** Explains an error in plain words, with every detail the gateway sent. */
export function errorBox(err: unknown, what?: string): HTMLDivElement {
  let title: string;
  let details: ErrorDetail[] = [];
  if (err instanceof ApiError) {
    details = err.details;
    title = err.status === 403 ? 'Not allowed: this needs an admin token, and you are signed in with a viewer token.' : err.message;
    // "node is invalid: name: ...; ip: ..." repeats the details listed below: keep the first part.
    const m = details.length > 0 ? /^(.*? is invalid): /.exec(title) : null;
    if (m?.[1]) title = `${m[1]}:`;
  } else {
    title = err instanceof Error ? err.message : String(err);
  }
  return h('div', { class: 'message error', attrs: { role: 'alert' } },
    h('p', { class: 'message-title' }, what ? `${what}: ` : '', title),
    details.length > 0 ? h('ul', { class: 'details' }, details.map((d) => h('li', null, detailText(d)))) : null,
  );
}

/** A success / info line. */
export function note(kind: 'ok' | 'info' | 'warn', ...text: Child[]): HTMLDivElement {
  return h('div', { class: `message ${kind}`, attrs: { role: 'status' } }, ...text);
}

let conflictHost: HTMLElement | null = null;
let conflictReload: () => void = () => location.reload();

/** Where the stale-write banner goes, and how the current screen is drawn again from the API. */
export function setScreenHost(host: HTMLElement, reload: () => void): void {
  conflictHost = host;
  conflictReload = reload;
}

/** Draws the current screen again with fresh data (after a write, or from Reload). */
export function reloadScreen(): void {
  conflictReload();
}

let pendingFlash: string | undefined;

/** A success message to show at the top of the next drawn screen (a write, then a reload). */
export function flash(text: string): void {
  pendingFlash = text;
}

/** Takes the pending success message, if any. */
export function takeFlash(): string | undefined {
  const t = pendingFlash;
  pendingFlash = undefined;
  return t;
}

/** Text of the stale-write banner. */
export const CONFLICT_TEXT = 'This changed elsewhere since you loaded it. Reload to see the latest (your edit was not saved).';

/** Shows the "changed elsewhere" banner with a Reload button; the edit on screen is left as typed. */
export function showConflict(): void {
  if (!conflictHost) return;
  const reload = button('Reload', () => { clearConflict(); conflictReload(); }, { kind: 'primary' });
  replace(conflictHost, h('div', { class: 'banner conflict', attrs: { role: 'alert' } },
    h('span', { class: 'banner-icon', attrs: { 'aria-hidden': 'true' } }, '⚠'),
    h('p', null, CONFLICT_TEXT),
    reload,
  ));
  conflictHost.hidden = false;
  reload.focus();
}

export function clearConflict(): void {
  if (!conflictHost) return;
  replace(conflictHost);
  conflictHost.hidden = true;
}

/**
 * Shows a failed write: a stale revision raises the banner (and a short note in `where`), any
 * other error is listed in `where` with its details.
 */
export function showWriteError(where: HTMLElement, err: unknown, what?: string): void {
  if (err instanceof ApiError && err.isStale) {
    showConflict();
    replace(where, h('div', { class: 'message warn', attrs: { role: 'status' } }, 'Not saved: this changed elsewhere. Reload, then make your edit again.'));
    return;
  }
  replace(where, errorBox(err, what));
}

/** Runs `work` with `btn` disabled and marked busy, restoring it afterwards. */
export async function busy<T>(btn: HTMLButtonElement, work: () => Promise<T>, busyText?: string): Promise<T> {
  const before = Array.from(btn.childNodes);
  btn.disabled = true;
  btn.setAttribute('aria-busy', 'true');
  if (busyText) replace(btn, busyText);
  try {
    return await work();
  } finally {
    btn.disabled = false;
    btn.removeAttribute('aria-busy');
    if (busyText) replace(btn, ...before);
    if (!isAdmin() && btn.classList.contains('read-only')) btn.disabled = true;
  }
}

/** "3 minutes ago" from an ISO time (or the time itself when far off). */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.round((now - t) / 1000);
  if (s < 0) return new Date(t).toLocaleString();
  if (s < 60) return `${s} second${s === 1 ? '' : 's'} ago`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} minute${m === 1 ? '' : 's'} ago`;
  const hr = Math.round(m / 60);
  if (hr < 48) return `${hr} hour${hr === 1 ? '' : 's'} ago`;
  return `${Math.round(hr / 24)} days ago`;
}

/** A screen's heading block: h1 (focusable, so navigation can move focus to it) and intro text. */
export function pageHeader(title: string, intro: Child, ...actions: Child[]): HTMLElement {
  return h('header', { class: 'page-header' },
    h('div', null,
      h('h1', { attrs: { tabindex: -1 } }, title),
      intro ? h('p', { class: 'intro' }, intro) : null,
    ),
    actions.length > 0 ? h('div', { class: 'page-actions' }, ...actions) : null,
  );
}

/** A titled section (card). */
export function section(title: string, intro: Child, ...children: Child[]): HTMLElement {
  const id = uid('sec');
  return h('section', { class: 'card', attrs: { 'aria-labelledby': id } },
    h('h2', { attrs: { id } }, title),
    intro ? h('p', { class: 'intro' }, intro) : null,
    ...children,
  );
}
