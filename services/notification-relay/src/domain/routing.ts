// Which channels an alert goes to: config.yaml's notifications.routing maps its severity to
// channels, and a channel that is missing from config or disabled is skipped.
import type { AamiConfig, Severity } from '@aami/shared';
import type { ChannelName } from '../channels/channel.ts';

/** The notifications section of config.yaml. */
export type NotificationsConfig = AamiConfig['notifications'];

/** True when the channel has a config block and is not disabled. */
export function channelEnabled(cfg: NotificationsConfig, channel: ChannelName): boolean {
  const block = cfg[channel];
  return block !== undefined && block.enabled !== false;
}

/** The channels an alert of `severity` is delivered to, without duplicates, in routing order. */
export function routeAlert(cfg: NotificationsConfig, severity: Severity): ChannelName[] {
  const wanted = cfg.routing[severity] ?? [];
  return [...new Set(wanted)].filter((c) => channelEnabled(cfg, c));
}
