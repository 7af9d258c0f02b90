// Xid lookup: the whole Xid catalog, searchable by number or words, filterable by severity. Each
// entry opens to what it means, causes and actions (the same text `aami explain xid` prints).
import { get, seg } from '../api.ts';
import { h, replace } from '../dom.ts';
import type { XidEntry, XidListResponse } from '../types.ts';
import { plural } from '../format.ts';
import { button, errorBox, input, pageHeader, select, severityBadge } from '../ui.ts';
import { xidBody } from './xid-card.ts';

function entryItem(e: XidEntry, open: boolean): HTMLElement {
  return h('details', { class: `xid-entry${e.unused ? ' unused' : ''}`, attrs: { open, 'data-code': e.code, id: `xid-${e.code}` } },
    h('summary', null,
      h('span', { class: 'xid-code' }, `Xid ${e.code}`),
      h('span', { class: 'xid-title' }, e.title),
      severityBadge(e.severity)),
    xidBody(e),
  );
}

export async function renderXid(root: HTMLElement, params: URLSearchParams, code: string | undefined): Promise<void> {
  const q = input({ type: 'search', name: 'q', value: params.get('q') ?? code ?? '', placeholder: '79, or words such as "fallen off the bus", ECC, NVLink', 'aria-label': 'Search the Xid catalog' });
  const sev = select([['', 'All severities'], ['critical', 'Critical'], ['warning', 'Warning'], ['info', 'Info']], params.get('severity') ?? '', { 'aria-label': 'Severity' });
  const results = h('div', { class: 'xid-results' });
  const count = h('p', { class: 'muted', attrs: { role: 'status' } });

  const run = async () => {
    const text = q.value.trim();
    const query = new URLSearchParams();
    if (text) query.set('q', text);
    if (sev.value) query.set('severity', sev.value);
    // Keeps the address shareable without drawing the screen again.
    history.replaceState(null, '', `#/xid${query.size ? `?${query}` : ''}`);
    try {
      let entries: XidEntry[];
      if (text) {
        entries = (await get<XidListResponse>(`/api/v1/xid/search?q=${encodeURIComponent(text)}`)).entries;
        if (sev.value) entries = entries.filter((e) => e.severity === sev.value);
      } else {
        entries = (await get<XidListResponse>(`/api/v1/xid${sev.value ? `?severity=${seg(sev.value)}` : ''}`)).entries;
      }
      count.textContent = text
        ? `${plural(entries.length, 'match', 'matches')} for "${text}"${sev.value ? ` (${sev.value} only)` : ''}.`
        : `${plural(entries.length, 'Xid code')} in the catalog${sev.value ? ` (${sev.value} only)` : ''}.`;
      replace(results, entries.length === 0
        ? h('div', { class: 'empty' }, h('p', null, 'No Xid matches. Try a number, or fewer words.'))
        : entries.map((e) => entryItem(e, entries.length <= 3)));
    } catch (err) {
      count.textContent = '';
      replace(results, errorBox(err, 'Search failed'));
    }
  };
  const form = h('form', {
    class: 'search-form',
    attrs: { role: 'search' },
    on: { submit: (ev) => { ev.preventDefault(); void run(); } },
  }, q, sev, button('Search', null, { kind: 'primary', type: 'submit' }));
  sev.addEventListener('change', () => void run());

  replace(root,
    pageHeader('Xid lookup', 'Xid errors are codes the NVIDIA driver writes to the kernel log when a GPU has a problem. Type a number or a few words to see what one means and what to do.'),
    h('div', { class: 'card' }, form, count, results),
  );
  await run();
  q.focus();
}
