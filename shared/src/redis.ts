// AAMI_REDIS_URL as ioredis/BullMQ connection options, and as text safe to log. One parser, so
// every service that builds options by hand honours the same URL forms (ACL user, password, db
// index, rediss:// for TLS), and an odd URL stops the service at start with a message naming the
// variable instead of quietly connecting to db 0 without credentials.
// No ioredis import: the options are plain data that ioredis and BullMQ both accept.
import type { ConnectionOptions as TlsOptions } from 'node:tls';

/** What ioredis (and BullMQ's `connection`) needs to reach one Redis. */
export interface RedisConnectionOptions {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  /** Present for rediss:// (TLS with Node's defaults: the server certificate is verified). */
  tls?: TlsOptions;
}

const FORM = 'redis[s]://[user:password@]host[:port][/db]';

const bad = (reason: string): Error => new Error(`AAMI_REDIS_URL ${reason} (expected ${FORM})`);

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw bad(`has a broken %-escape in the ${what}`);
  }
}

function parse(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    // Not echoed: the text may hold a password.
    throw bad('is not a URL');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw bad(`must start with redis:// or rediss://, not ${u.protocol}//`);
  return u;
}

/** Parses a redis:// or rediss:// URL; a bad one is an error naming AAMI_REDIS_URL (never showing the password). */
export function redisConnectionOptions(url: string): RedisConnectionOptions {
  const u = parse(url);
  // WHATWG URL keeps the brackets of an IPv6 literal; sockets want the bare address.
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw bad('has no host');
  // ioredis reads options such as ?password= from the query; refusing them here keeps the
  // credentials in one place (and out of what redactRedisUrl drops).
  if (u.search || u.hash) throw bad('may not have a query or fragment');
  const options: RedisConnectionOptions = { host, port: u.port ? Number(u.port) : 6379 };
  if (u.username) options.username = decode(u.username, 'user name');
  if (u.password) options.password = decode(u.password, 'password');
  if (u.pathname && u.pathname !== '/') {
    const m = /^\/(\d+)$/.exec(u.pathname);
    const db = m ? Number(m[1]) : NaN;
    if (!Number.isSafeInteger(db)) throw bad(`path must be a database number such as /0, not ${u.pathname}`);
    options.db = db;
  }
  if (u.protocol === 'rediss:') options.tls = {};
  return options;
}

/** The URL for logs and status pages: user, host, port and db, with the password shown as ***. */
export function redactRedisUrl(url: string): string {
  let u: URL;
  try {
    u = parse(url);
  } catch {
    return '(invalid AAMI_REDIS_URL)';
  }
  const auth = u.username || u.password ? `${u.username}${u.password ? ':***' : ''}@` : '';
  const db = u.pathname && u.pathname !== '/' ? u.pathname : '';
  // The query is left out: ioredis would read a password from it.
  return `${u.protocol}//${auth}${u.hostname}:${u.port || 6379}${db}`;
}
