// Serialises writers of one file: within a process by a promise queue, across processes by a lock
// file on the same volume (`<path>.lock`), so two services never interleave a read-change-write.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import lockfile from 'proper-lockfile';

/** Runs `fn` while holding `<path>.lock`; a holder that died is taken over after 15 s. */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(dirname(path), { recursive: true });
  const release = await lockfile.lock(path, {
    realpath: false,
    lockfilePath: `${path}.lock`,
    stale: 15_000,
    update: 5_000,
    retries: { retries: 200, factor: 1.2, minTimeout: 5, maxTimeout: 100 },
  });
  try {
    return await fn();
  } finally {
    await release();
  }
}

/** A queue that runs one task at a time, in order; a failed task does not stop the next. */
export function serialQueue(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}
