// Filling the artifact store: from an upstream release archive (downloaded by the control node when
// it is online, checked against upstream's published SHA-256), from a release archive already on
// disk (offline), or from a binary this machine already has (Debian's prometheus-node-exporter).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ValidationError } from '@aami/shared';
import { sha256Of, type ArtifactManifest, type ArtifactStore } from './store.ts';

const run = promisify(execFile);

/** Where an exporter's official release archives live, and the binary's path inside one. */
export interface UpstreamSource {
  archiveUrl(version: string, arch: string): string;
  checksumsUrl(version: string): string;
  member(version: string, arch: string): string;
}

/** Upstream release archives AAMI knows (dcgm-exporter ships no binary releases: bundle or local file). */
export const UPSTREAM: Record<string, UpstreamSource> = {
  node_exporter: {
    archiveUrl: (v, a) => `https://github.com/prometheus/node_exporter/releases/download/v${v}/node_exporter-${v}.linux-${a}.tar.gz`,
    checksumsUrl: (v) => `https://github.com/prometheus/node_exporter/releases/download/v${v}/sha256sums.txt`,
    member: (v, a) => `node_exporter-${v}.linux-${a}/node_exporter`,
  },
};

/** Takes one member out of a .tar.gz release archive with the system tar. */
export async function extractFromArchive(archivePath: string, member: string): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'aami-artifact-'));
  try {
    await run('tar', ['-xzf', archivePath, '-C', dir, member]);
    return await readFile(join(dir, member));
  } catch (err) {
    throw new ValidationError(`cannot take ${member} out of ${archivePath}: ${(err as Error).message.split('\n')[0]}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Stores the binary from an upstream release archive already on disk (offline import). */
export async function importReleaseArchive(store: ArtifactStore, archivePath: string, meta: { name: string; version: string; arch: string }): Promise<ArtifactManifest> {
  const source = UPSTREAM[meta.name];
  if (!source) throw new ValidationError(`no known release archive layout for ${meta.name}`);
  const data = await extractFromArchive(archivePath, source.member(meta.version, meta.arch));
  return store.put({ ...meta, source: `archive:${archivePath}` }, data);
}

/** Downloads an upstream release archive, checks it against upstream's sha256sums, stores the binary. */
export async function fetchUpstream(
  store: ArtifactStore,
  meta: { name: string; version: string; arch: string },
  fetchImpl: typeof fetch = fetch,
): Promise<ArtifactManifest> {
  const source = UPSTREAM[meta.name];
  if (!source) throw new ValidationError(`no upstream release source known for ${meta.name}`);
  const url = source.archiveUrl(meta.version, meta.arch);
  const file = url.split('/').pop() ?? 'archive.tar.gz';
  const [archiveRes, sumsRes] = await Promise.all([fetchImpl(url), fetchImpl(source.checksumsUrl(meta.version))]);
  if (!archiveRes.ok) throw new ValidationError(`download of ${url} failed: HTTP ${archiveRes.status}`);
  if (!sumsRes.ok) throw new ValidationError(`download of the checksums of ${meta.name} ${meta.version} failed: HTTP ${sumsRes.status}`);
  const archive = Buffer.from(await archiveRes.arrayBuffer());
  const expected = (await sumsRes.text()).split('\n').map((l) => l.trim().split(/\s+/)).find(([, f]) => f === file)?.[0];
  if (!expected) throw new ValidationError(`upstream checksums list no ${file}`);
  if (sha256Of(archive) !== expected) throw new ValidationError(`${file} does not match upstream's sha256 (${expected}); refusing it`);
  const dir = await mkdtemp(join(tmpdir(), 'aami-download-'));
  try {
    const path = join(dir, file);
    await writeFile(path, archive);
    const data = await extractFromArchive(path, source.member(meta.version, meta.arch));
    return await store.put({ ...meta, source: url }, data);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The version a Prometheus-style binary prints with --version ("node_exporter, version 1.5.0 ..."). */
export async function binaryVersion(path: string): Promise<string> {
  const { stdout, stderr } = await run(path, ['--version'], { timeout: 10_000 });
  const m = /version\s+v?([0-9][0-9A-Za-z.+-]*)/.exec(`${stdout}\n${stderr}`);
  if (!m?.[1]) throw new ValidationError(`cannot read the version of ${path}`);
  return m[1];
}

/** Imports this machine's Debian node_exporter when the store has none (dev and tests). */
export async function seedFromSystem(store: ArtifactStore, arch: string, path = '/usr/bin/prometheus-node-exporter'): Promise<ArtifactManifest | undefined> {
  if ((await store.latest('node_exporter', arch)) || !existsSync(path)) return undefined;
  return store.importFile(path, { name: 'node_exporter', version: await binaryVersion(path), arch, source: `debian:${path}` });
}
