// Attack: swap node_exporter and its manifest in the artifact store (issue 12, finding 7). The store
// checks every read against the manifest beside it, so whoever can write the store can make both
// agree; before the fix the next install shipped the swapped binary to the node as root. The pin
// in config.yaml (which only the gateway writes) is what the install worker now checks. Real node
// (systemd + sshd container), real install worker on a real Redis, real CLI.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigStore } from '@aami/shared';
import { makeTempDir, serviceAuth, startAamiService, startRedis, waitFor, type AamiService, type RedisServer } from '../harness/index.ts';
import { dockerUnavailable, NODE_KEY, prepareNodeImage, startNode, type TestNode } from '../install-worker-nodes.ts';
import { ArtifactStore, sha256Of, type ArtifactManifest } from '../../../services/install-worker/src/artifacts/store.ts';
import { binaryVersion } from '../../../services/install-worker/src/artifacts/upstream.ts';

// No Docker engine is a failure, not a skip (see install-worker-docker.test.ts).
const skip = await dockerUnavailable();

interface RunView { status: string; states: Array<{ node: string; state: string; result?: string; reason?: string }> }

describe('a swapped artifact is refused by its pin', { timeout: 5 * 60_000 }, () => {
  let dir = '';
  let redis: RedisServer;
  let node: TestNode;
  let worker: AamiService;
  let genuine: ArtifactManifest;

  const run = async (action: string): Promise<RunView> => {
    const res = await fetch(`${worker.url}/api/v1/install/runs`, { method: 'POST', headers: { 'content-type': 'application/json', ...serviceAuth }, body: JSON.stringify({ action, nodes: ['n1'] }) });
    const { runId } = (await res.json()) as { runId: string };
    let view: RunView | undefined;
    await waitFor(async () => {
      view = (await (await fetch(`${worker.url}/api/v1/install/runs/${runId}`, { headers: serviceAuth })).json()) as RunView;
      return view.status === 'done';
    }, 180_000, `run ${runId}`);
    return view!;
  };

  before(async () => {
    if (skip) throw new Error(`Docker is not available, so the pin cannot be tested on a real node: ${skip}`);
    await prepareNodeImage();
    dir = await makeTempDir('security-pins');
    const artifacts = new ArtifactStore(join(dir, 'artifacts'));
    genuine = await artifacts.importFile('/usr/bin/prometheus-node-exporter', { name: 'node_exporter', version: await binaryVersion('/usr/bin/prometheus-node-exporter'), arch: 'amd64' });
    [node, redis] = await Promise.all([startNode('pin1', '127.0.0.21'), startRedis()]);
    await new ConfigStore(join(dir, 'config.yaml')).create({
      ssh: { user: 'aami', key: NODE_KEY, port: 22, concurrency: 10, connect_timeout_s: 5, command_timeout_s: 120 },
      nodes: [{ name: 'n1', ip: node.address, ssh_port: node.sshPort }],
      artifacts: { pins: [{ name: 'node_exporter', version: genuine.version, arch: 'amd64', sha256: genuine.sha256 }] },
    });
    worker = await startAamiService('install-worker', 'AAMI_INSTALL_WORKER_PORT', {
      AAMI_DATA_DIR: dir, AAMI_CONFIG: join(dir, 'config.yaml'), AAMI_REDIS_URL: redis.url, AAMI_ARTIFACTS_DIR: join(dir, 'artifacts'),
      AAMI_INSTALL_ATTEMPTS: '1', AAMI_INSTALL_VERIFY_WAIT_S: '15',
    });
  });
  after(async () => {
    await worker?.stop();
    await redis?.stop();
    await node?.container.stop({ timeout: 0 }).catch(() => {});
  });

  it('refuses the swapped binary with both digests named, and nothing reaches the node', async () => {
    // The attacker replaces the binary and rewrites the manifest to match it.
    const folder = join(dir, 'artifacts', 'node_exporter', genuine.version, 'amd64');
    const evil = Buffer.concat([await readFile(join(folder, 'node_exporter')), Buffer.from('\n#!/bin/sh\necho owned > /root/owned\n')]);
    await writeFile(join(folder, 'node_exporter'), evil);
    const manifest = JSON.parse(await readFile(join(folder, 'manifest.json'), 'utf8')) as ArtifactManifest;
    await writeFile(join(folder, 'manifest.json'), JSON.stringify({ ...manifest, sha256: sha256Of(evil), size: evil.length }));

    const view = await run('install');
    const state = view.states.find((s) => s.node === 'n1');
    assert.equal(state?.state, 'failed', JSON.stringify(state));
    assert.match(state?.reason ?? '', new RegExp(`has sha256 ${sha256Of(evil)}, config\\.yaml pins ${genuine.sha256}: refusing to ship it`));
    const onNode = await node.exec('test -e /usr/local/bin/node_exporter && echo present || echo absent');
    assert.match(onNode.output, /absent/, 'the node got no binary');
  });

  it('ships the genuine binary once the store holds it again', async () => {
    const folder = join(dir, 'artifacts', 'node_exporter', genuine.version, 'amd64');
    await writeFile(join(folder, 'node_exporter'), await readFile('/usr/bin/prometheus-node-exporter'));
    await writeFile(join(folder, 'manifest.json'), JSON.stringify(genuine));
    const view = await run('install');
    const state = view.states.find((s) => s.node === 'n1');
    assert.equal(state?.result, 'installed', JSON.stringify(state));
    const sum = await node.exec('sha256sum /usr/local/bin/node_exporter');
    assert.match(sum.output, new RegExp(genuine.sha256));
  });
});
