// Turns a raw Alertmanager alert into what a person needs: which node and GPU, how bad, and, for
// an Xid, what it means and what to do first (from the Xid catalog in xid-db/), and, for an alert
// on the health analyzer's verdict (presets/gpu-health.yaml), the GPU's health state and suggested
// action. Pure functions: the catalog comes in as a lookup function, so tests use a fake and main
// wires the real one.
import type { XidEntry } from '@aami/shared/xid/catalog-schema';
import { HealthAction, HealthState, type Severity } from '@aami/shared';
import { alertFingerprint, isZeroTime, type WebhookAlert } from './payload.ts';

/** What enrichment needs from a catalog entry. */
export type XidInfo = Pick<XidEntry, 'code' | 'name' | 'title' | 'severity' | 'meaning' | 'causes' | 'actions' | 'if_repeats'>;

/** Finds an Xid in the catalog; undefined for a code the catalog does not know. */
export type XidLookup = (code: number) => XidInfo | undefined;

/** An alert with everything the message builder shows, already picked out of labels/annotations. */
export interface AlertContext {
  alertname: string;
  status: 'firing' | 'resolved';
  severity: Severity;
  fingerprint: string;
  node?: string;
  cluster?: string;
  gpu?: string;
  uuid?: string;
  model?: string;
  pciBusId?: string;
  value?: string;
  summary?: string;
  description?: string;
  /** The rule's runbook annotation (runbook_url or runbook): a URL, or prose as in AAMI's presets. */
  runbook?: string;
  generatorURL?: string;
  startsAt: string;
  endsAt?: string;
  /** The Xid code the alert carries, known to the catalog or not. */
  xidCode?: number;
  /** The catalog's entry for xidCode, when it has one. */
  xid?: XidInfo;
  /** The GPU's health state and the analyzer's suggested action, from the alert's labels. */
  health?: AlertHealth;
}

/** What the health analyzer concluded about the alert's GPU, as the gpu-health preset labels it. */
export interface AlertHealth {
  state: HealthState;
  action: HealthAction;
}

const SEVERITIES: ReadonlySet<string> = new Set(['critical', 'warning', 'info']);

/**
 * How much of each annotation the Xid search reads. Annotations carry label values, so their
 * length is the sender's choice (up to the 1 MiB webhook limit); 4 KiB is ten times the longest
 * annotation in presets/ (377 characters before label values go in), and an Xid worth reporting is
 * named in the summary or description sentence, not megabytes into it. The cap keeps the search's
 * cost per alert fixed whatever the regex below turns into later.
 */
export const XID_SCAN_CHARS = 4096;

