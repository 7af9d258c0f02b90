// prometheus.yml: scrape jobs for node_exporter and dcgm-exporter (from the per-node file_sd files)
// and AAMI's own services, the rule files, and where Alertmanager is. Paths are relative to
// prometheus.yml, which Prometheus resolves against the file's folder, so the same text is valid in
// the staging folder the compiler checks and in the live folder Prometheus mounts. Alertmanager's
// basic auth goes in as a password_file path, never as the password: the file is written into the
// config volume, and a password there would be readable by whoever can read prometheus.yml.
// Retention is not a prometheus.yml setting but a start flag: the file's second line carries
// config.yaml's prometheus.retention (RETENTION_LINE), and Prometheus' start command in
// docker-compose.yml reads it from there, so a change applies the next time Prometheus starts.
import YAML from 'yaml';
import { CLUSTER_LABEL, JOBS, NODE_LABEL, type AamiConfig } from '@aami/shared';
import { JOB_TARGET_LABEL, TARGETS_DIR } from './file-sd.ts';

/** One of AAMI's own services that serves /metrics. */
export interface SelfTarget {
  service: string;
  /** Base URL as Prometheus reaches it, e.g. http://analyzer:8082. */
  url: string;
}

/** The `node` label AAMI's own services carry (they run on the control node). */
export const CONTROL_NODE = 'aami-control';

/** Basic auth Prometheus presents, with the password in a file (an absolute path, as Prometheus sees it). */
export interface BasicAuthFile {
  username: string;
  passwordFile: string;
}

export interface PrometheusConfigOptions {
  /** Alertmanager's URL as Prometheus reaches it. */
  alertmanagerUrl: string;
  /** Alertmanager's web.config.file basic auth (AAMI_ALERTMANAGER_USERNAME / _PASSWORD_FILE); none when absent. */
  alertmanagerBasicAuth?: BasicAuthFile;
  /** Rule files, relative to prometheus.yml. */
  ruleFiles: readonly string[];
  selfTargets: readonly SelfTarget[];
}

/**
 * Per-scrape limits: a target that answers with more is refused for that scrape (`up` 0 and
 * prometheus_target_scrapes_exceeded_sample_limit_total), so an impostor or a broken exporter on a
 * node cannot flood Prometheus or plant huge label values. Sized with room to spare:
 * - node_exporter on a large GPU node (2 x 96 cores, many mounts and interfaces) shows about 6,000
 *   series; label values are kernel strings, mount points and device paths (overlay paths ~200).
 * - dcgm-exporter on an 8-GPU node: ~60 fields per GPU plus per-link NVLink counters, ~1,500.
 * - AAMI's services: the analyzer exports a few series per GPU of the fleet (~6), so its limit
 *   scales with the fleet: room for about 300,000 GPUs.
 */
export const SCRAPE_LIMITS = {
  [JOBS.nodeExporter]: { sample_limit: 50_000, label_limit: 40, label_name_length_limit: 128, label_value_length_limit: 1024 },
  [JOBS.dcgmExporter]: { sample_limit: 10_000, label_limit: 40, label_name_length_limit: 128, label_value_length_limit: 512 },
  [JOBS.aami]: { sample_limit: 2_000_000, label_limit: 40, label_name_length_limit: 128, label_value_length_limit: 1024 },
} as const;

/**
 * The start of the line of prometheus.yml that holds the retention, followed by the duration
 * alone. docker-compose.yml's prometheus command reads it with sed: change both together.
 */
export const RETENTION_LINE = '# aami-retention: ';

/** Text of prometheus.yml. */
export function renderPrometheusConfig(config: Pick<AamiConfig, 'cluster' | 'prometheus'>, options: PrometheusConfigOptions): string {
  const am = new URL(options.alertmanagerUrl);
  const exporterJob = (job: typeof JOBS.nodeExporter | typeof JOBS.dcgmExporter) => ({
    job_name: job,
    ...SCRAPE_LIMITS[job],
    file_sd_configs: [{ files: [`${TARGETS_DIR}/*.json`], refresh_interval: '1m' }],
    relabel_configs: [{ source_labels: [JOB_TARGET_LABEL], regex: job, action: 'keep' }],
  });
  const self = [...options.selfTargets].sort((a, b) => a.service.localeCompare(b.service));
  const doc = {
    global: {
      scrape_interval: config.prometheus.scrape_interval,
      evaluation_interval: config.prometheus.evaluation_interval,
      external_labels: { [CLUSTER_LABEL]: config.cluster.name },
    },
    alerting: {
      alertmanagers: [{
        scheme: am.protocol.replace(':', ''),
        ...(am.pathname !== '/' && am.pathname !== '' ? { path_prefix: am.pathname } : {}),
        ...(options.alertmanagerBasicAuth ? { basic_auth: { username: options.alertmanagerBasicAuth.username, password_file: options.alertmanagerBasicAuth.passwordFile } } : {}),
        static_configs: [{ targets: [am.host] }],
      }],
    },
    rule_files: [...options.ruleFiles],
    // No job scrapes Prometheus or Alertmanager themselves (their basic auth would need a
    // password_file here too); the `aami` job is AAMI's services, which serve /metrics openly.
    scrape_configs: [
      exporterJob(JOBS.nodeExporter),
      exporterJob(JOBS.dcgmExporter),
      ...(self.length > 0
        ? [{
          job_name: JOBS.aami,
          ...SCRAPE_LIMITS[JOBS.aami],
          // The analyzer's health series name the GPU node they are about in `node`; keep it
          // rather than renaming it exported_node. AAMI's own services are the only targets here.
          honor_labels: true,
          static_configs: self.map((t) => ({
            targets: [new URL(t.url).host],
            labels: { [CLUSTER_LABEL]: config.cluster.name, [NODE_LABEL]: CONTROL_NODE, service: t.service },
          })),
        }]
        : []),
    ],
  };
  // The schema took retention as a Prometheus duration ([0-9a-z] only), so the line is safe for a shell to read.
  return `# Generated by AAMI's rule compiler from config.yaml. Do not edit: change config.yaml instead.\n${RETENTION_LINE}${config.prometheus.retention}\n${YAML.stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
