// PCIe replays: a few are normal, a storm means a bad link (riser, slot, cable). DCGM's threshold
// scales with the link: replays per minute above ceil(per-lane rate x lanes) for its generation.
import { result, missingInput, type GpuSnapshot, type HealthCheck } from '../../types.ts';

export const NAME = 'pcie-replay';
/** Allowed replays per minute per lane, by PCIe generation (DCGM's health watch). */
export const REPLAYS_PER_LANE_PER_MIN: Readonly<Record<number, number>> = { 1: 0.15, 2: 0.3, 3: 0.48, 4: 0.96, 5: 1.92, 6: 3.84 };

/** Replays per minute allowed on a link of this generation and width. */
export function replayLimit(gen: number, width: number): number | undefined {
  const perLane = REPLAYS_PER_LANE_PER_MIN[gen];
  return perLane === undefined || width <= 0 ? undefined : Math.ceil(perLane * width);
}

export const pcieReplayCheck: HealthCheck = {
  name: NAME,
  isSupported: (gpu) => gpu.vendor === 'nvidia',
  check(gpu: GpuSnapshot) {
    const { pcieReplayPerMin: perMin, pcieLinkGen: gen, pcieLinkWidth: width } = gpu.fields;
    if (perMin === undefined) return missingInput(NAME, 'DCGM_FI_DEV_PCIE_REPLAY_COUNTER is not exported');
    if (gen === undefined || width === undefined) return missingInput(NAME, 'the PCIe link generation and width are not exported (AAMI\'s counters file enables them)');
    const limit = replayLimit(gen, width);
    if (limit === undefined) return missingInput(NAME, `PCIe Gen${gen} x${width} has no replay threshold`);
    const rate = Math.round(perMin * 10) / 10;
    if (perMin > limit) return result(NAME, 'degraded', 'inspect-hardware', `${rate} PCIe replays/min on a Gen${gen} x${width} link (limit ${limit}/min): check the slot, riser and cabling`);
    return result(NAME, 'healthy', 'none', `${rate} PCIe replays/min (limit ${limit}/min on Gen${gen} x${width})`);
  },
};
