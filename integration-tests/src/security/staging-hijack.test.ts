// Attack: a local user on a GPU node hijacks the upload staging folder (issue 13, finding 1). The
// install used to stage in /var/tmp/aami-stage-<run> (world-writable parent, a name known once the
// run exists) as the login user, then copy as root in a second command: a user who made that folder
// first got AAMI's files extracted into a folder they own, and could swap a binary or a unit
// between the checksum and the root copy. Now the upload, the check and the copy are one root
// command working in a fresh mktemp folder. Real node (systemd + sshd container) with a second,
// unprivileged user racing the install; real install worker on a real Redis.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ConfigStore } from '@aami/shared';
import { makeTempDir, serviceAuth, startAamiService, startRedis, waitFor, type AamiService, type RedisServer } from '../harness/index.ts';
import { dockerUnavailable, NODE_KEY, prepareNodeImage, startNode, type TestNode } from '../install-worker-nodes.ts';
import { ArtifactStore, type ArtifactManifest } from '../../../services/install-worker/src/artifacts/store.ts';
import { binaryVersion } from '../../../services/install-worker/src/artifacts/upstream.ts';

// No Docker engine is a failure, not a skip (see install-worker-docker.test.ts).
const skip = await dockerUnavailable();

interface RunView { status: string; states: Array<{ node: string; state: string; result?: string; reason?: string }> }

/**
 * The attacker, as user mallory: watches every /var/tmp/aami-stage* folder it can enter, writes down
 * what it sees there, and keeps replacing every staged file it can with its own bytes.
 */
const ATTACKER = String.raw`
while :; do
  for d in /var/tmp/aami-stage*; do
    [ -d "$d" ] || continue
    seen=$(ls -A "$d" 2>/dev/null) || continue
    [ -n "$seen" ] && printf '%s: %s\n' "$d" "$seen" >> /tmp/mallory-saw
    for f in "$d"/*; do
      [ -f "$f" ] || continue
      printf '#!/bin/sh\necho owned > /tmp/owned\n' > "$d/.swap" 2>/dev/null && mv -f "$d/.swap" "$f" 2>/dev/null
    done
  done
done`;

describe('the upload staging folder cannot be hijacked by another user on the node', { timeout: 5 * 60_000 }, () => {
  let dir = '';
  let redis: RedisServer;
  let node: TestNode;
  let worker: AamiService;
  let genuine: ArtifactManifest;

  before(async () => {
    if (skip) throw new Error(`Docker is not available, so staging cannot be tested on a real node: ${skip}`);
    await prepareNodeImage();
    dir = await makeTempDir('security-staging');
    const artifacts = new ArtifactStore(join(dir, 'artifacts'));
    genuine = await artifacts.importFile('/usr/bin/prometheus-node-exporter', { name: 'node_exporter', version: await binaryVersion('/usr/bin/prometheus-node-exporter'), arch: 'amd64' });
    [node, redis] = await Promise.all([startNode('stage1', '127.0.0.22'), startRedis()]);
    await new ConfigStore(join(dir, 'config.yaml')).create({
      ssh: { user: 'aami', key: NODE_KEY, port: 22, concurrency: 10, connect_timeout_s: 5, command_timeout_s: 120 },
      nodes: [{ name: 'n1', ip: node.address, ssh_port: node.sshPort }],
    });
    worker = await startAamiService('install-worker', 'AAMI_INSTALL_WORKER_PORT', {
      AAMI_DATA_DIR: dir, AAMI_CONFIG: join(dir, 'config.yaml'), AAMI_REDIS_URL: redis.url, AAMI_ARTIFACTS_DIR: join(dir, 'artifacts'),
      AAMI_INSTALL_ATTEMPTS: '1', AAMI_INSTALL_VERIFY_WAIT_S: '15',
    });
    await node.container.copyContentToContainer([{ content: ATTACKER, target: '/usr/local/share/attack.sh', mode: 0o755 }]);
    const setup = await node.exec('useradd --create-home mallory && echo ok');
    assert.match(setup.output, /ok/, setup.output);
  });
  after(async () => {
    await worker?.stop();
    await redis?.stop();
    await node?.container.stop({ timeout: 0 }).catch(() => {});
  });

  it('installs exactly the bytes AAMI sent; the attacker never sees a staged file', async () => {
    await node.exec('runuser -u mallory -- bash -c "nohup bash /usr/local/share/attack.sh >/dev/null 2>&1 &"');
    const res = await fetch(`${worker.url}/api/v1/install/runs`, { method: 'POST', headers: { 'content-type': 'application/json', ...serviceAuth }, body: JSON.stringify({ action: 'install', nodes: ['n1'] }) });
    const { runId } = (await res.json()) as { runId: string };
    // The folder the old code staged in, made by the attacker before the upload (right after the
    // run got its id; the worker still has to log in and probe), open to everyone.
    const made = await node.exec(`runuser -u mallory -- bash -c 'mkdir -m 777 /var/tmp/aami-stage-${runId.replace(/[^A-Za-z0-9_-]/g, '')} && echo made'`);
    assert.match(made.output, /made/, made.output);
    let view: RunView | undefined;
    await waitFor(async () => {
      view = (await (await fetch(`${worker.url}/api/v1/install/runs/${runId}`, { headers: serviceAuth })).json()) as RunView;
      return view.status === 'done';
    }, 180_000, `run ${runId}`);
    const state = view?.states.find((s) => s.node === 'n1');
    assert.equal(state?.result, 'installed', JSON.stringify(state));

    const onNode = await node.exec('sha256sum /usr/local/bin/node_exporter /etc/systemd/system/aami-node-exporter.service | cut -c1-64; cat /tmp/mallory-saw 2>/dev/null; test -e /tmp/owned && echo OWNED; ls -d /var/tmp/aami-stage.* 2>/dev/null | wc -l');
    const [binSum, , ...rest] = onNode.output.trim().split('\n');
    assert.equal(binSum, genuine.sha256, 'the installed node_exporter is the genuine one');
    assert.doesNotMatch(onNode.output, /OWNED/, 'nothing of the attacker ran');
    assert.doesNotMatch(rest.join('\n'), /: /, `the attacker saw staged files:\n${onNode.output}`);
    assert.equal(rest.at(-1), '0', 'no staging folder is left behind');
    const unit = await node.exec('systemctl is-active aami-node-exporter.service; grep -c "Installed by AAMI" /etc/systemd/system/aami-node-exporter.service');
    assert.match(unit.output, /^active\n1\n/);
  });
});
