import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createIntakeLimiter, type IntakeDecision, type IntakeRefused } from './intake-limit.ts';

const distinct = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

function refused(d: IntakeDecision): IntakeRefused {
  assert.equal(d.allowed, false, 'expected a refusal');
  return d as IntakeRefused;
}

test('the budget lets alerts in up to the limit, then refuses with the seconds left in the window', () => {
  const limit = createIntakeLimiter({ perWindow: 100, perFingerprint: 0, windowMs: 60_000 });
  const t0 = 5_000;
  assert.equal(limit.take(distinct('a', 60), t0).allowed, true);
  assert.equal(limit.take(distinct('b', 40), t0 + 1000).allowed, true);
  const r = refused(limit.take(['c0'], t0 + 30_500));
  assert.equal(r.cap, 'rate');
  assert.equal(r.limit, 100);
  assert.equal(r.retryAfterS, 30, '29.5 s left, rounded up');
  assert.match(r.message, /accepts 100 per minute \(AAMI_RELAY_INTAKE_PER_MINUTE\) and has room for 0 more/);
  assert.equal(refused(limit.take(['c0'], t0 + 59_999)).retryAfterS, 1, 'never 0');
  assert.equal(refused(limit.take(['c0'], t0)).retryAfterS, 60);
});

test('the window rolls over: a fresh budget once it has ended, timed from the first request after', () => {
  const limit = createIntakeLimiter({ perWindow: 10, perFingerprint: 0, windowMs: 1000 });
  assert.equal(limit.take(distinct('a', 10), 0).allowed, true);
  assert.equal(limit.take(['x'], 999).allowed, false);
  assert.equal(limit.take(distinct('b', 10), 1000).allowed, true, 'the next window');
  assert.equal(limit.take(['x'], 1500).allowed, false);
  // An idle stretch: the next window opens at the first request, so its Retry-After counts from there.
  assert.equal(limit.take(distinct('c', 10), 7300).allowed, true);
  const r = refused(limit.take(['x'], 7350));
  assert.equal(r.retryAfterS, 1);
  assert.match(r.message, /per 1 s window/);
  assert.equal(limit.take(['x'], 8300).allowed, true);
});

test('a refused request counts nothing: a smaller one that fits still gets in', () => {
  const limit = createIntakeLimiter({ perWindow: 100, perFingerprint: 0 });
  assert.equal(limit.take(distinct('a', 90), 0).allowed, true);
  assert.equal(limit.take(distinct('b', 11), 1).allowed, false);
  assert.equal(limit.take(distinct('b', 11), 2).allowed, false, 'the retry is refused the same way');
  assert.equal(limit.take(distinct('c', 10), 3).allowed, true, 'the refusals took none of the 10 left');
  assert.equal(limit.take(['d'], 4).allowed, false);
});

test('a request bigger than the whole budget says so: it can never fit', () => {
  const limit = createIntakeLimiter({ perWindow: 500, perFingerprint: 0 });
  const r = refused(limit.take(distinct('a', 501), 0));
  assert.equal(r.cap, 'rate');
  assert.match(r.message, /this request holds 501 alerts, more than the 500 the relay accepts per minute/);
  assert.match(r.message, /max_alerts/);
});

test('one fingerprint is accepted at most perFingerprint times a window; others are not held up', () => {
  const limit = createIntakeLimiter({ perWindow: 0, perFingerprint: 60, windowMs: 60_000 });
  for (let i = 0; i < 60; i++) assert.equal(limit.take(['hot', `cold${i}`], i).allowed, true, `send ${i + 1}`);
  const r = refused(limit.take(['hot'], 20_000));
  assert.equal(r.cap, 'fingerprint');
  assert.equal(r.limit, 60);
  assert.equal(r.retryAfterS, 40);
  assert.match(r.message, /alert hot was already accepted 60 times in this minute; the relay takes one alert at most 60 times per minute \(AAMI_RELAY_INTAKE_PER_FINGERPRINT_PER_MINUTE\)/);
  assert.equal(limit.take(['cold0', 'new'], 20_001).allowed, true);
  assert.equal(limit.take(['hot'], 60_000).allowed, true, 'a new window forgets');
});

test('repeats inside one request count too', () => {
  const limit = createIntakeLimiter({ perWindow: 0, perFingerprint: 3 });
  assert.equal(refused(limit.take(['x', 'x', 'x', 'x'], 0)).cap, 'fingerprint');
  assert.equal(limit.take(['x', 'x', 'x'], 1).allowed, true);
  assert.equal(limit.take(['x'], 2).allowed, false);
});

