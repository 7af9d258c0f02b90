import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiClient } from '../client.ts';
import { testResultText } from './notifications.ts';

test("a test result says delivered, or the kind of refusal, whether a retry helps and the channel's own words", () => {
  assert.equal(testResultText({ channel: 'slack', ok: true }), '✔ slack: the test message was delivered');
  const refused = testResultText({ channel: 'slack', ok: false, retry: false, reason: 'authError', error: 'Slack answered HTTP 404: no_service\u001b]52;c;x\u0007' });
  assert.match(refused, /^✖ slack: the channel refused the credentials or the webhook \(retrying will not help/);
  assert.match(refused, /slack said: Slack answered HTTP 404: no_service/);
  assert.doesNotMatch(refused, /\u001b/, 'the channel\'s words are printed inert');
  assert.match(testResultText({ channel: 'email', ok: false, retry: true, reason: 'timeout', error: 'no answer in 10 s' }), /did not answer in time \(real alerts are retried/);
});

test('an error answer prints its message and every detail; one without the envelope still says who answered what', async (t) => {
  const server = createServer((req, res) => {
    if (req.url === '/enveloped') {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'validation_failed', message: 'bad node', details: [{ path: 'ip', message: 'not an IP address' }, { line: 3, message: 'no name' }] } }));
    } else {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>Bad Gateway from the proxy</html>');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const client = new ApiClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 't' });
  await assert.rejects(client.request('POST', '/enveloped', {}), (e: Error) => /^bad node\n/.test(e.message) && /ip: not an IP address/.test(e.message) && /line 3: no name/.test(e.message));
  await assert.rejects(client.request('GET', '/proxy'), (e: Error) => /answered GET \/proxy with HTTP 502 Bad Gateway and no AAMI error: <html>Bad Gateway from the proxy<\/html>/.test(e.message));
});
