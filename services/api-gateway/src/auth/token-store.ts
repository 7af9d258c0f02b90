// API tokens. Only SHA-256 hashes are stored (tokens.json beside config.yaml), so a leaked data
// volume leaks no usable token. The first admin token is made at first start and printed once,
// or taken from AAMI_ADMIN_TOKEN / AAMI_ADMIN_TOKEN_FILE.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { NotFoundError, ValidationError, writeFileAtomic } from '@aami/shared';

export const Role = z.enum(['admin', 'viewer']);
export type Role = z.infer<typeof Role>;

const StoredToken = z.object({
  id: z.string(),
  name: z.string(),
  role: Role,
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  created_at: z.string(),
});
type StoredToken = z.infer<typeof StoredToken>;
const TokenFile = z.object({ tokens: z.array(StoredToken) });

/** What a caller is, once its token checks out. */
export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
}

/** Public view of a token: never the secret. */
export type TokenInfo = Omit<StoredToken, 'sha256'>;

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

/** Makes a new random token: `aami_` + 32 random bytes, URL-safe. */
export function generateToken(): string {
  return `aami_${randomBytes(32).toString('base64url')}`;
}

export class TokenStore {
  readonly path: string;
  #byHash = new Map<string, StoredToken>();
  #tokens: StoredToken[] = [];

  constructor(path: string) {
    this.path = path;
  }

  /** Loads tokens.json (a missing file is an empty store). */
  async load(): Promise<void> {
    let raw: unknown = { tokens: [] };
    try {
      raw = JSON.parse(await readFile(this.path, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${this.path}: ${(err as Error).message}`);
    }
    this.#tokens = TokenFile.parse(raw).tokens;
    this.#reindex();
  }

  #reindex() {
    this.#byHash = new Map(this.#tokens.map((t) => [t.sha256, t]));
  }

  async #save() {
    await writeFileAtomic(this.path, `${JSON.stringify({ tokens: this.#tokens }, null, 2)}\n`, 0o600);
    this.#reindex();
  }

  /** The principal a presented token belongs to, if any. */
  verify(token: string): Principal | undefined {
    const t = this.#byHash.get(hash(token));
    return t ? { tokenId: t.id, name: t.name, role: t.role } : undefined;
  }

  list(): TokenInfo[] {
    return this.#tokens.map(({ sha256: _s, ...info }) => info);
  }

  hasAdmin(): boolean {
    return this.#tokens.some((t) => t.role === 'admin');
  }

  /** Stores `token` (or a fresh one) under `name` and returns the secret: the only time it is seen. */
  async create(name: string, role: Role, token: string = generateToken()): Promise<{ token: string; info: TokenInfo }> {
    if (token.length < 16) throw new ValidationError('token is too short', [{ path: 'token', message: 'must be at least 16 characters' }]);
    const existing = this.#byHash.get(hash(token));
    if (existing) return { token, info: this.list().find((t) => t.id === existing.id)! };
    const stored: StoredToken = { id: randomUUID(), name, role, sha256: hash(token), created_at: new Date().toISOString() };
    this.#tokens.push(stored);
    await this.#save();
    const { sha256: _s, ...info } = stored;
    return { token, info };
  }

  async revoke(id: string): Promise<void> {
    const before = this.#tokens.length;
    this.#tokens = this.#tokens.filter((t) => t.id !== id);
    if (this.#tokens.length === before) throw new NotFoundError(`no token with id ${id}`);
    await this.#save();
  }
}

/** Where the bootstrap admin token came from. */
export type BootstrapResult = { source: 'env' | 'file' | 'existing' } | { source: 'generated'; token: string };

/**
 * Makes sure an admin can sign in: a token from env/file is registered; otherwise, when no admin
 * token exists yet, one is generated and returned so the caller prints it once.
 */
export async function bootstrapAdminToken(store: TokenStore, env: NodeJS.ProcessEnv = process.env): Promise<BootstrapResult> {
  if (env.AAMI_ADMIN_TOKEN) {
    await store.create('admin (AAMI_ADMIN_TOKEN)', 'admin', env.AAMI_ADMIN_TOKEN);
    return { source: 'env' };
  }
  if (env.AAMI_ADMIN_TOKEN_FILE) {
    const token = (await readFile(env.AAMI_ADMIN_TOKEN_FILE, 'utf8')).trim();
    await store.create('admin (AAMI_ADMIN_TOKEN_FILE)', 'admin', token);
    return { source: 'file' };
  }
  if (store.hasAdmin()) return { source: 'existing' };
  const { token } = await store.create('first admin', 'admin');
  return { source: 'generated', token };
}
