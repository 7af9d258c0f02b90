// One neutral message model for every channel: the builders here decide *what* a person is told
// (title, facts, Xid meaning and first actions, links); the channel renderers only decide *how*
// (Slack Block Kit, email HTML/text). All strings here are plain text; renderers escape them.
import { z } from 'zod';
import { HEALTH_ACTION_TEXT, Severity } from '@aami/shared';
import type { AlertContext, AlertHealth } from './enrichment.ts';

/** A labelled fact shown as a field ("Node: gpu-node-07"). */
export interface MessageField {
  label: string;
  value: string;
}

/** A link shown under the message. */
export interface MessageLink {
  label: string;
  url: string;
}

/** What the Xid catalog says about the alert's Xid. */
export interface XidSection {
  code: number;
  name?: string;
  title: string;
  meaning?: string;
  /** The first things to do, in order (already specific to the node where the catalog allows). */
  actions: string[];
  ifRepeats?: string;
}

/** A message to a person, independent of the channel that carries it. */
export interface Message {
  kind: 'alert' | 'summary' | 'test';
  status: 'firing' | 'resolved';
  severity: Severity;
  /** One line; Slack shows it as the header, email as the subject. */
  title: string;
  /** A short paragraph under the title (may be empty). */
  text: string;
  fields: MessageField[];
  xid?: XidSection;
  /** Summary lines (storm summaries); empty otherwise. */
  items: string[];
  /** What to do, in the alert rule's words: its runbook annotation when that is prose, not a URL. */
  runbook?: string;
  links: MessageLink[];
  footer: string;
}

/** One alert held back during a storm, as the summary will list it (stored in Redis until sent). */
export const StormItem = z.object({
  line: z.string(),
  severity: Severity,
  status: z.enum(['firing', 'resolved']),
});
export type StormItem = z.infer<typeof StormItem>;

/** Cuts `s` to at most `max` characters, marking the cut. */
export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/**
 * `url` normalised when it is an http(s) URL, else undefined. The one scheme check: the builder
 * uses it to tell a runbook URL from runbook prose, and every renderer before it makes a link, so a
 * `javascript:` or `data:` URL out of an annotation or the payload is never clickable.
 */
export function safeHref(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.toString() : undefined;
  } catch {
    return undefined;
  }
}

/** How many catalog actions a message carries. */
export const FIRST_ACTIONS = 3;

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** Colour of a message: green once resolved, else by severity. Hex, as Slack attachments and HTML want. */
export function messageColour(msg: Pick<Message, 'status' | 'severity' | 'kind'>): string {
  if (msg.kind === 'test') return '#4A90D9';
  if (msg.status === 'resolved') return '#2EB67D';
  return msg.severity === 'critical' ? '#D7263D' : msg.severity === 'warning' ? '#F2A900' : '#4A90D9';
}

