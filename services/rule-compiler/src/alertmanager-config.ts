// alertmanager.yml: one route per severity, each to a receiver that posts to AAMI's notification
// relay (POST {relay}/alertmanager/webhook) and, when direct delivery is switched on, also straight
// to Slack / email by config.yaml's notifications.routing. Secrets stay out of the file: the relay's
// bearer token, the Slack URL and the SMTP password are read by Alertmanager from files. How often a
// still-firing alert is told again is config.yaml's notifications.repeat; the grouping timings are
// shared with the relay (GROUP_TIMING), which sizes its dedup window from both.
import YAML from 'yaml';
import { CLUSTER_LABEL, GROUP_TIMING, NODE_LABEL, type AamiConfig, type ErrorDetail, type Severity } from '@aami/shared';

/** The relay's webhook path. */
export const RELAY_WEBHOOK_PATH = '/alertmanager/webhook';

export interface AlertmanagerConfigOptions {
  /** The relay's base URL as Alertmanager reaches it. */
  relayUrl: string;
  /** File holding the relay's bearer token, as Alertmanager sees it; no Authorization header when unset. */
  relayTokenFile?: string;
  /** Direct delivery besides the relay; off unless given. */
  direct?: {
    /** File holding the Slack incoming-webhook URL. */
    slackApiUrlFile?: string;
    /** File holding the SMTP password (needed when notifications.email has a password). */
    smtpPasswordFile?: string;
  };
}

const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];

/** Receiver name of a severity. */
export function receiverName(severity: Severity): string {
  return `aami-${severity}`;
}

/** Text of alertmanager.yml plus warnings (a channel that could not be wired directly). */
export function renderAlertmanagerConfig(config: Pick<AamiConfig, 'notifications'>, options: AlertmanagerConfigOptions): { text: string; warnings: ErrorDetail[] } {
  const warnings: ErrorDetail[] = [];
  const webhook = {
    url: `${options.relayUrl.replace(/\/+$/, '')}${RELAY_WEBHOOK_PATH}`,
    send_resolved: true,
    max_alerts: 0,
    ...(options.relayTokenFile ? { http_config: { authorization: { type: 'Bearer', credentials_file: options.relayTokenFile } } } : {}),
  };
  if (!options.relayTokenFile) warnings.push({ path: 'AAMI_RELAY_TOKEN_FILE', message: 'not set: Alertmanager posts to the relay without a bearer token' });

  const direct = options.direct;
  const { slack, email, routing, repeat } = config.notifications;
  /** How soon and how often each severity is told. */
  const timing = (s: Severity) => ({ ...GROUP_TIMING[s], repeat_interval: repeat[s] });
  const receiver = (severity: Severity) => {
    const r: Record<string, unknown> = { name: receiverName(severity), webhook_configs: [webhook] };
    if (!direct) return r;
    const channels = routing[severity];
    if (channels.includes('slack') && slack?.enabled) {
      if (direct.slackApiUrlFile) {
        r.slack_configs = [{ api_url_file: direct.slackApiUrlFile, send_resolved: true, ...(slack.channel ? { channel: slack.channel } : {}) }];
      } else {
        warnings.push({ path: 'notifications.slack', message: 'direct Slack delivery needs AAMI_SLACK_WEBHOOK_URL_FILE; Slack is left to the relay' });
      }
    }
    if (channels.includes('email') && email?.enabled) {
      if (email.password !== undefined && !direct.smtpPasswordFile) {
        warnings.push({ path: 'notifications.email.password', message: 'direct email needs AAMI_SMTP_PASSWORD_FILE (the password is never written into alertmanager.yml); email is left to the relay' });
      } else {
        r.email_configs = [{
          to: email.to.join(', '),
          from: email.from,
          smarthost: `${email.smtp_host}:${email.smtp_port}`,
          require_tls: email.tls === 'starttls',
          send_resolved: true,
          ...(email.username !== undefined ? { auth_username: email.username } : {}),
          ...(email.password !== undefined ? { auth_password_file: direct.smtpPasswordFile } : {}),
        }];
      }
    }
    return r;
  };

  const doc = {
    global: { resolve_timeout: '5m' },
    route: {
      receiver: receiverName('warning'),
      group_by: ['alertname', CLUSTER_LABEL, NODE_LABEL],
      // An alert without a known severity label takes the root route: the warning cadence.
      ...timing('warning'),
      routes: SEVERITIES.map((s) => ({ receiver: receiverName(s), matchers: [`severity="${s}"`], ...timing(s) })),
    },
    inhibit_rules: [
      // A critical alert on a GPU (or a node, for node-level rules) silences the warning about the
      // same thing: GPUTemperatureCritical hides GPUTemperatureWarning of that GPU.
      { source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: [CLUSTER_LABEL, NODE_LABEL, 'gpu', 'component'] },
      // A node that is down cannot report anything else worth reading.
      { source_matchers: ['alertname="NodeDown"'], target_matchers: ['alertname!="NodeDown"'], equal: [CLUSTER_LABEL, NODE_LABEL] },
    ],
    receivers: SEVERITIES.map(receiver),
  };
  const text = `# Generated by AAMI's rule compiler from config.yaml. Do not edit: change config.yaml instead.\n${YAML.stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false })}`;
  const unique = [...new Map(warnings.map((w) => [`${w.path}|${w.message}`, w])).values()];
  return { text, warnings: unique };
}
