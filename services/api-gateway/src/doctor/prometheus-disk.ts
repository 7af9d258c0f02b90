// Check `prometheus-disk`: how much Prometheus keeps on its volume and how much keeping
// `prometheus.retention` will take, from Prometheus' own /metrics (the gateway reads it directly:
// AAMI's scrape config does not scrape Prometheus) and /api/v1/status/runtimeinfo. Growth per day
// is measured over the blocks on disk when they span two hours or more, else estimated from the
// samples taken since start at about 2 bytes each. Prometheus does not report its volume's free
// space, so days until the disk is full cannot be computed here: the finding says so and gives
// the command that shows it.
import type { DoctorFinding } from '@aami/shared';
import { describeError, findingsOf, type DoctorCheck } from './check.ts';
import { formatBytes, metricSum } from './metrics-text.ts';
import type { DoctorSources } from './sources.ts';

export const PROMETHEUS_DISK_CHECK = 'prometheus-disk';

/** Bytes per sample assumed when growth cannot be measured over blocks (Prometheus stores 1 to 2). */
export const BYTES_PER_SAMPLE_ESTIMATE = 2;
/** Blocks must span this long before their size per day counts as a measurement. */
const MIN_SPAN_S = 2 * 3600;
/** Uptime before an estimate from the ingestion rate is made. */
const MIN_UPTIME_S = 300;

const f = findingsOf(PROMETHEUS_DISK_CHECK);

const UNITS_S: Readonly<Record<string, number>> = { y: 365 * 86400, w: 7 * 86400, d: 86400, h: 3600, m: 60, s: 1, ms: 0.001 };

/** Seconds of a Prometheus duration ("15d", "1w3d", "12h"); undefined when it is not one. */
export function durationSeconds(text: string): number | undefined {
  const t = text.trim();
  if (!/^(\d+(ms|y|w|d|h|m|s))+$/.test(t)) return undefined;
  let s = 0;
  for (const m of t.matchAll(/(\d+)(ms|y|w|d|h|m|s)/g)) s += Number(m[1]) * (UNITS_S[m[2] ?? 's'] ?? 0);
  return s;
}

const days = (s: number) => (s >= 86400 ? `${Math.round((s / 86400) * 10) / 10} days` : `${Math.round(s / 3600)} h`);

export function prometheusDiskCheck(sources: Pick<DoctorSources, 'prometheusSelf'>, now: () => number = Date.now): DoctorCheck {
  return {
    name: PROMETHEUS_DISK_CHECK,
    description: "Prometheus' disk use, its growth per day, and what its retention will need",
    async run() {
      let self;
      try {
        self = await sources.prometheusSelf();
      } catch (err) {
        return [f.critical(`Prometheus' storage figures could not be read: ${describeError(err)}`, { subject: 'prometheus', fix: 'docker compose logs prometheus; docker compose up -d prometheus' })];
      }
      const m = (name: string) => metricSum(self.metrics, name);
      const blocks = m('prometheus_tsdb_storage_blocks_bytes');
      if (blocks === undefined) {
        return [f.warning("Prometheus' /metrics has no storage figures (prometheus_tsdb_storage_blocks_bytes), so its disk use could not be measured", { subject: 'prometheus' })];
      }
      const stored = blocks + (m('prometheus_tsdb_wal_storage_size_bytes') ?? 0) + (m('prometheus_tsdb_head_chunks_storage_size_bytes') ?? 0);
      const nowS = now() / 1000;
      const valid = (s: number | undefined) => (s !== undefined && s > 0 && s <= nowS + 3600 ? s : undefined);
      const lowest = valid(m('prometheus_tsdb_lowest_timestamp_seconds'));
      const headMin = valid(m('prometheus_tsdb_head_min_time_seconds'));
      const started = valid(m('process_start_time_seconds'));
      const appended = m('prometheus_tsdb_head_samples_appended_total');
      const retentionText = (self.runtime.storageRetention ?? '').split(' or ')[0] ?? '';
      const retentionS = (m('prometheus_tsdb_retention_limit_seconds') || undefined) ?? durationSeconds(retentionText);
      const limitBytes = m('prometheus_tsdb_retention_limit_bytes') ?? 0;

      let perDay: number | undefined;
      let basis = '';
      const span = lowest !== undefined && headMin !== undefined ? headMin - lowest : 0;
      if (blocks > 0 && span >= MIN_SPAN_S) {
        perDay = blocks / (span / 86400);
        basis = `measured over the ${days(span)} its blocks hold`;
      } else if (appended !== undefined && appended > 0 && started !== undefined && nowS - started >= MIN_UPTIME_S) {
        perDay = (appended / (nowS - started)) * 86400 * BYTES_PER_SAMPLE_ESTIMATE;
        basis = `estimated from the samples taken since it started, at about ${BYTES_PER_SAMPLE_ESTIMATE} bytes each`;
      }
      const out: DoctorFinding[] = [];
      const freeSpace = 'Prometheus does not report its volume\'s free space, so the days until it is full cannot be computed: compare with docker compose exec prometheus df -h /prometheus';
      if (perDay === undefined) {
        out.push(f.ok(`Prometheus stores ${formatBytes(stored)}; it has run too briefly to measure its growth per day. ${freeSpace}`, { subject: 'prometheus' }));
        return out;
      }
      const needed = retentionS !== undefined ? perDay * (retentionS / 86400) : undefined;
      const keep = needed !== undefined && retentionS !== undefined ? `; keeping ${days(retentionS)} will take about ${formatBytes(needed)}` : '; its retention could not be read';
      const summary = `Prometheus stores ${formatBytes(stored)} and grows by about ${formatBytes(perDay)} a day (${basis})${keep}`;
      if (limitBytes > 0 && needed !== undefined && needed > limitBytes) {
        out.push(f.warning(
          `${summary}, more than its size limit of ${formatBytes(limitBytes)}: it will keep only about ${days((limitBytes / perDay) * 86400)} of samples`,
          { subject: 'prometheus', fix: 'raise --storage.tsdb.retention.size (and the volume), or shorten prometheus.retention in config.yaml' },
        ));
      } else out.push(f.ok(`${summary}. ${freeSpace}`, { subject: 'prometheus' }));
      return out;
    },
  };
}
