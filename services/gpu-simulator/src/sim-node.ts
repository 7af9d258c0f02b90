// One simulated GPU node: its GPUs, its job schedule, its /metrics text (cached for a second, so two
// Prometheus replicas scraping together cost one render), its kernel log, its boot time (which a
// reboot fault moves to now; the node_exporter stand-in shows it as node_boot_time_seconds), and what
// faults do to it. No sockets here: node-server.ts serves the text and fleet.ts opens/closes the listener.
import { ValidationError } from '@aami/shared';
import { NodeExposition } from './exposition.ts';
import type { FieldCatalog } from './field-catalog.ts';
import { FaultRequest, isStateFault, survivesReboot, throttleMask, type FaultRequestInput } from './faults.ts';
import { makeGpuIdentities, type GpuIdentity } from './gpu-identity.ts';
import type { GpuModel } from './gpu-models.ts';
import { KernelLog } from './kernel-log.ts';
import { hashString, unit } from './prng.ts';
import { GpuSim, type GpuSample } from './value-model.ts';
import { NodeWorkload } from './workload.ts';
import { xidKernelMessage, type XidProcess } from './xid-messages.ts';

/** What a node is made from. */
export interface SimNodeOptions {
  name: string;
  model: GpuModel;
  gpuCount: number;
  catalog: FieldCatalog;
  driverVersion: string;
  xidWindowMs: number;
  cacheTtlMs: number;
  /** Kernel log file; none is written when absent. */
  logPath?: string;
  clock: () => number;
}

/** A fault that is in force until the node is cleared. */
export interface ActiveFault {
  id: number;
  atMs: number;
  request: FaultRequest;
}

/** Something that happened to the node (every injection, every clear), newest last. */
export interface NodeEvent {
  id: number;
  atMs: number;
  what: string;
  request?: FaultRequest;
  kernelLines: string[];
}

/** What an injection did. */
export interface InjectOutcome {
  event: NodeEvent;
  /** Present for faults that stay until cleared. */
  fault?: ActiveFault;
}

const MAX_EVENTS = 200;

/** A simulated GPU node. */
export class SimNode {
  readonly name: string;
  readonly model: GpuModel;
  readonly gpus: GpuSim[];
  readonly identities: GpuIdentity[];
  readonly kernelLog: KernelLog | undefined;
  readonly driverVersion: string;
  /** True while a node-down fault holds its listener closed. */
  down = false;
  readonly faults: ActiveFault[] = [];
  readonly events: NodeEvent[] = [];

  private readonly exposition: NodeExposition;
  private readonly workload: NodeWorkload;
  private readonly clock: () => number;
  private readonly xidWindowMs: number;
  private readonly cacheTtlMs: number;
  private readonly announced = new Set<number>();
  private cache: { text: string; atMs: number } | undefined;
  private nextId = 1;
  private bootAtMs: number;

  constructor(o: SimNodeOptions) {
    this.name = o.name;
    this.model = o.model;
    this.clock = o.clock;
    this.xidWindowMs = o.xidWindowMs;
    this.cacheTtlMs = o.cacheTtlMs;
    this.driverVersion = o.driverVersion;
    const now = o.clock();
    const uptimeS = 3600 + Math.floor(unit(hashString(`boot/${o.name}`)) * 29 * 86_400);
    this.bootAtMs = now - uptimeS * 1000;
    this.identities = makeGpuIdentities(o.name, o.gpuCount, o.model);
    this.workload = new NodeWorkload(o.name);
    this.gpus = this.identities.map((id) => new GpuSim(id, o.model, this.workload, now, uptimeS));
    this.exposition = new NodeExposition(o.catalog, {
      hostname: o.name,
      model: o.model,
      driverVersion: o.driverVersion,
      gpus: this.identities,
      xidWindowMs: o.xidWindowMs,
    });
    if (o.logPath) {
      this.kernelLog = new KernelLog(o.logPath, this.bootAtMs);
      this.kernelLog.writeBoot(o.driverVersion);
    }
  }

