// The GPU interconnect topology of each node, as the install worker collects it over SSH
// (`nvidia-smi topo -m`, `nvlink -s`, `nvlink -e` and `--query-gpu`) and keeps it in its data
// folder, with how it compares to the node's peers or the pinned reference of its kind.
import { z } from 'zod';
import { NodeName } from '../config/schema.ts';
import { TopoExpectation, TopoPin } from '../topology/expected.ts';
import { GpuIdentity } from '../topology/gpu-identity.ts';
import { NvlinkErrorGpu } from '../topology/nvlink-errors.ts';
import { NvlinkGpu } from '../topology/nvlink-status.ts';
import { TopoMatrix, TopoSummary } from '../topology/topo-matrix.ts';

/** ok: read and parsed; no-gpu-tool: the node has no nvidia-smi; failed: see `reason`. */
export const TopologyState = z.enum(['ok', 'no-gpu-tool', 'failed']);
export type TopologyState = z.infer<typeof TopologyState>;

/** GET /api/v1/topology/:name: the last topology taken of one node. */
export const NodeTopology = z.strictObject({
  node: z.string(),
  takenAt: z.string(),
  state: TopologyState,
  /** Why it failed (unreachable, nvidia-smi's own words, a line the parser could not read). */
  reason: z.string().optional(),
  summary: TopoSummary.optional(),
  matrix: TopoMatrix.optional(),
  /** From `nvidia-smi nvlink -s`: every link's speed, or null when it is inactive. */
  nvlink: z.array(NvlinkGpu).optional(),
  /** Links `nvlink -s` reports inactive, as "GPU 0 link 3". */
  inactiveLinks: z.array(z.string()).optional(),
  /** From `nvidia-smi nvlink -e`: every link's error counters (absent where the driver has none). */
  nvlinkErrors: z.array(NvlinkErrorGpu).optional(),
  /** From `nvidia-smi --query-gpu`: index, UUID, PCI bus id and model of each GPU. */
  identity: z.array(GpuIdentity).optional(),
  /** How it compares with its peers or its kind's pin (worked out when asked, not stored). */
  expected: TopoExpectation.optional(),
});
export type NodeTopology = z.infer<typeof NodeTopology>;

/** POST /api/v1/topology/refresh: the nodes to read again (names, or all). */
export const TopologyRefreshRequest = z.strictObject({
  nodes: z.array(NodeName).optional(),
  all: z.boolean().optional(),
});

/** Its answer: each node's new topology, and how many were read. */
export const TopologyRefreshResponse = z.strictObject({ results: z.array(NodeTopology), ok: z.number().int().min(0), failed: z.number().int().min(0) });
export type TopologyRefreshResponse = z.infer<typeof TopologyRefreshResponse>;

/** A kind's pin as listed: which node it was taken from and when (the profile stays in the worker). */
export const TopologyPinInfo = TopoPin.pick({ kind: true, node: true, pinnedAt: true });
export type TopologyPinInfo = z.infer<typeof TopologyPinInfo>;

/**
 * GET /api/v1/topology: the last topology of every node that has one (without the matrices), each
 * judged against its kind, and the pins.
 */
export const TopologyList = z.strictObject({
  nodes: z.array(NodeTopology.pick({ node: true, takenAt: true, state: true, reason: true, summary: true, inactiveLinks: true, expected: true })),
  pins: z.array(TopologyPinInfo),
});
export type TopologyList = z.infer<typeof TopologyList>;

/** POST /api/v1/topology/:name/pin: the node's topology is now the expected one of its kind. */
export const TopologyPinResponse = z.strictObject({
  pin: TopologyPinInfo,
  /** Nodes of that kind, the pinned one included, now judged against it. */
  nodes: z.array(z.string()),
});
export type TopologyPinResponse = z.infer<typeof TopologyPinResponse>;

/** DELETE /api/v1/topology/:name/pin: the pin of the node's kind is gone; peers decide again. */
export const TopologyUnpinResponse = z.strictObject({ removed: TopologyPinInfo });
export type TopologyUnpinResponse = z.infer<typeof TopologyUnpinResponse>;
