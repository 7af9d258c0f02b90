// Tests the analyzer HTTP API on a free port with a small fixture catalog, and main.ts as a
// process (start, serve, SIGTERM; refuse a bad catalog).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { loadXidCatalog } from '@aami/shared/xid/index';
import { AAMI_VERSION } from '@aami/shared';
import { createApp } from './app.ts';

const here = dirname(fileURLToPath(import.meta.url));
// The catalog loader's fixtures: four Xids (5 info, 13 warning, 79 critical, 145 warning), two SXids.
const fixtureDir = join(here, '../../../shared/src/xid/testdata/catalog-ok');
const badDir = join(here, '../../../shared/src/xid/testdata/catalog-bad');

const silent = { debug() {}, info() {}, warn() {}, error() {} };

interface Reply {
  status: number;
  body: unknown;
  text: string;
  type: string;
}

const SERVICE_TOKEN = 'service-token-for-tests-0123';

describe('analyzer HTTP API', () => {
  let server: Server;
  let base = '';

  before(async () => {
    const app = createApp({ serviceToken: SERVICE_TOKEN, catalog: loadXidCatalog({ dir: fixtureDir }), log: silent, maxScanBody: '4kb' });
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  /** Calls the API as the gateway does (with the service token), unless `anonymous`. */
  async function call(path: string, init: RequestInit = {}, anonymous = false): Promise<Reply> {
    const headers = { ...(anonymous ? {} : { authorization: `Bearer ${SERVICE_TOKEN}` }), ...(init.headers as Record<string, string> | undefined) };
    const res = await fetch(base + path, { ...init, headers });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, text, type, body: type.includes('json') ? JSON.parse(text) : undefined };
  }
  const codes = (r: Reply): number[] => (r.body as { items: { code: number }[] }).items.map((i) => i.code);
  const errorCode = (r: Reply): string => (r.body as { error: { code: string } }).error.code;

  it('GET /healthz says ok with catalog sizes', async () => {
    const r = await call('/healthz');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { status: 'ok', version: AAMI_VERSION, auth: 'service-token', catalog: { xids: 4, sxids: 2 } });
  });

  it('GET /api/v1/xid lists all, or one severity', async () => {
    const all = await call('/api/v1/xid');
    assert.equal(all.status, 200);
    assert.deepEqual(codes(all), [5, 13, 79, 145]);
    assert.equal((all.body as { count: number }).count, 4);
    assert.deepEqual(codes(await call('/api/v1/xid?severity=critical')), [79]);
    const bad = await call('/api/v1/xid?severity=urgent');
    assert.equal(bad.status, 400);
    assert.equal(errorCode(bad), 'validation_failed');
  });

  it('GET /api/v1/xid/:code returns the entry, 404 JSON for unknown, 400 for non-numeric', async () => {
    const r = await call('/api/v1/xid/79');
    assert.equal(r.status, 200);
    assert.equal((r.body as { title: string }).title, 'GPU has fallen off the bus');
    assert.equal((r.body as { severity: string }).severity, 'critical');
    const missing = await call('/api/v1/xid/999');
    assert.equal(missing.status, 404);
    assert.match(missing.type, /json/);
    assert.equal(errorCode(missing), 'not_found');
    assert.match((missing.body as { error: { message: string } }).error.message, /Xid 999/);
    assert.equal((await call('/api/v1/xid/abc')).status, 400);
  });

  it('GET /api/v1/xid/search ranks title hits first', async () => {
    const r = await call('/api/v1/xid/search?q=bus');
    assert.equal(r.status, 200);
    assert.deepEqual(codes(r), [79, 145]);
    const first = (r.body as { items: { score: number }[] }).items;
    assert.ok((first[0]?.score ?? 0) > (first[1]?.score ?? 0));
    assert.deepEqual(codes(await call('/api/v1/xid/search?q=nothing-like-this')), []);
    assert.equal((await call('/api/v1/xid/search')).status, 400);
  });

  it('GET /api/v1/sxid/:code returns the entry or 404', async () => {
    const r = await call('/api/v1/sxid/12028');
    assert.equal(r.status, 200);
    assert.equal((r.body as { nvidia_severity: string }).nvidia_severity, 'fatal');
    assert.equal((await call('/api/v1/sxid/1')).status, 404);
    assert.deepEqual(codes(await call('/api/v1/sxid?severity=warning')), [11012]);
  });

  it('POST /api/v1/xid/scan finds events in text and joins the catalog', async () => {
    const log = [
      '[ 1.0] NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, name=python, GPU has fallen off the bus.',
      '[ 1.1] NVRM: GPU 0000:3b:00.0: GPU has fallen off the bus.',
      '[ 2.0] nvidia-nvswitch3: SXid (PCI:0000:86:00.0): 12028, Non-fatal, Link 32 egress non-posted PRIV error',
      '[ 3.0] NVRM: Xid (PCI:0000:2a:00): 145, RLW_REMAP Nonfatal XC0 i0 Link 10 (0x004617ee 0x00000001 0x00000000 0x00000000)',
      '[ 4.0] NVRM: Xid (PCI:0000:2a:00): 31, pid=1, name=x, MMU Fault',
      'unrelated',
    ].join('\n');
    const r = await call('/api/v1/xid/scan', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: log }) });
    assert.equal(r.status, 200);
    const body = r.body as { count: number; events: Record<string, unknown>[] };
    assert.equal(body.count, 5);
    const [xid79, lost, sxid, nvlink, unknown] = body.events;
    assert.equal(xid79?.['pciBusId'], '00000000:3B:00.0');
    assert.equal(xid79?.['severity'], 'critical');
    assert.equal(xid79?.['title'], 'GPU has fallen off the bus');
    assert.equal(xid79?.['pid'], 1234);
    assert.equal(lost?.['kind'], 'bus_lost');
    assert.equal(lost?.['untagged'], true);
    assert.equal(sxid?.['kind'], 'sxid');
    assert.equal(sxid?.['name'], 'Egress_nonposted_PRIV_error');
    assert.equal((nvlink?.['nvlink'] as { decoded?: { resolutionBucket: string } }).decoded?.resolutionBucket, 'XID_154_EVAL');
    assert.equal(unknown?.['code'], 31);
    assert.equal(unknown?.['title'], undefined, 'Xid 31 is not in the fixture catalog');
  });

  it('POST /api/v1/xid/scan takes JSON {text}, refuses other bodies and oversized ones', async () => {
    const json = await call('/api/v1/xid/scan', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'NVRM: Xid (PCI:0000:3b:00): 13, pid=1, name=x, Graphics Exception\n' }),
    });
    assert.equal(json.status, 200);
    assert.equal((json.body as { count: number }).count, 1);
    const wrong = await call('/api/v1/xid/scan', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"log": 1}' });
    assert.equal(wrong.status, 400);
    const broken = await call('/api/v1/xid/scan', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    assert.equal(broken.status, 400);
    const big = await call('/api/v1/xid/scan', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'x'.repeat(10_000) }) });
    assert.equal(big.status, 413);
    assert.equal(errorCode(big), 'too_large');
    const plain = await call('/api/v1/xid/scan', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'NVRM: Xid (PCI:0000:3b:00): 13, x\n' });
    assert.equal(plain.status, 415, 'a text/plain POST is a CORS simple request: internal APIs take JSON only');
  });

  it('/api/v1 wants the service token; /healthz and /metrics do not', async () => {
    const r = await call('/api/v1/xid', {}, true);
    assert.equal(r.status, 401);
    assert.equal(errorCode(r), 'unauthorized');
    assert.equal((await call('/api/v1/health', {}, true)).status, 401);
    assert.equal((await call('/api/v1/xid', { headers: { authorization: 'Bearer wrong-token-0123456789' } }, true)).status, 401);
    assert.equal((await call('/healthz', {}, true)).status, 200);
    assert.equal((await call('/metrics', {}, true)).status, 200);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const r = await call('/api/v1/nope');
    assert.equal(r.status, 404);
    assert.equal(errorCode(r), 'not_found');
  });

  it('GET /metrics exposes default metrics and counts requests by route', async () => {
    await call('/api/v1/xid/999');
    await call('/api/v1/xid/999');
    const r = await call('/metrics');
    assert.equal(r.status, 200);
    assert.match(r.type, /text\/plain/);
    assert.match(r.text, /^process_cpu_user_seconds_total /m);
    assert.match(r.text, /^# TYPE aami_analyzer_requests_total counter$/m);
    const m = /^aami_analyzer_requests_total\{method="GET",route="\/api\/v1\/xid\/:code",status="404"\} (\d+)$/m.exec(r.text);
    assert.ok(m, r.text.slice(0, 500));
    assert.ok(Number(m[1]) >= 3, 'three 404 lookups so far (one in an earlier test)');
    assert.match(r.text, /aami_analyzer_requests_total\{method="GET",route="unmatched",status="404"\} \d+/);
  });
});

