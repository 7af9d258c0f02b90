// Stand-ins for the domain modules' unit tests: a config store held in memory and a compile queue
// that records what it was asked. The fake store keeps the real store's contract that the domain
// relies on: a write applies the change to a copy of the latest config, is refused with a
// ConflictError on a stale expected revision, is validated with the config schema (a bad result
// saves nothing) and bumps the revision by one. Files, locks and secrets.json are not modelled.
import {
  AamiConfig, ConflictError, parseOrThrow, type CompileJob, type CompileQueueResult, type ConfigMutator, type ConfigSnapshot, type PromRangeGrid, type PromRangeSeries,
  type PromSample, type UpdateOptions,
} from '@aami/shared';
import type { CompileRequester, ConfigAccess } from './config-writes.ts';
import type { PromReader } from './overview.ts';
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

/** One query the fake Prometheus was asked. */
export interface FakePromQuery {
  kind: 'instant' | 'range';
  expr: string;
  grid?: PromRangeGrid;
}

/**
 * A Prometheus for the overview's tests: each query gets the answer of the first rule whose pattern
 * matches its expression (an Error is thrown), and a query no rule matches throws, so a test sees
 * every query it did not expect. Every query is recorded in `asked`.
 */
export class FakePrometheus implements PromReader {
  readonly asked: FakePromQuery[] = [];
  readonly #instant: Array<[RegExp, PromSample[] | Error]> = [];
  readonly #range: Array<[RegExp, PromRangeSeries[] | Error | ((grid: PromRangeGrid) => PromRangeSeries[])]> = [];

  /** Answers instant queries matching `pattern`. */
  onInstant(pattern: RegExp, answer: PromSample[] | Error): this {
    this.#instant.push([pattern, answer]);
    return this;
  }

  /** Answers range queries matching `pattern` (a function gets the query's grid). */
  onRange(pattern: RegExp, answer: PromRangeSeries[] | Error | ((grid: PromRangeGrid) => PromRangeSeries[])): this {
    this.#range.push([pattern, answer]);
    return this;
  }

  async instant(expr: string): Promise<PromSample[]> {
    this.asked.push({ kind: 'instant', expr });
    const answer = this.#instant.find(([p]) => p.test(expr))?.[1];
    if (answer === undefined) throw new Error(`the fake Prometheus has no answer for ${expr}`);
    if (answer instanceof Error) throw answer;
    return structuredClone(answer);
  }

  async range(expr: string, grid: PromRangeGrid): Promise<PromRangeSeries[]> {
    this.asked.push({ kind: 'range', expr, grid });
    const answer = this.#range.find(([p]) => p.test(expr))?.[1];
    if (answer === undefined) throw new Error(`the fake Prometheus has no range answer for ${expr}`);
    if (answer instanceof Error) throw answer;
    return structuredClone(typeof answer === 'function' ? answer(grid) : answer);
  }
}
