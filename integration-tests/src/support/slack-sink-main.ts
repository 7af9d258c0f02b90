// Entry of the `slack-sink` container (compose `demo` profile): a local Slack incoming-webhook
// stand-in on AAMI_BIND:AAMI_SLACK_SINK_PORT. Point SLACK_WEBHOOK_URL at
// http://slack-sink:8090/services/T0AAMI/B0AAMI/<AAMI_SLACK_SINK_SECRET> and read GET /messages.
import { startSlackSinkServer } from './slack-sink.ts';

const port = Number(process.env['AAMI_SLACK_SINK_PORT'] ?? '8090');
const sink = await startSlackSinkServer({
  bind: process.env['AAMI_BIND'] ?? '0.0.0.0',
  port,
  secret: process.env['AAMI_SLACK_SINK_SECRET'] || 'demo',
});
process.stdout.write(`slack-sink listening on port ${sink.port}, webhook path ${sink.path}, messages at GET /messages\n`);
const stop = () => void sink.close().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
