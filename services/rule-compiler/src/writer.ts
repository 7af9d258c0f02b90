// The generated folder on the shared volume. A new set of files is written to a staging folder
// beside the live one, checked there, and only then moved in, one atomic rename per changed file, so
// Prometheus and Alertmanager never read a half-written or unchecked file and a set that fails its
// checks leaves the previous one live. A manifest of content hashes makes an unchanged set a no-op.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '@aami/shared';
import { ALERTMANAGER_CONFIG, PROMETHEUS_CONFIG, PROMETHEUS_DIR } from './compile.ts';
import { RULES_DIR } from './rule-files.ts';
import { TARGETS_DIR } from './file-sd.ts';

/** Name of the manifest in the generated folder. */
export const MANIFEST_FILE = '.manifest.json';
const STAGING_PREFIX = '.staging-';

/** Folders whose every file the compiler owns: a file there that the new set lacks is removed. */
const OWNED_DIRS = [`${PROMETHEUS_DIR}/${RULES_DIR}`, `${PROMETHEUS_DIR}/${TARGETS_DIR}`];

/** Written last, so they only ever name rule and target files that are already in place. */
const LAST = new Set([PROMETHEUS_CONFIG, ALERTMANAGER_CONFIG]);

/** What is live: the set's hash and each file's content hash. */
export interface Manifest {
  hash: string;
  files: Record<string, string>;
}

/** A written, not yet live, set of files. */
export interface Staging {
  dir: string;
  files: ReadonlyMap<string, string>;
  hash: string;
}

/** How a new set differs from the live one, file by file. */
export interface TreeDiff {
  /** Paths that are new or whose content changed. */
  changed: string[];
  /** Live paths the new set no longer has. */
  removed: string[];
}

