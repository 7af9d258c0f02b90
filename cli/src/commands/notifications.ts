// Notification channels: `aami config notifications slack|email` writes them (through the API, which
// keeps a webhook URL in secrets.json and only its reference in config.yaml);
// `aami notifications test|status` asks the relay, through the gateway.
import type { Command } from 'commander';
import {
  ChannelName, ENV_REF_PATTERN, type DeadLetterRetryResponse, type DeadLettersResponse, type FailureReason, type NotificationChannelsResponse,
  type NotificationTestResult, type NotificationsStatusResponse,
} from '@aami/shared';
import { clientFor, outputFormat } from '../context.ts';
import { UsageError } from '../errors.ts';
import { printJson, renderTable, terminalSafe as safe } from '../output.ts';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** How the API's redacted view of a secret reads: a `${VAR}` it names, anything else is stored and hidden. */
function secretSource(value: string): string {
  return ENV_REF_PATTERN.test(value) ? `from the environment variable ${value}` : 'stored in secrets.json (hidden)';
}

function describeChannels(v: NotificationChannelsResponse): string {
  const lines = [
    v.slack ? `Slack: ${v.slack.enabled ? 'on ' : 'off'} ${v.slack.channel ?? '(webhook default channel)'}  webhook ${secretSource(v.slack.webhook_url)}` : 'Slack: not configured',
    v.email ? `Email: ${v.email.enabled ? 'on ' : 'off'} ${v.email.to.join(', ')} via ${v.email.smtp_host}:${v.email.smtp_port} (${v.email.tls})` : 'Email: not configured',
    `Routing: ${Object.entries(v.routing).map(([sev, ch]) => `${sev} -> ${ch.join('+') || 'nobody'}`).join(', ')}`,
  ];
  return `${lines.map((l) => safe(l)).join('\n')}\n`;
}

/** Adds `notifications slack|email` under `aami config`. */
export function registerNotificationConfigCommands(config: Command): void {
  const n = config.command('notifications').description('Slack and email channels for alerts');
  n.command('show')
    .description('show the channels (secrets redacted)')
    .action(async (_o: unknown, cmd: Command) => {
      const v = await (await clientFor(cmd)).request<NotificationChannelsResponse>('GET', '/api/v1/notifications/channels');
      if (outputFormat(cmd) === 'json') return printJson(v);
      process.stdout.write(describeChannels(v));
    });
  n.command('slack')
    .description("set the Slack incoming webhook (a URL, kept in secrets.json beside config.yaml, or '${VAR}' to read it from the services' environment)")
    .option('--webhook <url>', 'incoming-webhook URL (stored in secrets.json, never in config.yaml) or ${VAR}')
    .option('--channel <#name>', 'channel name shown in messages')
    .option('--disable', 'keep the settings but send nothing')
    .option('--enable', 'send again after --disable')
    .action(async (opts: { webhook?: string; channel?: string; disable?: boolean; enable?: boolean }, cmd: Command) => {
      if (opts.disable && opts.enable) throw new UsageError('give --enable or --disable, not both');
      const body: Record<string, unknown> = {};
      if (opts.webhook !== undefined) body.webhook_url = opts.webhook;
      if (opts.channel !== undefined) body.channel = opts.channel;
      if (opts.disable) body.enabled = false;
      if (opts.enable) body.enabled = true;
      if (Object.keys(body).length === 0) throw new UsageError('nothing to change: give --webhook, --channel, --enable or --disable');
      const v = await (await clientFor(cmd)).request<NotificationChannelsResponse>('PUT', '/api/v1/notifications/slack', body);
      if (outputFormat(cmd) === 'json') return printJson(v);
      process.stdout.write(`Slack channel saved (config revision ${v.revision}). Try it: aami notifications test slack\n`);
    });
  n.command('email')
    .description('set the SMTP server and recipients')
    .option('--smtp <host:port>', 'SMTP server, e.g. smtp.example.com:587')
    .option('--tls <mode>', 'starttls (port 587), implicit (port 465) or none')
    .option('--from <address>', 'sender address')
    .option('--to <addresses>', 'recipients, comma separated')
    .option('--user <name>', 'SMTP user name')
    .option('--password-env <VAR>', 'name of the environment variable that holds the SMTP password (stored as ${VAR}, never the password itself)')
    .action(async (opts: { smtp?: string; tls?: string; from?: string; to?: string; user?: string; passwordEnv?: string }, cmd: Command) => {
      const body: Record<string, unknown> = {};
      if (opts.smtp !== undefined) {
        const m = /^([^:\s]+)(?::(\d+))?$/.exec(opts.smtp);
        if (!m) throw new UsageError(`--smtp wants host:port, got "${opts.smtp}"`);
        body.smtp_host = m[1];
        if (m[2] !== undefined) body.smtp_port = Number(m[2]);
      }
      if (opts.tls !== undefined) body.tls = opts.tls;
      if (opts.from !== undefined) body.from = opts.from;
      if (opts.to !== undefined) body.to = opts.to.split(',').map((s) => s.trim()).filter(Boolean);
      if (opts.user !== undefined) body.username = opts.user;
      if (opts.passwordEnv !== undefined) {
        if (!ENV_NAME.test(opts.passwordEnv)) throw new UsageError(`--password-env wants a variable name like SMTP_PASSWORD, got "${opts.passwordEnv}"`);
        body.password = `\${${opts.passwordEnv}}`;
      }
      if (Object.keys(body).length === 0) throw new UsageError('nothing to change: give --smtp, --from, --to, --user, --password-env or --tls');
      const v = await (await clientFor(cmd)).request<NotificationChannelsResponse>('PUT', '/api/v1/notifications/email', body);
      if (outputFormat(cmd) === 'json') return printJson(v);
      process.stdout.write(`Email channel saved (config revision ${v.revision}). Try it: aami notifications test email\n`);
    });
}

