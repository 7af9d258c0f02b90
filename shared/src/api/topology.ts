// The GPU interconnect topology of each node, as the install worker collects it over SSH
// (`nvidia-smi topo -m` and `nvidia-smi nvlink -s`) and keeps it in its data folder.
import { z } from 'zod';
import { NodeName } from '../config/schema.ts';
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

/** GET /api/v1/topology: the last topology of every node that has one (without the matrices). */
export const TopologyList = z.strictObject({
  nodes: z.array(NodeTopology.pick({ node: true, takenAt: true, state: true, reason: true, summary: true, inactiveLinks: true })),
});
export type TopologyList = z.infer<typeof TopologyList>;
