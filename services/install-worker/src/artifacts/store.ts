// The artifact store on the control node: exporter binaries (and other files shipped to nodes) per
// name / version / arch, each with its SHA-256. Nodes never download anything: the install-worker
// uploads from here. Filled from upstream release archives when the control node is online
// (upstream.ts), from an offline bundle, or from a local file (tests, Debian's node_exporter).
//
// Layout: <dir>/<name>/<version>/<arch>/{<name>,manifest.json}
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { NotFoundError, ValidationError, writeFileAtomic } from '@aami/shared';

const SAFE = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

/** The description stored beside every artifact. */
export const ArtifactManifest = z.strictObject({
  name: z.string().regex(SAFE),
  version: z.string().regex(SAFE),
  /** Debian/Go style: amd64, arm64; `all` for arch-independent files. */
  arch: z.string().regex(SAFE),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().min(0),
  /** Where it came from (URL, bundle, local path), for people. */
  source: z.string(),
  addedAt: z.string(),
});
export type ArtifactManifest = z.infer<typeof ArtifactManifest>;

/** Machine `uname -m` names to the arch names artifacts use. */
export function normalizeArch(machine: string): string {
  const m = machine.trim();
  if (m === 'x86_64' || m === 'amd64') return 'amd64';
  if (m === 'aarch64' || m === 'arm64') return 'arm64';
  if (m === 'ppc64le') return 'ppc64le';
  return m;
}

/** Compares dotted versions numerically (1.10.0 > 1.9.2); non-numeric parts compare as text. */
export function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^v/, '').split(/[.+-]/);
  const pb = b.replace(/^v/, '').split(/[.+-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    const nx = Number(x);
    const ny = Number(y);
    const c = x !== '' && y !== '' && Number.isFinite(nx) && Number.isFinite(ny) ? nx - ny : x.localeCompare(y);
    if (c !== 0) return c;
  }
  return 0;
}

export const sha256Of = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Exporter binaries and files by name/version/arch, verified by SHA-256 before they are shipped. */
export class ArtifactStore {
  readonly dir: string;
  /** SHA-256 checks done (or running), by file identity. */
  readonly #checked = new Map<string, Promise<void>>();
  constructor(dir: string) {
    this.dir = dir;
  }

  /** Stores `data`; replacing the same name/version/arch with other bytes is refused. */
  async put(meta: { name: string; version: string; arch: string; source: string }, data: Buffer): Promise<ArtifactManifest> {
    const manifest = ArtifactManifest.safeParse({ ...meta, sha256: sha256Of(data), size: data.length, addedAt: new Date().toISOString() });
    if (!manifest.success) throw new ValidationError('bad artifact name, version or arch', manifest.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
    const m = manifest.data;
    const existing = await this.get(m.name, m.version, m.arch);
    if (existing) {
      if (existing.sha256 === m.sha256) return existing;
      throw new ValidationError(`${m.name} ${m.version} (${m.arch}) is already stored with other content (sha256 ${existing.sha256.slice(0, 12)}...); give the new one another version`);
    }
    const d = join(this.dir, m.name, m.version, m.arch);
    await mkdir(d, { recursive: true });
    await writeFileAtomic(join(d, m.name), data, 0o755);
    await writeFileAtomic(join(d, 'manifest.json'), `${JSON.stringify(m, null, 2)}\n`, 0o644);
    return m;
  }

  /** Stores a file from the control node's disk. */
  async importFile(path: string, meta: { name: string; version: string; arch: string; source?: string }): Promise<ArtifactManifest> {
    return this.put({ ...meta, source: meta.source ?? `file:${path}` }, await readFile(path));
  }

  /** The manifest of one artifact, if stored. */
  async get(name: string, version: string, arch: string): Promise<ArtifactManifest | undefined> {
    if (![name, version, arch].every((s) => SAFE.test(s))) return undefined;
    try {
      return ArtifactManifest.parse(JSON.parse(await readFile(join(this.dir, name, version, arch, 'manifest.json'), 'utf8')));
    } catch {
      return undefined;
    }
  }

  /** Every stored artifact. */
  async list(): Promise<ArtifactManifest[]> {
    const out: ArtifactManifest[] = [];
    for (const name of await dirs(this.dir)) {
      for (const version of await dirs(join(this.dir, name))) {
        for (const arch of await dirs(join(this.dir, name, version))) {
          const m = await this.get(name, version, arch);
          if (m) out.push(m);
        }
      }
    }
    return out;
  }

  /** The newest version of `name` for `arch` (or an arch-independent `all` build). */
  async latest(name: string, arch: string): Promise<ArtifactManifest | undefined> {
    const all = (await this.list()).filter((m) => m.name === name && (m.arch === arch || m.arch === 'all'));
    return all.sort((a, b) => compareVersions(b.version, a.version))[0];
  }

  /**
   * The file holding an artifact, checked against its SHA-256 (a corrupted store is an error, not an
   * upload). The check streams the file and is remembered while the file is unchanged, so a hundred
   * installs at once share one check and no job holds the bytes.
   */
  async source(m: Pick<ArtifactManifest, 'name' | 'version' | 'arch' | 'sha256'>): Promise<{ file: string; size: number }> {
    const file = join(this.dir, m.name, m.version, m.arch, m.name);
    let st;
    try {
      st = await stat(file);
    } catch {
      throw new NotFoundError(`artifact ${m.name} ${m.version} (${m.arch}) is not in the store at ${this.dir}`);
    }
    const key = `${file} ${m.sha256} ${st.size} ${st.mtimeMs} ${st.ino}`;
    let check = this.#checked.get(key);
    if (!check) {
      check = sha256OfFile(file).then((sum) => {
        if (sum !== m.sha256) throw new ValidationError(`artifact ${m.name} ${m.version} (${m.arch}) is corrupted: sha256 ${sum} instead of ${m.sha256}`);
      });
      this.#checked.set(key, check);
      check.catch(() => this.#checked.delete(key));
    }
    await check;
    return { file, size: st.size };
  }
}

async function sha256OfFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function dirs(path: string): Promise<string[]> {
  try {
    return (await readdir(path, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch {
    return [];
  }
}
