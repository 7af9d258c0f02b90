// Page retirement (pre-A100 GPUs retire whole pages instead of remapping rows). DCGM fails a GPU
// at 63 retired pages, and warns while a retirement waits for the next reset.
import { result, missingInput, type GpuSnapshot, type HealthCheck } from '../../types.ts';

export const NAME = 'retired-pages';
/** DCGM's limit on single-bit plus double-bit retired pages. */
export const RETIRED_PAGE_LIMIT = 63;

export const retiredPagesCheck: HealthCheck = {
  name: NAME,
  isSupported: (gpu) => gpu.vendor === 'nvidia',
  check(gpu: GpuSnapshot) {
    const { retiredPending, retiredSbe, retiredDbe } = gpu.fields;
    if (retiredPending === undefined && retiredSbe === undefined && retiredDbe === undefined) {
      return missingInput(NAME, 'no page-retirement fields are exported (AAMI\'s counters file enables them)');
    }
    const total = (retiredSbe ?? 0) + (retiredDbe ?? 0);
    if (total >= RETIRED_PAGE_LIMIT) return result(NAME, 'unhealthy', 'inspect-hardware', `${total} pages retired (limit ${RETIRED_PAGE_LIMIT})`);
    if ((retiredPending ?? 0) > 0) return result(NAME, 'degraded', 'reset-gpu', `${retiredPending} page${retiredPending === 1 ? '' : 's'} waiting to be retired at the next GPU reset`);
    return result(NAME, 'healthy', 'none', `${total} pages retired, none pending`);
  },
};
