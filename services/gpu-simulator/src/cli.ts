// Command line of the GPU simulator. `start` runs a fleet in the foreground; `inject`, `clear`, `list`
// and `show` talk to a running fleet's control API (--control-url, $AAMI_SIM_CONTROL_URL, or
// http://127.0.0.1:9500). `smi`, `smi-files` and `smi-script` play nvidia-smi on a simulated board
// (nvidia-smi/): print one answer, write a node's answers to files, write the script that serves them.
import { chmodSync, realpathSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLogger } from '@aami/shared';
import { FAULT_TYPES, FaultRequest } from './faults.ts';
import { startFleet } from './index.ts';
import { boardByKey, BOARD_KEYS, type SmiBoard } from './nvidia-smi/boards.ts';
import { parseDownLinks, renderSmi, type SmiOptions } from './nvidia-smi/render.ts';
import { smiScript, writeSmiFiles } from './nvidia-smi/script.ts';
import { FleetOptions, optionsFromEnv, type FleetOptionsInput } from './options.ts';

/** The node name GPU UUIDs derive from when `smi` / `smi-files` get no --seed (the fleet's first node). */
export const DEFAULT_SMI_SEED = 'gpu-node-01';

export const USAGE = `usage:
  cli.ts start [--nodes 4] [--gpus 8] [--model H100|A100|V100] [--models H100,A100,V100,...]
               [--base-port 9400] [--bind 127.0.0.1]
               [--addressing port|loopback] [--first-address 127.0.0.1] [--log-dir DIR]
               [--control-port 9500] [--node-prefix gpu-node-] [--counters aami|default|FILE]
               [--driver-version 580.159.04] [--xid-window-ms 300000]
  cli.ts inject NODE TYPE [--gpu K] [--xid N] [--target C] [--duration S] [--fill PERCENT]
               [--count N] [--link L] [--errors-per-s R] [--reasons hw_slowdown,hw_thermal] [--pid P] [--process NAME]
               [--rows N] [--sbe N] [--dbe N] [--pending true|false] [--per-minute R]
  cli.ts clear NODE
  cli.ts list
  cli.ts show NODE
  (inject/clear/list/show: --control-url URL, default $AAMI_SIM_CONTROL_URL or http://127.0.0.1:9500)
  cli.ts smi --board ${BOARD_KEYS.join('|')} [--seed ${DEFAULT_SMI_SEED}] [--down GPU:LINK[,GPU:LINK...]] -- NVIDIA-SMI-ARGS...
  cli.ts smi-files --board B [--seed ${DEFAULT_SMI_SEED}] [--down GPU:LINK[,...]] --out DIR
  cli.ts smi-script --root ROOT --out FILE
  (smi: what nvidia-smi prints for topo -m, nvlink -s, nvlink -e, -L and
   --query-gpu=index,uuid,pci.bus_id,name --format=csv,noheader, with its exit code; the seed is the
   node name the GPU UUIDs derive from; --down takes NVLinks down. smi-files writes those answers into
   DIR; smi-script writes an sh nvidia-smi that prints them from ROOT/<SSH server address> or ROOT.)

fault types:
${Object.entries(FAULT_TYPES)
  .map(([k, v]) => `  ${k.padEnd(18)} ${v}`)
  .join('\n')}
`;

