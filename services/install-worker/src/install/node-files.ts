// Files AAMI ships to nodes besides exporter binaries: the Xid counter (script, service, timer) and
// the dcgm-exporter counters file, all in the repository's node-files/ folder (or the folder named
// by AAMI_NODE_FILES_DIR). They are read once per run.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const NODE_FILES = process.env.AAMI_NODE_FILES_DIR ?? fileURLToPath(new URL('../../../../node-files/', import.meta.url));

/** Where the node-side files come from. */
export interface NodeFileSources {
  /** Folder with aami-xid-counter, aami-xid-counter.service, aami-xid-counter.timer. */
  xidDir: string;
  /** AAMI's dcgm-exporter counters file. */
  countersFile: string;
}

export const DEFAULT_NODE_FILE_SOURCES: NodeFileSources = {
  xidDir: NODE_FILES,
  countersFile: join(NODE_FILES, 'dcgm-counters.csv'),
};

/** The Xid counter as it will be installed. */
export interface XidCounterFiles {
  script: Buffer;
  /** Where the unit runs it from (ExecStart's program). */
  scriptPath: string;
  service: Buffer;
  timer: Buffer;
}

/** The node-side files, loaded. */
export interface NodeFiles {
  xid: XidCounterFiles;
  counters: Buffer;
}

/** The program path of a unit's first ExecStart= (prefixes like "-" or "@" dropped). */
export function execStartProgram(unitText: string): string | undefined {
  const line = unitText.split('\n').map((l) => l.trim()).find((l) => l.startsWith('ExecStart='));
  const program = line?.slice('ExecStart='.length).replace(/^[-@:+!]+/, '').trim().split(/\s+/)[0];
  return program && program.startsWith('/') ? program : undefined;
}

/** Reads the node-side files; a missing one is an error naming it (the worker cannot install without). */
export async function loadNodeFiles(sources: NodeFileSources = DEFAULT_NODE_FILE_SOURCES): Promise<NodeFiles> {
  const read = async (path: string) => {
    try {
      return await readFile(path);
    } catch (err) {
      throw new Error(`node file ${path} is missing on the control node (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
    }
  };
  const [script, service, timer, counters] = await Promise.all([
    read(join(sources.xidDir, 'aami-xid-counter')),
    read(join(sources.xidDir, 'aami-xid-counter.service')),
    read(join(sources.xidDir, 'aami-xid-counter.timer')),
    read(sources.countersFile),
  ]);
  return { xid: { script, service, timer, scriptPath: execStartProgram(service.toString('utf8')) ?? '/usr/local/bin/aami-xid-counter' }, counters };
}
