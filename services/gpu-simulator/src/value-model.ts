// How one simulated GPU's readings move. Values are computed when someone scrapes, never on a timer:
// a scrape integrates the time since the previous one in a few sub-steps (energy, NVLink traffic,
// violation times, error counters) and lets temperature lag behind power with a first-order response.
// Counters only ever grow, except at a reboot, where the since-boot ones (volatile ECC, energy,
// violation times, PCIe replays, NVLink counters) restart at 0 as the driver reloads; what the board
// keeps in its InfoROM (aggregate ECC, remapped rows, retired pages, a remap failure) stays.
// Faults (see faults.ts) change the inputs: a temperature ramp, a memory leak, forced throttle
// reasons, NVLink and PCIe replay error rates, a GPU that fell off the bus, pending repairs.
import type { GpuIdentity } from './gpu-identity.ts';
import type { GpuModel } from './gpu-models.ts';
import { hashString, unit } from './prng.ts';
import type { NodeWorkload } from './workload.ts';

/** DCGM clock-event / throttle reason bits (DCGM_CLOCKS_EVENT_REASON_*). */
export const THROTTLE_BITS = {
  gpu_idle: 0x1,
  clocks_setting: 0x2,
  sw_power_cap: 0x4,
  hw_slowdown: 0x8,
  sync_boost: 0x10,
  sw_thermal: 0x20,
  hw_thermal: 0x40,
  hw_power_brake: 0x80,
  display_clocks: 0x100,
} as const;

/** Every reading of one GPU at one instant, in DCGM's units. */
export interface GpuSample {
  smClockMHz: number;
  memClockMHz: number;
  gpuTempC: number;
  memTempC: number;
  powerW: number;
  energyMj: number;
  pcieReplay: number;
  pcieLinkGen: number;
  pcieLinkWidth: number;
  gpuUtil: number;
  memCopyUtil: number;
  encUtil: number;
  decUtil: number;
  lastXid: number;
  /** Xid value -> events inside the exporter's counting window. */
  xidCounts: Map<number, number>;
  powerViolationNs: number;
  thermalViolationNs: number;
  syncBoostViolationNs: number;
  boardLimitViolationNs: number;
  lowUtilViolationNs: number;
  reliabilityViolationNs: number;
  fbTotalMiB: number;
  fbUsedMiB: number;
  fbFreeMiB: number;
  fbReservedMiB: number;
  eccSbeVol: number;
  eccDbeVol: number;
  eccSbeAgg: number;
  eccDbeAgg: number;
  /** undefined where the board has no page retirement (Ampere and newer): DCGM reports blank. */
  retiredSbe: number | undefined;
  retiredDbe: number | undefined;
  retiredPending: number | undefined;
  nvlinkCrcFlit: number;
  nvlinkCrcData: number;
  nvlinkReplay: number;
  nvlinkRecovery: number;
  nvlinkKiBTotal: number;
  nvlinkKiBLink0: number;
  vgpuLicenseStatus: number;
  /** undefined where the board retires pages instead of remapping rows (Volta): DCGM reports blank. */
  uncorrectableRemappedRows: number | undefined;
  correctableRemappedRows: number | undefined;
  rowRemapFailure: number | undefined;
  rowRemapPending: number | undefined;
  throttleReasons: number;
  grEngineActive: number;
  smActive: number;
  smOccupancy: number;
  tensorActive: number;
  dramActive: number;
  fp64Active: number;
  fp32Active: number;
  fp16Active: number;
  pcieTxBps: number;
  pcieRxBps: number;
}

/** State that faults put on a GPU; all cleared together by a node clear. A reboot ends all of it
 * but rowRemapFailure (the pending flags end by taking effect). */
export interface GpuFaultState {
  tempRamp?: { startMs: number; fromC: number; targetC: number; durationMs: number };
  leak?: { startMs: number; fromMiB: number; fillFrac: number; durationMs: number };
  /** Throttle reason bits forced on. */
  throttleMask: number;
  /** NVLink CRC flit errors per second while an NVLink fault is active. */
  nvlinkErrorsPerS: number;
  /** When the NVLink errors stop (a burst); undefined: they go on until cleared. */
  nvlinkUntilMs?: number;
  /** Extra PCIe replays per minute while a pcie-replay fault is active. */
  pcieReplayPerMin: number;
  offBus: boolean;
  rowRemapFailure: boolean;
  /** A row remap is recorded and waits for the next GPU reset. */
  rowRemapPending: boolean;
  /** A page retirement is recorded and waits for the next reboot (boards with page retirement). */
  retirementPending: boolean;
}

