// Host keys of the nodes, in an OpenSSH known_hosts file on the control node. A node that offers a
// key other than its pinned ones is refused until an operator accepts the new one
// (`aami nodes trust NAME`), so a swapped or spoofed node never receives our key or our commands.
//
// The file may be one a site already keeps (pre-seeded with ssh-keyscan, or copied from a user's
// ~/.ssh/known_hosts). What is read:
// - plain entries: `host1,[host2]:2222 ssh-ed25519 AAAA... [comment]`, any number of keys per host;
// - hashed entries (`HashKnownHosts yes`, Debian's default): `|1|<base64 salt>|<base64 HMAC-SHA1>`,
//   the HMAC keyed with the salt over `host` (port 22) or `[host]:port`, lower case;
// - patterns with `*` and `?` and negated ones (`!pattern`), with OpenSSH's meaning: a line
//   applies when some pattern matches and no negated one does. Matching is a plain loop (no regular
//   expression is built from the file); it backtracks only to the last `*`, so it takes at most
//   pattern length x name length steps.
// - `@revoked` lines: a key listed there is refused for the hosts the line names, pinned or not.
// - `@cert-authority` lines are kept but not used: AAMI's SSH client (ssh2) does not check host
//   certificates, so a host known only through a CA counts as unknown (pinned on first use in
//   `tofu` mode, refused in `strict` mode until trusted).
// Lines that name the host exactly (a plain pattern equal to it, or a hashed entry for it) win over
// lines that match it only through a wildcard, so a key accepted with `aami nodes trust` replaces a
// site-wide wildcard entry for that one host.
//
// A host matches when ANY of its keys equals the offered one; an offered key of another type than
// every key on file is a changed key, not a new one.
//
// Writes change only the lines this store owns for a host; every other line (comments, markers,
// other hosts, wildcard entries, lines it cannot read) stays as it was, where it was.
import { createHash, createHmac } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '@aami/shared';

/** A host key as the server sent it (SSH wire blob), with the names people compare. */
export interface HostKey {
  /** e.g. ssh-ed25519, rsa-sha2-512's underlying ssh-rsa. */
  type: string;
  /** base64 of the wire blob, as in known_hosts and authorized_keys. */
  base64: string;
  /** `SHA256:...`, as `ssh-keygen -lf` prints it. */
  fingerprint: string;
}

/** How unknown hosts are treated (config.yaml `ssh.host_keys`). */
export type HostKeyPolicy = 'tofu' | 'strict';

/** What checking a key against the file found. */
export type HostKeyCheck =
  | { status: 'match'; key: HostKey }
  | { status: 'new' }
  /** `pinned`: a key on file of the offered key's type, else the first key on file. */
  | { status: 'changed'; pinned: HostKey }
  | { status: 'revoked'; key: HostKey };

/** What pinning a key after a login found: written now, or what the file says by then. */
export type PinResult = Exclude<HostKeyCheck, { status: 'new' }> | { status: 'pinned'; key: HostKey };

/** What the SSH executor needs from a store. */
export interface HostKeyVerifier {
  /** Checks `blob` for host:port; changes nothing. */
  check(host: string, port: number, blob: Buffer): Promise<HostKeyCheck>;
  /** Pins `blob` for host:port if the host still has no key (call after the login succeeded). */
  pin(host: string, port: number, blob: Buffer): Promise<PinResult>;
  /** Key types on file for host:port, so the connection asks for those first. */
  keyTypes?(host: string, port: number): Promise<string[]>;
}

/** A key offered to `trust` is listed in an `@revoked` line. */
export class RevokedHostKeyError extends Error {
  constructor(host: string, port: number, key: HostKey) {
    super(`${key.type} ${key.fingerprint} is listed as @revoked for ${host}:${port} in known_hosts; it cannot be trusted`);
    this.name = 'RevokedHostKeyError';
  }
}

/** Reads a raw key blob (uint32 length + type name + ...) into a HostKey. */
export function hostKeyFromBlob(blob: Buffer): HostKey {
  const len = blob.length >= 4 ? blob.readUInt32BE(0) : 0;
  const type = len > 0 && len < 64 && blob.length >= 4 + len ? blob.subarray(4, 4 + len).toString('latin1') : 'unknown';
  return { type, base64: blob.toString('base64'), fingerprint: fingerprintOf(blob) };
}

