import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { component, fakeSources } from './fake-sources.ts';
import { servicesCheck } from './services.ts';

describe('services check', () => {
  it('is one ok line when every part answers and AAMI runs one release', async () => {
    const parts = ['api-gateway', 'prometheus', 'notification-relay', 'analyzer'].map((n) => component(n, n === 'prometheus' ? { version: '2.55.1' } : {}));
    const out = await servicesCheck(fakeSources({ components: async () => parts })).run();
    assert.deepEqual(out.map((x) => [x.severity, x.message]), [['ok', "all 4 parts answer; AAMI's services run 1.0.0"]]);
  });

  it('names a part that does not answer, its address without the password, and why; different releases are a warning', async () => {
    const out = await servicesCheck(fakeSources({
      components: async () => [
        component('api-gateway', { version: '1.1.0' }),
        component('redis', { url: 'redis://aami:hunter2@redis:6379', reachable: false, version: null, error: 'connect ECONNREFUSED' }),
        component('analyzer', { version: '1.0.0' }),
      ],
    })).run();
    assert.equal(out.length, 2);
    assert.deepEqual([out[0]?.severity, out[0]?.subject], ['critical', 'redis']);
    assert.equal(out[0]?.message, 'redis at redis://redis:6379 is not reachable: connect ECONNREFUSED');
    assert.match(out[0]?.fix ?? '', /docker compose up -d redis/);
    assert.equal(out[1]?.severity, 'warning');
    assert.match(out[1]?.message ?? '', /different releases: 1\.1\.0 \(api-gateway\), 1\.0\.0 \(analyzer\)/);
    assert.doesNotMatch(JSON.stringify(out), /hunter2/);
  });
});