/** A GPU's fault state with no fault. */
export function noFaults(): GpuFaultState {
  return { throttleMask: 0, nvlinkErrorsPerS: 0, pcieReplayPerMin: 0, offBus: false, rowRemapFailure: false, rowRemapPending: false, retirementPending: false };
}

/** The instantaneous (not integrated) part of a GPU's readings. */
interface Instant {
  util: number;
  memCopyUtil: number;
  powerW: number;
  smClockMHz: number;
  mask: number;
  fbUsedMiB: number;
  targetTempC: number;
  targetMemTempC: number;
  gr: number;
  tensor: number;
  dram: number;
  pcieTx: number;
  pcieRx: number;
  nvlinkKiBps: number;
}

const TAU_GPU_S = 30;
const TAU_MEM_S = 45;
const MAX_STEP_MS = 5000;
const MAX_STEPS = 30;
const TWO_PI = 2 * Math.PI;

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

/** One simulated GPU. */
export class GpuSim {
  readonly id: GpuIdentity;
  readonly model: GpuModel;
  readonly faults: GpuFaultState = noFaults();
  lastXid = 0;

  private readonly workload: NodeWorkload;
  private readonly seed: number;
  private readonly phase1: number;
  private readonly phase2: number;
  private readonly utilOffset: number;
  private readonly tempOffset: number;
  private xidEvents: Array<{ xid: number; atMs: number }> = [];
  private lastMs: number;
  private gpuTempC: number;
  private memTempC: number;
  private energyMj: number;
  private nvlinkKiB: number;
  private powerViolNs: number;
  private thermalViolNs: number;
  private boardLimitViolNs: number;
  private lowUtilViolNs: number;
  private pcieReplay: number;
  private readonly pcieReplayPerS: number;
  private eccSbeVol: number;
  private eccDbeVol = 0;
  /** Aggregate ECC counts from before the current boot (the aggregate is this plus the volatile count). */
  private eccSbeAggBase: number;
  private eccDbeAggBase: number;
  private nvlinkCrcFlit = 0;
  private nvlinkCrcData = 0;
  private nvlinkReplay = 0;
  private nvlinkRecovery = 0;
  private correctableRows: number;
  private uncorrectableRows = 0;
  private retiredSbe = 0;
  private retiredDbe = 0;

  /** `uptimeS` sets how much the since-boot counters already hold at `nowMs`. */
  constructor(id: GpuIdentity, model: GpuModel, workload: NodeWorkload, nowMs: number, uptimeS: number) {
    this.id = id;
    this.model = model;
    this.workload = workload;
    const s = hashString(`gpu/${id.uuid}`);
    this.seed = s;
    this.phase1 = unit(s, 1) * TWO_PI;
    this.phase2 = unit(s, 2) * TWO_PI;
    this.utilOffset = (unit(s, 3) - 0.5) * 6;
    this.tempOffset = (unit(s, 4) - 0.5) * 5;
    this.lastMs = nowMs;
    const first = this.instant(nowMs);
    this.gpuTempC = first.targetTempC;
    this.memTempC = first.targetMemTempC;
    const meanPowerW = model.powerIdleW + 0.3 * (model.powerLimitW - model.powerIdleW);
    this.energyMj = Math.floor(uptimeS * meanPowerW * 1000 * (0.9 + 0.2 * unit(s, 5)));
    this.nvlinkKiB = Math.floor(uptimeS * model.nvlinkKiBps * 0.15 * unit(s, 6));
    this.powerViolNs = Math.floor(uptimeS * 1e9 * 0.004 * unit(s, 7));
    this.thermalViolNs = 0;
    this.boardLimitViolNs = 0;
    this.lowUtilViolNs = Math.floor(uptimeS * 1e9 * 0.3 * unit(s, 8));
    const flaky = unit(s, 9) < 0.12;
    this.pcieReplay = flaky ? 1 + Math.floor(unit(s, 10) * 30) : 0;
    this.pcieReplayPerS = flaky ? 1 / (3600 * (2 + 10 * unit(s, 11))) : 0;
    this.eccSbeVol = unit(s, 12) < 0.15 ? 1 + Math.floor(unit(s, 13) * 40) : 0;
    this.eccSbeAggBase = this.eccSbeVol > 0 ? Math.floor(unit(s, 14) * 200) : Math.floor(unit(s, 14) * 3);
    this.eccDbeAggBase = 0;
    this.correctableRows = unit(s, 15) < 0.07 ? 1 + Math.floor(unit(s, 16) * 3) : 0;
  }

