// GET /api/v1/doctor through the gateway's app, on stand-ins for every neighbour that answer over
// real HTTP: each source is asked where it lives, with the credential it wants (basic auth for
// Prometheus, the service token for the relay, the rule compiler and the install worker), and what
// they say becomes findings. Then every neighbour is gone: the answer is still 200, each source is
// a finding that names its address, and no secret appears anywhere in it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigStore, DoctorResponse, ErrorEnvelope, createLogger, loadSettings, type CompileStatus, type DoctorNodesResponse } from '@aami/shared';
import { createApp } from '../app.ts';
import { TokenStore } from '../auth/token-store.ts';

const SERVICE_TOKEN = 'doctor-service-token-0123456789abcdef';
const PROM_PASSWORD = 'prom-password-7f3a9c';
const REDIS_PASSWORD = 'redis-password-51d2e8';
const PROM_AUTH = `Basic ${Buffer.from(`aami:${PROM_PASSWORD}`).toString('base64')}`;
const NOW_S = Math.floor(Date.now() / 1000);

const seen: Array<{ path: string; auth?: string; body?: string }> = [];

function listen(handler: (req: IncomingMessage, body: string) => { status?: number; type?: string; body: unknown } | undefined): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      seen.push({ path: req.url ?? '', auth: req.headers.authorization, body });
      const a = handler(req, body);
      if (!a) { res.writeHead(404).end(); return; }
      res.writeHead(a.status ?? 200, { 'content-type': a.type ?? 'application/json' }).end(typeof a.body === 'string' ? a.body : JSON.stringify(a.body));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

const compile: CompileStatus = {
  state: 'ok', lastAttempt: { at: '2026-01-01T00:00:00Z', revision: 1, ok: true, durationMs: 1, changed: true, errors: [], warnings: [] },
  lastSuccess: { at: '2026-01-01T00:00:00Z', revision: 1, hash: 'h', summary: { nodes: 1, rules: 1, disabledRules: 0, ruleFiles: 1 }, files: { written: 1, removed: 0, unchanged: 0 } }, reload: null,
};
const nodes: DoctorNodesResponse = {
  checked_at: 'x',
  results: [{ node: 'gpu-node-01', address: '10.0.0.1:22', host_key: { status: 'changed', offered: 'SHA256:new', pinned: 'SHA256:old' }, clock: null, arch: null, exporters: null }],
};

let servers: Server[] = [];
let dir: string;
let viewer: string;

async function gateway(env: Record<string, string>): Promise<{ url: string; close(): void }> {
  const store = new ConfigStore(join(dir, 'config.yaml'));
  const tokens = new TokenStore(join(dir, 'tokens.json'));
  await tokens.load();
  viewer ??= (await tokens.create('viewer', 'viewer')).token;
  const settings = loadSettings({ AAMI_DATA_DIR: dir, AAMI_PROMETHEUS_PASSWORD_FILE: join(dir, 'prom-password'), ...env });
  const app = createApp({ store, tokens, compile: { request: async () => ({ queued: true }), close: async () => {} }, settings, log: createLogger('test', 'error'), version: '1.0.0', serviceToken: SERVICE_TOKEN });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aami-doctor-gw-'));
  await writeFile(join(dir, 'prom-password'), `${PROM_PASSWORD}\n`, { mode: 0o600 });
  await new ConfigStore(join(dir, 'config.yaml')).create({ nodes: [{ name: 'gpu-node-01', ip: '10.0.0.1' }] });
});
after(() => { for (const s of servers) s.close(); });

