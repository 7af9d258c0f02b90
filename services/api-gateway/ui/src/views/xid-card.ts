// One Xid explained: what it means, likely causes, what to do. Shared by Firing alerts (expanded
// under an alert) and Xid lookup.
import { h, type Child } from '../dom.ts';
import type { XidEntry, XidInfo } from '../types.ts';
import { severityBadge } from '../ui.ts';

/** What a card shows: the Xid a firing alert carries, or a whole catalog entry (origin, name, unused). */
export type XidExplained = XidInfo & Partial<Pick<XidEntry, 'origin' | 'name' | 'unused'>>;

const ORIGIN: Record<string, string> = {
  hardware: 'Most likely the hardware',
  driver: 'Most likely the driver',
  application: 'Most likely the application',
  mixed: 'Hardware, driver or application',
  unknown: 'Not known',
};

/** The body of an explanation (no heading): meaning, causes, actions. */
export function xidBody(x: XidExplained): HTMLElement {
  const list = (items: string[]): Child => (items.length
    ? h('ol', null, items.map((i) => h('li', null, i)))
    : h('p', { class: 'muted' }, 'None listed.'));
  return h('div', { class: 'xid-body' },
    h('dl', { class: 'xid-facts' },
      h('dt', null, 'Severity'), h('dd', null, severityBadge(x.severity)),
      x.origin ? [h('dt', null, 'Where it comes from'), h('dd', null, ORIGIN[x.origin] ?? x.origin)] : null,
      x.name ? [h('dt', null, 'NVIDIA name'), h('dd', { class: 'mono' }, x.name)] : null,
    ),
    x.unused ? h('p', { class: 'message info' }, 'Current drivers no longer report this code.') : null,
    h('h4', null, 'What it means'), h('p', null, x.meaning),
    h('h4', null, 'Common causes'), list(x.causes),
    h('h4', null, 'What to do'), list(x.actions),
    x.if_repeats ? [h('h4', null, 'If it keeps happening'), h('p', null, x.if_repeats)] : null,
  );
}

/** Heading text: "Xid 79: GPU has fallen off the bus". */
export const xidHeading = (x: Pick<XidExplained, 'code' | 'title'>): string => `Xid ${x.code}: ${x.title}`;
