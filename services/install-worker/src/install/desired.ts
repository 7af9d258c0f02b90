// What a node should have, given what it is: node_exporter (always, with the textfile collector
// folder), the Xid counter (always: it reads the kernel log, GPU or not), and dcgm-exporter only
// where nvidia-smi exists — as a binary + systemd unit, or as a container run by a systemd unit when
// the node has Docker/Podman and the store holds a dcgm-exporter image.
import type { ArtifactPin } from '@aami/shared';
import { sha256Of, type ArtifactManifest, type ArtifactStore } from '../artifacts/store.ts';
import type { TarContent } from '../ssh/tar.ts';
import type { NodeFiles } from './node-files.ts';
import type { NodeFacts } from './probe.ts';

/** Where AAMI puts things on a node. */
export const PATHS = {
  nodeExporterBin: '/usr/local/bin/node_exporter',
  nodeExporterUnit: '/etc/systemd/system/aami-node-exporter.service',
  dcgmBin: '/usr/local/bin/dcgm-exporter',
  dcgmImage: '/var/lib/aami/images/dcgm-exporter.tar',
  dcgmUnit: '/etc/systemd/system/aami-dcgm-exporter.service',
  dcgmCounters: '/etc/aami/dcgm-counters.csv',
  xidService: '/etc/systemd/system/aami-xid-counter.service',
  xidTimer: '/etc/systemd/system/aami-xid-counter.timer',
  textfileDir: '/var/lib/node_exporter/textfile_collector',
  installed: '/etc/aami/installed.json',
  /** Where each upload makes its private staging folder (mktemp, root-owned; see stage.ts). */
  staging: '/var/tmp',
} as const;

/** The unprivileged user the exporters run as. */
export const SERVICE_USER = 'aami-exporter';

export const UNITS = {
  nodeExporter: 'aami-node-exporter.service',
  dcgm: 'aami-dcgm-exporter.service',
  xidService: 'aami-xid-counter.service',
  xidTimer: 'aami-xid-counter.timer',
} as const;

/** Every unit AAMI may have put on a node (uninstall stops all of them). */
export const ALL_UNITS = [UNITS.nodeExporter, UNITS.dcgm, UNITS.xidTimer, UNITS.xidService];

/** One file AAMI manages on the node. */
export interface ManagedFile {
  path: string;
  /** Generated files are bytes in memory; artifacts stay in the store's file and are streamed. */
  content: TarContent;
  size: number;
  sha256: string;
  mode: number;
}

export type ComponentName = 'node_exporter' | 'dcgm_exporter' | 'xid_counter';

/** One installable part. */
export interface ComponentSpec {
  name: ComponentName;
  version: string;
  files: ManagedFile[];
  /** Units enabled and kept running. */
  units: string[];
  /** Units restarted when any file of the component changed. */
  restart: string[];
  /** A oneshot service run once after a change, and required to succeed. */
  runOnce?: string;
  /** An HTTP /metrics on the node that must answer with this text in it. */
  metrics?: { port: number; expect: string };
}

/** The target state of one node. */
export interface DesiredState {
  components: ComponentSpec[];
  /** Facts worth telling the user ("no GPU: dcgm-exporter not installed"). */
  notes: string[];
}

export interface DesiredDeps {
  store: Pick<ArtifactStore, 'latest' | 'source'>;
  nodeFiles: NodeFiles;
  ports?: { nodeExporter?: number; dcgmExporter?: number };
  /** Pin versions instead of taking the newest stored ("node_exporter" -> "1.8.2"). */
  versions?: Partial<Record<string, string>>;
  /** config.yaml's artifacts.pins: the digests an artifact must have to be shipped. */
  pins?: ArtifactPin[];
}

/** The newest stored artifact of a pinned name is not a pinned version, or not with the pinned digest. */
class PinRefusal extends Error {}

