// Attack: make the API gateway read and parse big JSON bodies without a token (issue 12, finding 2).
// The gateway process runs for real (node services/api-gateway/src/main.ts); the attacker speaks
// raw HTTP. A request must be refused on its headers, before its body is read, and the body limits
// must hold for callers with a token too (1 MB, the hosts-file import 10 MB).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { makeTempDir, startAamiService, type AamiService } from '../harness/index.ts';

const ADMIN = 'aami_security-test-admin-token-0123456789abcdef';
const MB = 1024 * 1024;

/** Sends only the head of a POST that announces `length` bytes, and returns the status line the server answers with. */
function headOnly(port: number, path: string, length: number, token?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no answer within 5 s to a ${length}-byte POST ${path} whose body never came: the gateway waits for the body before checking the token`)); }, 5000);
    socket.on('connect', () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n${token ? `Authorization: Bearer ${token}\r\n` : ''}\r\n{"name":`);
    });
    socket.on('data', (d) => {
      got += d.toString('latin1');
      const end = got.indexOf('\r\n');
      if (end >= 0) {
        clearTimeout(timer);
        socket.destroy();
        resolve(got.slice(0, end));
      }
    });
    socket.on('error', (err) => { clearTimeout(timer); reject(err); });
  });
}

/** POSTs `bytes` of JSON-looking data and resolves with the status (the server may stop reading early). */
function post(port: number, path: string, bytes: number, token?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = Buffer.alloc(bytes, 0x20);
    body.write('{"text":"', 0);
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': bytes, ...(token ? { authorization: `Bearer ${token}` } : {}) } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (err) => reject(new Error(`POST ${path}: ${err.message} before any answer`)));
    req.end(body);
  });
}

describe('the gateway checks the token before it reads a body', () => {
  let gw: AamiService;
  before(async () => {
    const dir = await makeTempDir('security-body');
    gw = await startAamiService('api-gateway', 'AAMI_API_PORT', {
      AAMI_DATA_DIR: dir, AAMI_CONFIG: join(dir, 'config.yaml'), AAMI_ADMIN_TOKEN: ADMIN,
      AAMI_REDIS_URL: 'redis://127.0.0.1:9', AAMI_PROMETHEUS_URL: 'http://127.0.0.1:9', AAMI_ALERTMANAGER_URL: 'http://127.0.0.1:9',
      // The heap the gateway has in compose.
      NODE_OPTIONS: '--max-semi-space-size=1 --max-old-space-size=192',
    });
  });
  after(() => gw?.stop());

  it('answers 401 on the headers of a 20 MB request without a token, before the body arrives', async () => {
    assert.match(await headOnly(gw.port, '/api/v1/nodes', 20 * MB), /^HTTP\/1\.1 401 /);
    assert.match(await headOnly(gw.port, '/api/v1/nodes/import', 20 * MB), /^HTTP\/1\.1 401 /);
  });

  it('refuses 50 unauthenticated 20 MB posts and still answers', async () => {
    const statuses: number[] = [];
    for (let round = 0; round < 10; round++) {
      statuses.push(...await Promise.all(Array.from({ length: 5 }, () => post(gw.port, '/api/v1/nodes', 20 * MB))));
    }
    assert.deepEqual([...new Set(statuses)], [401]);
    const health = await fetch(`${gw.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal((await fetch(`${gw.url}/api/v1/whoami`, { headers: { authorization: `Bearer ${ADMIN}` } })).status, 200);
  });

  it('holds an admin to 1 MB, and the hosts import to 10 MB', async () => {
    // (the parser drains an over-long body before it answers, so these send it whole)
    assert.equal(await post(gw.port, '/api/v1/nodes', 2 * MB, ADMIN), 413);
    assert.equal(await post(gw.port, '/api/v1/nodes/import', 11 * MB, ADMIN), 413);
    // 2 MB of hosts-file text is within the import's limit: the body is read and judged on its content.
    const status = await post(gw.port, '/api/v1/nodes/import', 2 * MB, ADMIN);
    assert.notEqual(status, 413);
    assert.notEqual(status, 401);
  });
});
