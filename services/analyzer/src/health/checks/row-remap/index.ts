// HBM row remapping (A100 and later). A failed remap means the memory cannot be repaired in the
// field; a pending remap needs a GPU reset to take effect; many uncorrectable remaps mean the
// memory is wearing out (DCGM warns at 512).
import { result, missingInput, type GpuSnapshot, type HealthCheck } from '../../types.ts';

export const NAME = 'row-remap';
/** DCGM's memory health watch warns from this many rows remapped for uncorrectable errors. */
export const UNCORRECTABLE_REMAP_LIMIT = 512;

export const rowRemapCheck: HealthCheck = {
  name: NAME,
  isSupported: (gpu) => gpu.vendor === 'nvidia',
  check(gpu: GpuSnapshot) {
    const { remapFailure, remapPending, remapUncorrectable } = gpu.fields;
    if (remapFailure === undefined && remapPending === undefined && remapUncorrectable === undefined) {
      return missingInput(NAME, 'no row-remap fields are exported (AAMI\'s counters file enables them)');
    }
    if ((remapFailure ?? 0) > 0) return result(NAME, 'unhealthy', 'inspect-hardware', 'row remapping failed: the GPU memory cannot be repaired in place');
    if ((remapPending ?? 0) > 0) return result(NAME, 'unhealthy', 'reset-gpu', 'a row remap is pending: it takes effect at the next GPU reset');
    if ((remapUncorrectable ?? 0) >= UNCORRECTABLE_REMAP_LIMIT) {
      return result(NAME, 'degraded', 'inspect-hardware', `${remapUncorrectable} rows remapped for uncorrectable errors (limit ${UNCORRECTABLE_REMAP_LIMIT})`);
    }
    return result(NAME, 'healthy', 'none', `${remapUncorrectable ?? 0} rows remapped for uncorrectable errors; no failure, none pending`);
  },
};
