// Runs a Lua script by its SHA (EVALSHA) and falls back to EVAL when Redis does not know it yet,
// e.g. after a restart emptied the script cache. Used for the relay's few atomic steps.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A loaded script: call with keys and args, get Redis's reply. */
export type RedisScript = (keys: readonly string[], args: ReadonlyArray<string | number>) => Promise<unknown>;

/** Wraps `lua` for `redis`. */
export function redisScript(redis: Redis, lua: string): RedisScript {
  const sha = createHash('sha1').update(lua).digest('hex');
  return async (keys, args) => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return redis.eval(lua, keys.length, ...keys, ...args);
    }
  };
}
