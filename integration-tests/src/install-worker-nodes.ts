// Test GPU nodes as real containers: systemd + sshd from images/ (built on first use and cached),
// started through testcontainers with ports published on 127.0.0.1 only, plus the pieces the
// install tests share (the node login key, a dcgm-exporter stand-in, the CLI with install commands).
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { HARNESS_SERVICE_TOKEN, REPO_ROOT, waitFor, type CliRun } from './harness/index.ts';

process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
const run = promisify(execFile);

export const NODE_IMAGE = process.env.AAMI_NODE_IMAGE ?? 'aami/test-node:bookworm';
/** The key baked into the node image (kept between runs so the image is reused). */
export const NODE_KEY_DIR = process.env.AAMI_TEST_NODE_KEY_DIR ?? '/var/tmp/aami-test-node';
export const NODE_KEY = join(NODE_KEY_DIR, 'id_ed25519');

/** Why Docker-based tests cannot run here, or undefined when they can (starts dockerd if needed). */
export async function dockerUnavailable(): Promise<string | undefined> {
  try {
    execFileSync('docker', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'the docker CLI is not installed (Debian package docker.io)';
  }
  try {
    await run(join(REPO_ROOT, 'images', 'ensure-docker.sh'), [], { timeout: 90_000 });
    return undefined;
  } catch (err) {
    return `no Docker engine: ${(err as { stderr?: string }).stderr ?? (err as Error).message}`;
  }
}

/** Makes the test nodes' login key once (the node image authorizes it). */
export async function prepareNodeKey(): Promise<void> {
  await mkdir(NODE_KEY_DIR, { recursive: true, mode: 0o700 });
  if (!existsSync(NODE_KEY)) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'aami-test-node', '-f', NODE_KEY]);
}

/** Makes the node login key and builds the base and node images when missing (minutes, once). */
export async function prepareNodeImage(): Promise<void> {
  await prepareNodeKey();
  await run(join(REPO_ROOT, 'images', 'build-node.sh'), [`${NODE_KEY}.pub`], { timeout: 15 * 60_000, maxBuffer: 16 * 1024 * 1024 });
}

/** A GenericContainer whose published ports bind to 127.0.0.1 only. */
class LoopbackContainer extends GenericContainer {
  withLoopbackPorts(address: string, ...ports: number[]): this {
    this.withExposedPorts(...ports);
    for (const p of ports) this.hostConfig.PortBindings = { ...this.hostConfig.PortBindings, [`${p}/tcp`]: [{ HostIp: address, HostPort: '0' }] };
    return this;
  }
}

/** A running test node. */
export interface TestNode {
  name: string;
  /** The loopback address its ports are published on (one per node: config refuses shared addresses). */
  address: string;
  container: StartedTestContainer;
  sshPort: number;
  metricsPort: number;
  dcgmPort: number;
  exec(cmd: string): Promise<{ exitCode: number; output: string }>;
}

function sshBanner(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, address);
    sock.setTimeout(1000);
    sock.on('data', (d) => { resolve(d.toString().startsWith('SSH-2.0')); sock.destroy(); });
    sock.on('error', () => resolve(false));
    sock.on('timeout', () => { resolve(false); sock.destroy(); });
  });
}

/** Fake `nvidia-smi -L` for a node that should count as a GPU node. */
export const FAKE_NVIDIA_SMI = '#!/bin/sh\n# test stand-in\n[ "$1" = "-L" ] && echo "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-00000000-0000-0000-0000-aa0000000001)"\nexit 0\n';

/** Starts one systemd node container (unprivileged) on loopback `address` and waits for its sshd. */
export async function startNode(name: string, address: string, opts: { gpu?: boolean; tmpfs?: Record<string, string> } = {}): Promise<TestNode> {
  let c = new LoopbackContainer(NODE_IMAGE)
    .withName(`aami-it-${name}-${process.pid}`)
    .withHostname(name)
    .withTmpFs({ '/run': 'rw', '/run/lock': 'rw', ...(opts.tmpfs ?? {}) })
    .withBindMounts([{ source: '/sys/fs/cgroup', target: '/sys/fs/cgroup', mode: 'ro' }])
    .withLoopbackPorts(address, 22, 9100, 9400)
    .withLabels({ 'aami.test': 'install-worker' })
    .withWaitStrategy(Wait.forSuccessfulCommand('systemctl is-active ssh.service'))
    .withStartupTimeout(60_000);
  if (opts.gpu) c = c.withCopyContentToContainer([{ content: FAKE_NVIDIA_SMI, target: '/usr/bin/nvidia-smi', mode: 0o755 }]);
  const container = await c.start();
  const sshPort = container.getMappedPort(22);
  await waitFor(() => sshBanner(address, sshPort), 30_000, `sshd of ${name}`);
  return {
    name, address, container, sshPort, metricsPort: container.getMappedPort(9100), dcgmPort: container.getMappedPort(9400),
    exec: async (cmd) => { const r = await container.exec(['bash', '-c', cmd]); return { exitCode: r.exitCode, output: r.output }; },
  };
}

/** Compiles the dcgm-exporter stand-in (static) into `dir`; returns its path. */
export function buildDcgmStandIn(dir: string): string {
  const out = join(dir, 'dcgm-exporter');
  execFileSync('cc', ['-static', '-O2', '-o', out, join(REPO_ROOT, 'services/install-worker/testdata/dcgm-exporter-standin.c')]);
  return out;
}

/** Runs `aami` (with the install commands) against `url`; never throws on a non-zero exit. */
export async function aami(url: string, args: string[]): Promise<CliRun> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(REPO_ROOT, 'integration-tests/src/install-worker-cli.ts'), '--url', url, ...args], {
      env: { ...process.env, XDG_CONFIG_HOME: '/nonexistent-aami-test', AAMI_TOKEN: HARNESS_SERVICE_TOKEN }, maxBuffer: 16 * 1024 * 1024, timeout: 10 * 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
