// Every GPU health check, in the order results are shown. Add a check here and nowhere else.
import type { HealthCheck } from '../types.ts';
import { eccDbeCheck } from './ecc-dbe/index.ts';
import { exporterCheck } from './exporter/index.ts';
import { fallenOffBusCheck } from './fallen-off-bus/index.ts';
import { memoryTemperatureCheck } from './memory-temperature/index.ts';
import { nvlinkCheck } from './nvlink/index.ts';
import { pcieReplayCheck } from './pcie-replay/index.ts';
import { retiredPagesCheck } from './retired-pages/index.ts';
import { rowRemapCheck } from './row-remap/index.ts';
import { slowdownCheck } from './slowdown/index.ts';
import { xidCheck } from './xid/index.ts';

export const ALL_CHECKS: readonly HealthCheck[] = [
  exporterCheck,
  fallenOffBusCheck,
  xidCheck,
  eccDbeCheck,
  rowRemapCheck,
  retiredPagesCheck,
  pcieReplayCheck,
  nvlinkCheck,
  slowdownCheck,
  memoryTemperatureCheck,
];