  /** Whether DCGM can see the GPU (false after it fell off the bus, until a clear or a reboot). */
  get present(): boolean {
    return !this.faults.offBus;
  }

  /** The readings at `nowMs`; integrates everything since the previous call first. */
  sample(nowMs: number, xidWindowMs: number): GpuSample {
    this.advanceTo(nowMs);
    const i = this.instant(nowMs);
    const m = this.model;
    const mask = i.mask | this.thermalBits();
    const agg = (base: number, vol: number) => base + vol;
    const retired = m.pageRetirement;
    const remap = !m.pageRetirement;
    return {
      smClockMHz: i.smClockMHz,
      memClockMHz: m.memClockMHz,
      gpuTempC: Math.round(this.gpuTempC),
      memTempC: Math.round(this.memTempC),
      powerW: i.powerW,
      energyMj: Math.floor(this.energyMj),
      pcieReplay: Math.floor(this.pcieReplay),
      pcieLinkGen: m.pcieLinkGen,
      pcieLinkWidth: m.pcieLinkWidth,
      gpuUtil: i.util,
      memCopyUtil: i.memCopyUtil,
      encUtil: 0,
      decUtil: 0,
      lastXid: this.lastXid,
      xidCounts: this.xidCounts(nowMs, xidWindowMs),
      powerViolationNs: Math.floor(this.powerViolNs),
      thermalViolationNs: Math.floor(this.thermalViolNs),
      syncBoostViolationNs: 0,
      boardLimitViolationNs: Math.floor(this.boardLimitViolNs),
      lowUtilViolationNs: Math.floor(this.lowUtilViolNs),
      reliabilityViolationNs: 0,
      fbTotalMiB: m.fbTotalMiB,
      fbUsedMiB: i.fbUsedMiB,
      fbFreeMiB: m.fbTotalMiB - m.fbReservedMiB - i.fbUsedMiB,
      fbReservedMiB: m.fbReservedMiB,
      eccSbeVol: this.eccSbeVol,
      eccDbeVol: this.eccDbeVol,
      eccSbeAgg: agg(this.eccSbeAggBase, this.eccSbeVol),
      eccDbeAgg: agg(this.eccDbeAggBase, this.eccDbeVol),
      retiredSbe: retired ? this.retiredSbe : undefined,
      retiredDbe: retired ? this.retiredDbe : undefined,
      retiredPending: retired ? (this.faults.retirementPending ? 1 : 0) : undefined,
      nvlinkCrcFlit: Math.floor(this.nvlinkCrcFlit),
      nvlinkCrcData: Math.floor(this.nvlinkCrcData),
      nvlinkReplay: Math.floor(this.nvlinkReplay),
      nvlinkRecovery: Math.floor(this.nvlinkRecovery),
      nvlinkKiBTotal: Math.floor(this.nvlinkKiB),
      nvlinkKiBLink0: Math.floor(this.nvlinkKiB / m.nvlinkLinks),
      vgpuLicenseStatus: 0,
      uncorrectableRemappedRows: remap ? this.uncorrectableRows : undefined,
      correctableRemappedRows: remap ? this.correctableRows : undefined,
      rowRemapFailure: remap ? (this.faults.rowRemapFailure ? 1 : 0) : undefined,
      rowRemapPending: remap ? (this.faults.rowRemapPending ? 1 : 0) : undefined,
      throttleReasons: mask,
      grEngineActive: i.gr,
      smActive: round6(i.gr * 0.92),
      smOccupancy: round6(i.gr * 0.41),
      tensorActive: i.tensor,
      dramActive: i.dram,
      fp64Active: 0,
      fp32Active: round6(i.gr * 0.18),
      fp16Active: round6(i.gr * 0.07),
      pcieTxBps: i.pcieTx,
      pcieRxBps: i.pcieRx,
    };
  }

