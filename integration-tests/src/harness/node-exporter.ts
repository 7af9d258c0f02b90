// A real node_exporter (Debian's prometheus-node-exporter) on a free loopback port, with a textfile
// collector dir the test can write .prom files into.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, httpOk, makeTempDir, requireBinary, startDaemon, type Daemon } from './daemon.ts';

export interface NodeExporter {
  url: string;
  port: number;
  address: string;
  textfileDir: string;
  daemon: Daemon;
  stop(): Promise<void>;
}

export async function startNodeExporter(): Promise<NodeExporter> {
  const bin = requireBinary('/usr/bin/prometheus-node-exporter', 'prometheus-node-exporter');
  const dir = await makeTempDir('node-exporter');
  const textfileDir = join(dir, 'textfile');
  await mkdir(textfileDir);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const daemon = await startDaemon({
    name: 'node-exporter',
    command: bin,
    args: [`--web.listen-address=127.0.0.1:${port}`, `--collector.textfile.directory=${textfileDir}`, '--log.level=warn'],
    dir,
    ready: () => httpOk(`${url}/metrics`),
  });
  return { url, port, address: `127.0.0.1:${port}`, textfileDir, daemon, stop: () => daemon.stop() };
}
