// Attack and trust paths of host keys (issue 13, finding 2), through the real install worker on a
// real Redis, the real CLI, the gateway's proxy router and OpenSSH sshd on loopback (no Docker).
// Before the fix, the site's own known_hosts lines were erased on the first write, a first contact
// was pinned before the node had let us in, nothing showed it, `aami nodes trust` pinned whatever
// the node offered without asking, and there was no way to refuse unknown nodes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express from 'express';
import { ConfigStore } from '@aami/shared';
import { HARNESS_SERVICE_TOKEN, makeTempDir, startAamiService, startRedis, startSshd, waitFor, type AamiService, type RedisServer, type SshServer } from '../harness/index.ts';
import { aami } from '../install-worker-nodes.ts';
import { installProxyRouter } from '../../../services/api-gateway/src/routes/install-proxy.ts';

/** `SHA256:...` of a public key line, as OpenSSH's ssh-keygen prints it. */
async function fingerprintOf(publicKeyLine: string): Promise<string> {
  const path = join(await makeTempDir('fp'), 'key.pub');
  await writeFile(path, `${publicKeyLine}\n`);
  return execFileSync('ssh-keygen', ['-lf', path], { encoding: 'utf8' }).split(' ')[1] ?? '';
}

interface TestView { results: Array<{ node: string; ok: boolean; kind?: string; reason?: string; notes?: string[] }> }

