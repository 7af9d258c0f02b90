// Attack: get a revoked API token back, or lose a new one, by racing token writes (issue 12,
// finding 3). The gateway runs for real (node services/api-gateway/src/main.ts) and is driven over
// HTTP: a second admin revokes the token that AAMI_ADMIN_TOKEN holds, then tokens are created
// while others are revoked, all at once, and the gateway is killed and started again on the same
// data with the same environment (8 rounds). Whatever was revoked must stay refused; whatever was created must still work.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { makeTempDir, startAamiService, type AamiService } from '../harness/index.ts';

const ENV_ADMIN = 'aami_token-race-env-admin-token-0123456789abcdef';
const ROUNDS = 8;
const PAIRS = 3;

interface Created { token: string; id: string; name: string }

describe('tokens created and revoked at once stay that way across a gateway restart', () => {
  let gw: AamiService;
  let secondAdmin: string;
  // Per token: what the gateway answered right after the restart that followed its round.
  const revokedAfterRestart: number[] = [];
  const createdAfterRestart: number[] = [];

  const call = (method: string, path: string, token: string, body?: unknown) =>
    fetch(`${gw.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  const createToken = async (name: string, role: string, as: string): Promise<Created> => {
    const res = await call('POST', '/api/v1/tokens', as, { name, role });
    assert.equal(res.status, 201, `creating ${name}`);
    return (await res.json()) as Created;
  };
  const revokeToken = async (id: string, as: string) => {
    const res = await call('DELETE', `/api/v1/tokens/${id}`, as);
    assert.equal(res.status, 204, `revoking ${id}`);
  };
  const whoami = async (token: string) => (await call('GET', '/api/v1/whoami', token)).status;

  before(async () => {
    const dir = await makeTempDir('security-tokens');
    const env = {
      AAMI_DATA_DIR: dir, AAMI_CONFIG: join(dir, 'config.yaml'), AAMI_ADMIN_TOKEN: ENV_ADMIN,
      AAMI_REDIS_URL: 'redis://127.0.0.1:9', AAMI_PROMETHEUS_URL: 'http://127.0.0.1:9', AAMI_ALERTMANAGER_URL: 'http://127.0.0.1:9',
    };
    gw = await startAamiService('api-gateway', 'AAMI_API_PORT', env);
    secondAdmin = (await createToken('second admin', 'admin', ENV_ADMIN)).token;

    // The second admin revokes the entry of the token AAMI_ADMIN_TOKEN holds.
    const { tokens } = (await (await call('GET', '/api/v1/tokens', secondAdmin)).json()) as { tokens: Created[] };
    const envEntry = tokens.find((t) => t.name === 'admin (AAMI_ADMIN_TOKEN)');
    assert.ok(envEntry, 'the AAMI_ADMIN_TOKEN entry is listed');
    await revokeToken(envEntry.id, secondAdmin);
    assert.equal(await whoami(ENV_ADMIN), 401, 'refused right after its revocation');

    for (let round = 0; round < ROUNDS; round++) {
      const victims: Created[] = [];
      for (let i = 0; i < PAIRS; i++) victims.push(await createToken(`victim-${round}-${i}`, 'viewer', secondAdmin));
      // Every create races a revoke of another token. Nothing is written between this burst and
      // the restart, so the restarted gateway reads whatever these writes left in tokens.json.
      const revoked: string[] = [];
      const created: string[] = [];
      await Promise.all(victims.flatMap((victim, i) => [
        createToken(`new-${round}-${i}`, 'viewer', secondAdmin).then((t) => { created.push(t.token); }),
        revokeToken(victim.id, secondAdmin).then(() => { revoked.push(victim.token); }),
      ]));
      // Killed, not stopped: every write the API acknowledged must already be on disk.
      await gw.daemon.kill();
      gw = await startAamiService('api-gateway', 'AAMI_API_PORT', env);
      revokedAfterRestart.push(...await Promise.all(revoked.map(whoami)));
      createdAfterRestart.push(...await Promise.all(created.map(whoami)));
    }
  });
  after(() => gw?.stop());

  it('refuses every revoked token after the restart', () => {
    assert.equal(revokedAfterRestart.length, ROUNDS * PAIRS);
    const back = revokedAfterRestart.filter((status) => status !== 401).length;
    assert.equal(back, 0, `${back} of ${ROUNDS * PAIRS} revoked tokens are valid again after a restart`);
  });

  it('accepts every created token after the restart', async () => {
    assert.equal(createdAfterRestart.length, ROUNDS * PAIRS);
    const lost = createdAfterRestart.filter((status) => status !== 200).length;
    assert.equal(lost, 0, `${lost} of ${ROUNDS * PAIRS} created tokens were lost in a restart`);
    assert.equal(await whoami(secondAdmin), 200);
  });

  it('keeps the revoked AAMI_ADMIN_TOKEN refused after the restart, and logs why', async () => {
    assert.equal(await whoami(ENV_ADMIN), 401, 'the revoked AAMI_ADMIN_TOKEN was registered again at start');
    assert.match(gw.output(), /AAMI_ADMIN_TOKEN holds a token that was revoked; it stays revoked — remove it from the environment/);
  });
});