  /** Integrates counters and temperatures up to `nowMs` (no-op when time has not moved). */
  advanceTo(nowMs: number): void {
    const gap = nowMs - this.lastMs;
    if (gap <= 0) return;
    const steps = Math.min(MAX_STEPS, Math.ceil(gap / MAX_STEP_MS));
    const stepMs = gap / steps;
    for (let k = 1; k <= steps; k++) {
      const t = this.lastMs + stepMs * k;
      this.step(t, stepMs / 1000);
    }
    this.lastMs = nowMs;
  }

  /** Records an Xid: the DCGM_FI_DEV_XID_ERRORS gauge takes its value and the window counter counts it. */
  recordXid(xid: number, atMs: number): void {
    this.lastXid = xid;
    this.xidEvents.push({ xid, atMs });
    if (this.xidEvents.length > 10_000) this.xidEvents.splice(0, this.xidEvents.length - 10_000);
  }

  /** A burst of double-bit ECC errors: DBE and SBE counters jump, and the bad memory is repaired at
   * the next reset: rows marked for remapping (Ampere and newer) or pages for retirement (Volta). */
  addEccDbe(count: number, nowMs: number): void {
    this.advanceTo(nowMs);
    this.eccDbeVol += count;
    this.eccSbeVol += count * 3;
    if (this.model.pageRetirement) this.retirePages(0, count, true, nowMs);
    else this.markRowsForRemap(count, nowMs);
  }

  /** Rows marked for remapping: the uncorrectable count includes them at once, the remap itself
   * waits for the next GPU reset (ROW_REMAP_PENDING 1 until then). */
  markRowsForRemap(rows: number, nowMs: number): void {
    this.advanceTo(nowMs);
    this.uncorrectableRows += rows;
    this.faults.rowRemapPending = true;
  }

  /** Pages retired for single-/double-bit errors; the counts include pages still pending retirement. */
  retirePages(sbe: number, dbe: number, pending: boolean, nowMs: number): void {
    this.advanceTo(nowMs);
    this.retiredSbe += sbe;
    this.retiredDbe += dbe;
    if (pending) this.faults.retirementPending = true;
  }

  /** The node rebooted at `nowMs`: the driver reloads, so every since-boot counter restarts at 0
   * (volatile ECC, energy, violation times, PCIe replays, NVLink counters, the last Xid and
   * dcgm-exporter's Xid window); pending remaps and retirements take effect; every fault ends but a
   * row remap failure, which the board keeps. Aggregate ECC, remapped rows and retired pages stay. */
  reboot(nowMs: number): void {
    this.advanceTo(nowMs);
    this.eccSbeAggBase += this.eccSbeVol;
    this.eccDbeAggBase += this.eccDbeVol;
    this.eccSbeVol = 0;
    this.eccDbeVol = 0;
    this.energyMj = 0;
    this.nvlinkKiB = 0;
    this.powerViolNs = 0;
    this.thermalViolNs = 0;
    this.boardLimitViolNs = 0;
    this.lowUtilViolNs = 0;
    this.pcieReplay = 0;
    this.nvlinkCrcFlit = 0;
    this.nvlinkCrcData = 0;
    this.nvlinkReplay = 0;
    this.nvlinkRecovery = 0;
    this.lastXid = 0;
    this.xidEvents = [];
    const keep = this.faults.rowRemapFailure;
    Object.assign(this.faults, noFaults(), { tempRamp: undefined, leak: undefined, nvlinkUntilMs: undefined, rowRemapFailure: keep });
  }

  /** Ends every fault (a node clear); counters keep their values. */
  clearFaults(nowMs: number): void {
    this.advanceTo(nowMs);
    Object.assign(this.faults, noFaults(), { tempRamp: undefined, leak: undefined, nvlinkUntilMs: undefined });
  }

