// @aami/gpu-simulator: simulated GPU nodes for tests, benchmarks and demos. `startFleet` is the
// programmatic entry point integration tests use; main.ts and cli.ts wrap it for people and compose.
import type { Logger } from '@aami/shared';
import { startControlApi } from './control-api.ts';
import { Fleet, type NodeEndpoint } from './fleet.ts';
import { FleetOptions, type FleetOptionsInput } from './options.ts';

export { Fleet, type NodeEndpoint, type NodeSummary } from './fleet.ts';
export { FleetOptions, type FleetOptionsInput, optionsFromEnv, nodeNames } from './options.ts';
export { FaultRequest, FAULT_TYPES, type FaultRequestInput, type FaultType } from './faults.ts';
export { COUNTERS_FILES, loadFieldCatalog, parseCountersCsv, type FieldCatalog } from './field-catalog.ts';
export { GPU_MODELS, type GpuModel } from './gpu-models.ts';
export { kernelPciFromBusId } from './gpu-identity.ts';
export { parsePromText, type PromFamily, type PromSample } from './prom-text.ts';

/** A running simulated fleet. */
export interface RunningFleet {
  nodes: NodeEndpoint[];
  /** Base URL of the control API, or undefined when it was turned off (controlPort: null). */
  controlUrl: string | undefined;
  fleet: Fleet;
  stop(): Promise<void>;
}

/** Extra knobs for tests: a clock to drive time by hand, a logger for control API errors. */
export interface StartExtras {
  clock?: () => number;
  log?: Logger;
}

/** Starts simulated nodes (and the control API unless controlPort is null). */
export async function startFleet(options: FleetOptionsInput = {}, extras: StartExtras = {}): Promise<RunningFleet> {
  const opts = FleetOptions.parse(options);
  const fleet = await Fleet.start(opts, extras.clock);
  let control: Awaited<ReturnType<typeof startControlApi>> | undefined;
  try {
    if (opts.controlPort !== null) control = await startControlApi(fleet, opts.controlBind, opts.controlPort, extras.log);
  } catch (err) {
    await fleet.stop();
    throw err;
  }
  return {
    nodes: fleet.endpoints(),
    controlUrl: control?.url,
    fleet,
    async stop() {
      await control?.close();
      await fleet.stop();
    },
  };
}