test('all or nothing: a request with one alert over its cap counts none of its alerts', () => {
  const limit = createIntakeLimiter({ perWindow: 1000, perFingerprint: 2 });
  assert.equal(limit.take(['hot', 'hot'], 0).allowed, true);
  for (let i = 0; i < 5; i++) assert.equal(limit.take(['a', 'b', 'hot'], 1 + i).allowed, false);
  // Neither a nor b was counted by the five refusals, and neither was the budget.
  assert.equal(limit.take(['a', 'b'], 10).allowed, true);
  assert.equal(limit.take(['a', 'b'], 11).allowed, true);
  assert.equal(limit.take(['a'], 12).allowed, false);
  assert.equal(limit.take(distinct('z', 994), 13).allowed, true, '1000 - 2 - 4 = 994 left');
  assert.equal(limit.take(['last'], 14).allowed, false);
});

test('release gives a request back (Redis could not store it), once, and only in its own window', () => {
  const limit = createIntakeLimiter({ perWindow: 10, perFingerprint: 1, windowMs: 1000 });
  const grant = limit.take(distinct('a', 10), 0);
  assert.ok(grant.allowed);
  assert.equal(limit.take(['b'], 1).allowed, false);
  grant.release();
  grant.release();
  assert.equal(limit.trackedFingerprints, 0);
  assert.equal(limit.take(distinct('a', 10), 2).allowed, true, 'the same alerts again: budget and fingerprints were given back');
  assert.equal(limit.take(['b'], 3).allowed, false, 'a second release gave nothing more');
  const late = limit.take(['c'], 1000);
  assert.ok(late.allowed);
  assert.equal(limit.take(distinct('d', 9), 1001).allowed, true);
  limit.take(['e'], 2000); // next window
  late.release();
  assert.equal(limit.take(distinct('f', 9), 2001).allowed, true);
  assert.equal(limit.take(['g'], 2002).allowed, false, 'releasing into a later window must not enlarge it');
});

test('memory stays bounded: past maxFingerprints new fingerprints go uncounted, and each window starts empty', () => {
  const limit = createIntakeLimiter({ perWindow: 0, perFingerprint: 2, windowMs: 1000, maxFingerprints: 100 });
  for (let i = 0; i < 50; i++) assert.equal(limit.take(distinct(`r${i}-`, 200), i).allowed, true);
  assert.equal(limit.trackedFingerprints, 100);
  // The ones tracked are still capped; the overflow is left to the overall budget.
  assert.equal(limit.take(['r0-0', 'r0-0'], 60).allowed, false);
  for (let i = 0; i < 3; i++) assert.equal(limit.take(['r49-199'], 61 + i).allowed, true, 'an untracked fingerprint is not counted');
  assert.equal(limit.trackedFingerprints, 100);
  limit.take(['fresh'], 1000);
  assert.equal(limit.trackedFingerprints, 1);
  // With the budget on, the map can never outgrow it either.
  const both = createIntakeLimiter({ perWindow: 500, perFingerprint: 60 });
  for (let i = 0; i < 100; i++) both.take(distinct(`q${i}-`, 50), i);
  assert.equal(both.trackedFingerprints, 500);
});

test('0 turns a cap off', () => {
  const limit = createIntakeLimiter({ perWindow: 0, perFingerprint: 0 });
  for (let i = 0; i < 20; i++) assert.equal(limit.take(Array.from({ length: 10_000 }, () => 'same'), i).allowed, true);
  assert.equal(limit.trackedFingerprints, 0);
});

test('firstInWindow is true for the first refusal of each cap in a window only', () => {
  const limit = createIntakeLimiter({ perWindow: 5, perFingerprint: 1, windowMs: 1000 });
  limit.take(['a'], 0);
  assert.equal(refused(limit.take(['a'], 1)).firstInWindow, true);
  assert.equal(refused(limit.take(['a'], 2)).firstInWindow, false);
  assert.equal(refused(limit.take(distinct('b', 5), 3)).firstInWindow, true, 'the other cap logs on its own');
  assert.equal(refused(limit.take(distinct('b', 5), 4)).firstInWindow, false);
  limit.take(['z'], 1000);
  assert.equal(refused(limit.take(['z'], 1001)).firstInWindow, true, 'a new window logs again');
});
