// Attack on availability: make a compile request get lost (issue 12, finding 9). With Redis down,
// the gateway cannot queue a compile after a config write; before the fix nothing ever compiled
// that revision, so a node added then was never scraped and an alert change never went live. The
// rule compiler and the gateway run as real processes; Redis is a closed port.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigStore } from '@aami/shared';
import { readCompileStatus } from '@aami/rule-compiler';
import { freePort, makeTempDir, startAamiService, waitFor, type AamiService } from '../harness/index.ts';
import { startServiceOnFreePort } from '../web-ui/services.ts';

const ADMIN = 'aami_security-test-admin-token-compile-0123456789';

async function filesUnder(dir: string): Promise<string> {
  const names = await readdir(dir, { recursive: true, withFileTypes: true });
  const texts = await Promise.all(names.filter((d) => d.isFile()).map((d) => readFile(join(d.parentPath, d.name), 'utf8')));
  return texts.join('\n');
}

describe('a lost compile request is made up for', () => {
  let dir = '';
  let compiler: AamiService;
  let gateway: AamiService;
  before(async () => {
    dir = await makeTempDir('security-compile-lost');
    await new ConfigStore(join(dir, 'config.yaml')).create({});
    const env = {
      AAMI_DATA_DIR: dir, AAMI_CONFIG: join(dir, 'config.yaml'), AAMI_GENERATED_DIR: join(dir, 'generated'),
      AAMI_REDIS_URL: `redis://127.0.0.1:${await freePort()}`, AAMI_PROMETHEUS_URL: 'http://127.0.0.1:9', AAMI_ALERTMANAGER_URL: 'http://127.0.0.1:9',
      AAMI_COMPILE_RECONCILE_S: '1',
    };
    compiler = await startServiceOnFreePort('rule-compiler', 'AAMI_RULE_COMPILER_PORT', 'AAMI_RULE_COMPILER_URL', env);
    gateway = await startAamiService('api-gateway', 'AAMI_API_PORT', { ...env, AAMI_ADMIN_TOKEN: ADMIN, AAMI_RULE_COMPILER_URL: compiler.url });
  });
  after(async () => { await gateway?.stop(); await compiler?.stop(); });

  it('compiles a node added while Redis was down, and a hand edit nobody announced', async () => {
    const added = await fetch(`${gateway.url}/api/v1/nodes`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'gpu-node-77', ip: '10.77.0.1' }),
    });
    assert.equal(added.status, 201, await added.clone().text());
    const { compile } = (await added.json()) as { compile?: { queued: boolean } };
    assert.equal(compile?.queued, false, 'the gateway could not queue the compile');
    await waitFor(async () => (await filesUnder(join(dir, 'generated', 'prometheus'))).includes('10.77.0.1'), 10_000, 'the node in the generated scrape targets');

    // Nobody asks at all: config.yaml edited through the store only.
    const snap = await new ConfigStore(join(dir, 'config.yaml')).update((c) => { c.nodes.push({ name: 'gpu-node-78', ip: '10.78.0.1', labels: {} } as never); });
    await waitFor(async () => (await readCompileStatus(join(dir, 'generated'))).lastAttempt?.revision === snap.revision, 10_000, `a compile of revision ${snap.revision}`);
    assert.match(await filesUnder(join(dir, 'generated', 'prometheus')), /10\.78\.0\.1/);
  });
});
