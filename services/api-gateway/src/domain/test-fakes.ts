// Stand-ins for the domain modules' unit tests: a config store held in memory and a compile queue
// that records what it was asked. The fake store keeps the real store's contract that the domain
// relies on: a write applies the change to a copy of the latest config, is refused with a
// ConflictError on a stale expected revision, is validated with the config schema (a bad result
// saves nothing) and bumps the revision by one. Files, locks and secrets.json are not modelled.
import { AamiConfig, ConflictError, parseOrThrow, type CompileJob, type CompileQueueResult, type ConfigMutator, type ConfigSnapshot, type UpdateOptions } from '@aami/shared';
import type { CompileRequester, ConfigAccess } from './config-writes.ts';
import type { StoredSecrets } from './notifications.ts';

/** An in-memory ConfigAccess with a secrets list, counting the writes it saved. */
export class FakeConfigStore implements ConfigAccess {
  #config: AamiConfig;
  /** Names of the secrets the store "holds" (for `${secret:name}` checks). */
  readonly secretNames = new Set<string>();
  readonly secrets: StoredSecrets = { has: async (name) => this.secretNames.has(name) };
  /** Writes saved so far. */
  writes = 0;

  /** Starts at revision 1 with `initial` (defaults of the config schema filled in). */
  constructor(initial: unknown = {}) {
    this.#config = { ...parseOrThrow(AamiConfig, initial, 'config'), revision: 1 };
  }

  get revision(): number {
    return this.#config.revision;
  }

  /** The config as saved now (a copy: changing it changes nothing). */
  get config(): AamiConfig {
    return structuredClone(this.#config);
  }

  async read(): Promise<ConfigSnapshot> {
    return { config: structuredClone(this.#config), revision: this.#config.revision };
  }

  async update(mutate: ConfigMutator, options: UpdateOptions = {}): Promise<ConfigSnapshot> {
    const current = this.#config.revision;
    if (options.expectedRevision !== undefined && options.expectedRevision !== current) {
      throw new ConflictError(`config changed elsewhere: you edited revision ${options.expectedRevision}, it is now at revision ${current}; reload and try again`);
    }
    const draft = structuredClone(this.#config);
    const replaced = mutate(draft);
    const next = parseOrThrow(AamiConfig, replaced ?? draft, 'config');
    next.revision = current + 1;
    this.#config = next;
    this.writes++;
    return { config: structuredClone(next), revision: next.revision };
  }
}

/** A compile queue that records each request and answers `answer` (queued, unless a test says not). */
export class FakeCompileQueue implements CompileRequester {
  readonly jobs: CompileJob[] = [];
  answer: CompileQueueResult = { queued: true };

  async request(job: CompileJob): Promise<CompileQueueResult> {
    this.jobs.push(job);
    return this.answer;
  }
}