/** Where the CLI writes. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const START_FLAGS = {
  nodes: { type: 'string' },
  gpus: { type: 'string' },
  model: { type: 'string' },
  models: { type: 'string' },
  'base-port': { type: 'string' },
  bind: { type: 'string' },
  addressing: { type: 'string' },
  'first-address': { type: 'string' },
  'log-dir': { type: 'string' },
  'control-port': { type: 'string' },
  'node-prefix': { type: 'string' },
  counters: { type: 'string' },
  'driver-version': { type: 'string' },
  'xid-window-ms': { type: 'string' },
} as const;

const INJECT_FLAGS = {
  gpu: { type: 'string' },
  xid: { type: 'string' },
  target: { type: 'string' },
  duration: { type: 'string' },
  fill: { type: 'string' },
  count: { type: 'string' },
  link: { type: 'string' },
  'errors-per-s': { type: 'string' },
  reasons: { type: 'string' },
  pid: { type: 'string' },
  process: { type: 'string' },
  rows: { type: 'string' },
  sbe: { type: 'string' },
  dbe: { type: 'string' },
  pending: { type: 'string' },
  'per-minute': { type: 'string' },
  'control-url': { type: 'string' },
} as const;

const SMI_BOARD_FLAGS = {
  board: { type: 'string' },
  seed: { type: 'string' },
  down: { type: 'string' },
} as const;

const SMI_FILES_FLAGS = { ...SMI_BOARD_FLAGS, out: { type: 'string' } } as const;

const SMI_SCRIPT_FLAGS = { root: { type: 'string' }, out: { type: 'string' } } as const;

/** Prefixes a thrown error with the flag it is about. */
function forFlag<T>(flag: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new Error(`${flag}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The board and options `--board`, `--seed` and `--down` ask for; throws naming the flag at fault. */
export function smiBoardOptions(values: { board?: string; seed?: string; down?: string }, command: string): { board: SmiBoard; opts: SmiOptions } {
  if (values.board === undefined) throw new Error(`${command} needs --board (${BOARD_KEYS.join(', ')})`);
  const board = forFlag('--board', () => boardByKey(values.board!));
  const seed = values.seed ?? DEFAULT_SMI_SEED;
  if (seed.trim() === '') throw new Error('--seed: the seed (a node name) is empty');
  const downLinks = values.down === undefined ? [] : forFlag('--down', () => parseDownLinks(values.down!, board));
  return { board, opts: { seed, downLinks } };
}

/** `smi FLAGS -- ARGS`: the flags before `--` and nvidia-smi's arguments after it. */
export function parseSmiArgs(argv: string[]): { board: SmiBoard; opts: SmiOptions; args: string[] } {
  const dashes = argv.indexOf('--');
  if (dashes < 0) throw new Error('smi needs -- before the nvidia-smi arguments, e.g. smi --board h100-nv18 -- topo -m');
  const { values } = parseArgs({ args: argv.slice(0, dashes), options: SMI_BOARD_FLAGS, allowPositionals: false, strict: true });
  return { ...smiBoardOptions(values, 'smi'), args: argv.slice(dashes + 1) };
}

function runSmi(command: string, argv: string[], io: CliIo): number {
  if (command === 'smi') {
    const { board, opts, args } = parseSmiArgs(argv);
    const answer = renderSmi(board, opts, args);
    io.out(answer.stdout);
    return answer.code;
  }
  if (command === 'smi-files') {
    const { values } = parseArgs({ args: argv, options: SMI_FILES_FLAGS, allowPositionals: false, strict: true });
    const { board, opts } = smiBoardOptions(values, 'smi-files');
    if (!values.out) throw new Error('smi-files needs --out DIR');
    const written = writeSmiFiles(values.out, board, opts);
    io.out(`${board.key} (seed ${opts.seed}${opts.downLinks?.length ? `, down ${opts.downLinks.map((d) => `${d.gpu}:${d.link}`).join(',')}` : ''}): wrote ${written.length} files to ${values.out}\n`);
    return 0;
  }
  const { values } = parseArgs({ args: argv, options: SMI_SCRIPT_FLAGS, allowPositionals: false, strict: true });
  if (values.root === undefined) throw new Error('smi-script needs --root ROOT (the folder smi-files wrote to)');
  if (!values.out) throw new Error('smi-script needs --out FILE');
  const script = forFlag('--root', () => smiScript(values.root!));
  writeFileSync(values.out, script, { mode: 0o755 });
  chmodSync(values.out, 0o755); // the mode above only applies to a new file
  io.out(`wrote ${values.out}: nvidia-smi answering from ${values.root}\n`);
  return 0;
}

/** Fleet options from the environment, overridden by `start` flags. */
export function parseStartArgs(argv: string[], env: NodeJS.ProcessEnv): FleetOptionsInput {
  const { values } = parseArgs({ args: argv, options: START_FLAGS, allowPositionals: false, strict: true });
  const fromFlags: Record<string, string> = {};
  const rename: Record<string, string> = {
    'base-port': 'basePort',
    'first-address': 'firstAddress',
    'log-dir': 'logDir',
    'control-port': 'controlPort',
    'node-prefix': 'nodePrefix',
    'driver-version': 'driverVersion',
    'xid-window-ms': 'xidWindowMs',
  };
  for (const [flag, v] of Object.entries(values)) if (typeof v === 'string') fromFlags[rename[flag] ?? flag] = v;
  return { ...optionsFromEnv(env), ...fromFlags } as FleetOptionsInput;
}

/** The fault request an `inject NODE TYPE --flags` line asks for (validated). */
export function buildFaultRequest(type: string, flags: Record<string, string | undefined>): FaultRequest {
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  // true/false (yes/no, 1/0); anything else goes to the schema as is and is refused there, by name.
  const bool = (v: string | undefined) => {
    if (v === undefined) return undefined;
    if (/^(true|yes|1)$/i.test(v.trim())) return true;
    if (/^(false|no|0)$/i.test(v.trim())) return false;
    return v;
  };
  const body: Record<string, unknown> = { type };
  const set = (key: string, v: unknown) => {
    if (v !== undefined) body[key] = v;
  };
  set('gpu', num(flags.gpu));
  set('xid', num(flags.xid));
  set('targetC', num(flags.target));
  set('durationS', num(flags.duration));
  set('fillPercent', num(flags.fill));
  set('count', num(flags.count));
  set('link', num(flags.link));
  set('errorsPerS', num(flags['errors-per-s']));
  set('reasons', flags.reasons?.split(',').map((s) => s.trim()).filter(Boolean));
  set('pid', num(flags.pid));
  set('process', flags.process);
  set('rows', num(flags.rows));
  set('sbe', num(flags.sbe));
  set('dbe', num(flags.dbe));
  set('pending', bool(flags.pending));
  set('perMinute', num(flags['per-minute']));
  const parsed = FaultRequest.safeParse(body);
  if (!parsed.success) {
    throw new Error(`bad fault: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'type'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${base.replace(/\/$/, '')}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as { message?: string; details?: Array<{ path?: string; message: string }> };
  if (!res.ok) {
    const details = (json.details ?? []).map((d) => `\n  ${d.path ? `${d.path}: ` : ''}${d.message}`).join('');
    throw new Error(`${res.status}: ${json.message ?? 'request failed'}${details}`);
  }
  return json;
}

async function runStart(argv: string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const options = FleetOptions.parse(parseStartArgs(argv, env));
  const log = createLogger('gpu-simulator');
  const running = await startFleet(options, { log });
  const first = running.nodes[0];
  const last = running.nodes[running.nodes.length - 1];
  const models = running.fleet.summaries().map((n) => n.model);
  const mix = [...new Set(models)].map((m) => `${models.filter((x) => x === m).length} x ${m}`).join(', ');
  io.out(
    `${running.nodes.length} simulated nodes (${mix}), ${options.gpus} GPUs each: ${first?.name} ${first?.url}` +
      (running.nodes.length > 1 ? ` .. ${last?.name} ${last?.url}` : '') +
      `\nkernel logs in ${options.logDir}\ncontrol API ${running.controlUrl ?? '(off)'}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await running.stop();
  return 0;
}

/** Runs one CLI command; returns the exit code. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'start') return await runStart(rest, env, io);
    if (command === 'smi' || command === 'smi-files' || command === 'smi-script') return runSmi(command, rest, io);
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      io.out(USAGE);
      return command === undefined ? 2 : 0;
    }
    const { values, positionals } = parseArgs({ args: rest, options: INJECT_FLAGS, allowPositionals: true, strict: true });
    const base = values['control-url'] ?? env.AAMI_SIM_CONTROL_URL ?? 'http://127.0.0.1:9500';
    const node = positionals[0];
    if (command === 'list') {
      const { nodes } = (await call(base, 'GET', '/nodes')) as { nodes: Array<{ name: string; url: string; up: boolean; gpusPresent: number; gpus: number; faults: Array<{ type: string; gpu?: number }> }> };
      for (const n of nodes) {
        const faults = n.faults.map((f) => (f.gpu === undefined ? f.type : `${f.type}@gpu${f.gpu}`)).join(',') || '-';
        io.out(`${n.name}\t${n.up ? 'up' : 'DOWN'}\t${n.gpusPresent}/${n.gpus} GPUs\t${n.url}\t${faults}\n`);
      }
      return 0;
    }
    if (!node) throw new Error(`${command} needs a node name\n${USAGE}`);
    const path = `/nodes/${encodeURIComponent(node)}`;
    if (command === 'show') {
      io.out(`${JSON.stringify(await call(base, 'GET', path), null, 2)}\n`);
      return 0;
    }
    if (command === 'clear') {
      const { cleared } = (await call(base, 'DELETE', `${path}/faults`)) as { cleared: number };
      io.out(`${node}: cleared ${cleared} fault(s)\n`);
      return 0;
    }
    if (command === 'inject') {
      const type = positionals[1];
      if (!type) throw new Error(`inject needs NODE and TYPE\n${USAGE}`);
      const req = buildFaultRequest(type, values);
      const outcome = (await call(base, 'POST', `${path}/faults`, req)) as { event: { kernelLines: string[] } };
      io.out(`${node}: ${type} injected\n${outcome.event.kernelLines.map((l) => `  ${l}\n`).join('')}`);
      return 0;
    }
    throw new Error(`unknown command ${command}\n${USAGE}`);
  } catch (err) {
    io.err(`${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const io: CliIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };
  process.exitCode = await runCli(process.argv.slice(2), process.env, io);
}
