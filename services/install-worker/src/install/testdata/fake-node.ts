// Test fixtures shared by the install tests: node facts, node files and an artifact store fake.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { sha256Of, type ArtifactManifest } from '../../artifacts/store.ts';
import type { NodeFiles } from '../node-files.ts';
import type { NodeFacts } from '../probe.ts';

export function facts(over: Partial<NodeFacts> = {}): NodeFacts {
  return {
    uid: 1000, user: 'aami', sudo: 'yes', os: { id: 'debian', version: '12', pretty: 'Debian GNU/Linux 12 (bookworm)' },
    machine: 'x86_64', arch: 'amd64', init: 'systemd', gpu: { tool: false, names: [] }, containerRuntime: null,
    freeKb: {}, sums: {}, units: {}, installed: null, ...over,
  };
}

export const nodeFiles: NodeFiles = {
  xid: { script: Buffer.from('#!/bin/sh\necho xid\n'), scriptPath: '/usr/local/bin/aami-xid-counter', service: Buffer.from('[Service]\nExecStart=/usr/local/bin/aami-xid-counter\n'), timer: Buffer.from('[Timer]\nOnUnitActiveSec=30s\n') },
  counters: Buffer.from('DCGM_FI_DEV_GPU_TEMP, gauge, temperature\n'),
};

/** An artifact store holding the given name -> [version, bytes], each in a real file. */
export function fakeStore(items: Record<string, [string, string]>) {
  const dir = mkdtempSync(join(tmpdir(), 'fake-store-'));
  const manifests = new Map<string, ArtifactManifest>();
  for (const [name, [version, text]] of Object.entries(items)) {
    const data = Buffer.from(text);
    writeFileSync(join(dir, name), data);
    manifests.set(name, { name, version, arch: 'amd64', sha256: sha256Of(data), size: data.length, source: 'test', addedAt: '2026-01-01T00:00:00Z' });
  }
  return {
    latest: async (name: string) => manifests.get(name),
    source: async (m: Pick<ArtifactManifest, 'name'>) => ({ file: join(dir, m.name), size: manifests.get(m.name)?.size ?? 0 }),
  };
}

/** Reads a command's stdin to its end, as a real node would (a streamed upload then finishes). */
export async function drain(stdin: Buffer | string | Readable | undefined): Promise<void> {
  if (stdin && typeof stdin !== 'string' && !Buffer.isBuffer(stdin)) for await (const _ of stdin) { /* consumed */ }
}