/** Refuses `m` unless config.yaml pins it (when its name has any pins for this arch). */
export function checkPin(m: ArtifactManifest, pins: readonly ArtifactPin[]): void {
  const own = pins.filter((p) => p.name === m.name && p.arch === m.arch);
  if (own.length === 0) return;
  const pin = own.find((p) => p.version === m.version);
  if (!pin) throw new PinRefusal(`${m.name} ${m.version} (${m.arch}) in the artifact store is not pinned in config.yaml (artifacts.pins has ${own.map((p) => p.version).join(', ')}): refusing to ship it`);
  if (pin.sha256 !== m.sha256) throw new PinRefusal(`${m.name} ${m.version} (${m.arch}) in the artifact store has sha256 ${m.sha256}, config.yaml pins ${pin.sha256}: refusing to ship it`);
}

export type DesiredOutcome = { ok: true; desired: DesiredState } | { ok: false; reason: string };

const file = (path: string, data: Buffer, mode = 0o644): ManagedFile => ({ path, content: data, size: data.length, sha256: sha256Of(data), mode });

/** An artifact as a managed file: its checked file in the store, never a copy in memory. */
async function artifactFile(path: string, m: ArtifactManifest, store: DesiredDeps['store'], mode = 0o644): Promise<ManagedFile> {
  const src = await store.source(m);
  return { path, content: { file: src.file }, size: src.size, sha256: m.sha256, mode };
}

export function nodeExporterUnit(port: number): string {
  return `# Installed by AAMI (install-worker). Changes are overwritten by the next "aami nodes install".
[Unit]
Description=Prometheus node_exporter (AAMI)
After=network-online.target
Wants=network-online.target

[Service]
User=${SERVICE_USER}
Group=${SERVICE_USER}
ExecStart=${PATHS.nodeExporterBin} --web.listen-address=:${port} --collector.textfile.directory=${PATHS.textfileDir}
Restart=on-failure
RestartSec=5s
NoNewPrivileges=yes

[Install]
WantedBy=multi-user.target
`;
}

export function dcgmBinaryUnit(port: number): string {
  return `# Installed by AAMI (install-worker). Changes are overwritten by the next "aami nodes install".
[Unit]
Description=NVIDIA dcgm-exporter (AAMI)
After=network-online.target nvidia-persistenced.service
Wants=network-online.target

[Service]
ExecStart=${PATHS.dcgmBin} -f ${PATHS.dcgmCounters} -a :${port}
Restart=on-failure
RestartSec=5s

[Install]
WantedBy=multi-user.target
`;
}

export function dcgmContainerUnit(runtime: 'docker' | 'podman', image: string, port: number): string {
  const bin = `/usr/bin/env ${runtime}`;
  return `# Installed by AAMI (install-worker). Changes are overwritten by the next "aami nodes install".
[Unit]
Description=NVIDIA dcgm-exporter in a container (AAMI)
After=network-online.target ${runtime === 'docker' ? 'docker.service' : ''}
Wants=network-online.target

[Service]
ExecStartPre=${bin} load -i ${PATHS.dcgmImage}
ExecStartPre=-${bin} rm -f aami-dcgm-exporter
ExecStart=${bin} run --rm --name aami-dcgm-exporter --gpus all --cap-add SYS_ADMIN -p ${port}:9400 -v ${PATHS.dcgmCounters}:/etc/dcgm-exporter/aami-counters.csv:ro ${image} -f /etc/dcgm-exporter/aami-counters.csv
ExecStop=${bin} stop aami-dcgm-exporter
Restart=on-failure
RestartSec=10s

[Install]
WantedBy=multi-user.target
`;
}

/** Computes the target state; a missing or unpinned artifact is a reason, not an exception. */
export async function buildDesired(facts: NodeFacts, deps: DesiredDeps): Promise<DesiredOutcome> {
  try {
    return await desiredFor(facts, deps);
  } catch (err) {
    if (err instanceof PinRefusal) return { ok: false, reason: err.message };
    throw err;
  }
}

