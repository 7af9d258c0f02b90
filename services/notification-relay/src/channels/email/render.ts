// Renders the neutral message model as an email: a subject line, an HTML part (inline styles, a
// severity-coloured bar, a facts table, the Xid's meaning and first actions, the runbook) and a plain-text part
// with the same content for clients and pagers that read only text.
import { messageColour, safeHref, type Message } from '../../domain/message.ts';

/** The three parts of a rendered email. */
export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function renderText(msg: Message): string {
  const out: string[] = [msg.title, '='.repeat(Math.min(msg.title.length, 72)), ''];
  if (msg.text) out.push(msg.text, '');
  if (msg.fields.length) {
    const width = Math.max(...msg.fields.map((f) => f.label.length));
    for (const f of msg.fields) out.push(`${`${f.label}:`.padEnd(width + 2)}${f.value}`);
    out.push('');
  }
  if (msg.xid) {
    out.push(`Xid ${msg.xid.code}${msg.xid.name ? ` (${msg.xid.name})` : ''}: ${msg.xid.title}`);
    if (msg.xid.meaning) out.push(msg.xid.meaning);
    out.push('');
    if (msg.xid.actions.length) {
      out.push('What to do first:');
      msg.xid.actions.forEach((a, i) => out.push(`  ${i + 1}. ${a}`));
      out.push('');
    }
    if (msg.xid.ifRepeats) out.push('If it comes back:', `  ${msg.xid.ifRepeats}`, '');
  }
  if (msg.runbook) out.push('Runbook:', `  ${msg.runbook}`, '');
  if (msg.items.length) {
    for (const i of msg.items) out.push(`  - ${i}`);
    out.push('');
  }
  if (msg.links.length) {
    out.push('Links:');
    for (const l of msg.links) out.push(`  ${l.label}: ${l.url}`);
    out.push('');
  }
  out.push('-- ', msg.footer, '');
  return out.join('\n');
}

function renderHtml(msg: Message): string {
  const colour = messageColour(msg);
  const parts: string[] = [];
  parts.push(`<h2 style="margin:0 0 12px 0;font-size:18px">${escapeHtml(msg.title)}</h2>`);
  if (msg.text) parts.push(`<p style="margin:0 0 12px 0">${escapeHtml(msg.text).replace(/\n/g, '<br>')}</p>`);
  if (msg.fields.length) {
    const rows = msg.fields
      .map((f) => `<tr><th align="left" style="padding:2px 12px 2px 0;color:#555;font-weight:600">${escapeHtml(f.label)}</th><td style="padding:2px 0">${escapeHtml(f.value)}</td></tr>`)
      .join('');
    parts.push(`<table cellspacing="0" cellpadding="0" style="margin:0 0 12px 0;font-size:14px">${rows}</table>`);
  }
  if (msg.xid) {
    const x = msg.xid;
    parts.push(`<h3 style="margin:12px 0 4px 0;font-size:15px">Xid ${x.code}${x.name ? ` &middot; ${escapeHtml(x.name)}` : ''}: ${escapeHtml(x.title)}</h3>`);
    if (x.meaning) parts.push(`<p style="margin:0 0 8px 0">${escapeHtml(x.meaning)}</p>`);
    if (x.actions.length) {
      parts.push(`<h3 style="margin:12px 0 4px 0;font-size:15px">What to do first</h3>`);
      parts.push(`<ol style="margin:0 0 8px 0">${x.actions.map((a) => `<li>${escapeHtml(a)}</li>`).join('')}</ol>`);
    }
    if (x.ifRepeats) parts.push(`<h3 style="margin:12px 0 4px 0;font-size:15px">If it comes back</h3><p style="margin:0 0 8px 0">${escapeHtml(x.ifRepeats)}</p>`);
  }
  if (msg.runbook) parts.push(`<h3 style="margin:12px 0 4px 0;font-size:15px">Runbook</h3><p style="margin:0 0 8px 0">${escapeHtml(msg.runbook)}</p>`);
  if (msg.items.length) parts.push(`<ul style="margin:0 0 12px 0;font-family:monospace;font-size:13px">${msg.items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`);
  if (msg.links.length) {
    const links = msg.links.map((l) => {
      const href = safeHref(l.url);
      return href ? `<a href="${escapeHtml(href)}">${escapeHtml(l.label)}</a>` : `${escapeHtml(l.label)}: ${escapeHtml(l.url)}`;
    });
    parts.push(`<p style="margin:12px 0 0 0">${links.join(' &middot; ')}</p>`);
  }
  parts.push(`<p style="margin:16px 0 0 0;color:#888;font-size:12px">${escapeHtml(msg.footer)}</p>`);
  return [
    '<!doctype html>',
    `<html><head><meta charset="utf-8"><title>${escapeHtml(msg.title)}</title></head>`,
    '<body style="margin:0;padding:16px;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#1d1d1d">',
    `<div style="border-left:6px solid ${colour};padding:4px 0 4px 16px">`,
    ...parts,
    '</div></body></html>',
  ].join('\n');
}

/** Subject, text and HTML for `msg`. */
export function renderEmail(msg: Message): RenderedEmail {
  return { subject: `[AAMI] ${msg.title.replace(/[\r\n]+/g, ' ')}`, text: renderText(msg), html: renderHtml(msg) };
}
