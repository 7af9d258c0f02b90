// Attack: bind the dcgm-exporter port on a node and feed Prometheus a flood of fake GPU series, or
// label values megabytes long (issue 13, finding 3, the limits part). The rule compiler's own
// prometheus.yml runs in a real Prometheus; the impostors are plain HTTP servers on the nodes'
// loopback addresses. A scrape over a limit is refused whole (`up` 0), an honest 8-GPU-sized
// exporter is still scraped. And on a node where no dcgm-exporter is known to run (no install
// record, no `exporters:` setting), an impostor on :9400 is not scraped at all.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { AamiConfig, loadPresetCatalog } from '@aami/shared';
import { compileConfig } from '@aami/rule-compiler';
import { freePort, makeTempDir, startPrometheusOnFile, waitFor, type PrometheusServer } from '../harness/index.ts';

const NODES = { flood: '127.0.0.31', longLabel: '127.0.0.32', honest: '127.0.0.33', cpuOnly: '127.0.0.34' } as const;

/** Exposition text of `series` gauge samples (8 GPUs' worth of fields when small). */
function exposition(series: number, labelValue = 'NVIDIA H100 80GB HBM3'): string {
  const lines = ['# TYPE DCGM_FI_DEV_GPU_TEMP gauge'];
  for (let i = 0; i < series; i++) lines.push(`DCGM_FI_DEV_GPU_TEMP{gpu="${i % 8}",field="f${i}",modelName="${labelValue}"} 40`);
  return `${lines.join('\n')}\n`;
}

describe('scrape limits stop an impostor exporter', () => {
  let prom: PrometheusServer;
  const servers: Server[] = [];
  before(async () => {
    const bodies: Record<string, string> = {
      [NODES.flood]: exposition(60_000),
      [NODES.longLabel]: exposition(10, 'x'.repeat(100_000)),
      [NODES.honest]: exposition(1_500),
      [NODES.cpuOnly]: exposition(8),
    };
    for (const [ip, body] of Object.entries(bodies)) {
      const s = createServer((_req, res) => { res.setHeader('content-type', 'text/plain; version=0.0.4'); res.end(body); });
      await new Promise<void>((r) => s.listen(9400, ip, r));
      servers.push(s);
    }
    const config = AamiConfig.parse({
      cluster: { name: 'limits' },
      nodes: Object.entries(NODES).map(([name, ip]) => ({ name, ip, ...(name === 'cpuOnly' ? {} : { exporters: ['node_exporter', 'dcgm_exporter'] }) })),
      prometheus: { scrape_interval: '1s', evaluation_interval: '1s' },
    });
    const out = compileConfig(config, { catalog: await loadPresetCatalog(), alertmanagerUrl: 'http://127.0.0.1:9', relayUrl: 'http://127.0.0.1:9', selfTargets: [] });
    const gen = join(await makeTempDir('scrape-limits'), 'generated');
    for (const [path, text] of out.files) {
      await mkdir(dirname(join(gen, path)), { recursive: true });
      await writeFile(join(gen, path), text);
    }
    prom = await startPrometheusOnFile(join(gen, 'prometheus', 'prometheus.yml'), await freePort());
  });
  after(async () => {
    await prom?.stop();
    for (const s of servers) await new Promise<void>((r) => { s.close(() => r()); s.closeAllConnections(); });
  });

  it('refuses the flood and the huge label value, and keeps scraping an honest exporter', async () => {
    const up = async () => new Map((await prom.query('up{job="dcgm_exporter"}')).map((s) => [s.metric['node'], s.value[1]]));
    await waitFor(async () => (await up()).size === 3, 30_000, 'three dcgm targets scraped');
    await waitFor(async () => (await up()).get('honest') === '1', 30_000, 'the honest exporter is up');
    const states = await up();
    assert.equal(states.get('flood'), '0', 'a scrape of 60,000 series is refused');
    assert.equal(states.get('longLabel'), '0', 'a 100,000-character label value is refused');
    const kept = await prom.query('count by (node) (DCGM_FI_DEV_GPU_TEMP)');
    assert.deepEqual(kept.map((s) => [s.metric['node'], s.value[1]]), [['honest', '1500']], 'only the honest series are stored');
  });

  it('never scrapes :9400 on a node where no dcgm-exporter is known to run', async () => {
    // Its node_exporter target (nothing listens there) has an `up` once Prometheus tried it.
    await waitFor(async () => (await prom.query('up{node="cpuOnly"}')).length > 0, 30_000, 'the CPU-only node scraped once');
    const up = await prom.query('up{node="cpuOnly"}');
    assert.deepEqual(up.map((s) => s.metric['job']), ['node_exporter'], 'the CPU-only node has a node_exporter target and no dcgm one');
    assert.deepEqual(await prom.query('DCGM_FI_DEV_GPU_TEMP{node="cpuOnly"}'), []);
  });
});
