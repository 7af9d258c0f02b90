// Entry of the `slack-sink` container (compose `demo` profile): a local Slack incoming-webhook
// stand-in on AAMI_BIND:AAMI_SLACK_SINK_PORT and a local mail server on AAMI_MAIL_SINK_PORT (plain
// SMTP, no login). Point SLACK_WEBHOOK_URL at
// http://slack-sink:8090/services/T0AAMI/B0AAMI/<AAMI_SLACK_SINK_SECRET> and the email channel at
// slack-sink:2525 (--tls none); read GET /messages and GET /mails.
import type { AddressObject } from 'mailparser';
import { startSmtpSink } from '@aami/notification-relay/testing/smtp-sink';
import { startSlackSinkServer } from './slack-sink.ts';

const address = (a: AddressObject | AddressObject[] | undefined) => (Array.isArray(a) ? a.map((x) => x.text).join(', ') : a?.text ?? '');
const smtp = await startSmtpSink({ tls: 'none', bind: process.env['AAMI_BIND'] ?? '0.0.0.0', port: Number(process.env['AAMI_MAIL_SINK_PORT'] ?? '2525'), maxMails: 200 });

const port = Number(process.env['AAMI_SLACK_SINK_PORT'] ?? '8090');
const sink = await startSlackSinkServer({
  bind: process.env['AAMI_BIND'] ?? '0.0.0.0',
  port,
  secret: process.env['AAMI_SLACK_SINK_SECRET'] || 'demo',
  mails: () => smtp.mails.map((m) => ({ from: address(m.from), to: address(m.to), subject: m.subject ?? '', text: m.text ?? '', date: m.date?.toISOString() ?? null })),
});
process.stdout.write(`slack-sink listening on port ${sink.port}, webhook path ${sink.path}, messages at GET /messages; mail on port ${smtp.port}, at GET /mails\n`);
const stop = () => void Promise.all([sink.close(), smtp.close()]).finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
