// Host keys pinned on first use, in an OpenSSH-style known_hosts file on the control node
// (`[host]:port key-type base64`, one key per host and port). A node that later offers another key
// is refused until an operator accepts the new one (`aami nodes trust NAME`), so a swapped or
// spoofed node never receives our key or our commands silently.
import { createHash } from 'node:crypto';
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

/** What checking a key against the store found. */
export type HostKeyCheck =
  | { status: 'match' }
  | { status: 'new' }
  | { status: 'changed'; pinned: HostKey };

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

/** The host field of a known_hosts line: `host` for port 22, `[host]:port` otherwise. */
export function hostPattern(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The pinned host keys, persisted atomically; reloaded when another process changed the file. */
export class KnownHostsStore {
  readonly path: string;
  #keys = new Map<string, HostKey>();
  #loadedStamp = '';
  #writes: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    this.path = path;
  }

  /** Checks `blob` for host:port; pins it when the host is new (trust on first use). */
  async verify(host: string, port: number, blob: Buffer): Promise<HostKeyCheck> {
    await this.#refresh();
    const offered = hostKeyFromBlob(blob);
    const pattern = hostPattern(host, port);
    const pinned = this.#keys.get(pattern);
    if (pinned) return pinned.base64 === offered.base64 ? { status: 'match' } : { status: 'changed', pinned };
    await this.#mutate((keys) => {
      if (!keys.has(pattern)) keys.set(pattern, offered);
    });
    const now = this.#keys.get(pattern);
    return now && now.base64 !== offered.base64 ? { status: 'changed', pinned: now } : { status: 'new' };
  }

  /** The pinned key of host:port, if any. */
  async get(host: string, port: number): Promise<HostKey | undefined> {
    await this.#refresh();
    return this.#keys.get(hostPattern(host, port));
  }

  /** Pins `blob` for host:port, replacing whatever was pinned; returns the key it replaced. */
  async trust(host: string, port: number, blob: Buffer): Promise<HostKey | undefined> {
    const pattern = hostPattern(host, port);
    let previous: HostKey | undefined;
    await this.#mutate((keys) => {
      previous = keys.get(pattern);
      keys.set(pattern, hostKeyFromBlob(blob));
    });
    return previous;
  }

  /** Forgets host:port (its next connection pins again). */
  async forget(host: string, port: number): Promise<boolean> {
    let had = false;
    await this.#mutate((keys) => {
      had = keys.delete(hostPattern(host, port));
    });
    return had;
  }

  async #refresh(force = false): Promise<void> {
    let stamp: string;
    try {
      const st = await stat(this.path);
      stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch {
      this.#keys = new Map();
      this.#loadedStamp = '';
      return;
    }
    if (!force && stamp === this.#loadedStamp) return;
    this.#keys = parseKnownHosts(await readFile(this.path, 'utf8'));
    this.#loadedStamp = stamp;
  }

  /** One write at a time in this process: re-read, change, write atomically. */
  #mutate(change: (keys: Map<string, HostKey>) => void): Promise<void> {
    const run = this.#writes.then(async () => {
      await this.#refresh(true);
      const next = new Map(this.#keys);
      change(next);
      await mkdir(dirname(this.path), { recursive: true });
      await writeFileAtomic(this.path, renderKnownHosts(next), 0o644);
      this.#keys = next;
      const st = await stat(this.path);
      this.#loadedStamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    });
    this.#writes = run.catch(() => undefined);
    return run;
  }
}

/** Parses known_hosts text; comments, blank, hashed and marker (@revoked...) lines are ignored. */
export function parseKnownHosts(text: string): Map<string, HostKey> {
  const keys = new Map<string, HostKey>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('@') || line.startsWith('|')) continue;
    const [hosts, , b64] = line.split(/\s+/);
    if (!hosts || !b64) continue;
    const blob = Buffer.from(b64, 'base64');
    if (blob.length === 0) continue;
    for (const h of hosts.split(',')) keys.set(h, hostKeyFromBlob(blob));
  }
  return keys;
}

function renderKnownHosts(keys: Map<string, HostKey>): string {
  const lines = ['# Host keys of AAMI nodes, pinned on first use. Change one with: aami nodes trust NAME'];
  for (const [pattern, key] of [...keys].sort(([a], [b]) => a.localeCompare(b))) lines.push(`${pattern} ${key.type} ${key.base64}`);
  return `${lines.join('\n')}\n`;
}
