// A GPU that dcgm-exporter reported before and no longer reports, while the exporter itself still
// answers, has most likely fallen off the bus (the driver lost it; Xid 79 usually says so too).
import { formatTime, gpuLabel, result, type GpuSnapshot, type HealthCheck } from '../../types.ts';

export const NAME = 'fallen-off-bus';
const BUS_LOST_XID = 79;

export const fallenOffBusCheck: HealthCheck = {
  name: NAME,
  isSupported: () => true,
  check(gpu: GpuSnapshot) {
    if (gpu.exporter !== 'up') return result(NAME, 'unknown', 'none', 'no data: dcgm-exporter is not answering');
    if (gpu.reporting) return result(NAME, 'healthy', 'none', 'reported by dcgm-exporter');
    const xid79 = gpu.xids.find((x) => x.xid === BUS_LOST_XID && x.inCurrentBoot);
    const evidence = xid79 ? `; Xid 79 was logged at ${formatTime(xid79.lastAt)}` : '';
    return result(NAME, 'unhealthy', 'reboot-node', `${gpuLabel(gpu)} was reported before and dcgm-exporter no longer lists it: it has likely fallen off the bus${evidence}`);
  },
};
