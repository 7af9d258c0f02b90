// The SSH executor: runs commands and uploads on many nodes at once from the control node, on ssh2.
// - At most `concurrency` sessions at once (default 100); connections are pooled per target and
//   kept a short while after use, so the several steps of one node's install share one login.
// - Connects are retried with exponential backoff, for transient failures only (refused, reset,
//   handshake timeout); a refused key, a changed host key or a non-zero exit is final at once.
// - Host keys are pinned on first use in a KnownHostsStore; a changed key is refused.
// - Key auth (ed25519/RSA; an encrypted key's passphrase comes from the environment), optionally
//   through one jump host whose connection all targets share.
// - The fan-out limit, timeouts and jump host can come from a `settings` source read at each
//   session, so a config change applies to the next connection without a restart.
// - Uploads stream a tarball into `tar -x` on an exec channel and check SHA-256 sums on the node.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { Client as ClientType, ClientChannel } from 'ssh2';
import { classifySshError, CommandFailedError, HostKeyChangedError, SshError } from './errors.ts';
import { fingerprintOf, hostKeyFromBlob, type HostKey, type KnownHostsStore } from './known-hosts.ts';
import { Semaphore } from './semaphore.ts';
import { buildTar, type TarFile } from './tar.ts';

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
}

export interface ExecutorOptions {
  knownHosts: Pick<KnownHostsStore, 'verify'>;
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
   * Read at the start of each session; what it returns replaces concurrency, the timeouts and the
   * jump host given here (a missing jump host means direct connections).
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
  /** Written to the command's stdin, then stdin is closed. */
  stdin?: Buffer | string;
  timeoutMs?: number;
  /** Throw CommandFailedError on a non-zero exit. @defaultValue false */
  check?: boolean;
  /** Short name for messages instead of the whole command. */
  label?: string;
  /** With run(): log in anew instead of reusing a pooled connection (an SSH test wants a real login). */
  fresh?: boolean;
}

/** One file to upload, with where it lands in the staging directory. */
export interface UploadFile extends TarFile {
  sha256?: string;
}

/** A logged-in session on one target; commands run one after another on its connection. */
export interface SshSession {
  readonly target: SshTarget;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Streams `files` as a tarball into `dir` on the node (created, mode 700) and checks each SHA-256 there. */
  upload(dir: string, files: UploadFile[]): Promise<void>;
}

/** The settings one session runs with. */
type Current = Required<Omit<LiveSettings, 'jumpHost'>> & Pick<LiveSettings, 'jumpHost'>;

interface Pooled {
  key: string;
  /** The jump connection it goes through, if any (see #jumps). */
  jumpKey?: string;
  client: ClientType;
  busy: boolean;
  closed: boolean;
  idleTimer?: NodeJS.Timeout;
  lastUsed: number;
}

const MAX_OUTPUT = 8 * 1024 * 1024;

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
  readonly options: Required<Omit<ExecutorOptions, 'jumpHost' | 'passphrase' | 'settings'>> & Pick<ExecutorOptions, 'jumpHost' | 'passphrase' | 'settings'>;
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
    try {
      conn = options.fresh ? await this.#connectPooled(target, s) : await this.#checkout(target, s);
      const session = this.#session(target, s, () => conn, async () => {
        // A pooled connection that broke between uses: drop it and log in again, once.
        if (conn) this.#discard(conn);
        conn = await this.#connectPooled(target, s);
        return conn;
      });
      return await fn(session);
    } finally {
      if (conn) this.#checkin(conn);
      this.#active--;
      release();
    }
  }

  /** Connects only far enough to read the host key the node offers now (nothing is pinned). */
  async offeredHostKey(target: Pick<SshTarget, 'host' | 'port'>): Promise<HostKey> {
    const label = `${target.host}:${target.port}`;
    const s = await this.#current();
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

  #session(target: SshTarget, s: Current, current: () => Pooled | undefined, reconnect: () => Promise<Pooled>): SshSession {
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
      upload: async (dir, files) => {
        const tar = buildTar(files);
        const sums = files.map((f) => `${f.sha256 ?? createHash('sha256').update(f.data).digest('hex')}  ${f.name}`).join('\n');
        const script = [
          'set -e',
          `d=${shq(dir)}`,
          'rm -rf "$d" && mkdir -p -m 700 "$d"',
          'tar -x -o -f - -C "$d"',
          'cd "$d"',
          `printf '%s\\n' ${shq(sums)} | sha256sum -c --quiet -`,
        ].join('; ');
        await exec(`bash -c ${shq(script)}`, { stdin: tar, check: true, label: `upload to ${dir}` });
      },
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
        if (options.stdin !== undefined) stream.end(options.stdin);
        else stream.end();
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
    try {
      client = await this.#connectWithRetry(target, s, true);
    } catch (err) {
      this.#open--;
      throw err;
    }
    const key = poolKey(target, s);
    const conn: Pooled = { key, client, busy: true, closed: false, lastUsed: Date.now() };
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

  async #connectWithRetry(target: SshTarget, s: Current, viaJump: boolean): Promise<ClientType> {
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

  async #connect(target: SshTarget, s: Current, viaJump: boolean): Promise<ClientType> {
    const label = targetLabel(target);
    const privateKey = await this.#key(target.keyPath);
    const via = viaJump && s.jumpHost ? await this.#forward(target.host, target.port, s.jumpHost, s) : undefined;
    return new Promise<ClientType>((resolve, reject) => {
      const client = new Client();
      let changed: SshError | undefined;
      let settled = false;
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        client.end();
        reject(changed ?? classifySshError(err, label));
      };
      client.on('error', fail);
      client.once('close', () => fail(new Error('Connection lost before handshake')));
      client.once('ready', () => {
        settled = true;
        client.removeListener('error', fail);
        client.on('error', () => { /* handled by the pool's listener */ });
        resolve(client);
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
        hostVerifier: (blob: Buffer, verify: (ok: boolean) => void) => {
          this.options.knownHosts.verify(target.host, target.port, blob).then((check) => {
            if (check.status === 'changed') {
              changed = new HostKeyChangedError(label, target.host, target.port, check.pinned.fingerprint, fingerprintOf(blob), target.name);
              verify(false);
            } else verify(true);
          }, (err: Error) => {
            changed = new SshError('protocol', `${label}: cannot read the known-hosts store: ${err.message}`, label);
            verify(false);
          });
        },
      });
    });
  }

  /** A TCP channel to host:port through `jump` (one connection per jump host, shared by all targets). */
  async #forward(host: string, port: number, jump: JumpHost, s: Current): Promise<Duplex> {
    const key = jumpKeyOf(jump);
    let p = this.#jumps.get(key);
    if (!p) {
      const opened = this.#connectWithRetry({ ...jump, name: 'jump host' }, s, false);
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
