// Secrets never leave the process: the API and the logs see "<redacted>" (or "${VAR}", which
// names the variable but holds no secret). A `${secret:name}` reference also shows as "<redacted>":
// to a reader it is a value stored by AAMI and hidden, the way the Web UI describes it.
import { ENV_REF_PATTERN } from './references.ts';
import type { AamiConfig } from './schema.ts';

export const REDACTED = '<redacted>';

function hide(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  return ENV_REF_PATTERN.test(v) ? v : REDACTED;
}

/** A copy of `config` with every secret (SECRET_PATHS) replaced. */
export function redactConfig(config: AamiConfig): AamiConfig {
  const out = structuredClone(config);
  if (out.notifications.slack) out.notifications.slack.webhook_url = hide(out.notifications.slack.webhook_url) ?? '';
  if (out.notifications.email?.password !== undefined) out.notifications.email.password = hide(out.notifications.email.password);
  return out;
}
