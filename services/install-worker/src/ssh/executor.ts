// The SSH executor: runs commands and uploads on many nodes at once from the control node, on ssh2.
// - At most `concurrency` sessions at once (default 100); connections are pooled per target and
//   kept a short while after use, so the several steps of one node's install share one login.
// - Connects are retried with exponential backoff, for transient failures only (refused, reset,
//   handshake timeout); a refused key, a changed host key or a non-zero exit is final at once.
// - Host keys are checked against a known_hosts store (see known-hosts.ts); a changed or revoked key
//   is refused. An unknown host is refused under `ssh.host_keys: strict`; under `tofu` (the
//   default) it is accepted for this login only, and its key is pinned once the login succeeded
//   (the 'ready' event, after authentication), not when the key is first seen. A session whose
//   login pinned a key says so (SshSession.pinnedHostKey).
// - Key auth (ed25519/RSA; an encrypted key's passphrase comes from the environment), optionally
//   through one jump host whose connection all targets share.
// - The fan-out limit, timeouts and jump host can come from a `settings` source read at each
//   session, so a config change applies to the next connection without a restart.
// - A command's stdin may be a stream (an upload tarball), written with backpressure so a large
//   upload never sits in memory.
import { readFile } from 'node:fs/promises';
import type { Duplex, Readable } from 'node:stream';
import ssh2 from 'ssh2';
import type { Client as ClientType, ClientChannel, ServerHostKeyAlgorithm } from 'ssh2';
import { classifySshError, CommandFailedError, HostKeyChangedError, HostKeyRevokedError, HostKeyUnknownError, SshError } from './errors.ts';
import { hostKeyFromBlob, type HostKey, type HostKeyCheck, type HostKeyPolicy, type HostKeyVerifier, type PinResult } from './known-hosts.ts';
import { Semaphore } from './semaphore.ts';

const { Client } = ssh2;

/** Where to log in. */
export interface SshTarget {
  host: string;
  port: number;
  username: string;
  /** Private key file on the control node. */
  keyPath: string;
  /** Node name, used in messages ("aami nodes trust NAME"). */
  name?: string;
}

/** A jump (bastion) host every target is reached through. */
export interface JumpHost {
  host: string;
  port: number;
  username: string;
  keyPath: string;
}

/** What may change while the executor runs (config.yaml's ssh section). */
export interface LiveSettings {
  concurrency?: number;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  jumpHost?: JumpHost;
  /** ssh.host_keys: what happens at the first contact with a host that has no key on file. */
  hostKeys?: HostKeyPolicy;
}

export interface ExecutorOptions {
  knownHosts: HostKeyVerifier;
  /** First contact: pin after the login (`tofu`) or refuse (`strict`). @defaultValue 'tofu' */
  hostKeys?: HostKeyPolicy;
  /** Told of every key pinned on first use (nodes and the jump host), e.g. to log it. */
  onHostKeyPinned?: (target: SshTarget, key: HostKey) => void;
  /** Sessions at once. @defaultValue 100 */
  concurrency?: number;
  /** SSH handshake limit. @defaultValue 10000 */
  connectTimeoutMs?: number;
  /** Limit of one command. @defaultValue 300000 */
  commandTimeoutMs?: number;
  /** Extra connect attempts after a transient failure. @defaultValue 2 */
  retries?: number;
  /** First backoff; doubles per attempt, with jitter. @defaultValue 500 */
  backoffMs?: number;
  /** How long an idle connection stays open for reuse. @defaultValue 5000 */
  idleMs?: number;
  jumpHost?: JumpHost;
  /** Passphrase of encrypted keys (from AAMI_SSH_KEY_PASSPHRASE). */
  passphrase?: string;
  /**
   * Read at the start of each session; what it returns replaces concurrency, the timeouts, the
   * host-key policy and the jump host given here (a missing jump host means direct connections).
   */
  settings?: () => Promise<LiveSettings>;
  /** Test seam. */
  sleep?: (ms: number) => Promise<void>;
}

/** What one command did. */
export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface ExecOptions {
  /** Written to the command's stdin, then stdin is closed; a stream is piped (with backpressure). */
  stdin?: Buffer | string | Readable;
  timeoutMs?: number;
  /** Throw CommandFailedError on a non-zero exit. @defaultValue false */
  check?: boolean;
  /** Short name for messages instead of the whole command. */
  label?: string;
  /** With run(): log in anew instead of reusing a pooled connection (an SSH test wants a real login). */
  fresh?: boolean;
}

