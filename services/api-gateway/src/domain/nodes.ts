// The rules of the node inventory in config.yaml: names and addresses are unique, a hosts-file
// import is all or nothing unless bad lines may be skipped, labels are set and removed by name, and
// a node is removed by name. Every change is one writeAndCompile; live health comes from a narrow
// dependency (cluster-view.ts in the gateway). No HTTP here: the answers are the shared contract's
// (shared/src/api/nodes.ts), which the route sends as they are.
import type { z } from 'zod';
import {
  ConflictError, NotFoundError, ValidationError, parseHostsFile, type HostsFileResult, type HostsImportRequest, type LabelsPatchRequest, type Node, type NodeAddResponse,
  type NodeGetResponse, type NodeLabelsResponse, type NodeLiveness, type NodeRemoveResponse, type NodesImportResponse, type NodesListResponse,
} from '@aami/shared';
import { writeAndCompile, type CompileRequester, type ConfigAccess } from './config-writes.ts';

/** A hosts-file import as the route parsed it (HostsImportRequest without the revision). */
export type HostsImport = Omit<z.infer<typeof HostsImportRequest>, 'expected_revision'>;

/** A label change as the route parsed it (LabelsPatchRequest without the revision). */
export type LabelsPatch = Omit<z.infer<typeof LabelsPatchRequest>, 'expected_revision'>;

/** What the node rules need. */
export interface NodesDeps {
  store: ConfigAccess;
  compile: CompileRequester;
  /** Live health of the named nodes, one entry per name (fetchNodeHealth in cluster-view.ts). */
  health: (names: string[]) => Promise<Map<string, NodeLiveness>>;
}

/** The node inventory's reads and writes; each write takes the revision it is based on. */
export interface NodesDomain {
  /** Every node, with live health unless `withHealth` is false (then every health field is null). */
  list(withHealth: boolean): Promise<NodesListResponse>;
  /** One node with its live health; NotFoundError when there is none by that name. */
  get(name: string): Promise<NodeGetResponse>;
  /** Adds a node; a name or address already used is a ConflictError naming the field. */
  add(node: Node, expectedRevision: number | undefined): Promise<NodeAddResponse>;
  /** Adds the hosts of a hosts file; bad lines refuse the whole import unless `skip_invalid`. */
  importHosts(input: HostsImport, expectedRevision: number | undefined): Promise<NodesImportResponse>;
  /** Sets and removes labels of one node (removals win over sets of the same name). */
  patchLabels(name: string, patch: LabelsPatch, expectedRevision: number | undefined): Promise<NodeLabelsResponse>;
  /** Removes one node; NotFoundError when there is none by that name. */
  remove(name: string, expectedRevision: number | undefined): Promise<NodeRemoveResponse>;
}

/** Health of a node no source could be asked about. */
const UNKNOWN_HEALTH: NodeLiveness = { status: null, gpus: null, alerts: null };

const noSuchNode = (name: string) => new NotFoundError(`no node named "${name}"`);

/** Refuses `node` when its name or address is already configured, naming the field that clashes. */
export function assertNewNode(nodes: readonly Node[], node: Node): void {
  if (nodes.some((n) => n.name === node.name)) throw new ConflictError(`a node named "${node.name}" already exists`, [{ path: 'name', message: 'already exists' }]);
  const byIp = nodes.find((n) => n.ip === node.ip);
  if (byIp) throw new ConflictError(`address ${node.ip} is already used by node "${byIp.name}"`, [{ path: 'ip', message: `already used by ${byIp.name}` }]);
}

/** The node rules on `deps`. */
export function nodesDomain(deps: NodesDeps): NodesDomain {
  const { store, health } = deps;
  const write = writeAndCompile(deps);

  return {
    async list(withHealth) {
      const { config, revision } = await store.read();
      const live = withHealth ? await health(config.nodes.map((n) => n.name)) : undefined;
      return { revision, nodes: config.nodes.map((n) => ({ ...n, health: live?.get(n.name) ?? { ...UNKNOWN_HEALTH } })) };
    },

    async get(name) {
      const { config, revision } = await store.read();
      const node = config.nodes.find((n) => n.name === name);
      if (!node) throw noSuchNode(name);
      // The health source answers for every name it was given: the fallback is only a guard.
      const live = await health([node.name]);
      return { revision, node: { ...node, health: live.get(node.name) ?? { ...UNKNOWN_HEALTH } } };
    },

    async add(node, expectedRevision) {
      const w = await write(`node ${node.name} added`, (c) => {
        assertNewNode(c.nodes, node);
        c.nodes.push(node);
      }, expectedRevision);
      return { revision: w.revision, node, compile: w.compile };
    },

    async importHosts(input, expectedRevision) {
      // Parsed under the store's lock against the nodes configured then, so a name or address
      // added meanwhile counts as a duplicate.
      const w = await write((parsed: HostsFileResult) => `${parsed.nodes.length} node(s) imported`, (c) => {
        const parsed = parseHostsFile(input.text, input, c.nodes);
        if (parsed.errors.length > 0 && !input.skip_invalid) {
          throw new ValidationError(`${parsed.errors.length} bad line(s) in the hosts file; nothing was added (fix them, or skip them with --skip-invalid)`, parsed.errors);
        }
        if (parsed.nodes.length === 0) throw new ValidationError('the hosts file holds no valid "name ip" line', parsed.errors);
        c.nodes.push(...parsed.nodes);
        return parsed;
      }, expectedRevision);
      const { nodes: added, errors: skipped } = w.result;
      return { revision: w.revision, added: added.length, names: added.map((n) => n.name), skipped, compile: w.compile };
    },

    async patchLabels(name, patch, expectedRevision) {
      const w = await write(`labels of ${name} changed`, (c) => {
        const node = c.nodes.find((n) => n.name === name);
        if (!node) throw noSuchNode(name);
        node.labels = { ...node.labels, ...patch.set };
        for (const k of patch.remove) delete node.labels[k];
        return node;
      }, expectedRevision);
      return { revision: w.revision, node: w.result, compile: w.compile };
    },

    async remove(name, expectedRevision) {
      const w = await write(`node ${name} removed`, (c) => {
        const i = c.nodes.findIndex((n) => n.name === name);
        if (i < 0) throw noSuchNode(name);
        c.nodes.splice(i, 1);
      }, expectedRevision);
      return { revision: w.revision, removed: name, compile: w.compile };
    },
  };
}
