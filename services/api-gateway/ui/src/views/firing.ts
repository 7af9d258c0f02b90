// Firing alerts, newest first, each with its labels and annotations; an alert about an Xid has the
// Xid's explanation expanded under it (what it is, why, what to do). Refreshes every 15 seconds.
import { get } from '../api.ts';
import { h, replace } from '../dom.ts';
import type { FiringAlert, FiringAlertsResponse } from '../types.ts';
import { ago, button, errorBox, pageHeader, severityBadge } from '../ui.ts';
import { humanizeRuleName } from '../format.ts';
import { xidBody, xidHeading } from './xid-card.ts';

const REFRESH_MS = 15_000;
const SHOWN_FIRST = ['alertname', 'severity', 'node', 'gpu', 'xid'];

function alertCard(a: FiringAlert): HTMLElement {
  const name = a.labels.alertname ?? 'Alert';
  const sev = a.labels.severity ?? 'unknown';
  const node = a.labels.node ?? a.labels.instance;
  const others = Object.entries(a.labels).filter(([k]) => !SHOWN_FIRST.includes(k)).sort(([x], [y]) => x.localeCompare(y));
  const ann = Object.entries(a.annotations ?? {}).filter(([k]) => !['summary', 'description'].includes(k));
  return h('article', { class: `alert-card sev-border-${sev}`, attrs: { 'data-alertname': name } },
    h('div', { class: 'alert-head' },
      severityBadge(sev),
      h('h2', { class: 'alert-name' }, humanizeRuleName(name)),
      h('code', { class: 'rule-name', attrs: { title: 'alertname' } }, name),
      node ? h('span', { class: 'alert-node' }, 'on ', h('strong', null, node)) : null,
      a.labels.gpu !== undefined ? h('span', { class: 'alert-gpu' }, `GPU ${a.labels.gpu}`) : null,
      h('span', { class: 'alert-time', attrs: { title: a.startsAt } }, `since ${ago(a.startsAt)}`),
    ),
    a.annotations?.summary ? h('p', { class: 'alert-summary' }, a.annotations.summary) : null,
    a.annotations?.description ? h('p', { class: 'alert-description' }, a.annotations.description) : null,
    a.xid
      ? h('section', { class: 'xid-explain', attrs: { 'aria-label': `Explanation of Xid ${a.xid.code}` } },
        h('h3', null, xidHeading(a.xid)),
        xidBody(a.xid),
        h('p', null, h('a', { attrs: { href: `#/xid/${a.xid.code}` } }, `Open Xid ${a.xid.code} in Xid lookup`)))
      : null,
    ann.length ? h('dl', { class: 'annotations' }, ann.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])) : null,
    h('details', { class: 'all-labels' }, h('summary', null, 'All labels'),
      h('ul', { class: 'labels' }, [...SHOWN_FIRST.filter((k) => a.labels[k] !== undefined).map((k) => [k, a.labels[k] ?? ''] as const), ...others]
        .map(([k, v]) => h('li', { class: 'label' }, `${k}=${v}`)))),
  );
}

export async function renderFiring(root: HTMLElement, params: URLSearchParams): Promise<() => void> {
  const nodeFilter = params.get('node');
  const list = h('div', { class: 'alert-list' });
  const updated = h('span', { class: 'muted', attrs: { 'aria-live': 'polite' } });
  let timer: number | undefined;
  let stopped = false;
  const load = async (first: boolean) => {
    window.clearTimeout(timer);
    try {
      const { alerts } = await get<FiringAlertsResponse>('/api/v1/alerts/firing');
      if (stopped) return;
      const shown = alerts
        .filter((a) => !nodeFilter || a.labels.node === nodeFilter)
        .sort((x, y) => Date.parse(y.startsAt) - Date.parse(x.startsAt));
      replace(list, shown.length === 0
        ? h('div', { class: 'empty card' }, h('p', null, h('span', { class: 'ok-mark', attrs: { 'aria-hidden': 'true' } }, '✓ '), nodeFilter ? `Nothing is firing on ${nodeFilter}.` : 'Nothing is firing.'))
        : shown.map(alertCard));
      updated.textContent = `${shown.length} firing · updated ${new Date().toLocaleTimeString()}`;
    } catch (err) {
      if (first) throw err;
      if (!stopped) replace(list, errorBox(err, 'Could not refresh the firing alerts'));
    }
    if (!stopped) timer = window.setTimeout(() => void load(false), REFRESH_MS);
  };
  replace(root,
    pageHeader('Firing alerts', ['Alerts Alertmanager holds right now. An Xid alert explains the Xid under it. ', nodeFilter ? `Showing node ${nodeFilter} only. ` : null],
      nodeFilter ? h('a', { class: 'btn btn-link', attrs: { href: '#/firing' } }, 'Show all nodes') : null,
      updated, button('Refresh', () => void load(false))),
    list,
  );
  await load(true);
  return () => { stopped = true; window.clearTimeout(timer); };
}