describe('host keys through the worker, the CLI and the gateway', { timeout: 3 * 60_000 }, () => {
  let dir = '';
  let knownHosts = '';
  let redis: RedisServer;
  let sshd: SshServer;
  let fresh: SshServer;
  let worker: AamiService;
  let store: ConfigStore;
  const siteLines = '# this site\'s own entries\n@cert-authority *.gpu.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE1HPD1fGqHmmMhMGRmpqgBd3plqGqbG9xZ4fn2UrRnP site-ca\n';

  before(async () => {
    dir = await makeTempDir('host-keys');
    knownHosts = join(dir, 'known_hosts');
    await writeFile(knownHosts, siteLines);
    [redis, sshd, fresh] = await Promise.all([startRedis(), startSshd(), startSshd({ extraAddresses: ['127.0.0.2'] })]);
    store = new ConfigStore(join(dir, 'config.yaml'));
    await store.create({
      ssh: { user: sshd.user, key: sshd.keyPath, port: 22, concurrency: 10, connect_timeout_s: 3, command_timeout_s: 60 },
      nodes: [{ name: 'local', ip: '127.0.0.1', ssh_port: sshd.port }],
    });
    worker = await startAamiService('install-worker', 'AAMI_INSTALL_WORKER_PORT', {
      AAMI_DATA_DIR: dir, AAMI_CONFIG: join(dir, 'config.yaml'), AAMI_REDIS_URL: redis.url, AAMI_KNOWN_HOSTS: knownHosts, AAMI_LOG_LEVEL: 'info',
    });
  });

  after(async () => {
    await worker?.stop();
    await sshd?.stop();
    await fresh?.stop();
    await redis?.stop();
  });

  it('a first contact is pinned after the login, shown by aami nodes test and logged; the site\'s lines stay', async () => {
    const fp = await fingerprintOf(sshd.hostPublicKey);
    const first = await aami(worker.url, ['nodes', 'test', 'local']);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.ok(first.stdout.includes(`pinned new host key ${fp} for local\n`), first.stdout);
    await waitFor(async () => worker.output().includes(`pinned new host key ${fp} for local`), 5_000, 'the log line');
    assert.equal(await readFile(knownHosts, 'utf8'), `${siteLines}[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`);
    const again = await aami(worker.url, ['nodes', 'test', 'local']);
    assert.equal(again.code, 0);
    assert.doesNotMatch(again.stdout, /pinned new host key/);
  });

  it('the gateway forwards GET /nodes/:name/host-key, which shows the offered key and the pinned one', async (t) => {
    const app = express();
    const api = express.Router();
    api.use(express.json(), installProxyRouter(worker.url, HARNESS_SERVICE_TOKEN));
    app.use('/api/v1', api);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    t.after(() => server.close());
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/nodes/local/host-key`);
    assert.equal(res.status, 200);
    const fp = await fingerprintOf(sshd.hostPublicKey);
    assert.deepEqual(await res.json(), { node: 'local', host: '127.0.0.1', port: sshd.port, type: 'ssh-ed25519', fingerprint: fp, pinned: fp, status: 'match' });
  });

  it('a reinstalled node: trust without a terminal, --yes or --fingerprint changes nothing; --yes pins the key shown', async () => {
    const before = await readFile(knownHosts, 'utf8');
    const oldFp = await fingerprintOf(sshd.hostPublicKey);
    await sshd.rotateHostKey();
    const newFp = await fingerprintOf(sshd.hostPublicKey);
    const refused = await aami(worker.url, ['nodes', 'trust', 'local']);
    assert.equal(refused.code, 2, refused.stderr);
    assert.ok(refused.stderr.includes(`offers the host key ssh-ed25519 ${newFp}. Nothing was changed`), refused.stderr);
    assert.match(refused.stderr, /--fingerprint SHA256:\S+, or with --yes/);
    assert.equal(await readFile(knownHosts, 'utf8'), before);
    const trusted = await aami(worker.url, ['nodes', 'trust', 'local', '--yes']);
    assert.equal(trusted.code, 0, trusted.stderr);
    assert.ok(trusted.stdout.includes(`Pinned the new host key of local (127.0.0.1:${sshd.port}): ssh-ed25519 ${newFp}\n  (was ${oldFp})`), trusted.stdout);
    assert.equal(await readFile(knownHosts, 'utf8'), `${siteLines}[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`);
    assert.equal((await aami(worker.url, ['nodes', 'test', 'local'])).code, 0);
  });

  it('ssh.host_keys strict, set while the worker runs, refuses an unknown node with its fingerprint; trust --fingerprint pins it', async () => {
    await store.update((c) => {
      c.ssh.host_keys = 'strict';
      c.nodes.push({ name: 'fresh', ip: '127.0.0.2', ssh_port: fresh.port, ssh_key: fresh.keyPath, labels: {} });
    });
    const fp = await fingerprintOf(fresh.hostPublicKey);
    let view: TestView | undefined;
    // The worker re-reads config.yaml at most every 2 s.
    await waitFor(async () => {
      const res = await aami(worker.url, ['nodes', 'test', 'fresh', '-o', 'json']);
      view = JSON.parse(res.stdout) as TestView;
      return view.results[0]?.kind === 'host-key-unknown';
    }, 15_000, 'the strict policy');
    const r = view?.results[0];
    assert.match(r?.reason ?? '', /node fresh \(127\.0\.0\.2:\d+\) has no pinned host key, and ssh\.host_keys is "strict"/);
    assert.ok(r?.reason?.includes(`aami nodes trust fresh --fingerprint ${fp}`), r?.reason);
    assert.doesNotMatch(await readFile(knownHosts, 'utf8'), /127\.0\.0\.2/);
    const wrong = await aami(worker.url, ['nodes', 'trust', 'fresh', '--fingerprint', 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']);
    assert.equal(wrong.code, 1);
    assert.doesNotMatch(await readFile(knownHosts, 'utf8'), /127\.0\.0\.2/);
    const trusted = await aami(worker.url, ['nodes', 'trust', 'fresh', '--fingerprint', fp]);
    assert.equal(trusted.code, 0, trusted.stderr);
    const ok = await aami(worker.url, ['nodes', 'test', 'fresh']);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.doesNotMatch(ok.stdout, /pinned new host key/, 'trusted by hand, not on first use');
    assert.ok((await readFile(knownHosts, 'utf8')).startsWith(siteLines));
  });
});