async function desiredFor(facts: NodeFacts, deps: DesiredDeps): Promise<DesiredOutcome> {
  const ports = { nodeExporter: deps.ports?.nodeExporter ?? 9100, dcgmExporter: deps.ports?.dcgmExporter ?? 9400 };
  const pick = async (name: string, arch: string): Promise<ArtifactManifest | undefined> => {
    const pinned = deps.versions?.[name];
    const latest = await deps.store.latest(name, arch);
    if (latest) checkPin(latest, deps.pins ?? []);
    if (!pinned) return latest;
    return latest && latest.version === pinned ? latest : undefined;
  };
  const notes: string[] = [];
  const components: ComponentSpec[] = [];

  const ne = await pick('node_exporter', facts.arch);
  if (!ne) return { ok: false, reason: `no node_exporter for ${facts.arch} in the artifact store (import one first)` };
  components.push({
    name: 'node_exporter',
    version: ne.version,
    files: [await artifactFile(PATHS.nodeExporterBin, ne, deps.store, 0o755), file(PATHS.nodeExporterUnit, Buffer.from(nodeExporterUnit(ports.nodeExporter)))],
    units: [UNITS.nodeExporter],
    restart: [UNITS.nodeExporter],
    metrics: { port: ports.nodeExporter, expect: 'node_exporter_build_info' },
  });

  const xid = deps.nodeFiles.xid;
  components.push({
    name: 'xid_counter',
    version: sha256Of(Buffer.concat([xid.script, xid.service, xid.timer])).slice(0, 12),
    files: [file(xid.scriptPath, xid.script, 0o755), file(PATHS.xidService, xid.service), file(PATHS.xidTimer, xid.timer)],
    units: [UNITS.xidTimer],
    restart: [UNITS.xidTimer],
    runOnce: UNITS.xidService,
  });

  if (!facts.gpu.tool) {
    notes.push('no nvidia-smi on this node: dcgm-exporter not installed (node_exporter and the Xid counter only)');
  } else {
    const counters = file(PATHS.dcgmCounters, deps.nodeFiles.counters);
    const image = facts.containerRuntime ? await pick('dcgm-exporter-image', facts.arch) : undefined;
    const bin = image ? undefined : await pick('dcgm-exporter', facts.arch);
    if (image && facts.containerRuntime) {
      const ref = `nvcr.io/nvidia/k8s/dcgm-exporter:${image.version}`;
      components.push({
        name: 'dcgm_exporter',
        version: image.version,
        files: [await artifactFile(PATHS.dcgmImage, image, deps.store), counters, file(PATHS.dcgmUnit, Buffer.from(dcgmContainerUnit(facts.containerRuntime, ref, ports.dcgmExporter)))],
        units: [UNITS.dcgm],
        restart: [UNITS.dcgm],
        metrics: { port: ports.dcgmExporter, expect: 'DCGM_FI_' },
      });
      notes.push(`dcgm-exporter runs as a ${facts.containerRuntime} container`);
    } else if (bin) {
      components.push({
        name: 'dcgm_exporter',
        version: bin.version,
        files: [await artifactFile(PATHS.dcgmBin, bin, deps.store, 0o755), counters, file(PATHS.dcgmUnit, Buffer.from(dcgmBinaryUnit(ports.dcgmExporter)))],
        units: [UNITS.dcgm],
        restart: [UNITS.dcgm],
        metrics: { port: ports.dcgmExporter, expect: 'DCGM_FI_' },
      });
    } else {
      return { ok: false, reason: `the node has GPUs (nvidia-smi) but the artifact store has no dcgm-exporter for ${facts.arch}` };
    }
    notes.push(`GPUs: ${facts.gpu.names.length ? facts.gpu.names.join(', ') : 'nvidia-smi found, no GPU listed'}`);
  }
  return { ok: true, desired: { components, notes } };
}

/** Every path the probe should checksum. */
export function managedPaths(desired?: DesiredState): string[] {
  const fixed: string[] = [PATHS.nodeExporterBin, PATHS.nodeExporterUnit, PATHS.dcgmBin, PATHS.dcgmUnit, PATHS.dcgmCounters, PATHS.dcgmImage, PATHS.xidService, PATHS.xidTimer];
  const wanted = desired?.components.flatMap((c) => c.files.map((f) => f.path)) ?? [];
  return [...new Set([...fixed, ...wanted])];
}