/** A logged-in session on one target; commands run one after another on its connection. */
export interface SshSession {
  readonly target: SshTarget;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** The node's host key when this session's login pinned it (first contact, trust on first use). */
  readonly pinnedHostKey?: HostKey;
}

/** The settings one session runs with. */
type Current = Required<Omit<LiveSettings, 'jumpHost'>> & Pick<LiveSettings, 'jumpHost'>;

interface Pooled {
  key: string;
  /** The jump connection it goes through, if any (see #jumps). */
  jumpKey?: string;
  client: ClientType;
  /** The key this connection's login pinned, until the session that made it takes it. */
  pinnedHostKey?: HostKey;
  busy: boolean;
  closed: boolean;
  idleTimer?: NodeJS.Timeout;
  lastUsed: number;
}

const MAX_OUTPUT = 8 * 1024 * 1024;

/** A logged-in connection, with the host key its login pinned (first contact under tofu). */
interface Connected {
  client: ClientType;
  pinned?: HostKey;
}

/** The ssh2 host key algorithms that yield a key of each known_hosts key type. */
const HOST_KEY_ALGORITHMS: Record<string, ServerHostKeyAlgorithm[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

export const targetLabel = (t: Pick<SshTarget, 'username' | 'host' | 'port'>) => `${t.username}@${t.host}:${t.port}`;

const jumpKeyOf = (j: JumpHost) => `${targetLabel(j)} ${j.keyPath}`;

/**
 * Pool key: a connection is reused only for the same user, address and key, made the same way
 * (direct or through the same jump host), so a changed jump host never reuses an old connection.
 */
const poolKey = (t: SshTarget, s: Current) => `${targetLabel(t)} ${t.keyPath} via ${s.jumpHost ? jumpKeyOf(s.jumpHost) : 'direct'}`;

/** Quotes a string for a POSIX shell. */
export const shq = (s: string) => `'${s.replaceAll("'", `'"'"'`)}'`;

export class SshExecutor {
  readonly options: Required<Omit<ExecutorOptions, 'jumpHost' | 'passphrase' | 'settings' | 'onHostKeyPinned'>> & Pick<ExecutorOptions, 'jumpHost' | 'passphrase' | 'settings' | 'onHostKeyPinned'>;
  #slots: Semaphore;
  #slotsLimit: number;
  readonly #pool = new Map<string, Pooled[]>();
  readonly #keys = new Map<string, Promise<Buffer>>();
  /** Jump connections by jumpKeyOf; one left by a jump-host change stays until nothing uses it. */
  readonly #jumps = new Map<string, Promise<ClientType>>();
  #currentJump?: string;
  #open = 0;
  #active = 0;
  #peakActive = 0;
  #closed = false;

  constructor(options: ExecutorOptions) {
    this.options = {
      concurrency: 100,
      connectTimeoutMs: 10_000,
      commandTimeoutMs: 300_000,
      retries: 2,
      backoffMs: 500,
      idleMs: 5_000,
      hostKeys: 'tofu',
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      ...options,
    };
    this.#slots = new Semaphore(this.options.concurrency);
    this.#slotsLimit = this.options.concurrency;
  }

  /** Open connections, sessions in use now, and the most sessions ever in use at once. */
  stats(): { open: number; active: number; peakActive: number } {
    return { open: this.#open, active: this.#active, peakActive: this.#peakActive };
  }

  /** The settings for a new session: the live source's when there is one, else the options. */
  async #current(): Promise<Current> {
    const o = this.options;
    const live = o.settings ? await o.settings() : { jumpHost: o.jumpHost };
    const s: Current = {
      concurrency: live.concurrency ?? o.concurrency,
      connectTimeoutMs: live.connectTimeoutMs ?? o.connectTimeoutMs,
      commandTimeoutMs: live.commandTimeoutMs ?? o.commandTimeoutMs,
      hostKeys: live.hostKeys ?? o.hostKeys,
      jumpHost: live.jumpHost,
    };
    // A new limit takes a new semaphore: sessions holding the old one finish there (for a moment
    // both count), new sessions wait on the new limit.
    if (s.concurrency !== this.#slotsLimit) {
      this.#slots = new Semaphore(s.concurrency);
      this.#slotsLimit = s.concurrency;
    }
    const jumpKey = s.jumpHost ? jumpKeyOf(s.jumpHost) : undefined;
    if (jumpKey !== this.#currentJump) {
      this.#currentJump = jumpKey;
      this.#dropStaleJumps();
    }
    return s;
  }

  /** Runs one command on `target` (connect or reuse, exec, release). */
  run(target: SshTarget, command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return this.withSession(target, (s) => s.exec(command, options), { fresh: options.fresh ?? false });
  }

  /**
   * Holds one of the `concurrency` slots and one connection to `target` while `fn` runs. The
   * connection goes back to the pool afterwards (or is closed if it broke).
   */
  async withSession<T>(target: SshTarget, fn: (session: SshSession) => Promise<T>, options: { fresh?: boolean } = {}): Promise<T> {
    if (this.#closed) throw new Error('the SSH executor is closed');
    const s = await this.#current();
    const release = await this.#slots.acquire();
    this.#peakActive = Math.max(this.#peakActive, ++this.#active);
    let conn: Pooled | undefined;
    // The key a login of this session pinned (first contact), taken from its connection.
    const pinned: { key?: HostKey } = {};
    const take = (c: Pooled) => {
      pinned.key ??= c.pinnedHostKey;
      delete c.pinnedHostKey;
      return c;
    };
    try {
      conn = take(options.fresh ? await this.#connectPooled(target, s) : await this.#checkout(target, s));
      const session = this.#session(target, s, pinned, () => conn, async () => {
        // A pooled connection that broke between uses: drop it and log in again, once.
        if (conn) this.#discard(conn);
        conn = take(await this.#connectPooled(target, s));
        return conn;
      });
      return await fn(session);
    } finally {
      if (conn) this.#checkin(conn);
      this.#active--;
      release();
    }
  }

  /**
   * Connects only far enough to read the host key the node offers now (nothing is pinned). Like a
   * login, it asks first for the key types on file, so it reads the key a login would check.
   */
  async offeredHostKey(target: Pick<SshTarget, 'host' | 'port'>): Promise<HostKey> {
    const label = `${target.host}:${target.port}`;
    const s = await this.#current();
    const prefer = await this.#preferredHostKeyAlgorithms(target);
    const sock = s.jumpHost ? await this.#forward(target.host, target.port, s.jumpHost, s) : undefined;
    return new Promise<HostKey>((resolve, reject) => {
      const client = new Client();
      let key: HostKey | undefined;
      const done = (err?: unknown) => {
        client.end();
        if (key) resolve(key);
        else reject(classifySshError(err ?? new Error('the node closed the connection before sending a host key'), label));
      };
      client.on('error', (err) => done(err));
      client.on('close', () => done());
      client.connect({
        host: target.host,
        port: target.port,
        sock,
        username: 'aami-hostkey-probe',
        readyTimeout: s.connectTimeoutMs,
        ...(prefer ? { algorithms: { serverHostKey: { remove: prefer, prepend: prefer, append: [] } } } : {}),
        hostVerifier: (blob: Buffer) => {
          key = hostKeyFromBlob(blob);
          return false; // stop here: only the key was wanted
        },
      });
    });
  }

  /** Closes every pooled connection (and the jump connection). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const list of this.#pool.values()) for (const c of list) this.#discard(c);
    this.#pool.clear();
    const jumps = [...this.#jumps.values()];
    this.#jumps.clear();
    for (const j of await Promise.all(jumps.map((p) => p.catch(() => undefined)))) j?.end();
  }

  #session(target: SshTarget, s: Current, pinned: { key?: HostKey }, current: () => Pooled | undefined, reconnect: () => Promise<Pooled>): SshSession {
    const exec = async (command: string, options: ExecOptions = {}): Promise<ExecResult> => {
      let conn = current();
      if (!conn || conn.closed) conn = await reconnect();
      let result: ExecResult;
      try {
        result = await this.#exec(conn, target, s, command, options);
      } catch (err) {
        // The channel could not even be opened on a reused connection: log in again and retry once.
        if (err instanceof ChannelOpenError) {
          conn = await reconnect();
          result = await this.#exec(conn, target, s, command, options);
        } else throw err;
      }
      if (options.check && result.code !== 0) {
        throw new CommandFailedError(targetLabel(target), options.label ?? command.split('\n')[0] ?? command, result.code, result.stdout, result.stderr);
      }
      return result;
    };
    return {
      target,
      exec,
      get pinnedHostKey() { return pinned.key; },
    };
  }

  #exec(conn: Pooled, target: SshTarget, s: Current, command: string, options: ExecOptions): Promise<ExecResult> {
    const label = targetLabel(target);
    const timeoutMs = options.timeoutMs ?? s.commandTimeoutMs;
    const started = Date.now();
    return new Promise<ExecResult>((resolve, reject) => {
      conn.client.exec(command, (err, stream: ClientChannel) => {
        if (err) {
          reject(new ChannelOpenError(classifySshError(err, label)));
          return;
        }
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let outLen = 0;
        let errLen = 0;
        let settled = false;
        let exitCode: number | null = null;
        let exitSignal: string | null = null;
        const onClientGone = () => finish(new SshError('connection-lost', `${label}: the connection dropped while "${options.label ?? command.slice(0, 60)}" ran`, label));
        const timer = setTimeout(() => {
          finish(new SshError('command-timeout', `${label}: "${options.label ?? command.slice(0, 60)}" ran longer than ${Math.round(timeoutMs / 1000)} s`, label));
          // The remote command may still run: drop the whole connection so nothing lingers on our side.
          this.#discard(conn);
        }, timeoutMs);
        const finish = (error?: Error) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          conn.client.removeListener('close', onClientGone);
          if (error) reject(error);
          else {
            resolve({
              code: exitCode,
              signal: exitSignal,
              stdout: Buffer.concat(out).toString('utf8'),
              stderr: Buffer.concat(errOut).toString('utf8'),
              durationMs: Date.now() - started,
            });
          }
        };
        conn.client.once('close', onClientGone);
        stream.on('data', (d: Buffer) => {
          if (outLen < MAX_OUTPUT) { out.push(d); outLen += d.length; }
        });
        stream.stderr.on('data', (d: Buffer) => {
          if (errLen < MAX_OUTPUT) { errOut.push(d); errLen += d.length; }
        });
        stream.on('exit', (code: number | null, signal?: string) => {
          exitCode = code;
          exitSignal = signal ?? null;
        });
        stream.on('error', (e: Error) => finish(classifySshError(e, label)));
        stream.on('close', () => finish());
        const stdin = options.stdin;
        if (stdin === undefined) stream.end();
        else if (typeof stdin === 'string' || Buffer.isBuffer(stdin)) stream.end(stdin);
        else {
          // A failing source (an artifact file that vanished) fails the command, not the process.
          stdin.once('error', (e: Error) => finish(new SshError('command-failed', `${label}: the upload to "${options.label ?? command.slice(0, 60)}" could not be read: ${e.message}`, label)));
          stdin.pipe(stream);
        }
      });
    });
  }

  async #checkout(target: SshTarget, s: Current): Promise<Pooled> {
    const key = poolKey(target, s);
    const idle = this.#pool.get(key)?.find((c) => !c.busy && !c.closed);
    if (idle) {
      clearTimeout(idle.idleTimer);
      idle.busy = true;
      return idle;
    }
    return this.#connectPooled(target, s);
  }

  #checkin(conn: Pooled): void {
    conn.busy = false;
    conn.lastUsed = Date.now();
    if (conn.closed || this.#closed || this.options.idleMs <= 0) {
      this.#discard(conn);
      return;
    }
    conn.idleTimer = setTimeout(() => this.#discard(conn), this.options.idleMs);
    conn.idleTimer.unref();
  }

  async #connectPooled(target: SshTarget, s: Current): Promise<Pooled> {
    // Keep open (and opening) connections within the limit: close least recently used idle ones.
    while (this.#open >= s.concurrency) {
      let lru: Pooled | undefined;
      for (const list of this.#pool.values()) for (const c of list) if (!c.busy && !c.closed && (!lru || c.lastUsed < lru.lastUsed)) lru = c;
      if (!lru) break;
      this.#discard(lru);
    }
    this.#open++; // reserved now, so concurrent connects count too
    let client: ClientType;
    let pinnedHostKey: HostKey | undefined;
    try {
      ({ client, pinned: pinnedHostKey } = await this.#connectWithRetry(target, s, true));
    } catch (err) {
      this.#open--;
      throw err;
    }
    const key = poolKey(target, s);
    const conn: Pooled = { key, client, busy: true, closed: false, lastUsed: Date.now() };
    if (pinnedHostKey) conn.pinnedHostKey = pinnedHostKey;
    if (s.jumpHost) conn.jumpKey = jumpKeyOf(s.jumpHost);
    const list = this.#pool.get(key) ?? [];
    list.push(conn);
    this.#pool.set(key, list);
    const gone = () => this.#discard(conn);
    client.on('close', gone);
    client.on('error', gone);
    return conn;
  }

  #discard(conn: Pooled): void {
    if (!conn.closed) {
      conn.closed = true;
      this.#open--;
      clearTimeout(conn.idleTimer);
      conn.client.end();
    }
    const list = this.#pool.get(conn.key);
    if (list) {
      const rest = list.filter((c) => c !== conn);
      if (rest.length) this.#pool.set(conn.key, rest);
      else this.#pool.delete(conn.key);
    }
    this.#dropStaleJumps();
  }

  /** Ends connections to a jump host no longer configured, once no pooled connection uses them. */
  #dropStaleJumps(): void {
    for (const [key, jump] of this.#jumps) {
      if (key === this.#currentJump) continue;
      let used = false;
      for (const list of this.#pool.values()) used ||= list.some((c) => c.jumpKey === key && !c.closed);
      if (used) continue;
      this.#jumps.delete(key);
      jump.then((c) => c.end(), () => {});
    }
  }

  async #connectWithRetry(target: SshTarget, s: Current, viaJump: boolean): Promise<Connected> {
    const { retries, backoffMs, sleep } = this.options;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#connect(target, s, viaJump);
      } catch (err) {
        const e = classifySshError(err, targetLabel(target));
        if (!e.transient || attempt >= retries || this.#closed) throw e;
        const delay = backoffMs * 2 ** attempt;
        await sleep(delay / 2 + Math.random() * (delay / 2));
      }
    }
  }

  #key(path: string): Promise<Buffer> {
    let p = this.#keys.get(path);
    if (!p) {
      p = readFile(path).then((buf) => {
        const parsed = ssh2.utils.parseKey(buf, this.options.passphrase);
        if (parsed instanceof Error) throw new SshError('key', `cannot use the private key ${path}: ${parsed.message}${/encrypt|passphrase/i.test(parsed.message) ? ' (set AAMI_SSH_KEY_PASSPHRASE)' : ''}`, path);
        return buf;
      }, (err: NodeJS.ErrnoException) => {
        throw new SshError('key', `cannot read the private key ${path}: ${err.code ?? err.message}`, path);
      });
      this.#keys.set(path, p);
      p.catch(() => this.#keys.delete(path));
    }
    return p;
  }

  /**
   * One login. `viaJump` false is the jump host's own connection. The host key is checked in
   * hostVerifier; an unknown one under `tofu` is accepted for this login only and pinned on
   * 'ready', after the server proved it holds the key and let us in. If another connection pinned
   * a different key in the meantime, this one is refused as changed.
   */
  async #connect(target: SshTarget, s: Current, viaJump: boolean): Promise<Connected> {
    const label = targetLabel(target);
    const privateKey = await this.#key(target.keyPath);
    const prefer = await this.#preferredHostKeyAlgorithms(target);
    const via = viaJump && s.jumpHost ? await this.#forward(target.host, target.port, s.jumpHost, s) : undefined;
    return new Promise<Connected>((resolve, reject) => {
      const client = new Client();
      let refused: SshError | undefined;
      /** tofu, first contact: the key this login accepted, pinned once the login succeeded. */
      let provisional: Buffer | undefined;
      let settled = false;
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        client.end();
        reject(refused ?? classifySshError(err, label));
      };
      const succeed = (pinned?: HostKey) => {
        if (settled) return;
        settled = true;
        client.removeListener('error', fail);
        client.on('error', () => { /* handled by the pool's listener */ });
        resolve(pinned ? { client, pinned } : { client });
      };
      const refuse = (check: HostKeyCheck | PinResult, blob: Buffer) => {
        refused = this.#refusal(check, blob, target, !viaJump);
      };
      client.on('error', fail);
      client.once('close', () => fail(new Error('Connection lost before handshake')));
      client.once('ready', () => {
        const blob = provisional;
        if (!blob) {
          succeed();
          return;
        }
        this.options.knownHosts.pin(target.host, target.port, blob).then((r) => {
          if (r.status === 'pinned') {
            try { this.options.onHostKeyPinned?.(target, r.key); } catch { /* a logging hook never fails a login */ }
            succeed(r.key);
          } else if (r.status === 'match') succeed();
          else {
            refuse(r, blob);
            fail(refused);
          }
        }, (err: Error) => {
          refused = new SshError('protocol', `${label}: cannot write the known-hosts store: ${err.message}`, label);
          fail(refused);
        });
      });
      client.connect({
        host: target.host,
        port: target.port,
        sock: via,
        username: target.username,
        privateKey,
        passphrase: this.options.passphrase,
        readyTimeout: s.connectTimeoutMs,
        keepaliveInterval: 15_000,
        keepaliveCountMax: 4,
        ...(prefer ? { algorithms: { serverHostKey: { remove: prefer, prepend: prefer, append: [] } } } : {}),
        hostVerifier: (blob: Buffer, verify: (ok: boolean) => void) => {
          this.options.knownHosts.check(target.host, target.port, blob).then((check) => {
            if (check.status === 'match') verify(true);
            else if (check.status === 'new' && s.hostKeys === 'tofu') {
              provisional = blob;
              verify(true);
            } else {
              refuse(check, blob);
              verify(false);
            }
          }, (err: Error) => {
            refused = new SshError('protocol', `${label}: cannot read the known-hosts store: ${err.message}`, label);
            verify(false);
          });
        },
      });
    });
  }

  /** The error for a key that is not accepted: changed, revoked, or unknown under `strict`. */
  #refusal(check: HostKeyCheck | PinResult, blob: Buffer, target: SshTarget, isJumpHost: boolean): SshError {
    const label = targetLabel(target);
    const offered = hostKeyFromBlob(blob);
    switch (check.status) {
      case 'changed': return new HostKeyChangedError(label, target.host, target.port, check.pinned.fingerprint, offered.fingerprint, target.name);
      case 'revoked': return new HostKeyRevokedError(label, target.host, target.port, offered, target.name);
      default: return new HostKeyUnknownError(label, target.host, target.port, offered, isJumpHost ? undefined : target.name, isJumpHost);
    }
  }

  /**
   * Host key algorithms of the key types on file for `target`, asked for first, so a node that has
   * several host keys offers the one pinned (a site's file may hold only its ECDSA or RSA key).
   */
  async #preferredHostKeyAlgorithms(target: Pick<SshTarget, 'host' | 'port'>): Promise<ServerHostKeyAlgorithm[] | undefined> {
    const types = await this.options.knownHosts.keyTypes?.(target.host, target.port).catch(() => []) ?? [];
    const algorithms = types.flatMap((t) => HOST_KEY_ALGORITHMS[t] ?? []);
    return algorithms.length ? [...new Set(algorithms)] : undefined;
  }

  /** A TCP channel to host:port through `jump` (one connection per jump host, shared by all targets). */
  async #forward(host: string, port: number, jump: JumpHost, s: Current): Promise<Duplex> {
    const key = jumpKeyOf(jump);
    let p = this.#jumps.get(key);
    if (!p) {
      const opened = this.#connectWithRetry({ ...jump, name: 'jump host' }, s, false).then((c) => c.client);
      p = opened;
      this.#jumps.set(key, opened);
      const forget = () => { if (this.#jumps.get(key) === opened) this.#jumps.delete(key); };
      opened.then((c) => c.once('close', forget), forget);
    }
    const jumpClient = await p;
    return new Promise<Duplex>((resolve, reject) => {
      jumpClient.forwardOut('127.0.0.1', 0, host, port, (err, stream) => {
        if (err) reject(classifySshError(Object.assign(err, { code: (err as NodeJS.ErrnoException).code ?? 'ECONNREFUSED' }), `${host}:${port} via jump host ${jump.host}`));
        else resolve(stream);
      });
    });
  }
}

/** A channel could not be opened on an existing connection (it went stale): worth one reconnect. */
class ChannelOpenError extends SshError {
  constructor(cause: SshError) {
    super('connection-lost', cause.message, cause.target, { cause });
  }
}
