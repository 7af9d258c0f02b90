// /api/v1/nodes: list (with live health), get, add, bulk import of hosts-file text, labels, remove.
// Requests and answers are the shared contract (shared/src/api/nodes.ts).
import { Router } from 'express';
import {
  ConflictError, HostsImportRequest, LabelsPatchRequest, NodeAddRequest, NotFoundError, ValidationError, parseHostsFile, parseOrThrow, type ConfigStore,
  type Node, type NodeAddResponse, type NodeGetResponse, type NodeLabelsResponse, type NodeRemoveResponse, type NodesImportResponse, type NodesListResponse,
} from '@aami/shared';
import { fetchNodeHealth, type ClusterViewDeps } from '../cluster-view.ts';
import type { CompileTrigger } from '../compile-trigger.ts';
import { expectedRevision, setRevision } from '../revision.ts';

/** Health of a node no source could be asked about. */
const UNKNOWN_HEALTH = { status: null, gpus: null, alerts: null } as const;

export interface NodesRouterDeps {
  store: ConfigStore;
  compile: CompileTrigger;
  cluster: ClusterViewDeps;
}

export function nodesRouter({ store, compile, cluster }: NodesRouterDeps): Router {
  const r = Router();
  const afterWrite = (revision: number, reason: string) => compile.request({ reason, revision });

  r.get('/', async (req, res) => {
    const { config, revision } = await store.read();
    const withHealth = req.query.status !== 'false';
    const health = withHealth ? await fetchNodeHealth(config.nodes.map((n) => n.name), cluster) : undefined;
    setRevision(res, revision);
    const answer: NodesListResponse = {
      revision,
      nodes: config.nodes.map((n) => ({ ...n, health: health?.get(n.name) ?? { ...UNKNOWN_HEALTH } })),
    };
    res.json(answer);
  });

  r.get('/:name', async (req, res) => {
    const { config, revision } = await store.read();
    const node = config.nodes.find((n) => n.name === req.params.name);
    if (!node) throw new NotFoundError(`no node named "${req.params.name}"`);
    const health = await fetchNodeHealth([node.name], cluster);
    setRevision(res, revision);
    // fetchNodeHealth answers for every name it was given: the fallback never applies.
    const answer: NodeGetResponse = { revision, node: { ...node, health: health.get(node.name) ?? { ...UNKNOWN_HEALTH } } };
    res.json(answer);
  });

  r.post('/', async (req, res) => {
    const { expected_revision: _e, ...node } = parseOrThrow(NodeAddRequest, req.body, 'node');
    const snap = await store.update((c) => {
      const byName = c.nodes.find((n) => n.name === node.name);
      if (byName) throw new ConflictError(`a node named "${node.name}" already exists`, [{ path: 'name', message: 'already exists' }]);
      const byIp = c.nodes.find((n) => n.ip === node.ip);
      if (byIp) throw new ConflictError(`address ${node.ip} is already used by node "${byIp.name}"`, [{ path: 'ip', message: `already used by ${byIp.name}` }]);
      c.nodes.push(node);
    }, { expectedRevision: expectedRevision(req) });
    setRevision(res, snap.revision);
    const answer: NodeAddResponse = { revision: snap.revision, node, compile: await afterWrite(snap.revision, `node ${node.name} added`) };
    res.status(201).json(answer);
  });

  r.post('/import', async (req, res) => {
    const input = parseOrThrow(HostsImportRequest, req.body, 'hosts import');
    let added: Node[] = [];
    let rejected: ReturnType<typeof parseHostsFile>['errors'] = [];
    const snap = await store.update((c) => {
      const parsed = parseHostsFile(input.text, input, c.nodes);
      rejected = parsed.errors;
      if (parsed.errors.length > 0 && !input.skip_invalid) {
        throw new ValidationError(`${parsed.errors.length} bad line(s) in the hosts file; nothing was added (fix them, or skip them with --skip-invalid)`, parsed.errors);
      }
      if (parsed.nodes.length === 0) throw new ValidationError('the hosts file holds no valid "name ip" line', parsed.errors);
      added = parsed.nodes;
      c.nodes.push(...parsed.nodes);
    }, { expectedRevision: expectedRevision(req) });
    setRevision(res, snap.revision);
    const answer: NodesImportResponse = {
      revision: snap.revision,
      added: added.length,
      names: added.map((n) => n.name),
      skipped: rejected,
      compile: await afterWrite(snap.revision, `${added.length} node(s) imported`),
    };
    res.status(201).json(answer);
  });

  r.patch('/:name/labels', async (req, res) => {
    const patch = parseOrThrow(LabelsPatchRequest, req.body, 'labels');
    let updated: Node | undefined;
    const snap = await store.update((c) => {
      const node = c.nodes.find((n) => n.name === req.params.name);
      if (!node) throw new NotFoundError(`no node named "${req.params.name}"`);
      node.labels = { ...node.labels, ...patch.set };
      for (const k of patch.remove) delete node.labels[k];
      updated = node;
    }, { expectedRevision: expectedRevision(req) });
    setRevision(res, snap.revision);
    // The update either set `updated` or threw (no such node).
    const answer: NodeLabelsResponse = { revision: snap.revision, node: updated as Node, compile: await afterWrite(snap.revision, `labels of ${req.params.name} changed`) };
    res.json(answer);
  });

  r.delete('/:name', async (req, res) => {
    const snap = await store.update((c) => {
      const i = c.nodes.findIndex((n) => n.name === req.params.name);
      if (i < 0) throw new NotFoundError(`no node named "${req.params.name}"`);
      c.nodes.splice(i, 1);
    }, { expectedRevision: expectedRevision(req) });
    setRevision(res, snap.revision);
    const answer: NodeRemoveResponse = { revision: snap.revision, removed: req.params.name, compile: await afterWrite(snap.revision, `node ${req.params.name} removed`) };
    res.json(answer);
  });

  return r;
}
