// The names every part of AAMI agrees on when it writes or reads Prometheus data. The rule
// compiler writes targets with these jobs and labels; the gateway, presets and dashboards read them.

/** Scrape job names. */
export const JOBS = {
  nodeExporter: 'node_exporter',
  dcgmExporter: 'dcgm_exporter',
  aami: 'aami',
} as const;

/** Every target carries `node` (the config's node name) and `cluster`; node labels come along too. */
export const NODE_LABEL = 'node';
export const CLUSTER_LABEL = 'cluster';

/** Default exporter ports on a GPU node. */
export const EXPORTER_PORTS = { nodeExporter: 9100, dcgmExporter: 9400 } as const;

/** A dcgm-exporter field in the default counter set, present once per GPU: used to count GPUs. */
export const GPU_PRESENCE_METRIC = 'DCGM_FI_DEV_GPU_TEMP';

/** The analyzer's GPU health series (labels: node, cluster, gpu, UUID, pci_bus_id). */
export const HEALTH_METRICS = {
  gpuScore: 'aami_gpu_health_score',
  /** 1 for the GPU's current state, 0 for the others (label `state`). */
  gpuState: 'aami_gpu_health_state',
  /** 1 for the GPU's suggested action, 0 for the others (label `action`). */
  gpuAction: 'aami_gpu_health_action',
  nodeScore: 'aami_node_health_score',
} as const;

/** The relay's series that presets/exporters.yaml alerts on (scraped under job `aami`). */
export const RELAY_METRICS = {
  /** Webhook requests refused with 429 by an intake cap (label `reason`: rate, fingerprint). */
  webhookRefused: 'aami_relay_webhook_refused_total',
  /** Redis' used_memory, from INFO memory at scrape time. */
  redisMemoryUsed: 'aami_relay_redis_memory_used_bytes',
  /** Redis' maxmemory; 0 when Redis has no limit. */
  redisMemoryMax: 'aami_relay_redis_memory_max_bytes',
} as const;
