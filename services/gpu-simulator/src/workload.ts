// The load pattern of one node: time is cut into job slots of a node-specific length (5-20 min);
// each slot is idle or runs one job at some intensity, memory footprint and mix, picked from a hash of
// (node, slot). Every GPU of the node follows the same job, as on a real training node. Computed from
// the time alone, so nothing runs between scrapes.
import { hashString, unit } from './prng.ts';

/** One job slot. */
export interface WorkloadSlot {
  index: number;
  startS: number;
  endS: number;
  busy: boolean;
  /** Mean utilisation of the job, 0..1 (0 when idle). */
  level: number;
  /** Share of usable framebuffer the job holds, 0..1. */
  fbFrac: number;
  /** Share of the active time the tensor pipes run. */
  tensorFrac: number;
  /** Share of the active time the memory interface is busy. */
  dramFrac: number;
  /** Share of the node's NVLink bandwidth the job uses. */
  nvlinkFrac: number;
  /** Host bytes per second the job moves over PCIe at full load. */
  pcieBps: number;
  /** The job's process, as the kernel names it in Xid lines. */
  pid: number;
  process: string;
}

const PROCESS_NAMES = ['python3', 'python', 'pt_main_thread', 'torchrun'];

/** The job schedule of one node. */
export class NodeWorkload {
  readonly seed: number;
  readonly slotS: number;
  private readonly phaseS: number;
  private last: WorkloadSlot | undefined;

  constructor(nodeName: string) {
    this.seed = hashString(`workload/${nodeName}`);
    this.slotS = 300 + Math.floor(unit(this.seed, 1) * 900);
    this.phaseS = unit(this.seed, 2) * this.slotS;
  }

  /** The slot running at `tS` (seconds since the epoch). */
  slotAt(tS: number): WorkloadSlot {
    const last = this.last;
    if (last && tS >= last.startS && tS < last.endS) return last;
    const index = Math.floor((tS - this.phaseS) / this.slotS);
    const startS = this.phaseS + index * this.slotS;
    const s = this.seed;
    const busy = unit(s, index, 10) < 0.7;
    const slot: WorkloadSlot = {
      index,
      startS,
      endS: startS + this.slotS,
      busy,
      level: busy ? 0.55 + 0.45 * unit(s, index, 11) : 0,
      fbFrac: busy ? 0.3 + 0.65 * unit(s, index, 12) : 0,
      tensorFrac: busy ? 0.15 + 0.55 * unit(s, index, 13) : 0,
      dramFrac: busy ? 0.25 + 0.5 * unit(s, index, 14) : 0,
      nvlinkFrac: busy ? 0.05 + 0.6 * unit(s, index, 15) : 0,
      pcieBps: busy ? 5e7 + 1.5e9 * unit(s, index, 16) : 0,
      pid: 1200 + Math.floor(unit(s, index, 17) * 3_000_000),
      process: PROCESS_NAMES[Math.floor(unit(s, index, 18) * PROCESS_NAMES.length)] ?? 'python3',
    };
    this.last = slot;
    return slot;
  }
}
