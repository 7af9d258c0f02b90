// Issue 12's attacks replayed against a fresh `make dev` (scripts/dev.sh: every part as a local
// process on its usual port, data in a new folder): no door opens without its credential, the
// admin token is in an owner-only file and in no log, and `aami status` sees every part locked.
// dev.sh uses fixed ports (8080-8084, 9090, 9093, 6379): the test refuses to run over another stack.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT, makeTempDir, runCli, waitFor } from '../harness/index.ts';

const PORTS = [6379, 8080, 8081, 8082, 8083, 8084, 9090, 9093];

const portOpen = (port: number) => new Promise<boolean>((resolve) => {
  const s = connect(port, '127.0.0.1');
  s.once('connect', () => { s.destroy(); resolve(true); });
  s.once('error', () => resolve(false));
});

/** Sends one inline command to Redis without authenticating and returns its first reply line. */
const redisSays = (command: string) => new Promise<string>((resolve, reject) => {
  const s = connect(6379, '127.0.0.1');
  let got = '';
  s.setTimeout(3000, () => { s.destroy(); reject(new Error('Redis did not answer')); });
  s.on('connect', () => s.write(`${command}\r\n`));
  s.on('data', (d) => { got += d.toString(); if (got.includes('\r\n')) { s.destroy(); resolve(got.split('\r\n')[0]!); } });
  s.on('error', reject);
});

describe('make dev: every door wants its key', () => {
  let dir = '';
  let dev: ChildProcess | undefined;
  let out = '';
  let token = '';

  before(async () => {
    const busy = [];
    for (const p of PORTS) if (await portOpen(p)) busy.push(p);
    if (busy.length) throw new Error(`ports ${busy.join(', ')} are in use on 127.0.0.1: stop what runs there (another make dev?) before this test`);
    dir = await makeTempDir('make-dev');
    dev = spawn('bash', ['scripts/dev.sh'], { cwd: REPO_ROOT, env: { ...process.env, AAMI_DATA_DIR: dir, AAMI_ADMIN_TOKEN: '' }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    dev.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    dev.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    await waitFor(async () => out.includes('AAMI is up') || dev!.exitCode !== null, 120_000, 'make dev to come up').catch((err: Error) => { throw new Error(`${err.message}\n${out}`); });
    assert.ok(out.includes('AAMI is up'), out);
    token = /Admin token \(new, shown this once[^)]*\):\s+(aami_\S+)/.exec(out)?.[1] ?? '';
    assert.ok(token, `the first run shows the admin token once:\n${out}`);
    // dev.sh waits for the gateway only; the others may still be binding their ports.
    await waitFor(async () => (await Promise.all(PORTS.map(portOpen))).every(Boolean), 30_000, 'every port of make dev');
  });
  after(async () => {
    if (dev?.pid && dev.exitCode === null) {
      process.kill(-dev.pid, 'SIGTERM');
      await waitFor(async () => dev!.exitCode !== null, 30_000, 'make dev to stop').catch(() => process.kill(-dev!.pid!, 'SIGKILL'));
    }
  });

  it('keeps the admin token in an owner-only file and out of every log', async () => {
    assert.equal(((await readFile(join(dir, 'admin-token'), 'utf8')).trim()), token);
    assert.equal((await stat(join(dir, 'admin-token'))).mode & 0o077, 0, 'admin-token is readable by its owner only');
    const runDir = join(REPO_ROOT, '.run');
    for (const name of (await readdir(runDir)).filter((n) => n.endsWith('.log'))) {
      assert.equal((await stat(join(runDir, name))).mode & 0o077, 0, `.run/${name} is owner-only`);
      assert.ok(!(await readFile(join(runDir, name), 'utf8')).includes(token), `.run/${name} holds the admin token`);
    }
    for (const name of await readdir(join(dir, 'secrets'))) {
      if (name.endsWith('.acl') || name.endsWith('-web.yml')) continue; // hashes only, meant to be read
      assert.equal((await stat(join(dir, 'secrets', name))).mode & 0o077, 0, `secrets/${name} is owner-only`);
    }
  });

  it('Redis, Prometheus, Alertmanager and the internal APIs refuse a caller without credentials', async () => {
    assert.match(await redisSays('RPUSH bull:notify-slack:wait spoofed'), /^-NOAUTH/);
    assert.equal((await fetch('http://127.0.0.1:9090/-/quit', { method: 'POST' })).status, 401);
    assert.equal((await fetch('http://127.0.0.1:9093/api/v2/silences')).status, 401);
    const uninstall = await fetch('http://127.0.0.1:8084/api/v1/install/runs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"action":"uninstall","all":true}' });
    assert.equal(uninstall.status, 401);
    for (const url of ['http://127.0.0.1:8081/api/v1/notifications/status', 'http://127.0.0.1:8082/api/v1/health', 'http://127.0.0.1:8083/api/v1/compile/status']) {
      assert.equal((await fetch(url)).status, 401, url);
    }
    assert.equal((await fetch('http://127.0.0.1:8080/api/v1/nodes')).status, 401);
    assert.ok(await portOpen(9090), 'Prometheus is still up after the refused quit');
  });

  it('the stack works with the credentials: aami status sees every part up and locked', async () => {
    let last = '';
    await waitFor(async () => {
      const r = await runCli(['status', '-o', 'json'], { AAMI_URL: 'http://127.0.0.1:8080', AAMI_TOKEN: token });
      last = r.stdout + r.stderr;
      return r.code === 0;
    }, 30_000, 'every component reachable').catch((err: Error) => { throw new Error(`${err.message}: ${last}`); });
    const status = JSON.parse(last) as { components: Array<{ name: string; reachable: boolean; credential: string | null }> };
    assert.deepEqual(status.components.filter((c) => !c.credential).map((c) => c.name), [], 'every part asks for a credential');
    const table = await runCli(['status'], { AAMI_URL: 'http://127.0.0.1:8080', AAMI_TOKEN: token });
    assert.doesNotMatch(table.stdout, /without a credential/);
  });
});
