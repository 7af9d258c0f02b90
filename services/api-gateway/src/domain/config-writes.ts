// The one way the gateway changes config.yaml: a write through the config store, based on the
// revision the caller saw, followed by exactly one compile request for the revision it produced.
// The domain modules (nodes, alerts, notifications) build on this; they never call the store's
// update or the compile queue themselves, so no write can forget its compile.
import type { AamiConfig, CompileJob, CompileQueueResult, ConfigMutator, ConfigSnapshot, UpdateOptions } from '@aami/shared';

/** What a domain module reads and writes config.yaml through: the part of ConfigStore it uses. */
export interface ConfigAccess {
  read(): Promise<ConfigSnapshot>;
  update(mutate: ConfigMutator, options?: UpdateOptions): Promise<ConfigSnapshot>;
}

/** What asks the rule compiler to regenerate its files: the part of CompileTrigger a write uses. */
export interface CompileRequester {
  request(job: CompileJob): Promise<CompileQueueResult>;
}

/** What a write needs: the store's update and the compile queue's request. */
export interface ConfigWriteDeps {
  store: Pick<ConfigAccess, 'update'>;
  compile: CompileRequester;
}

/**
 * A change to config.yaml: edits `draft` in place (under the store's lock, so it sees the latest
 * file) and returns whatever the caller wants to know about it afterwards. Throwing refuses the
 * write: nothing is saved and no compile is asked for.
 */
export type ConfigChange<T> = (draft: AamiConfig) => T;

/** What a write produced: the saved config and its revision, the compile answer and the change's result. */
export interface WriteOutcome<T> {
  revision: number;
  config: AamiConfig;
  /** The `compile` field every write answer carries. */
  compile: CompileQueueResult;
  /** What the change returned. */
  result: T;
}

/**
 * Writes `change` based on `expectedRevision` (undefined: latest wins; a stale one is the store's
 * ConflictError) and then queues one compile of the new revision. `reason` names the write in the
 * compile job; it may be worked out from the change's result (how many nodes an import added).
 */
export type WriteAndCompile = <T>(
  reason: string | ((result: T) => string),
  change: ConfigChange<T>,
  expectedRevision: number | undefined,
) => Promise<WriteOutcome<T>>;

/** writeAndCompile on `deps`: the function every write of the domain modules goes through. */
export function writeAndCompile(deps: ConfigWriteDeps): WriteAndCompile {
  return async <T>(reason: string | ((result: T) => string), change: ConfigChange<T>, expectedRevision: number | undefined): Promise<WriteOutcome<T>> => {
    // The change runs inside the store's update; its result is kept here for after the save.
    let box: { value: T } | undefined;
    const snap = await deps.store.update((draft) => { box = { value: change(draft) }; }, { expectedRevision });
    if (!box) throw new Error('the config store saved a write without applying its change');
    const result = box.value;
    const compile = await deps.compile.request({ reason: typeof reason === 'string' ? reason : reason(result), revision: snap.revision });
    return { revision: snap.revision, config: snap.config, compile, result };
  };
}
