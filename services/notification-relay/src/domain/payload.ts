// The Alertmanager webhook payload (version 4), as zod schemas: what the relay accepts on
// POST /alertmanager/webhook. Objects are not strict so a newer Alertmanager that adds a field is
// still accepted; every field the relay reads is checked, and a bad one is named in the 400.
import { createHash } from 'node:crypto';
import { z } from 'zod';

const LabelSet = z.record(z.string(), z.string());
const AlertStatus = z.enum(['firing', 'resolved']);
/** RFC 3339 time as Alertmanager writes it (up to nanoseconds; "0001-01-01T00:00:00Z" = unset). */
const Timestamp = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/, 'must be an RFC 3339 time such as 2024-05-01T10:00:00Z');

/** One alert of a webhook payload. */
export const WebhookAlert = z.object({
  status: AlertStatus,
  labels: LabelSet,
  annotations: LabelSet.default({}),
  startsAt: Timestamp,
  endsAt: Timestamp.default('0001-01-01T00:00:00Z'),
  generatorURL: z.string().max(4096).default(''),
  fingerprint: z.string().min(1).max(128).optional(),
});
export type WebhookAlert = z.infer<typeof WebhookAlert>;

/** The whole webhook body Alertmanager posts to a webhook receiver. */
export const WebhookPayload = z.object({
  version: z.string().default('4'),
  groupKey: z.string().default(''),
  truncatedAlerts: z.number().int().min(0).default(0),
  status: AlertStatus,
  receiver: z.string(),
  groupLabels: LabelSet.default({}),
  commonLabels: LabelSet.default({}),
  commonAnnotations: LabelSet.default({}),
  externalURL: z.string().default(''),
  alerts: z.array(WebhookAlert).max(10_000),
});
export type WebhookPayload = z.infer<typeof WebhookPayload>;

/**
 * The alert's fingerprint: Alertmanager's when it sent one, else a stable hash of the label set
 * (older Alertmanagers omit it), so dedup works either way.
 */
export function alertFingerprint(alert: Pick<WebhookAlert, 'labels' | 'fingerprint'>): string {
  if (alert.fingerprint) return alert.fingerprint;
  const canonical = Object.keys(alert.labels).sort().map((k) => `${k}\u0000${alert.labels[k]}`).join('\u0001');
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** True when Alertmanager's time string means "not set" (the zero time it sends for endsAt). */
export function isZeroTime(t: string): boolean {
  return t.startsWith('0001-01-01');
}