// One whitespace run, then an optional "code" and an optional separator, each with its own run:
// no two quantifiers can match the same characters, so a long run of spaces is read once. The
// old form (`\s*(?:code\s*)?[:=#]?\s*`) tried every split of the run between its two `\s*`:
// quadratic, ~4 s for 40k spaces after "xid", far longer for a 1 MiB label value.
const XID_IN_TEXT = /\bxid\b\s*(?:code\s*)?(?:[:=#]\s*)?(\d{1,4})\b/i;

function first(map: Record<string, string>, keys: readonly string[]): string | undefined {
  for (const k of keys) {
    const v = map[k];
    if (v !== undefined && v.trim() !== '') return v.trim();
  }
  return undefined;
}

/**
 * The Xid code an alert is about: its `xid` label, or "Xid 79" / "xid=79" in an annotation, or
 * the value of an Xid-named alert (dcgm-exporter's XID gauge holds the last Xid code).
 */
export function extractXid(alert: Pick<WebhookAlert, 'labels' | 'annotations'>): number | undefined {
  const asCode = (s: string | undefined): number | undefined => {
    if (s === undefined || !/^\d{1,4}$/.test(s.trim())) return undefined;
    const n = Number(s.trim());
    return n > 0 ? n : undefined;
  };
  const fromLabel = asCode(first(alert.labels, ['xid', 'Xid', 'XID', 'xid_code']));
  if (fromLabel !== undefined) return fromLabel;
  const fromAnnotationKey = asCode(first(alert.annotations, ['xid', 'Xid', 'XID', 'xid_code']));
  if (fromAnnotationKey !== undefined) return fromAnnotationKey;
  for (const text of Object.values(alert.annotations)) {
    const m = XID_IN_TEXT.exec(text.slice(0, XID_SCAN_CHARS));
    if (m?.[1]) return asCode(m[1]);
  }
  const name = alert.labels.alertname ?? '';
  if (/xid/i.test(name)) {
    const v = asCode(alert.annotations.value?.replace(/\.0+$/, ''));
    if (v !== undefined) return v;
  }
  return undefined;
}

/**
 * The health state and suggested action an alert carries: its `health_state` (or `state`) and
 * `health_action` (or `action`) labels, when both are values the health schema knows. Both are
 * required, because `state` alone is a common label (node_systemd_unit_state has one); anything
 * else, hostile text included, gives undefined.
 */
export function extractHealth(alert: Pick<WebhookAlert, 'labels'>): AlertHealth | undefined {
  const state = HealthState.safeParse(first(alert.labels, ['health_state', 'state'])?.toLowerCase());
  const action = HealthAction.safeParse(first(alert.labels, ['health_action', 'action'])?.toLowerCase());
  return state.success && action.success ? { state: state.data, action: action.data } : undefined;
}

/**
 * The alert's severity: its own label when it is critical/warning/info, else its Xid's catalog
 * severity, else warning. Cheap: the webhook calls it for every alert to route it.
 */
export function alertSeverity(alert: Pick<WebhookAlert, 'labels' | 'annotations'>, lookup: XidLookup): Severity {
  const label = alert.labels.severity?.toLowerCase();
  if (label && SEVERITIES.has(label)) return label as Severity;
  const code = extractXid(alert);
  if (code === undefined) return 'warning';
  try {
    return lookup(code)?.severity ?? 'warning';
  } catch {
    return 'warning';
  }
}

/**
 * Picks node, GPU and text fields out of an alert (labels as AAMI's scrape config and
 * dcgm-exporter write them) and adds the Xid catalog entry. Severity: the alert's own label when
 * it is critical/warning/info, else the Xid's catalog severity, else warning.
 */
export function enrichAlert(alert: WebhookAlert, lookup: XidLookup): AlertContext {
  const { labels, annotations } = alert;
  const xidCode = extractXid(alert);
  let xid: XidInfo | undefined;
  if (xidCode !== undefined) {
    try {
      xid = lookup(xidCode);
    } catch {
      xid = undefined; // a broken catalog must not stop delivery
    }
  }
  const labelSeverity = labels.severity?.toLowerCase();
  const severity: Severity = labelSeverity && SEVERITIES.has(labelSeverity) ? (labelSeverity as Severity) : (xid?.severity ?? 'warning');
  const instance = labels.instance?.replace(/:\d+$/, '');
  const ctx: AlertContext = {
    alertname: labels.alertname ?? 'unnamed alert',
    status: alert.status,
    severity,
    fingerprint: alertFingerprint(alert),
    startsAt: alert.startsAt,
  };
  const set = <K extends keyof AlertContext>(k: K, v: AlertContext[K] | undefined): void => {
    if (v !== undefined) ctx[k] = v;
  };
  set('node', first(labels, ['node', 'Hostname', 'hostname', 'nodename']) ?? instance);
  set('cluster', first(labels, ['cluster']));
  set('gpu', first(labels, ['gpu', 'GPU', 'gpu_index', 'minor_number']));
  set('uuid', first(labels, ['UUID', 'uuid', 'gpu_uuid']));
  set('model', first(labels, ['modelName', 'model_name', 'model']));
  set('pciBusId', first(labels, ['pci_bus_id', 'PCI_BUS_ID', 'pci']));
  set('value', first(annotations, ['value']) ?? first(labels, ['value']));
  set('summary', first(annotations, ['summary', 'title']));
  set('description', first(annotations, ['description', 'message']));
  set('runbook', first(annotations, ['runbook_url', 'runbook']));
  set('generatorURL', alert.generatorURL || undefined);
  set('endsAt', isZeroTime(alert.endsAt) ? undefined : alert.endsAt);
  set('xidCode', xidCode);
  set('xid', xid);
  set('health', extractHealth(alert));
  return ctx;
}
