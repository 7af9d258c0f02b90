import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fakeSources } from './fake-sources.ts';
import { formatBytes, metricSum } from './metrics-text.ts';
import { durationSeconds, prometheusDiskCheck } from './prometheus-disk.ts';

const NOW = 1_800_000_000_000;
const GiB = 1024 ** 3;

function metrics(values: Record<string, number>): string {
  return ['# HELP x y', ...Object.entries(values).map(([k, v]) => `${k} ${v}`), 'prometheus_tsdb_head_samples_appended_total{type="float"} 1000', 'prometheus_tsdb_head_samples_appended_total{type="histogram"} 0'].join('\n');
}

describe('prometheus-disk check', () => {
  it('measures growth over the blocks on disk and what the retention will need, and says free space is not visible', async () => {
    const nowS = NOW / 1000;
    // 10 GiB of blocks spanning 5 days: 2 GiB a day; 15d then needs 30 GiB.
    const text = metrics({ prometheus_tsdb_storage_blocks_bytes: 10 * GiB, prometheus_tsdb_wal_storage_size_bytes: GiB, prometheus_tsdb_lowest_timestamp_seconds: nowS - 5 * 86400 - 7200, prometheus_tsdb_head_min_time_seconds: nowS - 7200, process_start_time_seconds: nowS - 600 });
    const out = await prometheusDiskCheck(fakeSources({ prometheusSelf: async () => ({ metrics: text, runtime: { storageRetention: '15d' } }) }), () => NOW).run();
    assert.equal(out.length, 1);
    assert.equal(out[0]?.severity, 'ok');
    assert.match(out[0]?.message ?? '', /^Prometheus stores 11 GiB and grows by about 2\.0 GiB a day \(measured over the 5 days its blocks hold\); keeping 15 days will take about 30 GiB\. /);
    assert.match(out[0]?.message ?? '', /does not report its volume's free space.*df -h \/prometheus/);
  });

  it('estimates from the ingestion rate when there are no blocks yet, and says it is an estimate', async () => {
    const nowS = NOW / 1000;
    const text = ['prometheus_tsdb_storage_blocks_bytes 0', `process_start_time_seconds ${nowS - 1000}`, 'prometheus_tsdb_head_samples_appended_total{type="float"} 100000', 'prometheus_tsdb_lowest_timestamp_seconds 9.2e15'].join('\n');
    const out = await prometheusDiskCheck(fakeSources({ prometheusSelf: async () => ({ metrics: text, runtime: { storageRetention: '15d or 10GiB' } }) }), () => NOW).run();
    // 100 samples/s * 86400 * 2 bytes = 16.5 MiB a day.
    assert.match(out[0]?.message ?? '', /grows by about 16 MiB a day \(estimated from the samples taken since it started, at about 2 bytes each\)/);
  });

  it('warns when the size limit will cut the retention short', async () => {
    const nowS = NOW / 1000;
    const text = metrics({ prometheus_tsdb_storage_blocks_bytes: 10 * GiB, prometheus_tsdb_lowest_timestamp_seconds: nowS - 5 * 86400, prometheus_tsdb_head_min_time_seconds: nowS, prometheus_tsdb_retention_limit_bytes: 20 * GiB });
    const out = await prometheusDiskCheck(fakeSources({ prometheusSelf: async () => ({ metrics: text, runtime: { storageRetention: '15d or 20GiB' } }) }), () => NOW).run();
    assert.deepEqual(out.map((x) => x.severity), ['warning']);
    assert.match(out[0]?.message ?? '', /more than its size limit of 20 GiB: it will keep only about 10 days/);
  });

  it('says what it could not measure', async () => {
    const young = await prometheusDiskCheck(fakeSources({ prometheusSelf: async () => ({ metrics: `prometheus_tsdb_storage_blocks_bytes 0\nprocess_start_time_seconds ${NOW / 1000 - 10}`, runtime: {} }) }), () => NOW).run();
    assert.match(young[0]?.message ?? '', /run too briefly to measure its growth/);
    const none = await prometheusDiskCheck(fakeSources({ prometheusSelf: async () => ({ metrics: 'go_goroutines 5', runtime: {} }) }), () => NOW).run();
    assert.deepEqual(none.map((x) => x.severity), ['warning']);
    const down = await prometheusDiskCheck(fakeSources()).run();
    assert.deepEqual(down.map((x) => x.severity), ['critical']);
  });

  it('reads the text format and durations', () => {
    assert.equal(metricSum('a{x="1"} 2\na{x="}"} 3\nab 100\na 1 1700000000000\n', 'a'), 6);
    assert.equal(metricSum('b 1', 'a'), undefined);
    assert.equal(durationSeconds('1w2d'), 9 * 86400);
    assert.equal(durationSeconds('15d'), 15 * 86400);
    assert.equal(durationSeconds('10GiB'), undefined);
    assert.equal(formatBytes(1536), '1.5 KiB');
  });
});