describe('analyzer main.ts', () => {
  function start(env: NodeJS.ProcessEnv) {
    return spawn(process.execPath, [join(here, 'main.ts')], {
      env: { ...process.env, AAMI_ANALYZER_PORT: '0', AAMI_BIND: '127.0.0.1', AAMI_SERVICE_TOKEN: 'service-token-for-tests-0123', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  }

  it('serves on the configured address and exits cleanly on SIGTERM', async (t) => {
    const child = start({ AAMI_XID_DB_DIR: fixtureDir });
    // A failed assertion must not leave the server running (it would hold the test run open).
    t.after(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
    let stderr = '';
    const address = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /"address":"([^"]+)"/.exec(stderr);
        if (m) resolve(m[1] as string);
      });
      child.on('exit', () => reject(new Error(`exited early: ${stderr}`)));
    });
    assert.match(address, /^127\.0\.0\.1:\d+$/);
    const res = await fetch(`http://${address}/healthz`);
    assert.deepEqual(await res.json(), { status: 'ok', version: AAMI_VERSION, auth: 'service-token', catalog: { xids: 4, sxids: 2 } });
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
    assert.match(stderr, /shutting down/);
  });

  it('refuses to start with a bad catalog, naming the problem', async () => {
    const child = start({ AAMI_XID_DB_DIR: badDir });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 1);
    assert.match(stderr, /xid-001-088\.yaml\[1\]\.actions/);
  });
});
