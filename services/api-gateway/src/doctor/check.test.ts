import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeError, quote, redactUrl } from './check.ts';

describe('doctor finding helpers', () => {
  it('takes the user and password out of an address', () => {
    assert.equal(redactUrl('redis://aami:s3cret@redis:6379/0'), 'redis://redis:6379/0');
    assert.equal(redactUrl('http://aami:s3cret@prometheus:9090'), 'http://prometheus:9090');
    assert.equal(redactUrl('http://prometheus:9090/'), 'http://prometheus:9090/');
    assert.equal(redactUrl('not a url //u:p@host'), 'not a url //host');
  });

  it('quotes on one line and caps the length', () => {
    assert.equal(quote('a\nb\t c'), 'a b c');
    assert.equal(quote('x'.repeat(500)).length, 300);
    assert.ok(quote('x'.repeat(500)).endsWith('…'));
  });

  it("says the network's reason instead of fetch's", () => {
    const err = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    assert.equal(describeError(err), 'ECONNREFUSED');
    assert.equal(describeError(Object.assign(new Error('x'), { name: 'TimeoutError' })), 'no answer in time');
    assert.equal(describeError(new Error('plain')), 'plain');
  });
});
