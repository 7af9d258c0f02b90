import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DeadLetter } from '@aami/shared';
import { deadLettersCheck } from './dead-letters.ts';
import { fakeSources } from './fake-sources.ts';

const letter = (channel: 'slack' | 'email', reason: string): DeadLetter => ({ id: `${channel}-1`, channel, kind: 'alert', reason, attempts: 1 });

describe('dead-letters check', () => {
  it('warns once per channel with the count and the newest reason', async () => {
    const out = await deadLettersCheck(fakeSources({
      deadLetters: async () => [letter('slack', 'authError: Slack answered HTTP 403: invalid_token'), letter('email', 'connection: ECONNREFUSED'), letter('slack', 'older')],
    })).run();
    assert.deepEqual(out.map((x) => [x.severity, x.subject]), [['warning', 'email'], ['warning', 'slack']]);
    assert.equal(out[1]?.message, '2 slack notification(s) were given up on; the last one failed with: authError: Slack answered HTTP 403: invalid_token');
    assert.match(out[1]?.fix ?? '', /aami notifications test slack.*aami notifications retry ID/);
  });

  it('is ok when the list is empty, critical when the relay cannot be read', async () => {
    assert.deepEqual((await deadLettersCheck(fakeSources({ deadLetters: async () => [] })).run()).map((x) => x.severity), ['ok']);
    const down = await deadLettersCheck(fakeSources()).run();
    assert.deepEqual(down.map((x) => [x.severity, x.subject]), [['critical', 'notification-relay']]);
  });
});
