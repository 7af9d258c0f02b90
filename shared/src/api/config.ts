// GET /api/v1/config on the gateway: config.yaml as the store has it (defaults applied), secrets
// redacted: a webhook URL or SMTP password reads `<redacted>`, or the `${VAR}` it is read from.
import { z } from 'zod';
import { AamiConfig, Notifications } from '../config/schema.ts';
import { ConfigRevision } from './common.ts';
import { EmailView, SlackView } from './notifications.ts';

/** config.yaml with its secrets replaced (redactConfig): the channels are the redacted views. */
export const RedactedConfig = z.strictObject({
  ...AamiConfig.shape,
  notifications: Notifications.extend({ slack: SlackView.optional(), email: EmailView.optional() }),
});
export type RedactedConfig = z.infer<typeof RedactedConfig>;

/** GET /api/v1/config */
export const ConfigResponse = z.strictObject({ revision: ConfigRevision, config: RedactedConfig });
export type ConfigResponse = z.infer<typeof ConfigResponse>;
