// API tokens. Only SHA-256 hashes are stored (tokens.json beside config.yaml), so a leaked data
// volume leaks no usable token. The first admin token is made at first start and printed once,
// or taken from AAMI_ADMIN_TOKEN / AAMI_ADMIN_TOKEN_FILE.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { NotFoundError, Role, ValidationError, writeFileAtomic } from '@aami/shared';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const StoredToken = z.object({
  id: z.string(),
  name: z.string(),
  role: Role,
  sha256: Sha256,
  created_at: z.string(),
});
type StoredToken = z.infer<typeof StoredToken>;
// Revoked tokens are remembered by hash, so a token that comes back from AAMI_ADMIN_TOKEN or its
// file at the next start is not registered again. Files from before this list load as "none revoked".
const RevokedToken = z.object({ sha256: Sha256, revoked_at: z.string() });
const TokenFile = z.object({ tokens: z.array(StoredToken), revoked: z.array(RevokedToken).default([]) });
type TokenFile = z.infer<typeof TokenFile>;

/** What a caller is, once its token checks out. */
export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
}

/** Public view of a token: never the secret. */
export type TokenInfo = Omit<StoredToken, 'sha256'>;

const hash = (token: string) => createHash('sha256').update(token).digest('hex');
const publicInfo = ({ sha256: _s, ...info }: StoredToken): TokenInfo => info;

/** Makes a new random token: `aami_` + 32 random bytes, URL-safe. */
export function generateToken(): string {
  return `aami_${randomBytes(32).toString('base64url')}`;
}

export class TokenStore {
  readonly path: string;
  #file: TokenFile = { tokens: [], revoked: [] };
  #byHash = new Map<string, StoredToken>();
  #revoked = new Set<string>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    this.path = path;
  }

  /** Loads tokens.json (a missing file is an empty store). */
  load(): Promise<void> {
    return this.#serial(async () => {
      let raw: unknown = { tokens: [] };
      try {
        raw = JSON.parse(await readFile(this.path, 'utf8'));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${this.path}: ${(err as Error).message}`);
      }
      this.#use(TokenFile.parse(raw));
    });
  }

  /**
   * Runs changes one at a time, so each one starts from what the previous one wrote: two writes
   * racing on the file could otherwise let the older list land last (a revoked token back, a new
   * one lost). A failed change does not stop the ones queued after it.
   */
  #serial<T>(change: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(change);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Writes `next` and only then serves it: a failed write leaves memory as the file is. */
  async #commit(next: TokenFile): Promise<void> {
    await writeFileAtomic(this.path, `${JSON.stringify(next, null, 2)}\n`, 0o600);
    this.#use(next);
  }

  #use(file: TokenFile) {
    this.#file = file;
    this.#byHash = new Map(file.tokens.map((t) => [t.sha256, t]));
    this.#revoked = new Set(file.revoked.map((r) => r.sha256));
  }

  /** The principal a presented token belongs to, if any. */
  verify(token: string): Principal | undefined {
    const t = this.#byHash.get(hash(token));
    return t ? { tokenId: t.id, name: t.name, role: t.role } : undefined;
  }

  /** Whether `token` was registered once and then revoked. */
  isRevoked(token: string): boolean {
    return this.#revoked.has(hash(token));
  }

  list(): TokenInfo[] {
    return this.#file.tokens.map(publicInfo);
  }

  hasAdmin(): boolean {
    return this.#file.tokens.some((t) => t.role === 'admin');
  }

  /** Stores `token` (or a fresh one) under `name` and returns the secret: the only time it is seen. */
  async create(name: string, role: Role, token: string = generateToken()): Promise<{ token: string; info: TokenInfo }> {
    if (token.length < 16) throw new ValidationError('token is too short', [{ path: 'token', message: 'must be at least 16 characters' }]);
    const sha256 = hash(token);
    return this.#serial(async () => {
      if (this.#revoked.has(sha256)) throw new ValidationError('this token was revoked and cannot be registered again', [{ path: 'token', message: 'use a new token' }]);
      const existing = this.#byHash.get(sha256);
      if (existing) return { token, info: publicInfo(existing) };
      const stored: StoredToken = { id: randomUUID(), name, role, sha256, created_at: new Date().toISOString() };
      await this.#commit({ ...this.#file, tokens: [...this.#file.tokens, stored] });
      return { token, info: publicInfo(stored) };
    });
  }

  async revoke(id: string): Promise<void> {
    return this.#serial(async () => {
      const gone = this.#file.tokens.find((t) => t.id === id);
      if (!gone) throw new NotFoundError(`no token with id ${id}`);
      await this.#commit({
        tokens: this.#file.tokens.filter((t) => t !== gone),
        revoked: [...this.#file.revoked, { sha256: gone.sha256, revoked_at: new Date().toISOString() }],
      });
    });
  }
}

/**
 * Where the bootstrap admin token came from. `warning` is set when the configured token was
 * revoked and so was not registered; the caller logs it.
 */
export type BootstrapResult =
  | { source: 'env' | 'file' | 'existing'; warning?: string }
  | { source: 'generated'; token: string; warning?: string };

/**
 * Makes sure an admin can sign in: a token from env/file is registered unless an admin revoked
 * it; otherwise, when no admin token exists, one is generated and returned so the caller prints
 * it once.
 */
export async function bootstrapAdminToken(store: TokenStore, env: NodeJS.ProcessEnv = process.env): Promise<BootstrapResult> {
  let warning: string | undefined;
  if (env.AAMI_ADMIN_TOKEN) {
    if (!store.isRevoked(env.AAMI_ADMIN_TOKEN)) {
      await store.create('admin (AAMI_ADMIN_TOKEN)', 'admin', env.AAMI_ADMIN_TOKEN);
      return { source: 'env' };
    }
    warning = 'AAMI_ADMIN_TOKEN holds a token that was revoked; it stays revoked — remove it from the environment';
  } else if (env.AAMI_ADMIN_TOKEN_FILE) {
    const token = (await readFile(env.AAMI_ADMIN_TOKEN_FILE, 'utf8')).trim();
    if (!store.isRevoked(token)) {
      await store.create('admin (AAMI_ADMIN_TOKEN_FILE)', 'admin', token);
      return { source: 'file' };
    }
    warning = `${env.AAMI_ADMIN_TOKEN_FILE} (AAMI_ADMIN_TOKEN_FILE) holds a token that was revoked; it stays revoked — delete the file or put a new token in it`;
  }
  if (store.hasAdmin()) return { source: 'existing', warning };
  const { token } = await store.create('first admin', 'admin');
  return { source: 'generated', token, warning };
}
