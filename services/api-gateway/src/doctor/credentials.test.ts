import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { credentialsCheck } from './credentials.ts';
import { component, fakeSources } from './fake-sources.ts';

describe('credentials check', () => {
  it('warns about each part that answers without a credential, and says how to set one', async () => {
    const out = await credentialsCheck(fakeSources({
      components: async () => [
        component('api-gateway', { credential: 'API token' }),
        component('prometheus', { credential: null }),
        component('alertmanager', { credential: null, reachable: false }),
        component('analyzer', { credential: null }),
      ],
    })).run();
    assert.deepEqual(out.map((x) => [x.severity, x.subject]), [['warning', 'prometheus'], ['warning', 'analyzer']], 'an unreachable part is the services check\'s');
    assert.match(out[0]?.fix ?? '', /AAMI_PROMETHEUS_PASSWORD_FILE.*security-model/);
    assert.match(out[1]?.fix ?? '', /service token/);
  });

  it('is ok when every part asks for one', async () => {
    const out = await credentialsCheck(fakeSources({ components: async () => [component('api-gateway', { credential: 'API token' }), component('redis', { credential: 'password' })] })).run();
    assert.deepEqual(out.map((x) => [x.severity, x.message]), [['ok', 'each of the 2 parts that answer asks for a credential (API token, password)']]);
  });
});