/** What kind of failure each reason is, in words. */
const REASON_TEXT: Record<FailureReason, string> = {
  clientError: 'the channel refused this message',
  authError: 'the channel refused the credentials or the webhook',
  rateLimited: 'the channel asked AAMI to slow down',
  serverError: 'the channel is having trouble',
  timeout: 'the channel did not answer in time',
  connection: 'AAMI could not connect to the channel',
  invalidConfig: "the channel's settings cannot be used",
  unexpected: 'the channel answered in a way AAMI does not know',
};

/** One or two lines: delivered, or refused with why, the channel's words and whether a retry helps. */
export function testResultText(r: NotificationTestResult): string {
  if (r.ok) return `✔ ${r.channel}: the test message was delivered`;
  const retry = r.retry ? 'real alerts are retried when this happens' : 'retrying will not help: fix the settings (aami config notifications ...)';
  return `✖ ${r.channel}: ${REASON_TEXT[r.reason]} (${retry})\n  ${r.channel} said: ${safe(r.error)}`;
}

/** `aami notifications test|status|dead-letters`. */
export function registerNotificationsCommands(program: Command): void {
  const n = program.command('notifications').description('send test messages and see delivery state');
  n.command('test')
    .description('send a real test message through a channel and show its answer')
    .argument('[channel]', 'slack or email', 'slack')
    .action(async (channel: string, _o: unknown, cmd: Command) => {
      const name = ChannelName.safeParse(channel);
      if (!name.success) throw new UsageError(`channel must be ${ChannelName.options.join(' or ')}`);
      const res = await (await clientFor(cmd)).request<NotificationTestResult>('POST', '/api/v1/notifications/test', { channel: name.data });
      if (outputFormat(cmd) === 'json') return printJson(res);
      process.stdout.write(`${testResultText(res)}\n`);
      if (!res.ok) process.exitCode = 1;
    });
  n.command('dead-letters')
    .description('notifications that could not be delivered, with why (retry one with: aami notifications retry ID)')
    .action(async (_o: unknown, cmd: Command) => {
      const res = await (await clientFor(cmd)).request<DeadLettersResponse>('GET', '/api/v1/notifications/dead-letters');
      if (outputFormat(cmd) === 'json') return printJson(res);
      if (res.dead_letters.length === 0) {
        process.stdout.write('No dead letters: every notification was delivered or is still being tried.\n');
        return;
      }
      process.stdout.write(`${renderTable(['ID', 'Channel', 'Alert', 'Node', 'Tries', 'Why'], res.dead_letters.map((d) => [d.id, d.channel, d.alertname ?? d.kind, d.node ?? '', String(d.attempts), d.reason]))}\n`);
    });
  n.command('retry')
    .description('send a dead letter again (it goes back to its channel\'s queue)')
    .argument('<id>', 'ID from aami notifications dead-letters')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const res = await (await clientFor(cmd)).request<DeadLetterRetryResponse>('POST', `/api/v1/notifications/dead-letters/${encodeURIComponent(id)}/retry`, {});
      if (outputFormat(cmd) === 'json') return printJson(res);
      process.stdout.write(`${safe(`Queued ${res.retried.id} for ${res.retried.channel} again.`)}\n`);
    });
  n.command('status')
    .description('queued, sent, failed and dead-lettered notifications per channel')
    .action(async (_o: unknown, cmd: Command) => {
      const res = await (await clientFor(cmd)).request<NotificationsStatusResponse>('GET', '/api/v1/notifications/status');
      // An answer without per-channel counts (a relay of another version) is shown as it came.
      if (outputFormat(cmd) === 'json' || !res.channels) return printJson(res);
      const cols = ['queued', 'sent', 'failed', 'dead_lettered'] as const;
      process.stdout.write(`${renderTable(['Channel', ...cols], Object.entries(res.channels).map(([ch, c]) => [ch, ...cols.map((k) => String(c[k] ?? 0))]))}\n`);
    });
}