  /** Bumps the NVLink error counters at once (the burst that comes with the Xid). */
  addNvlinkBurst(errors: number, nowMs: number): void {
    this.advanceTo(nowMs);
    this.nvlinkCrcFlit += errors;
    this.nvlinkCrcData += Math.ceil(errors * 0.3);
    this.nvlinkReplay += Math.ceil(errors * 0.5);
    this.nvlinkRecovery += 1;
  }

  /** Current (lagged) GPU temperature, for starting a ramp where the GPU is now. */
  currentTempC(nowMs: number): number {
    this.advanceTo(nowMs);
    return this.gpuTempC;
  }

  /** Current framebuffer use, for starting a leak where the GPU is now. */
  currentFbUsedMiB(nowMs: number): number {
    this.advanceTo(nowMs);
    return this.instant(nowMs).fbUsedMiB;
  }

  private xidCounts(nowMs: number, windowMs: number): Map<number, number> {
    const since = nowMs - windowMs;
    let drop = 0;
    while (drop < this.xidEvents.length && (this.xidEvents[drop]?.atMs ?? 0) <= since - 60_000) drop++;
    if (drop > 0) this.xidEvents.splice(0, drop);
    const counts = new Map<number, number>();
    for (const e of this.xidEvents) if (e.atMs > since && e.atMs <= nowMs) counts.set(e.xid, (counts.get(e.xid) ?? 0) + 1);
    return counts;
  }

  private thermalBits(): number {
    let bits = 0;
    if (this.gpuTempC >= this.model.maxOperatingTempC) bits |= THROTTLE_BITS.sw_thermal;
    if (this.gpuTempC >= this.model.slowdownTempC) bits |= THROTTLE_BITS.hw_thermal;
    return bits;
  }

  private step(tMs: number, dtS: number): void {
    const i = this.instant(tMs);
    const ramp = this.faults.tempRamp;
    if (ramp && tMs >= ramp.startMs) {
      const p = ramp.durationMs <= 0 ? 1 : clamp((tMs - ramp.startMs) / ramp.durationMs, 0, 1);
      this.gpuTempC = ramp.fromC + (ramp.targetC - ramp.fromC) * p;
      this.memTempC += (this.gpuTempC + this.model.memTempOffsetLoadC - this.memTempC) * (1 - Math.exp(-dtS / TAU_MEM_S));
    } else {
      this.gpuTempC = i.targetTempC + (this.gpuTempC - i.targetTempC) * Math.exp(-dtS / TAU_GPU_S);
      this.memTempC = i.targetMemTempC + (this.memTempC - i.targetMemTempC) * Math.exp(-dtS / TAU_MEM_S);
    }
    const mask = i.mask | this.thermalBits();
    const ns = dtS * 1e9;
    this.energyMj += i.powerW * dtS * 1000;
    this.nvlinkKiB += i.nvlinkKiBps * dtS;
    this.pcieReplay += (this.pcieReplayPerS + this.faults.pcieReplayPerMin / 60) * dtS;
    if (mask & (THROTTLE_BITS.sw_power_cap | THROTTLE_BITS.hw_power_brake)) this.powerViolNs += ns;
    if (mask & (THROTTLE_BITS.sw_thermal | THROTTLE_BITS.hw_thermal)) this.thermalViolNs += ns;
    if (mask & THROTTLE_BITS.hw_slowdown) this.boardLimitViolNs += ns;
    if (mask & THROTTLE_BITS.gpu_idle) this.lowUtilViolNs += ns;
    const rate = this.faults.nvlinkErrorsPerS;
    const until = this.faults.nvlinkUntilMs;
    // The part of this step (tMs - dt, tMs] before the burst ends.
    const errS = until === undefined ? dtS : clamp((until - tMs) / 1000 + dtS, 0, dtS);
    if (rate > 0 && errS > 0) {
      this.nvlinkCrcFlit += rate * errS;
      this.nvlinkCrcData += rate * 0.3 * errS;
      this.nvlinkReplay += rate * 0.5 * errS;
      this.nvlinkRecovery += rate * 0.002 * errS;
    }
  }

