// file_sd target files, one per node (targets/nodes/<node>.json): the addresses of the exporters
// that run there (node_exporter; dcgm-exporter only where AAMI installed it or the node's
// `exporters:` says so) with its name, the cluster and its own labels. Prometheus watches the
// folder, so adding or removing a node changes one file and needs no reload.
import { isIP } from 'node:net';
import { CLUSTER_LABEL, EXPORTER_PORTS, JOBS, NODE_LABEL, scrapedExporters, type AamiConfig, type ErrorDetail, type ExporterName, type Node } from '@aami/shared';

/** Folder of the target files, relative to prometheus.yml. */
export const TARGETS_DIR = 'targets/nodes';

/**
 * Target label naming the scrape job a target belongs to. It starts with "__", so Prometheus drops
 * it after relabelling; each job keeps only its own targets with it.
 */
export const JOB_TARGET_LABEL = '__aami_job';

/** Exporter ports on the nodes (the metrics contract's defaults unless told otherwise). */
export interface ExporterPorts {
  nodeExporter: number;
  dcgmExporter: number;
}

/**
 * Labels a node may not set: the contract's own, and names the exporters put on their series (a
 * target label wins over a scraped one, so a node label "gpu" would overwrite every GPU's index).
 */
export const RESERVED_NODE_LABELS: ReadonlySet<string> = new Set([
  'job', 'instance', NODE_LABEL, CLUSTER_LABEL, 'severity', 'alertname', 'component',
  'gpu', 'UUID', 'pci_bus_id', 'device', 'modelName', 'Hostname', 'DCGM_FI_DRIVER_VERSION', 'xid', 'window_size_in_ms',
  'cpu', 'mode', 'mountpoint', 'fstype', 'name', 'state', 'type', 'le', 'quantile',
]);

/** `host:port`, with brackets around an IPv6 address. */
export function targetAddress(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The JSON text of one node's target file; labels sorted, so output is stable. */
export function renderNodeTargets(node: Node, cluster: string, ports: ExporterPorts = EXPORTER_PORTS, installed: ReadonlyMap<string, readonly ExporterName[]> = new Map()): string {
  const labels: Record<string, string> = {};
  for (const k of Object.keys(node.labels).sort()) if (!RESERVED_NODE_LABELS.has(k)) labels[k] = node.labels[k]!;
  const group = (job: string, port: number) => ({
    targets: [targetAddress(node.ip, port)],
    labels: { [JOB_TARGET_LABEL]: job, [CLUSTER_LABEL]: cluster, [NODE_LABEL]: node.name, ...labels },
  });
  const runs = new Set(scrapedExporters(node, installed));
  const groups = [];
  if (runs.has(JOBS.nodeExporter)) groups.push(group(JOBS.nodeExporter, ports.nodeExporter));
  if (runs.has(JOBS.dcgmExporter)) groups.push(group(JOBS.dcgmExporter, ports.dcgmExporter));
  return `${JSON.stringify(groups, null, 2)}\n`;
}

/** Every node's target file, keyed by path relative to prometheus.yml, plus a warning per dropped label. */
export function renderTargetFiles(
  config: Pick<AamiConfig, 'nodes' | 'cluster'>,
  ports: ExporterPorts = EXPORTER_PORTS,
  installed: ReadonlyMap<string, readonly ExporterName[]> = new Map(),
): { files: Map<string, string>; warnings: ErrorDetail[] } {
  const files = new Map<string, string>();
  const dropped = new Map<string, string[]>();
  const nodes = [...config.nodes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const node of nodes) {
    for (const k of Object.keys(node.labels)) {
      if (RESERVED_NODE_LABELS.has(k)) dropped.set(k, [...(dropped.get(k) ?? []), node.name]);
    }
    files.set(`${TARGETS_DIR}/${node.name}.json`, renderNodeTargets(node, config.cluster.name, ports, installed));
  }
  const warnings = [...dropped.entries()].map(([label, names]) => ({
    path: `nodes[].labels.${label}`,
    message: `label "${label}" is reserved (AAMI or an exporter sets it) and was left out of the targets of ${names.length} node(s): ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''}`,
  }));
  return { files, warnings };
}
