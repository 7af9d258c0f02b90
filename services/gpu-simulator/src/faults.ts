// The faults a simulated node can be given, as one zod schema (the control API's request body and the
// CLI's `inject` both parse through it). Each type says what it does to the GPU in its description;
// the doing is in sim-node.ts. State faults stay until the node is cleared (most also end at a reboot;
// row-remap-failure does not); events (ecc-dbe, xid, reboot, retired-pages without pending) happen
// once and leave only counters and log lines behind.
import { z } from 'zod';
import { THROTTLE_BITS } from './value-model.ts';

const Gpu = z.number().int().min(0).max(63).default(0);

/** Throttle reason names as DCGM spells the bits, lower case; `power_brake` is accepted for hw_power_brake. */
export const ThrottleReason = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    const k = v.trim().toLowerCase().replace(/-/g, '_');
    return k === 'power_brake' ? 'hw_power_brake' : k;
  },
  z.enum(['sw_power_cap', 'hw_slowdown', 'sync_boost', 'sw_thermal', 'hw_thermal', 'hw_power_brake']),
);
export type ThrottleReason = z.infer<typeof ThrottleReason>;

/** Xids that mean an NVLink error: 74 up to Hopper, 144-150 (the R575+ NVLink5 form) on Blackwell. */
export const NVLINK_XIDS = [74, 144, 145, 146, 147, 148, 149, 150] as const;

/** One fault injection request. */
export const FaultRequest = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('temperature'),
    gpu: Gpu,
    targetC: z.number().min(0).max(130).default(92),
    durationS: z.number().min(0).max(86_400).default(60),
  }),
  z.object({
    type: z.literal('memory-leak'),
    gpu: Gpu,
    fillPercent: z.number().min(50).max(100).default(98.5),
    durationS: z.number().min(0).max(86_400).default(30),
  }),
  z.object({
    type: z.literal('ecc-dbe'),
    gpu: Gpu,
    count: z.number().int().min(1).max(10_000).default(2),
  }),
  z.object({
    type: z.literal('nvlink'),
    gpu: Gpu,
    xid: z.literal(NVLINK_XIDS).optional(),
    link: z.number().int().min(0).max(17).default(3),
    errorsPerS: z.number().min(0).max(1e6).default(40),
    /** The counters stop climbing after this long (a CRC burst); absent: until clear or reboot. */
    durationS: z.number().min(0).max(86_400).optional(),
  }),
  z.object({
    type: z.literal('row-remap-pending'),
    gpu: Gpu,
    /** Rows newly marked for remapping (DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS grows by this). */
    rows: z.number().int().min(1).max(512).default(1),
  }),
  z.object({ type: z.literal('row-remap-failure'), gpu: Gpu }),
  z.object({
    type: z.literal('retired-pages'),
    gpu: Gpu,
    sbe: z.number().int().min(0).max(10_000).default(0),
    dbe: z.number().int().min(0).max(10_000).default(1),
    /** The retirement waits for the next reboot (DCGM_FI_DEV_RETIRED_PENDING 1 until then). */
    pending: z.boolean().default(true),
  }),
  z.object({
    type: z.literal('pcie-replay'),
    gpu: Gpu,
    perMinute: z.number().min(0).max(1e6).default(200),
  }),
  z.object({
    type: z.literal('throttle'),
    gpu: Gpu,
    reasons: z.array(ThrottleReason).min(1).default(['hw_slowdown']),
  }),
  z.object({
    type: z.literal('xid'),
    gpu: Gpu,
    xid: z.number().int().min(1).max(255),
    pid: z.number().int().min(1).optional(),
    process: z.string().regex(/^[\w.+-]{1,15}$/).optional(),
  }),
  z.object({ type: z.literal('fall-off-bus'), gpu: Gpu }),
  z.object({ type: z.literal('node-down') }),
  z.object({ type: z.literal('reboot') }),
]);
export type FaultRequest = z.infer<typeof FaultRequest>;
/** A request before defaults are filled in (what callers write). */
export type FaultRequestInput = z.input<typeof FaultRequest>;
export type FaultType = FaultRequest['type'];

/** Every fault type with a one-line description, for the API index and `--help`. */
export const FAULT_TYPES: Readonly<Record<FaultType, string>> = {
  temperature: 'GPU temperature ramps to targetC (default 92) over durationS (default 60); thermal throttle bits follow',
  'memory-leak': 'framebuffer fills to fillPercent (default 98.5) of usable memory over durationS while utilisation drops below 2 %',
  'ecc-dbe':
    'count double-bit ECC errors at once: DBE/SBE counters jump, the memory is repaired at the next reboot (remapped rows + ROW_REMAP_PENDING; on a V100 retired pages + RETIRED_PENDING), Xid 48 is logged',
  nvlink: 'NVLink CRC/replay/recovery counters climb at errorsPerS (for durationS, default until clear); Xid 74 (or xid 144-150) is logged on link',
  'row-remap-pending': 'rows (default 1) marked for remapping: UNCORRECTABLE_REMAPPED_ROWS grows, ROW_REMAP_PENDING is 1 until a reboot; Xid 63 (row-remapping boards: A100, H100)',
  'row-remap-failure': 'DCGM_FI_DEV_ROW_REMAP_FAILURE becomes 1 and stays through reboots (clear ends it); Xid 64 (row-remapping boards)',
  'retired-pages': 'RETIRED_SBE/RETIRED_DBE grow by sbe (default 0) / dbe (default 1); pending (default true): RETIRED_PENDING is 1 until a reboot, Xid 63 (page-retirement boards: V100)',
  'pcie-replay': 'DCGM_FI_DEV_PCIE_REPLAY_COUNTER climbs at perMinute (default 200) until clear or reboot',
  throttle: 'clock throttle reasons forced on (sw_power_cap 0x4, hw_slowdown 0x8, hw_thermal 0x40, hw_power_brake 0x80); clocks drop',
  xid: 'Xid N on the GPU: DCGM_FI_DEV_XID_ERRORS takes N, DCGM_EXP_XID_ERRORS_COUNT counts it, the NVRM line is logged',
  'fall-off-bus': "the GPU's series vanish from /metrics and Xid 79 is logged; clear or a reboot brings the GPU back",
  'node-down': "the node's metrics listener closes; clear opens it again",
  reboot:
    'the node reboots: boot time is now, volatile counters and XID_ERRORS restart at 0, pending remaps/retirements take effect, GPUs come back, faults end except row-remap-failure',
};

/** The throttle bitmask of a list of reason names. */
export function throttleMask(reasons: readonly ThrottleReason[]): number {
  return reasons.reduce((m, r) => m | THROTTLE_BITS[r], 0);
}

/** Whether a fault stays active until cleared (as opposed to a one-off event). */
export function isStateFault(req: FaultRequest): boolean {
  switch (req.type) {
    case 'ecc-dbe':
    case 'xid':
    case 'reboot':
      return false;
    case 'retired-pages':
      return req.pending;
    default:
      return true;
  }
}

/** Whether a state fault outlives a reboot (the hardware keeps it in its InfoROM). */
export function survivesReboot(req: FaultRequest): boolean {
  return req.type === 'row-remap-failure';
}
