// Double-bit (uncorrectable) ECC errors since the last driver load: DCGM's memory health watch
// fails on any. The data on that page was lost, and the GPU needs a reset to remap the row.
import { result, missingInput, type GpuSnapshot, type HealthCheck } from '../../types.ts';

export const NAME = 'ecc-dbe';

export const eccDbeCheck: HealthCheck = {
  name: NAME,
  isSupported: (gpu) => gpu.vendor === 'nvidia',
  check(gpu: GpuSnapshot) {
    const dbe = gpu.fields.eccDbeVolatile;
    if (dbe === undefined) return missingInput(NAME, 'DCGM_FI_DEV_ECC_DBE_VOL_TOTAL is not exported (AAMI\'s counters file enables it)');
    if (dbe > 0) return result(NAME, 'unhealthy', 'reset-gpu', `${dbe} uncorrectable (double-bit) ECC error${dbe === 1 ? '' : 's'} since the driver loaded`);
    return result(NAME, 'healthy', 'none', 'no uncorrectable ECC errors since the driver loaded');
  },
};
