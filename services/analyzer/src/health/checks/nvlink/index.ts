// NVLink errors and missing links. DCGM fails a GPU at 100 CRC errors per second and flags any
// replay or recovery; a CRC storm is a link or hardware problem, replays and recoveries usually
// clear with a reset. A GPU with fewer links active than nodes like it (AAMI's topology reads)
// still works, more slowly: degraded, and a reset rarely brings a dead link back.
import { result, missingInput, type GpuSnapshot, type HealthCheck } from '../../types.ts';

export const NAME = 'nvlink';
/** CRC errors per second (flit + data) at which DCGM fails the link. */
export const CRC_LIMIT_PER_S = 100;

export const nvlinkCheck: HealthCheck = {
  name: NAME,
  isSupported: (gpu) => gpu.vendor === 'nvidia',
  check(gpu: GpuSnapshot) {
    const { nvlinkCrcFlitPerS: flit, nvlinkCrcDataPerS: data, nvlinkReplayIncrease: replay, nvlinkRecoveryIncrease: recovery, nvlinkLinksActive: active, nvlinkLinksExpected: expected } = gpu.fields;
    const missing = active !== undefined && expected !== undefined && active < expected
      ? `${active} of ${expected} NVLinks active at the last topology read (nodes like it have ${expected})`
      : undefined;
    if (flit === undefined && data === undefined && replay === undefined && recovery === undefined) {
      if (missing) return result(NAME, 'degraded', 'inspect-hardware', missing);
      return missingInput(NAME, 'no NVLink error counters are exported (AAMI\'s counters file enables them; PCIe-only GPUs have none)');
    }
    const crc = (flit ?? 0) + (data ?? 0);
    if (crc >= CRC_LIMIT_PER_S) return result(NAME, 'unhealthy', 'inspect-hardware', `${Math.round(crc)} NVLink CRC errors/s (limit ${CRC_LIMIT_PER_S}/s)${missing ? `; ${missing}` : ''}`);
    if (missing) return result(NAME, 'degraded', 'inspect-hardware', missing);
    const retries = Math.round((replay ?? 0) + (recovery ?? 0));
    if (retries >= 1) return result(NAME, 'degraded', 'reset-gpu', `${retries} NVLink replay/recovery error${retries === 1 ? '' : 's'} in the last window`);
    return result(NAME, 'healthy', 'none', `${Math.round(crc)} NVLink CRC errors/s, no replays or recoveries`);
  },
};