  /** When the node last booted (epoch ms): some hours to weeks before it was made, then the time of
   * its last reboot fault. node_exporter's node_boot_time_seconds is this in seconds. */
  get bootTimeMs(): number {
    return this.bootAtMs;
  }

  /** The same as bootTimeMs. */
  get bootMs(): number {
    return this.bootAtMs;
  }

  /** The /metrics body now (re-rendered at most once per cache TTL). */
  metricsText(): string {
    const now = this.clock();
    const c = this.cache;
    if (c && now - c.atMs < this.cacheTtlMs && now >= c.atMs) return c.text;
    const text = this.exposition.render(this.samples(now));
    this.cache = { text, atMs: now };
    return text;
  }

  /** Whether the body is pure ASCII (then its length is its byte length). */
  get metricsAscii(): boolean {
    return this.exposition.ascii;
  }

  /** One sample per GPU; undefined for a GPU that fell off the bus. */
  samples(now = this.clock()): Array<GpuSample | undefined> {
    return this.gpus.map((g) => {
      if (g.present) return g.sample(now, this.xidWindowMs);
      g.advanceTo(now);
      return undefined;
    });
  }

  /** Applies a fault; throws ValidationError for a malformed request or a GPU the node does not have. */
  inject(input: FaultRequestInput): InjectOutcome {
    const parsed = FaultRequest.safeParse(input);
    if (!parsed.success) {
      throw new ValidationError(
        'invalid fault',
        parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message })),
      );
    }
    const req = parsed.data;
    const now = this.clock();
    let lines: string[] = [];
    if (req.type === 'node-down') {
      this.down = true;
    } else if (req.type === 'reboot') {
      lines = this.reboot(now);
    } else {
      const gpu = this.gpus[req.gpu];
      if (!gpu) {
        throw new ValidationError(`node ${this.name} has GPUs 0..${this.gpus.length - 1}, not ${req.gpu}`, [
          { path: 'gpu', message: 'no such GPU' },
        ]);
      }
      this.checkBoardSupports(req.type);
      gpu.advanceTo(now);
      switch (req.type) {
        case 'temperature':
          gpu.faults.tempRamp = { startMs: now, fromC: gpu.currentTempC(now), targetC: req.targetC, durationMs: req.durationS * 1000 };
          break;
        case 'memory-leak':
          gpu.faults.leak = { startMs: now, fromMiB: gpu.currentFbUsedMiB(now), fillFrac: req.fillPercent / 100, durationMs: req.durationS * 1000 };
          break;
        case 'ecc-dbe':
          gpu.addEccDbe(req.count, now);
          lines.push(this.logXid(gpu, 48, now));
          break;
        case 'nvlink':
          gpu.faults.nvlinkErrorsPerS = req.errorsPerS;
          gpu.faults.nvlinkUntilMs = req.durationS === undefined ? undefined : now + req.durationS * 1000;
          gpu.addNvlinkBurst(Math.max(1, Math.round(req.errorsPerS)), now);
          lines.push(this.logXid(gpu, req.xid ?? this.model.nvlinkXid, now, { link: req.link }));
          break;
        case 'row-remap-pending':
          gpu.markRowsForRemap(req.rows, now);
          lines.push(this.logXid(gpu, 63, now));
          break;
        case 'row-remap-failure':
          gpu.faults.rowRemapFailure = true;
          lines.push(this.logXid(gpu, 64, now));
          break;
        case 'retired-pages':
          gpu.retirePages(req.sbe, req.dbe, req.pending, now);
          if (req.pending) lines.push(this.logXid(gpu, 63, now));
          break;
        case 'pcie-replay':
          gpu.faults.pcieReplayPerMin = req.perMinute;
          break;
        case 'throttle':
          gpu.faults.throttleMask |= throttleMask(req.reasons);
          break;
        case 'xid':
          if (req.xid === 64) gpu.faults.rowRemapFailure = true;
          lines.push(this.logXid(gpu, req.xid, now, { pid: req.pid, process: req.process }));
          break;
        case 'fall-off-bus':
          lines.push(this.logXid(gpu, 79, now));
          gpu.faults.offBus = true;
          break;
      }
    }
    this.cache = undefined;
    const event = this.record(now, `inject ${req.type}`, lines, req);
    if (!isStateFault(req)) return { event };
    const fault: ActiveFault = { id: event.id, atMs: now, request: req };
    this.faults.push(fault);
    return { event, fault };
  }

  /** Ends every fault: GPUs come back, the listener may reopen, temperatures cool with their lag.
   * Counters and the last-Xid gauge keep their values, as on real hardware. */
  clear(): { cleared: number } {
    const now = this.clock();
    for (const g of this.gpus) g.clearFaults(now);
    const cleared = this.faults.length;
    this.faults.length = 0;
    this.down = false;
    this.cache = undefined;
    this.record(now, 'clear', []);
    return { cleared };
  }

  /** The node boots again now: see GpuSim.reboot for the GPUs; the listener comes back up, the kernel
   * log gets the new boot's lines, faults end but those the board keeps (row-remap-failure). */
  private reboot(now: number): string[] {
    this.bootAtMs = now;
    for (const g of this.gpus) g.reboot(now);
    this.down = false;
    this.announced.clear();
    const kept = this.faults.filter((f) => survivesReboot(f.request));
    this.faults.length = 0;
    this.faults.push(...kept);
    return this.kernelLog?.reboot(now, this.driverVersion) ?? [];
  }

  /** Refuses a repair fault the board cannot have: page retirement before Ampere, row remapping after. */
  private checkBoardSupports(type: FaultRequest['type']): void {
    const retires = this.model.pageRetirement;
    if (type === 'retired-pages' && !retires) {
      throw new ValidationError(`${this.model.name} remaps rows instead of retiring pages (DCGM reports DCGM_FI_DEV_RETIRED_* blank)`, [
        { path: 'type', message: 'no page retirement on this board: use row-remap-pending, or a V100 node' },
      ]);
    }
    if ((type === 'row-remap-pending' || type === 'row-remap-failure') && retires) {
      throw new ValidationError(`${this.model.name} retires pages instead of remapping rows (DCGM reports the row remap fields blank)`, [
        { path: 'type', message: 'no row remapping on this board: use retired-pages, or an A100/H100 node' },
      ]);
    }
  }

  private logXid(gpu: GpuSim, xid: number, now: number, extra: { link?: number; pid?: number; process?: string } = {}): string {
    gpu.recordXid(xid, now);
    const slot = this.workload.slotAt(now / 1000);
    const proc: XidProcess =
      extra.pid !== undefined || extra.process !== undefined
        ? { pid: extra.pid ?? slot.pid, name: extra.process ?? slot.process }
        : slot.busy
          ? { pid: slot.pid, name: slot.process }
          : { pid: null, name: null };
    const message = xidKernelMessage(xid, {
      pageRetirement: this.model.pageRetirement,
      kernelPci: gpu.id.kernelPci,
      gpuIndex: gpu.id.index,
      process: proc,
      link: extra.link ?? 0,
      salt: this.nextId * 131 + gpu.id.index,
    });
    if (!this.kernelLog) return message;
    if (!this.announced.has(gpu.id.index)) {
      // The driver names the GPU behind a PCI address once, before its first Xid.
      this.announced.add(gpu.id.index);
      this.kernelLog.append(`NVRM: GPU at PCI:${gpu.id.kernelPci}: ${gpu.id.uuid}`, now);
      this.kernelLog.append(`NVRM: GPU Board Serial Number: ${gpu.id.serial}`, now);
    }
    return this.kernelLog.append(message, now);
  }

  private record(atMs: number, what: string, kernelLines: string[], request?: FaultRequest): NodeEvent {
    const event: NodeEvent = { id: this.nextId++, atMs, what, kernelLines, ...(request ? { request } : {}) };
    this.events.push(event);
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
    return event;
  }
}
