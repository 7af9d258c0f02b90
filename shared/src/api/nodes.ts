// /api/v1/nodes on the gateway: what a node add, a hosts-file import and a label change send, and
// what every nodes route answers. A node is config.yaml's own `Node`; the list adds its live health.
import { z } from 'zod';
import { Labels, Node, Port } from '../config/schema.ts';
import { CompileQueueResult, ConfigRevision, ProblemDetail } from './common.ts';

/** POST /api/v1/nodes: one node, and optionally the revision the add is based on. */
export const NodeAddRequest = Node.extend({ expected_revision: z.number().int().optional() });

/** POST /api/v1/nodes/import: hosts-file text ("name ip" lines) with defaults for every host. */
export const HostsImportRequest = z.strictObject({
  text: z.string().max(10_000_000),
  ssh_user: z.string().min(1).optional(),
  ssh_key: z.string().min(1).optional(),
  ssh_port: Port.optional(),
  labels: Labels.optional(),
  skip_invalid: z.boolean().default(false),
  expected_revision: z.number().int().optional(),
});

/** PATCH /api/v1/nodes/:name/labels: labels to set and label names to remove. */
export const LabelsPatchRequest = z.strictObject({
  set: Labels.default({}),
  remove: z.array(z.string()).default([]),
  expected_revision: z.number().int().optional(),
});

/**
 * What Prometheus and Alertmanager say about a node: up or down, how many GPUs report, how many
 * alerts fire. `null` where the source could not be asked ("?" in the CLI and the UI).
 */
export const NodeLiveness = z.strictObject({
  status: z.enum(['up', 'down']).nullable(),
  gpus: z.number().int().min(0).nullable(),
  alerts: z.number().int().min(0).nullable(),
});
export type NodeLiveness = z.infer<typeof NodeLiveness>;

/** A node as config.yaml holds it, with its live health. */
export const NodeView = Node.extend({ health: NodeLiveness });
export type NodeView = z.infer<typeof NodeView>;

/** GET /api/v1/nodes (`?status=false` skips the health queries: every health field is null). */
export const NodesListResponse = z.strictObject({ revision: ConfigRevision, nodes: z.array(NodeView) });
export type NodesListResponse = z.infer<typeof NodesListResponse>;

/** GET /api/v1/nodes/:name */
export const NodeGetResponse = z.strictObject({ revision: ConfigRevision, node: NodeView });
export type NodeGetResponse = z.infer<typeof NodeGetResponse>;

/** POST /api/v1/nodes (201): the node as saved (no health yet). */
export const NodeAddResponse = z.strictObject({ revision: ConfigRevision, node: Node, compile: CompileQueueResult });
export type NodeAddResponse = z.infer<typeof NodeAddResponse>;

/** POST /api/v1/nodes/import (201): how many were added, their names, and the lines skipped (skip_invalid). */
export const NodesImportResponse = z.strictObject({
  revision: ConfigRevision,
  added: z.number().int().min(0),
  names: z.array(z.string()),
  skipped: z.array(ProblemDetail),
  compile: CompileQueueResult,
});
export type NodesImportResponse = z.infer<typeof NodesImportResponse>;

/** PATCH /api/v1/nodes/:name/labels: the node with its new labels. */
export const NodeLabelsResponse = z.strictObject({ revision: ConfigRevision, node: Node, compile: CompileQueueResult });
export type NodeLabelsResponse = z.infer<typeof NodeLabelsResponse>;

/** DELETE /api/v1/nodes/:name */
export const NodeRemoveResponse = z.strictObject({ revision: ConfigRevision, removed: z.string(), compile: CompileQueueResult });
export type NodeRemoveResponse = z.infer<typeof NodeRemoveResponse>;