  private instant(tMs: number): Instant {
    const m = this.model;
    const tS = tMs / 1000;
    const slot = this.workload.slotAt(tS);
    const leak = this.faults.leak && tMs >= this.faults.leak.startMs ? this.faults.leak : undefined;
    const offBus = this.faults.offBus;
    const usableMiB = m.fbTotalMiB - m.fbReservedMiB;
    const busy = slot.busy && !leak && !offBus;

    let util = 0;
    if (busy) {
      const wobble = 4 * Math.sin(TWO_PI * tS / 37 + this.phase1) + 2.5 * Math.sin(TWO_PI * tS / 11.3 + this.phase2);
      util = Math.round(clamp(slot.level * 100 + this.utilOffset + wobble, 1, 100));
    } else if (leak) {
      util = unit(this.seed, Math.floor(tS), 20) < 0.3 ? 1 : 0;
    }

    let fbUsedMiB = busy ? Math.round(slot.fbFrac * usableMiB * (0.97 + 0.03 * unit(this.seed, slot.index, 21))) : 0;
    if (leak) {
      const p = leak.durationMs <= 0 ? 1 : clamp((tMs - leak.startMs) / leak.durationMs, 0, 1);
      fbUsedMiB = Math.round(leak.fromMiB + (leak.fillFrac * usableMiB - leak.fromMiB) * p);
    }
    fbUsedMiB = clamp(fbUsedMiB, 0, usableMiB);

    let mask = this.faults.throttleMask;
    if (util < 1) mask |= THROTTLE_BITS.gpu_idle;
    const load = util / 100;
    let clock = util < 1 ? m.smClockIdleMHz : m.smClockMaxMHz;
    if (util >= 93) {
      mask |= THROTTLE_BITS.sw_power_cap;
      clock = m.smClockMaxMHz - 15 * Math.floor(2 + 8 * unit(this.seed, Math.floor(tS / 5), 22));
    }
    if (util >= 1) {
      if (mask & THROTTLE_BITS.sw_thermal) clock *= 0.85;
      if (mask & THROTTLE_BITS.hw_thermal) clock *= 0.6;
      if (mask & THROTTLE_BITS.hw_slowdown) clock *= 0.5;
      if (mask & THROTTLE_BITS.hw_power_brake) clock = Math.min(clock, m.smClockIdleMHz * 1.5);
      clock = Math.max(m.smClockIdleMHz, Math.round(clock / 15) * 15);
    }
    const clockRatio = util < 1 ? 1 : clock / m.smClockMaxMHz;

    const jitter = busy ? (unit(this.seed, Math.floor(tS), 23) - 0.5) * 0.025 : (unit(this.seed, Math.floor(tS), 23) - 0.5) * 0.006;
    const dynamicW = (m.powerLimitW * 0.97 - m.powerIdleW) * Math.pow(load, 1.15) * clockRatio;
    const powerW = offBus ? 0 : Math.round((m.powerIdleW + dynamicW) * (1 + jitter) * 1000) / 1000;
    const heat = clamp((powerW - m.powerIdleW) / (m.powerLimitW - m.powerIdleW), 0, 1);
    const targetTempC = m.tempIdleC + this.tempOffset + (m.tempFullLoadC - m.tempIdleC) * heat;
    const targetMemTempC = targetTempC + m.memTempOffsetIdleC + (m.memTempOffsetLoadC - m.memTempOffsetIdleC) * heat;

    const gr = busy ? round6(clamp(load * (0.95 + 0.04 * unit(this.seed, Math.floor(tS), 24)), 0, 1)) : 0;
    const idleTx = 9e5 + 2e5 * unit(this.seed, Math.floor(tS), 25);
    const idleRx = 5e5 + 2e5 * unit(this.seed, Math.floor(tS), 26);
    return {
      util,
      memCopyUtil: busy ? Math.round(util * slot.dramFrac * 0.9) : 0,
      powerW,
      smClockMHz: offBus ? 0 : clock,
      mask,
      fbUsedMiB,
      targetTempC,
      targetMemTempC,
      gr,
      tensor: round6(gr * slot.tensorFrac),
      dram: round6(gr * slot.dramFrac),
      pcieTx: Math.round(busy ? idleTx + slot.pcieBps * load : idleTx),
      pcieRx: Math.round(busy ? idleRx + slot.pcieBps * 0.6 * load : idleRx),
      nvlinkKiBps: busy ? m.nvlinkKiBps * slot.nvlinkFrac * load : 0,
    };
  }
}
