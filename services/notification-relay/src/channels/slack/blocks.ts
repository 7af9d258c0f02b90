// Renders the neutral message model as a Slack incoming-webhook payload: a header block with the
// title, and a colour bar (an attachment, the only way Slack colours a message) holding the facts,
// the Xid's meaning and first actions, the runbook, and links (http(s) only). Every message string
// is shown as plain text: label values are the sender's text and must not format, link or ping.
// Keeps within Slack's limits: header text <= 150 chars, section text <= 3000, <= 10 fields of
// <= 2000 chars, <= 50 blocks.
import { messageColour, safeHref, truncate, type Message } from '../../domain/message.ts';

/** Slack's limits for the block types this renderer writes. */
export const SLACK_LIMITS = { headerText: 150, sectionText: 3000, fieldText: 2000, fields: 10, blocks: 50, contextElements: 10 } as const;

/** A Block Kit block as this renderer writes it. */
export interface SlackBlock {
  type: 'header' | 'section' | 'context' | 'divider';
  text?: { type: 'plain_text' | 'mrkdwn'; text: string };
  fields?: Array<{ type: 'mrkdwn'; text: string }>;
  elements?: Array<{ type: 'mrkdwn'; text: string }>;
}

/** The JSON body posted to the webhook. */
export interface SlackPayload {
  text: string;
  channel?: string;
  blocks: SlackBlock[];
  attachments: Array<{ color: string; fallback: string; blocks: SlackBlock[] }>;
}

const ZWJ = '\u200D';
const ZWSP = '\u200B';

/**
 * Makes `s` show in a mrkdwn field as the plain text it is: every message string passes through
 * here, and label values reach most of them. Slack documents an escape only for & < >, so:
 * - & < > become entities, so `<https://evil|click>` and `<!channel>` are text, not a link or ping;
 * - a zero-width joiner goes on both sides of each * _ ~ ` that could open or close formatting, so
 *   `*x*` is not bold. Slack never formats inside a word, so a mark between letters or digits
 *   (PAGE_RETIREMENT, node_exporter) is left alone and stays copyable;
 * - a zero-width space goes after "://" and "www" so Slack does not auto-link a URL in a label.
 */
export function escapeMrkdwn(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/(?<![\p{L}\p{N}])[*_~`]|[*_~`](?![\p{L}\p{N}])/gu, `${ZWJ}$&${ZWJ}`)
    .replace(/:\/\//g, `:${ZWSP}//`)
    .replace(/\b(www)\./gi, `$1${ZWSP}.`);
}

/** A Slack link to an http(s) URL; any other URL (javascript:, data:, not a URL) is shown as text. */
function link(url: string, label: string): string {
  const href = safeHref(url);
  return href ? `<${href.replace(/[|<>\s]/g, encodeURIComponent)}|${escapeMrkdwn(label)}>` : `${escapeMrkdwn(label)}: ${escapeMrkdwn(url)}`;
}

function section(text: string): SlackBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(text, SLACK_LIMITS.sectionText) } };
}

/** Packs lines into as few section blocks as fit Slack's text limit. */
function packLines(lines: readonly string[], maxBlocks: number): SlackBlock[] {
  const blocks: SlackBlock[] = [];
  let current = '';
  for (let i = 0; i < lines.length; i++) {
    const line = truncate(lines[i] ?? '', 500);
    if (current && current.length + 1 + line.length > SLACK_LIMITS.sectionText) {
      if (blocks.length === maxBlocks - 1) {
        blocks.push(section(`${current}\n…and ${lines.length - i} more`));
        return blocks;
      }
      blocks.push(section(current));
      current = '';
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current) blocks.push(section(current));
  return blocks;
}

/** The Slack payload for `msg`; `channel` overrides the webhook's default channel when set. */
export function renderSlackPayload(msg: Message, opts: { channel?: string } = {}): SlackPayload {
  const inner: SlackBlock[] = [];
  if (msg.text) inner.push(section(escapeMrkdwn(msg.text)));
  if (msg.fields.length > 0) {
    inner.push({
      type: 'section',
      fields: msg.fields.slice(0, SLACK_LIMITS.fields).map((f) => ({ type: 'mrkdwn', text: truncate(`*${escapeMrkdwn(f.label)}*\n${escapeMrkdwn(f.value)}`, SLACK_LIMITS.fieldText) })),
    });
  }
  if (msg.xid) {
    const x = msg.xid;
    const head = `*Xid ${x.code}${x.name ? ` · ${escapeMrkdwn(x.name)}` : ''}*`;
    inner.push(section(x.meaning ? `${head}\n${escapeMrkdwn(x.meaning)}` : head));
    if (x.actions.length > 0) {
      inner.push(section(`*What to do first*\n${x.actions.map((a, i) => `${i + 1}. ${escapeMrkdwn(a)}`).join('\n')}`));
    }
    if (x.ifRepeats) inner.push(section(`*If it comes back*\n${escapeMrkdwn(x.ifRepeats)}`));
  }
  if (msg.runbook) inner.push(section(`*Runbook*\n${escapeMrkdwn(msg.runbook)}`));
  if (msg.items.length > 0) {
    const room = SLACK_LIMITS.blocks - 1 - inner.length - 2;
    inner.push(...packLines(msg.items.map((i) => `• ${escapeMrkdwn(i)}`), room));
  }
  if (msg.links.length > 0) {
    inner.push({ type: 'context', elements: [{ type: 'mrkdwn', text: msg.links.slice(0, SLACK_LIMITS.contextElements).map((l) => link(l.url, l.label)).join('  ·  ') }] });
  }
  inner.push({ type: 'context', elements: [{ type: 'mrkdwn', text: escapeMrkdwn(msg.footer) }] });

  const title = truncate(msg.title, SLACK_LIMITS.headerText);
  const payload: SlackPayload = {
    text: escapeMrkdwn(msg.title),
    blocks: [{ type: 'header', text: { type: 'plain_text', text: title } }],
    attachments: [{ color: messageColour(msg), fallback: escapeMrkdwn(msg.title), blocks: inner }],
  };
  if (opts.channel) payload.channel = opts.channel;
  return payload;
}