/** `SHA256:<unpadded base64>` of a key blob. */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The host field of a known_hosts line: `host` for port 22, `[host]:port` otherwise; lower case. */
export function hostPattern(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** The hashed form of a host field, as `ssh-keygen -H` writes it (`salt` is 20 random bytes). */
export function hashedHostField(pattern: string, salt: Buffer): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(pattern.toLowerCase()).digest('base64')}`;
}

/**
 * Glob match of `name` against `pattern`, where `*` is any run of characters and `?` any one
 * character (OpenSSH's match_pattern). Iterative: on a mismatch it resumes after the last `*`, so
 * the work is bounded by pattern length x name length, whatever the input.
 */
export function globMatch(name: string, pattern: string): boolean {
  let n = 0;
  let p = 0;
  let star = -1;
  let resume = 0;
  while (n < name.length) {
    const c = pattern[p];
    if (c === '*') {
      star = p++;
      resume = n;
    } else if (c !== undefined && (c === '?' || c === name[n])) {
      p++;
      n++;
    } else if (star >= 0) {
      p = star + 1;
      n = ++resume;
    } else return false;
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

const WILDCARD = /[*?]/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** A longer host field is not read (the line is kept as it is): real ones are short. */
const MAX_HOST_FIELD = 4096;

type Hosts = { hashed: { salt: Buffer; hash: Buffer } } | { patterns: string[] };

/** One line of the file: either read (a key for some hosts) or kept as it is. */
export type KnownHostsLine =
  | { kind: 'other'; text: string }
  | {
      kind: 'key';
      text: string;
      revoked: boolean;
      hosts: Hosts;
      key: HostKey;
      blob: Buffer;
      /** The text before the host field (indent, marker) and after it (key, comment), for rewriting. */
      before: string;
      after: string;
    };

/** How a line's host field applies to a host: by name (or hash), through a wildcard, or not. */
function matchHosts(hosts: Hosts, pattern: string): 'exact' | 'wildcard' | 'none' {
  if ('hashed' in hosts) {
    const mac = createHmac('sha1', hosts.hashed.salt).update(pattern).digest();
    return mac.equals(hosts.hashed.hash) ? 'exact' : 'none';
  }
  let found: 'exact' | 'wildcard' | 'none' = 'none';
  for (const raw of hosts.patterns) {
    const negated = raw.startsWith('!');
    const p = (negated ? raw.slice(1) : raw).toLowerCase();
    const wild = WILDCARD.test(p);
    const hit = wild ? globMatch(pattern, p) : p === pattern;
    if (!hit) continue;
    if (negated) return 'none';
    if (!wild) found = 'exact';
    else if (found === 'none') found = 'wildcard';
  }
  return found;
}

function parseLine(text: string): KnownHostsLine {
  const other = { kind: 'other' as const, text };
  const m = /^(\s*(?:(@[A-Za-z-]+)\s+)?)(\S+)(\s+(\S+)\s+(\S+).*)$/s.exec(text.replace(/\r$/, ''));
  if (!m || text.trimStart().startsWith('#')) return other;
  const [, before = '', marker, field = '', , type = '', b64 = ''] = m;
  if (marker && marker !== '@revoked') return other; // @cert-authority and unknown markers: kept, not used
  if (field.length > MAX_HOST_FIELD || !BASE64.test(b64)) return other;
  const blob = Buffer.from(b64, 'base64');
  const key = hostKeyFromBlob(blob);
  if (key.type !== type) return other;
  let hosts: Hosts;
  if (field.startsWith('|')) {
    const h = /^\|1\|([A-Za-z0-9+/]+={0,2})\|([A-Za-z0-9+/]+={0,2})$/.exec(field);
    if (!h?.[1] || !h[2]) return other;
    const salt = Buffer.from(h[1], 'base64');
    const hash = Buffer.from(h[2], 'base64');
    if (salt.length === 0 || hash.length !== 20) return other;
    hosts = { hashed: { salt, hash } };
  } else {
    const patterns = field.split(',').filter((p) => p !== '' && p !== '!');
    if (patterns.length === 0) return other;
    hosts = { patterns };
  }
  // `after` keeps the original line end (a CR of a CRLF file) with the rest of the line.
  return { kind: 'key', text, revoked: marker === '@revoked', hosts, key, blob, before, after: text.slice(before.length + field.length) };
}

/** Parses known_hosts text into its lines, every one kept (see KnownHostsLine). */
export function parseKnownHosts(text: string): KnownHostsLine[] {
  const raw = text.split('\n');
  if (raw.at(-1) === '') raw.pop();
  return raw.map(parseLine);
}

/** The keys that apply to a host pattern: exact entries if there are any, else wildcard ones. */
function keysFor(lines: KnownHostsLine[], pattern: string): { keys: Array<{ key: HostKey; blob: Buffer }>; revoked: Buffer[] } {
  const exact: Array<{ key: HostKey; blob: Buffer }> = [];
  const wild: Array<{ key: HostKey; blob: Buffer }> = [];
  const revoked: Buffer[] = [];
  for (const l of lines) {
    if (l.kind !== 'key') continue;
    const how = matchHosts(l.hosts, pattern);
    if (how === 'none') continue;
    if (l.revoked) revoked.push(l.blob);
    else {
      const list = how === 'exact' ? exact : wild;
      if (!list.some((k) => k.blob.equals(l.blob))) list.push({ key: l.key, blob: l.blob });
    }
  }
  return { keys: exact.length ? exact : wild, revoked };
}

function checkAgainst(found: ReturnType<typeof keysFor>, blob: Buffer): HostKeyCheck {
  const offered = hostKeyFromBlob(blob);
  if (found.revoked.some((r) => r.equals(blob))) return { status: 'revoked', key: offered };
  if (found.keys.length === 0) return { status: 'new' };
  if (found.keys.some((k) => k.blob.equals(blob))) return { status: 'match', key: offered };
  const first = found.keys[0] as { key: HostKey };
  return { status: 'changed', pinned: (found.keys.find((k) => k.key.type === offered.type) ?? first).key };
}

const HEADER = '# Host keys of AAMI nodes, pinned on first use. Change one with: aami nodes trust NAME';

/** The known_hosts file, re-read when another process changed it; writes are atomic and one at a time. */
export class KnownHostsStore implements HostKeyVerifier {
  readonly path: string;
  #lines: KnownHostsLine[] = [];
  /** keysFor results of the lines loaded now (hashed entries cost an HMAC each). */
  #memo = new Map<string, ReturnType<typeof keysFor>>();
  #loadedStamp = '';
  #mode = 0o644;
  #writes: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    this.path = path;
  }

  async check(host: string, port: number, blob: Buffer): Promise<HostKeyCheck> {
    await this.#refresh();
    return checkAgainst(this.#keysFor(hostPattern(host, port)), blob);
  }

  /**
   * Trust on first use, once the server proved it holds the key (after the login): writes a plain
   * entry when the host still has no key. When another connection pinned one in the meantime, the
   * answer is what the file says now (`match`, or `changed` for a different key).
   */
  async pin(host: string, port: number, blob: Buffer): Promise<PinResult> {
    const pattern = hostPattern(host, port);
    let result: PinResult = { status: 'pinned', key: hostKeyFromBlob(blob) };
    await this.#mutate((lines) => {
      const now = checkAgainst(keysFor(lines, pattern), blob);
      if (now.status !== 'new') {
        result = now;
        return undefined;
      }
      return [...lines, entryLine(pattern, blob)];
    });
    return result;
  }

  /** The keys that apply to host:port now. */
  async keys(host: string, port: number): Promise<HostKey[]> {
    await this.#refresh();
    return this.#keysFor(hostPattern(host, port)).keys.map((k) => k.key);
  }

  async keyTypes(host: string, port: number): Promise<string[]> {
    return [...new Set((await this.keys(host, port)).map((k) => k.type))];
  }

  /** The first key that applies to host:port, if any. */
  async get(host: string, port: number): Promise<HostKey | undefined> {
    return (await this.keys(host, port))[0];
  }

  /**
   * Makes `blob` the key of host:port: takes the host out of every plain entry that names it and
   * drops its hashed entries, then appends one plain entry. Entries for other names on the same
   * line, wildcard entries, markers and comments stay. Returns the keys taken away; a key listed
   * as @revoked for the host is refused (RevokedHostKeyError).
   */
  async trust(host: string, port: number, blob: Buffer): Promise<HostKey[]> {
    const pattern = hostPattern(host, port);
    const offered = hostKeyFromBlob(blob);
    let removed: HostKey[] = [];
    await this.#mutate((lines) => {
      const found = keysFor(lines, pattern);
      if (found.revoked.some((r) => r.equals(blob))) throw new RevokedHostKeyError(host, port, offered);
      const taken = withoutHost(lines, pattern);
      removed = taken.removed;
      // Already the only key, on an entry of its own: nothing to write.
      if (taken.removed.length === 1 && taken.removed[0]?.base64 === offered.base64 && found.keys.length === 1) return undefined;
      return [...taken.lines, entryLine(pattern, blob)];
    });
    return removed;
  }

  /** Takes host:port out of the file as trust does, adding nothing; false when nothing named it. */
  async forget(host: string, port: number): Promise<boolean> {
    const pattern = hostPattern(host, port);
    let had = false;
    await this.#mutate((lines) => {
      const taken = withoutHost(lines, pattern);
      had = taken.removed.length > 0;
      return had ? taken.lines : undefined;
    });
    return had;
  }

  #keysFor(pattern: string): ReturnType<typeof keysFor> {
    let found = this.#memo.get(pattern);
    if (!found) {
      found = keysFor(this.#lines, pattern);
      this.#memo.set(pattern, found);
    }
    return found;
  }

  #load(lines: KnownHostsLine[], stamp: string): void {
    this.#lines = lines;
    this.#memo = new Map();
    this.#loadedStamp = stamp;
  }

  async #refresh(force = false): Promise<void> {
    let stamp: string;
    try {
      const st = await stat(this.path);
      stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
      this.#mode = st.mode & 0o777;
    } catch {
      this.#load([], '');
      return;
    }
    if (!force && stamp === this.#loadedStamp) return;
    this.#load(parseKnownHosts(await readFile(this.path, 'utf8')), stamp);
  }

  /**
   * One write at a time in this process: re-read, change, write atomically (keeping the file's
   * mode). `change` returns the new lines, or undefined to leave the file alone.
   */
  #mutate(change: (lines: KnownHostsLine[]) => KnownHostsLine[] | undefined): Promise<void> {
    const run = this.#writes.then(async () => {
      await this.#refresh(true);
      const current = this.#lines.length ? this.#lines : [{ kind: 'other' as const, text: HEADER }];
      const next = change(current);
      if (!next) return;
      await mkdir(dirname(this.path), { recursive: true });
      await writeFileAtomic(this.path, `${next.map((l) => l.text).join('\n')}\n`, this.#mode);
      const st = await stat(this.path);
      this.#load(next, `${st.mtimeMs}:${st.size}:${st.ino}`);
    });
    this.#writes = run.catch(() => undefined);
    return run;
  }
}

function entryLine(pattern: string, blob: Buffer): KnownHostsLine {
  const key = hostKeyFromBlob(blob);
  return parseLine(`${pattern} ${key.type} ${key.base64}`);
}

/** `lines` without the entries that name `pattern` exactly (see trust), and the keys they held. */
function withoutHost(lines: KnownHostsLine[], pattern: string): { lines: KnownHostsLine[]; removed: HostKey[] } {
  const removed: HostKey[] = [];
  const out: KnownHostsLine[] = [];
  for (const l of lines) {
    if (l.kind !== 'key' || l.revoked || matchHosts(l.hosts, pattern) !== 'exact') {
      out.push(l);
      continue;
    }
    if (!removed.some((k) => k.base64 === l.key.base64)) removed.push(l.key);
    if ('hashed' in l.hosts) continue;
    const rest = l.hosts.patterns.filter((p) => p.toLowerCase() !== pattern);
    if (!rest.some((p) => !p.startsWith('!'))) continue;
    out.push(parseLine(`${l.before}${rest.join(',')}${l.after}`));
  }
  return { lines: out, removed };
}

/** The note of a test or install whose login pinned a key. */
export const pinnedNote = (node: string, key: Pick<HostKey, 'fingerprint'>) => `pinned new host key ${key.fingerprint} for ${node}`;