/** "2024-05-01 10:00:00 UTC" from an RFC 3339 time; the input unchanged when it does not parse. */
export function formatTime(t: string): string {
  const ms = Date.parse(t.replace(/(\.\d{3})\d+/, '$1'));
  if (Number.isNaN(ms)) return t;
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** "1h 5m", "12m 3s", "40s" between two RFC 3339 times; undefined when either does not parse. */
export function formatDuration(from: string, to: string): string | undefined {
  const a = Date.parse(from.replace(/(\.\d{3})\d+/, '$1'));
  const b = Date.parse(to.replace(/(\.\d{3})\d+/, '$1'));
  if (Number.isNaN(a) || Number.isNaN(b) || b < a) return undefined;
  let s = Math.round((b - a) / 1000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const parts = [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : '', s && !d && !h ? `${s}s` : ''].filter(Boolean);
  return parts.length ? parts.slice(0, 2).join(' ') : '0s';
}

function where(ctx: AlertContext): string {
  let out = ctx.node ? ` on ${ctx.node}` : '';
  if (ctx.gpu !== undefined) out += ` GPU ${ctx.gpu}`;
  else if (ctx.uuid) out += ` GPU ${ctx.uuid}`;
  return out;
}

function headline(ctx: AlertContext): string {
  if (ctx.xid) return `Xid ${ctx.xid.code}: ${ctx.xid.title}`;
  if (ctx.xidCode !== undefined) return `Xid ${ctx.xidCode} (not in AAMI's Xid catalog)`;
  return ctx.summary ?? ctx.alertname;
}

/** Catalog actions name the node as "<node>"; put the real one in when we know it. */
function localise(action: string, ctx: AlertContext): string {
  return ctx.node ? action.replaceAll('<node>', ctx.node) : action;
}

/**
 * The line that says how the GPU is and what to do next ("Health: unhealthy — next: drain the node
 * and have the hardware inspected ..."). A resolved alert still carries the labels it fired with, so
 * its line says what they were then, not what the GPU is now.
 */
export function healthLine(health: AlertHealth, resolved = false): string {
  const next = HEALTH_ACTION_TEXT[health.action];
  return resolved ? `Health when it fired: ${health.state} — the suggested action was: ${next}` : `Health: ${health.state} — next: ${next}`;
}

/** The message for one alert, firing or resolved. */
export function buildAlertMessage(ctx: AlertContext, opts: { externalURL?: string } = {}): Message {
  const resolved = ctx.status === 'resolved';
  const title = `${resolved ? 'RESOLVED' : ctx.severity.toUpperCase()}: ${headline(ctx)}${where(ctx)}`;
  const textParts: string[] = [];
  if (resolved) {
    const took = ctx.endsAt ? formatDuration(ctx.startsAt, ctx.endsAt) : undefined;
    textParts.push(`This alert stopped firing${ctx.endsAt ? ` at ${formatTime(ctx.endsAt)}` : ''}${took ? ` after ${took}` : ''}.`);
  }
  if (ctx.health) textParts.push(healthLine(ctx.health, resolved));
  const lead = ctx.description ?? ctx.summary;
  if (lead && lead !== headline(ctx)) textParts.push(lead);

  const fields: MessageField[] = [];
  const add = (label: string, value: string | undefined): void => {
    if (value !== undefined && value !== '') fields.push({ label, value });
  };
  add('Node', ctx.node);
  add('GPU', ctx.gpu);
  add('GPU UUID', ctx.uuid);
  add('Model', ctx.model);
  add('PCI bus', ctx.pciBusId);
  add('Value', ctx.value);
  add('Alert', ctx.alertname);
  add('Severity', ctx.severity);
  add('Cluster', ctx.cluster);
  add(resolved ? 'Fired at' : 'Since', formatTime(ctx.startsAt));

  let xid: XidSection | undefined;
  if (ctx.xid) {
    xid = resolved
      ? { code: ctx.xid.code, name: ctx.xid.name, title: ctx.xid.title, actions: [], ifRepeats: ctx.xid.if_repeats || undefined }
      : {
          code: ctx.xid.code,
          name: ctx.xid.name,
          title: ctx.xid.title,
          meaning: ctx.xid.meaning,
          actions: ctx.xid.actions.slice(0, FIRST_ACTIONS).map((a) => localise(a, ctx)),
        };
  } else if (ctx.xidCode !== undefined && !resolved) {
    xid = {
      code: ctx.xidCode,
      title: 'not in the catalog',
      meaning: `AAMI's Xid catalog has no entry for Xid ${ctx.xidCode}; it may be newer than this AAMI release.`,
      actions: ["Look the code up in NVIDIA's Xid documentation for your driver version.", 'Collect nvidia-bug-report.sh output from the node before rebooting it.'],
    };
  }

  // AAMI's presets write the runbook as prose ("Drain the GPU now, ..."): only a lone http(s) URL
  // is a link; prose that starts with one stays prose.
  const runbookUrl = ctx.runbook && !/\s/.test(ctx.runbook) ? safeHref(ctx.runbook) : undefined;
  const links: MessageLink[] = [];
  if (runbookUrl) links.push({ label: 'Runbook', url: runbookUrl });
  if (ctx.generatorURL) links.push({ label: 'Source', url: ctx.generatorURL });
  if (opts.externalURL) links.push({ label: 'Alertmanager', url: opts.externalURL });

  const msg: Message = {
    kind: 'alert',
    status: ctx.status,
    severity: ctx.severity,
    title,
    text: textParts.join('\n'),
    fields,
    items: [],
    links,
    footer: `AAMI notification relay · alert ${ctx.fingerprint}`,
  };
  if (xid) msg.xid = xid;
  if (ctx.runbook && !runbookUrl) msg.runbook = ctx.runbook;
  return msg;
}

/** The line a storm summary shows for one alert. */
export function stormItem(ctx: AlertContext): StormItem {
  const what = ctx.xid ? `Xid ${ctx.xid.code} ${ctx.xid.title}` : ctx.xidCode !== undefined ? `Xid ${ctx.xidCode}` : ctx.summary;
  const status = ctx.status === 'resolved' ? 'RESOLVED' : ctx.severity.toUpperCase();
  return {
    line: `${status} ${ctx.alertname}${where(ctx)}${what ? ` - ${what}` : ''} (since ${formatTime(ctx.startsAt)})`,
    severity: ctx.severity,
    status: ctx.status,
  };
}

/** One storm summary message (part `part` of `parts`): every held-back alert, worst first. */
export function buildSummaryMessage(items: readonly StormItem[], info: { channel: string; threshold: number; windowMs: number; part: number; parts: number; total: number }): Message {
  const sorted = [...items].sort((a, b) => (a.status === b.status ? 0 : a.status === 'firing' ? -1 : 1) || SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.line.localeCompare(b.line));
  const worst = sorted.find((i) => i.status === 'firing')?.severity ?? 'info';
  const allResolved = sorted.every((i) => i.status === 'resolved');
  const firing = sorted.filter((i) => i.status === 'firing').length;
  const part = info.parts > 1 ? ` (part ${info.part} of ${info.parts})` : '';
  const windowS = Math.max(1, Math.round(info.windowMs / 1000));
  return {
    kind: 'summary',
    status: allResolved ? 'resolved' : 'firing',
    severity: worst,
    title: `Alert storm: ${info.total} more alerts grouped into this summary${part}`,
    text: `More than ${info.threshold} alerts reached ${info.channel} within ${windowS}s, so the rest are listed here instead of one message each. ${firing} firing, ${sorted.length - firing} resolved in this part.`,
    fields: [],
    items: sorted.map((i) => i.line),
    links: [],
    footer: 'AAMI notification relay · storm summary',
  };
}

/** The message POST /api/v1/notifications/test sends. */
export function buildTestMessage(channel: string, now = new Date()): Message {
  return {
    kind: 'test',
    status: 'firing',
    severity: 'info',
    title: `AAMI test message for ${channel}`,
    text: `If you can read this, AAMI can deliver alerts to this ${channel} channel. Sent at ${formatTime(now.toISOString())}.`,
    fields: [],
    items: [],
    links: [],
    footer: 'AAMI notification relay · test',
  };
}
