import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Coalescer } from './coalescer.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a burst of requests gives one run, and every caller gets its result', async () => {
  let n = 0;
  const c = new Coalescer(async () => ++n, { quietMs: 20 });
  const results = await Promise.all(Array.from({ length: 50 }, () => c.request()));
  assert.equal(c.runs, 1);
  assert.deepEqual(new Set(results), new Set([1]));
});

test('a request that arrives during a run gets a run that starts after it', async () => {
  const started: number[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  let n = 0;
  const c = new Coalescer(async () => {
    started.push(++n);
    if (n === 1) await gate;
    return n;
  }, { quietMs: 5 });
  const first = c.request();
  await sleep(20); // run 1 is now in progress
  const second = c.request();
  const third = c.request();
  release();
  assert.equal(await first, 1);
  assert.equal(await second, 2);
  assert.equal(await third, 2);
  assert.deepEqual(started, [1, 2]);
});

test('runs never overlap and a failure reaches every caller of that run only', async () => {
  let active = 0;
  let maxActive = 0;
  let n = 0;
  const c = new Coalescer(async () => {
    active++;
    maxActive = Math.max(maxActive, active);
    await sleep(10);
    active--;
    if (++n === 1) throw new Error('boom');
    return n;
  }, { quietMs: 1 });
  const a = c.request();
  const b = c.request();
  await assert.rejects(a, /boom/);
  await assert.rejects(b, /boom/);
  assert.equal(await c.request(), 2);
  assert.equal(maxActive, 1);
});

/** A clock that moves only when told to. */
class FakeClock {
  t = 0;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #id = 0;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => { this.#timers.set(++this.#id, { at: this.t + ms, fn }); return this.#id; };
  clearTimeout = (id: unknown) => { this.#timers.delete(id as number); };
  async advance(ms: number) {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.#timers.entries()].filter(([, v]) => v.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
      await sleep(0);
    }
    this.t = end;
  }
}

test('requests that never pause still get a compile once maxWaitMs has passed since the first', async () => {
  const clock = new FakeClock();
  const c = new Coalescer(async () => clock.now(), { quietMs: 30, maxWaitMs: 60, clock });
  const first = c.request();
  for (let i = 0; i < 3; i++) {
    await clock.advance(15);
    void c.request();
  }
  assert.equal(c.runs, 0, 'still inside the burst at 45 ms');
  await clock.advance(15);
  assert.equal(c.runs, 1);
  assert.equal(await first, 60, 'ran at maxWaitMs, not after the quiet period');
});
