// Joins a parsed kernel-log event with its catalog entry: the mnemonic, our title and our
// severity, for tables (CLI), API responses and notifications.
import type { XidSeverity } from './catalog-schema.ts';
import type { XidCatalog } from './catalog.ts';
import type { KernelLogEvent } from './kernel-log-parser.ts';

/** Catalog facts about one event; fields are absent when the catalog has no entry for its code. */
export interface EventDescription {
  name?: string;
  title?: string;
  severity?: XidSeverity;
}

/** Looks up an event's code in the catalog (SXid events in the SXid list, the rest as Xids). */
export function describeKernelLogEvent(event: Pick<KernelLogEvent, 'kind' | 'code'>, catalog: XidCatalog): EventDescription {
  const entry = event.kind === 'sxid' ? catalog.getSxid(event.code) : catalog.getXid(event.code);
  if (!entry) return {};
  return { name: entry.name, title: entry.title, severity: entry.severity };
}
