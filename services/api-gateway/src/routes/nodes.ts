// /api/v1/nodes: list (with live health), get, add, bulk import of hosts-file text, labels, remove.
import { Router } from 'express';
import { z } from 'zod';
import { ConflictError, Labels, Node, NotFoundError, Port, ValidationError, parseHostsFile, parseOrThrow, type ConfigStore } from '@aami/shared';
import { fetchNodeHealth, type ClusterViewDeps } from '../cluster-view.ts';
import type { CompileTrigger } from '../compile-trigger.ts';
import { expectedRevision, setRevision } from '../revision.ts';

export const NodeInput = Node.extend({ expected_revision: z.number().int().optional() });

export const HostsImport = z.strictObject({
  text: z.string().max(10_000_000),
  ssh_user: z.string().min(1).optional(),
  ssh_key: z.string().min(1).optional(),
  ssh_port: Port.optional(),
  labels: Labels.optional(),
  skip_invalid: z.boolean().default(false),
  expected_revision: z.number().int().optional(),
});

export const LabelsPatch = z.strictObject({
  set: Labels.default({}),
  remove: z.array(z.string()).default([]),
  expected_revision: z.number().int().optional(),
});

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
    res.json({
      revision,
      nodes: config.nodes.map((n) => ({ ...n, health: health?.get(n.name) ?? { status: null, gpus: null, alerts: null } })),
    });
  });

  r.get('/:name', async (req, res) => {
    const { config, revision } = await store.read();
    const node = config.nodes.find((n) => n.name === req.params.name);
    if (!node) throw new NotFoundError(`no node named "${req.params.name}"`);
    const health = await fetchNodeHealth([node.name], cluster);
    setRevision(res, revision);
    res.json({ revision, node: { ...node, health: health.get(node.name) } });
  });

  r.post('/', async (req, res) => {
    const { expected_revision: _e, ...node } = parseOrThrow(NodeInput, req.body, 'node');
    const snap = await store.update((c) => {
      const byName = c.nodes.find((n) => n.name === node.name);
      if (byName) throw new ConflictError(`a node named "${node.name}" already exists`, [{ path: 'name', message: 'already exists' }]);
      const byIp = c.nodes.find((n) => n.ip === node.ip);
      if (byIp) throw new ConflictError(`address ${node.ip} is already used by node "${byIp.name}"`, [{ path: 'ip', message: `already used by ${byIp.name}` }]);
      c.nodes.push(node);
    }, { expectedRevision: expectedRevision(req) });
    setRevision(res, snap.revision);
    res.status(201).json({ revision: snap.revision, node, compile: await afterWrite(snap.revision, `node ${node.name} added`) });
  });

  r.post('/import', async (req, res) => {
    const input = parseOrThrow(HostsImport, req.body, 'hosts import');
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
    res.status(201).json({
      revision: snap.revision,
      added: added.length,
      names: added.map((n) => n.name),
      skipped: rejected,
      compile: await afterWrite(snap.revision, `${added.length} node(s) imported`),
    });
  });

  r.patch('/:name/labels', async (req, res) => {
    const patch = parseOrThrow(LabelsPatch, req.body, 'labels');
    let updated: Node | undefined;
    const snap = await store.update((c) => {
      const node = c.nodes.find((n) => n.name === req.params.name);
      if (!node) throw new NotFoundError(`no node named "${req.params.name}"`);
      node.labels = { ...node.labels, ...patch.set };
      for (const k of patch.remove) delete node.labels[k];
      updated = node;
    }, { expectedRevision: expectedRevision(req) });
    setRevision(res, snap.revision);
    res.json({ revision: snap.revision, node: updated, compile: await afterWrite(snap.revision, `labels of ${req.params.name} changed`) });
  });

  r.delete('/:name', async (req, res) => {
    const snap = await store.update((c) => {
      const i = c.nodes.findIndex((n) => n.name === req.params.name);
      if (i < 0) throw new NotFoundError(`no node named "${req.params.name}"`);
      c.nodes.splice(i, 1);
    }, { expectedRevision: expectedRevision(req) });
    setRevision(res, snap.revision);
    res.json({ revision: snap.revision, removed: req.params.name, compile: await afterWrite(snap.revision, `node ${req.params.name} removed`) });
  });

  return r;
}
