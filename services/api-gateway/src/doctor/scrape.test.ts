import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AamiConfig } from '@aami/shared';
import { fakeSources } from './fake-sources.ts';
import { scrapeCheck } from './scrape.ts';
import type { PromTarget } from './sources.ts';

const target = (node: string, job: string, health: string, lastError = ''): PromTarget => ({ labels: { node, job, instance: `${node}:9100` }, scrapeUrl: `http://${node}:9100/metrics`, health, lastError });

describe('scrape check', () => {
  it('groups failing targets by node, with each job and its scrape error', async () => {
    const out = await scrapeCheck(fakeSources({
      prometheusTargets: async () => [
        target('gpu-node-02', 'node_exporter', 'down', 'Get "http://gpu-node-02:9100/metrics": dial tcp: connect: connection refused'),
        target('gpu-node-02', 'dcgm_exporter', 'down', 'context deadline exceeded'),
        target('gpu-node-01', 'node_exporter', 'up'),
        target('aami-control', 'aami', 'down', 'server returned HTTP status 500'),
      ],
    })).run();
    assert.deepEqual(out.map((x) => [x.severity, x.subject]), [['critical', 'aami-control'], ['critical', 'gpu-node-02']]);
    assert.match(out[1]?.message ?? '', /^Prometheus cannot scrape gpu-node-02: node_exporter \(http:\/\/gpu-node-02:9100\/metrics\): Get .*connection refused; dcgm_exporter .*context deadline exceeded$/);
    assert.match(out[1]?.fix ?? '', /aami nodes install gpu-node-02 --verify/);
    assert.match(out[0]?.fix ?? '', /docker compose ps/);
  });

  it('caps what a target\'s error says', async () => {
    const out = await scrapeCheck(fakeSources({ prometheusTargets: async () => [target('n', 'node_exporter', 'down', `x${'y'.repeat(5000)}\n\u001b[2J`)] })).run();
    assert.ok((out[0]?.message.length ?? 0) < 600);
    assert.doesNotMatch(out[0]?.message ?? '', /\n/);
  });

  it('is ok when every target is up, and warns when Prometheus has none although nodes are configured', async () => {
    const ok = await scrapeCheck(fakeSources({ prometheusTargets: async () => [target('a', 'node_exporter', 'up'), target('b', 'node_exporter', 'unknown')] })).run();
    assert.deepEqual(ok.map((x) => [x.severity, x.message]), [['ok', 'all 1 scrape target(s) on 2 node(s) are up (1 not scraped yet)']]);
    const none = await scrapeCheck(fakeSources({ prometheusTargets: async () => [], config: async () => ({ revision: 1, config: AamiConfig.parse({ nodes: [{ name: 'a', ip: '10.0.0.1' }] }) }) })).run();
    assert.deepEqual(none.map((x) => x.severity), ['warning']);
    assert.match(none[0]?.message ?? '', /no scrape targets, although config\.yaml lists 1 node/);
  });

  it('is critical when Prometheus cannot be read', async () => {
    const out = await scrapeCheck(fakeSources({ prometheusTargets: async () => { throw new Error('Prometheus at http://prometheus:9090 refused the gateway\'s credentials (HTTP 401): check AAMI_PROMETHEUS_PASSWORD_FILE'); } })).run();
    assert.deepEqual(out.map((x) => [x.severity, x.subject]), [['critical', 'prometheus']]);
    assert.match(out[0]?.message ?? '', /HTTP 401/);
  });
});
