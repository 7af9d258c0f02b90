// Test fixtures shared by the install tests: node facts, node files and an artifact store fake.
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

/** An artifact store holding the given name -> [version, bytes]. */
export function fakeStore(items: Record<string, [string, string]>) {
  const manifests = new Map<string, ArtifactManifest & { data: Buffer }>();
  for (const [name, [version, text]] of Object.entries(items)) {
    const data = Buffer.from(text);
    manifests.set(name, { name, version, arch: 'amd64', sha256: sha256Of(data), size: data.length, source: 'test', addedAt: '2026-01-01T00:00:00Z', data });
  }
  return {
    latest: async (name: string) => manifests.get(name),
    read: async (m: Pick<ArtifactManifest, 'name'>) => manifests.get(m.name)?.data ?? Buffer.alloc(0),
  };
}
