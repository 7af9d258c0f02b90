// /api/v1/nodes: list (with live health), get, add, bulk import of hosts-file text, labels, remove.
// Requests and answers are the shared contract (shared/src/api/nodes.ts); the rules are the domain's
// (src/domain/nodes.ts): this file parses the request and sends the answer with its revision.
import { Router } from 'express';
import { HostsImportRequest, LabelsPatchRequest, NodeAddRequest, parseOrThrow } from '@aami/shared';
import { fetchNodeHealth, type ClusterViewDeps } from '../cluster-view.ts';
import { nodesDomain } from '../domain/nodes.ts';
import type { CompileRequester, ConfigAccess } from '../domain/config-writes.ts';
import { expectedRevision, setRevision } from '../revision.ts';

export interface NodesRouterDeps {
  store: ConfigAccess;
  compile: CompileRequester;
  cluster: ClusterViewDeps;
}

export function nodesRouter({ store, compile, cluster }: NodesRouterDeps): Router {
  const nodes = nodesDomain({ store, compile, health: (names) => fetchNodeHealth(names, cluster) });
  const r = Router();

  r.get('/', async (req, res) => {
    const answer = await nodes.list(req.query.status !== 'false');
    setRevision(res, answer.revision);
    res.json(answer);
  });

  r.get('/:name', async (req, res) => {
    const answer = await nodes.get(req.params.name);
    setRevision(res, answer.revision);
    res.json(answer);
  });

  r.post('/', async (req, res) => {
    const { expected_revision: _e, ...node } = parseOrThrow(NodeAddRequest, req.body, 'node');
    const answer = await nodes.add(node, expectedRevision(req));
    setRevision(res, answer.revision);
    res.status(201).json(answer);
  });

  r.post('/import', async (req, res) => {
    const { expected_revision: _e, ...input } = parseOrThrow(HostsImportRequest, req.body, 'hosts import');
    const answer = await nodes.importHosts(input, expectedRevision(req));
    setRevision(res, answer.revision);
    res.status(201).json(answer);
  });

  r.patch('/:name/labels', async (req, res) => {
    const { expected_revision: _e, ...patch } = parseOrThrow(LabelsPatchRequest, req.body, 'labels');
    const answer = await nodes.patchLabels(req.params.name, patch, expectedRevision(req));
    setRevision(res, answer.revision);
    res.json(answer);
  });

  r.delete('/:name', async (req, res) => {
    const answer = await nodes.remove(req.params.name, expectedRevision(req));
    setRevision(res, answer.revision);
    res.json(answer);
  });

  return r;
}