/** What a commit changed. */
export interface CommitResult {
  written: number;
  removed: number;
  unchanged: number;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The generated folder (AAMI_GENERATED_DIR). */
export class GeneratedTree {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** The manifest of the live set, if any. */
  async manifest(): Promise<Manifest | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dir, MANIFEST_FILE), 'utf8')) as Manifest;
    } catch {
      return undefined;
    }
  }

  /** True when the live set has hash `hash` and every one of its files is still there. */
  async isCurrent(hash: string): Promise<boolean> {
    const m = await this.manifest();
    if (!m || m.hash !== hash) return false;
    const paths = Object.keys(m.files);
    for (let i = 0; i < paths.length; i += 512) {
      const present = await Promise.all(paths.slice(i, i + 512).map((p) => exists(join(this.dir, p))));
      if (present.includes(false)) return false;
    }
    return true;
  }

  /** How `files` differs from the live set; undefined when nothing is live yet (no manifest). */
  async diff(files: ReadonlyMap<string, string>): Promise<TreeDiff | undefined> {
    const m = await this.manifest();
    if (!m) return undefined;
    const changed: string[] = [];
    for (const [p, text] of files) if (m.files[p] !== sha256(text)) changed.push(p);
    const removed = Object.keys(m.files).filter((p) => !files.has(p));
    return { changed, removed };
  }

  /**
   * Applies a change that touches file_sd target files only, in place: each changed file written
   * atomically (temp name + rename in its folder; the temp name does not match `*.json`, so
   * Prometheus never reads it half-written), removed ones deleted, then the manifest. No staging
   * and no reload: Prometheus's file_sd picks target files up by itself. The caller has checked
   * that every path in `diff` is a target file.
   */
  async applyTargets(files: ReadonlyMap<string, string>, diff: TreeDiff, hash: string): Promise<CommitResult> {
    const previous = (await this.manifest())?.files ?? {};
    const hashes = { ...previous };
    await mkdir(join(this.dir, PROMETHEUS_DIR, TARGETS_DIR), { recursive: true });
    for (let i = 0; i < diff.changed.length; i += 256) {
      await Promise.all(diff.changed.slice(i, i + 256).map(async (p) => {
        const text = files.get(p)!;
        await writeFileAtomic(join(this.dir, p), text, 0o644);
        hashes[p] = sha256(text);
      }));
    }
    let removed = 0;
    for (const p of diff.removed) {
      await unlink(join(this.dir, p)).then(() => { removed++; }, () => undefined);
      delete hashes[p];
    }
    await writeFileAtomic(join(this.dir, MANIFEST_FILE), `${JSON.stringify({ hash, files: hashes } satisfies Manifest)}\n`, 0o644);
    return { written: diff.changed.length, removed, unchanged: files.size - diff.changed.length };
  }

  /** Writes `files` into a fresh staging folder inside the generated folder (same filesystem). */
  async stage(files: ReadonlyMap<string, string>, hash: string): Promise<Staging> {
    await mkdir(this.dir, { recursive: true });
    await this.#sweepStaging();
    const dir = join(this.dir, `${STAGING_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
    const dirs = new Set([...files.keys()].map((p) => dirname(join(dir, p))));
    for (const d of dirs) await mkdir(d, { recursive: true });
    const entries = [...files.entries()];
    // Bounded parallelism: 10,000 target files must not open 10,000 descriptors at once.
    for (let i = 0; i < entries.length; i += 256) {
      await Promise.all(entries.slice(i, i + 256).map(([p, text]) => writeFile(join(dir, p), text, { mode: 0o644 })));
    }
    return { dir, files, hash };
  }

  /** Drops a staging folder (after a failed check). */
  async discard(staging: Staging): Promise<void> {
    await rm(staging.dir, { recursive: true, force: true });
  }

  /**
   * Moves a checked staging set in: changed files by rename (atomic each), prometheus.yml and
   * alertmanager.yml last, then removes files the new set no longer has, then the manifest.
   */
  async commit(staging: Staging): Promise<CommitResult> {
    const previous = (await this.manifest())?.files ?? {};
    const hashes: Record<string, string> = {};
    for (const [p, text] of staging.files) hashes[p] = sha256(text);
    const order = [...staging.files.keys()].sort((a, b) => Number(LAST.has(a)) - Number(LAST.has(b)));
    let written = 0;
    let unchanged = 0;
    // The owned folders always exist, even empty: Prometheus watches the targets folder from the start.
    for (const owned of OWNED_DIRS) await mkdir(join(this.dir, owned), { recursive: true });
    const made = new Set<string>(OWNED_DIRS.map((d) => join(this.dir, d)));
    for (const p of order) {
      const live = join(this.dir, p);
      if (previous[p] === hashes[p] && (await exists(live))) {
        unchanged++;
        continue;
      }
      const d = dirname(live);
      if (!made.has(d)) {
        await mkdir(d, { recursive: true });
        made.add(d);
      }
      await rename(join(staging.dir, p), live);
      written++;
    }
    let removed = 0;
    const keep = new Set(staging.files.keys());
    const stale = new Set(Object.keys(previous).filter((p) => !keep.has(p)));
    for (const owned of OWNED_DIRS) {
      for (const name of await readdir(join(this.dir, owned)).catch(() => [] as string[])) {
        const p = `${owned}/${name}`;
        if (!keep.has(p)) stale.add(p);
      }
    }
    for (const p of stale) {
      await unlink(join(this.dir, p)).then(() => { removed++; }, () => undefined);
    }
    await writeFileAtomic(join(this.dir, MANIFEST_FILE), `${JSON.stringify({ hash: staging.hash, files: hashes } satisfies Manifest)}\n`, 0o644);
    await rm(staging.dir, { recursive: true, force: true });
    return { written, removed, unchanged };
  }

  /** Removes staging folders a crashed run left behind. */
  async #sweepStaging(): Promise<void> {
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      if (name.startsWith(STAGING_PREFIX)) await rm(join(this.dir, name), { recursive: true, force: true });
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
