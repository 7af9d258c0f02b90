// The OpenAPI document, generated from the same zod schemas that validate requests, so the
// document cannot drift from what the gateway accepts.
import { z } from 'zod';
import { AamiConfig, Node } from '@aami/shared';
import { HostsImport, LabelsPatch } from './routes/nodes.ts';
import { TokenRequest } from './routes/tokens.ts';

const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ path: z.string().optional(), line: z.number().optional(), message: z.string() })),
  }),
});

const schema = (s: z.ZodType, io: 'input' | 'output' = 'output') => {
  const { $schema: _s, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ content: { 'application/json': { schema: ref(name) } } });
const errors = {
  400: { description: 'invalid input; details name each field or line', ...json('Error') },
  401: { description: 'no or unknown token', ...json('Error') },
  403: { description: 'a viewer token tried to change something', ...json('Error') },
};
const ifMatch = { name: 'If-Match', in: 'header', required: false, description: 'config revision the change is based on; a stale one gets 409', schema: { type: 'string' } };
const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };

/** Builds the document for this gateway version. */
export function buildOpenApi(version: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'AAMI API', version, description: 'Monitoring for GPU clusters without Kubernetes. Every request under /api/v1 needs `Authorization: Bearer <token>`; writes need an admin token.' },
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Node: schema(Node, 'input'),
        Config: schema(AamiConfig),
        HostsImport: schema(HostsImport, 'input'),
        LabelsPatch: schema(LabelsPatch, 'input'),
        TokenRequest: schema(TokenRequest, 'input'),
        Error: schema(ErrorBody),
      },
    },
    paths: {
      '/healthz': { get: { summary: 'liveness', security: [], responses: { 200: { description: 'alive' } } } },
      '/readyz': { get: { summary: 'readiness: config readable', security: [], responses: { 200: { description: 'ready' }, 503: { description: 'not ready' } } } },
      '/api/v1/nodes': {
        get: { summary: 'list nodes with health (up/down, GPUs, firing alerts) from Prometheus and Alertmanager', parameters: [{ name: 'status', in: 'query', schema: { type: 'boolean' } }], responses: { 200: { description: 'nodes' }, ...errors } },
        post: { summary: 'add one node', parameters: [ifMatch], requestBody: json('Node'), responses: { 201: { description: 'added' }, 409: { description: 'duplicate or stale revision', ...json('Error') }, ...errors } },
      },
      '/api/v1/nodes/import': {
        post: { summary: 'add nodes from hosts-file text ("name ip" lines); all-or-nothing unless skip_invalid', parameters: [ifMatch], requestBody: json('HostsImport'), responses: { 201: { description: 'added' }, ...errors } },
      },
      '/api/v1/nodes/{name}': {
        get: { summary: 'one node', parameters: [nameParam], responses: { 200: { description: 'the node' }, 404: { description: 'unknown', ...json('Error') } } },
        delete: { summary: 'remove a node', parameters: [nameParam, ifMatch], responses: { 200: { description: 'removed' }, 404: { description: 'unknown', ...json('Error') }, ...errors } },
      },
      '/api/v1/nodes/{name}/labels': {
        patch: { summary: 'set or remove labels', parameters: [nameParam, ifMatch], requestBody: json('LabelsPatch'), responses: { 200: { description: 'updated' }, ...errors } },
      },
      '/api/v1/config': { get: { summary: 'the config, secrets redacted', responses: { 200: { description: 'config', content: { 'application/json': { schema: { type: 'object', properties: { revision: { type: 'integer' }, config: ref('Config') } } } } }, ...errors } } },
      '/api/v1/status': { get: { summary: 'reachability and versions of Prometheus, Alertmanager, Redis and each AAMI service', responses: { 200: { description: 'status' }, ...errors } } },
      '/api/v1/tokens': {
        get: { summary: 'list tokens (admin)', responses: { 200: { description: 'tokens, without secrets' }, ...errors } },
        post: { summary: 'create a token (admin); the secret is returned once', requestBody: json('TokenRequest'), responses: { 201: { description: 'created' }, ...errors } },
      },
      '/api/v1/tokens/{id}': { delete: { summary: 'revoke a token (admin)', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { 204: { description: 'revoked' }, ...errors } } },
    },
  };
}
