// The HTTP listener of one simulated node, answering like dcgm-exporter: GET /metrics with the text
// format (Go's sniffed `text/plain; charset=utf-8`, no gzip), GET / with a link page, GET /health.
// Plain node:http, nothing per request but a lookup of the cached text, so a thousand of them are cheap.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Where the metrics text comes from. */
export interface MetricsSource {
  metricsText(): string;
  /** True when the text is ASCII: written as latin1 with Content-Length = length, no UTF-8 pass. */
  readonly metricsAscii: boolean;
}

const INDEX = `<html>
\t\t\t<head><title>GPU Exporter</title></head>
\t\t\t<body>
\t\t\t<h1>GPU Exporter</h1>
\t\t\t<p><a href="./metrics">Metrics</a></p>
\t\t\t</body>
\t\t\t</html>`;

/** One node's listener; can be stopped and started again on the same address (node-down / clear). */
export class NodeServer {
  readonly host: string;
  private port: number;
  private readonly source: MetricsSource;
  private server: Server | undefined;

  constructor(source: MetricsSource, host: string, port: number) {
    this.source = source;
    this.host = host;
    this.port = port;
  }

  /** The scrape URL (the port is known once started when 0 was asked for). */
  get url(): string {
    return `http://${this.host}:${this.port}/metrics`;
  }

  /** `host:port`, as a Prometheus target. */
  get target(): string {
    return `${this.host}:${this.port}`;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  /** Opens the listener; resolves once it accepts connections. */
  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer({ keepAliveTimeout: 10_000 }, (req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(new Error(`cannot listen on ${this.host}:${this.port}: ${err.message}`));
      server.once('error', onError);
      server.listen(this.port, this.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Closes the listener and every open connection, so scrapes fail at once like a dead host. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'Content-Type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    if (path === '/metrics') {
      const body = this.source.metricsText();
      const encoding = this.source.metricsAscii ? 'latin1' : 'utf8';
      res.writeHead(200, {
        'Content-Type': 'text/plain; charset=utf-8',
        'X-Content-Type-Options': 'nosniff',
        'Content-Length': encoding === 'latin1' ? body.length : Buffer.byteLength(body),
      });
      if (req.method === 'HEAD') res.end();
      else res.end(body, encoding);
    } else if (path === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'X-Content-Type-Options': 'nosniff' }).end(INDEX);
    } else if (path === '/health') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('OK');
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
    }
  }
}