describe('GET /api/v1/doctor', () => {
  it('reads each neighbour with its credential and turns what they say into findings; a viewer may ask, nobody else', async () => {
    const withToken = (req: IncomingMessage) => req.headers.authorization === `Bearer ${SERVICE_TOKEN}`;
    const prom = await listen((req) => {
      if (req.headers.authorization !== PROM_AUTH) return { status: 401, type: 'text/plain', body: 'Unauthorized' };
      if (req.url === '/api/v1/status/buildinfo') return { body: { status: 'success', data: { version: '2.55.1' } } };
      if (req.url === '/api/v1/targets?state=active') return { body: { status: 'success', data: { activeTargets: [{ labels: { node: 'gpu-node-01', job: 'node_exporter' }, scrapeUrl: 'http://10.0.0.1:9100/metrics', health: 'down', lastError: 'connection refused' }] } } };
      if (req.url === '/metrics') return { type: 'text/plain', body: `prometheus_tsdb_storage_blocks_bytes 0\nprocess_start_time_seconds ${NOW_S - 10}\n` };
      if (req.url === '/api/v1/status/runtimeinfo') return { body: { status: 'success', data: { storageRetention: '15d' } } };
      return undefined;
    });
    const relay = await listen((req) => {
      if (req.url === '/healthz') return { body: { status: 'ok', version: '1.0.0', auth: 'service-token' } };
      if (req.url === '/metrics') return { type: 'text/plain', body: `aami_relay_redis_memory_used_bytes ${390 * 1024 * 1024}\naami_relay_redis_memory_max_bytes ${400 * 1024 * 1024}\n` };
      if (req.url === '/api/v1/notifications/dead-letters?limit=1000' && withToken(req)) return { body: { dead_letters: [{ id: 'slack-1', channel: 'slack', kind: 'alert', reason: 'clientError: Slack answered HTTP 400', attempts: 1 }] } };
      return { status: 401, body: { error: { code: 'unauthorized', message: 'no', details: [] } } };
    });
    const compiler = await listen((req) => {
      if (req.url === '/healthz') return { body: { status: 'ok', version: '0.9.0', auth: 'service-token' } };
      return req.url === '/api/v1/compile/status' && withToken(req) ? { body: compile } : { status: 401, body: {} };
    });
    const worker = await listen((req, body) => {
      if (req.url === '/healthz') return { body: { status: 'ok', version: '1.0.0', auth: 'service-token' } };
      return req.url === '/api/v1/doctor/nodes' && req.method === 'POST' && withToken(req) && JSON.parse(body).timeout_ms > 0 ? { body: nodes } : { status: 401, body: {} };
    });
    servers = [prom.server, relay.server, compiler.server, worker.server];
    const gw = await gateway({
      AAMI_PROMETHEUS_URL: prom.url, AAMI_RELAY_URL: relay.url, AAMI_RULE_COMPILER_URL: compiler.url, AAMI_INSTALL_WORKER_URL: worker.url,
      AAMI_ALERTMANAGER_URL: 'http://127.0.0.1:9', AAMI_ANALYZER_URL: 'http://127.0.0.1:9', AAMI_REDIS_URL: `redis://aami:${REDIS_PASSWORD}@127.0.0.1:9`,
    });
    try {
      const refused = await fetch(`${gw.url}/api/v1/doctor`);
      assert.equal(refused.status, 401);
      ErrorEnvelope.parse(await refused.json());
      // Two at once: the second shares the first one's run.
      const [res, twin] = await Promise.all([1, 2].map(() => fetch(`${gw.url}/api/v1/doctor`, { headers: { authorization: `Bearer ${viewer}` } })));
      assert.equal(res!.status, 200);
      const d = DoctorResponse.parse(await res!.json());
      assert.deepEqual(DoctorResponse.parse(await twin!.json()), d);
      const line = (check: string, severity: string) => d.findings.filter((x) => x.check === check && x.severity === severity).map((x) => x.message);
      assert.equal(d.severity, 'critical');
      assert.deepEqual(d.checks.map((c) => c.name), ['services', 'credentials', 'config', 'scrape', 'prometheus-disk', 'ssh', 'host-keys', 'clock-skew', 'exporter-versions', 'dead-letters', 'redis-memory']);
      assert.ok(line('services', 'critical').some((m) => m === 'redis at redis://127.0.0.1:9 is not reachable: connect ECONNREFUSED 127.0.0.1:9'), JSON.stringify(d.findings));
      assert.ok(line('services', 'warning').some((m) => /0\.9\.0 \(rule-compiler\)/.test(m)));
      assert.deepEqual(line('config', 'ok'), ['config.yaml revision 1 is valid and live (compiled 2026-01-01T00:00:00Z)']);
      assert.deepEqual(line('scrape', 'critical'), ['Prometheus cannot scrape gpu-node-01: node_exporter (http://10.0.0.1:9100/metrics): connection refused']);
      assert.match(line('prometheus-disk', 'ok')[0] ?? '', /too briefly/);
      assert.deepEqual(line('host-keys', 'critical'), ['gpu-node-01 offers host key SHA256:new, not the pinned SHA256:old: AAMI will not log in there']);
      assert.deepEqual(line('dead-letters', 'warning'), ['1 slack notification(s) were given up on; the last one failed with: clientError: Slack answered HTTP 400']);
      assert.match(line('redis-memory', 'critical')[0] ?? '', /98 %/);
      assert.equal(d.findings[0]?.severity, 'critical', 'worst first');
      assert.deepEqual(d.counts, { ok: d.findings.filter((x) => x.severity === 'ok').length, warning: d.findings.filter((x) => x.severity === 'warning').length, critical: d.findings.filter((x) => x.severity === 'critical').length });
      assert.equal(seen.filter((s) => s.path === '/api/v1/doctor/nodes').length, 1, 'the four node checks, and both requests, share one call to the install worker');
      assert.equal(seen.filter((s) => s.path === '/api/v1/targets?state=active').length, 1);
    } finally {
      gw.close();
    }
  });

  it('answers 200 when every neighbour is gone: each source is a critical finding naming its address, and no secret shows', async () => {
    // A port that was just free: nothing listens there.
    const { server, url: gone } = await listen(() => undefined);
    await new Promise((r) => server.close(r));
    const gw = await gateway({
      AAMI_PROMETHEUS_URL: gone, AAMI_RELAY_URL: gone, AAMI_RULE_COMPILER_URL: gone, AAMI_INSTALL_WORKER_URL: gone,
      AAMI_ALERTMANAGER_URL: gone, AAMI_ANALYZER_URL: gone, AAMI_REDIS_URL: gone.replace('http://', `redis://aami:${REDIS_PASSWORD}@`),
    });
    try {
      const res = await fetch(`${gw.url}/api/v1/doctor`, { headers: { authorization: `Bearer ${viewer}` } });
      assert.equal(res.status, 200);
      const text = await res.text();
      const d = DoctorResponse.parse(JSON.parse(text));
      for (const secret of [SERVICE_TOKEN, PROM_PASSWORD, REDIS_PASSWORD, viewer, Buffer.from(`aami:${PROM_PASSWORD}`).toString('base64')]) assert.ok(!text.includes(secret), `the answer leaks ${secret.slice(0, 6)}...`);
      const critical = new Map(d.findings.filter((x) => x.severity === 'critical').map((x) => [x.check, x.message]));
      for (const check of ['config', 'scrape', 'prometheus-disk', 'ssh', 'dead-letters', 'redis-memory']) {
        assert.ok(new RegExp(`at ${gone}/\\S+ is not reachable \\(ECONNREFUSED\\)`).test(critical.get(check) ?? ''), `${check}: ${critical.get(check)}`);
      }
      assert.equal(d.findings.filter((x) => x.check === 'services' && x.severity === 'critical').length, 7, 'every part but the gateway');
      assert.deepEqual(d.findings.filter((x) => ['host-keys', 'clock-skew', 'exporter-versions'].includes(x.check)), [], 'the ssh check speaks for the install worker');
    } finally {
      gw.close();
    }
  });
});
