import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Semaphore } from './semaphore.ts';

test('never more than the limit run at once, and all finish', async () => {
  const sem = new Semaphore(3);
  let now = 0;
  let peak = 0;
  const done = await Promise.all(Array.from({ length: 20 }, (_, i) => sem.use(async () => {
    now++;
    peak = Math.max(peak, now);
    await new Promise((r) => setTimeout(r, 2 + (i % 3)));
    now--;
    return i;
  })));
  assert.equal(peak, 3);
  assert.equal(done.length, 20);
  assert.equal(sem.active, 0);
  assert.throws(() => new Semaphore(0), RangeError);
});

test('a released slot goes to the next waiter; releasing twice does not free two slots', async () => {
  const sem = new Semaphore(1);
  const r1 = await sem.acquire();
  let second = false;
  const p = sem.acquire().then((r) => { second = true; return r; });
  await new Promise((r) => setImmediate(r));
  assert.equal(second, false);
  r1();
  r1();
  const r2 = await p;
  assert.equal(sem.active, 1);
  r2();
  assert.equal(sem.active, 0);
});
