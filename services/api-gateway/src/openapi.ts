// The OpenAPI document, generated from the same zod schemas that validate requests, so the
// document cannot drift from what the gateway accepts.
import { z } from 'zod';
import { AamiConfig, CustomRule, EmailChannel, FleetHealthResponse, HealthClearRequest, HealthClearResponse, Node, NodeHealthResponse, RuleOverride, SlackChannel } from '@aami/shared';
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
        RuleOverride: schema(RuleOverride, 'input'),
        CustomRule: schema(CustomRule, 'input'),
        SlackChannel: schema(SlackChannel, 'input'),
        EmailChannel: schema(EmailChannel, 'input'),
        FleetHealth: schema(FleetHealthResponse),
        NodeHealth: schema(NodeHealthResponse),
        HealthClearRequest: schema(HealthClearRequest, 'input'),
        HealthClearResponse: schema(HealthClearResponse),
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
      '/api/v1/whoami': { get: { summary: 'name and role of the calling token', responses: { 200: { description: '{name, role}' }, ...errors } } },
      '/api/v1/alerts/presets': { get: { summary: 'presets, each with its rules and whether it is applied', responses: { 200: { description: 'presets' }, ...errors } } },
      '/api/v1/alerts/presets/{name}': {
        post: { summary: 'apply a preset', parameters: [nameParam, ifMatch], responses: { 200: { description: 'applied' }, 404: { description: 'no such preset', ...json('Error') }, ...errors } },
        delete: { summary: 'remove a preset', parameters: [nameParam, ifMatch], responses: { 200: { description: 'removed' }, ...errors } },
      },
      '/api/v1/alerts/rules': { get: { summary: 'the rules that run: presets + overrides + custom rules', responses: { 200: { description: 'rules' }, ...errors } } },
      '/api/v1/alerts/rules/{name}': { patch: { summary: 'override threshold, for, severity or disabled (null resets to the preset value)', parameters: [nameParam, ifMatch], requestBody: json('RuleOverride'), responses: { 200: { description: 'changed' }, 404: { description: 'no such rule', ...json('Error') }, ...errors } } },
      '/api/v1/alerts/custom': { post: { summary: 'add a custom rule; its PromQL is checked by promtool first', parameters: [ifMatch], requestBody: json('CustomRule'), responses: { 201: { description: 'added' }, ...errors } } },
      '/api/v1/alerts/custom/{name}': { delete: { summary: 'remove a custom rule', parameters: [nameParam, ifMatch], responses: { 200: { description: 'removed' }, ...errors } } },
      '/api/v1/alerts/validate': { post: { summary: 'check a PromQL expression with promtool', responses: { 200: { description: '{valid, error?}' }, ...errors } } },
      '/api/v1/alerts/compile-status': { get: { summary: 'whether the last compile passed promtool/amtool and reloaded Prometheus and Alertmanager', responses: { 200: { description: 'status' }, ...errors } } },
      '/api/v1/alerts/firing': { get: { summary: 'alerts firing in Alertmanager, with the Xid explanation where one applies', responses: { 200: { description: 'alerts' }, 503: { description: 'Alertmanager unreachable', ...json('Error') }, ...errors } } },
      '/api/v1/notifications/channels': { get: { summary: 'Slack and email channels and routing, secrets redacted', responses: { 200: { description: 'channels' }, ...errors } } },
      '/api/v1/notifications/slack': { put: { summary: 'set the Slack channel (a left-out webhook_url keeps the stored one)', parameters: [ifMatch], requestBody: json('SlackChannel'), responses: { 200: { description: 'saved' }, ...errors } } },
      '/api/v1/notifications/email': { put: { summary: 'set the email channel (a left-out password keeps the stored one)', parameters: [ifMatch], requestBody: json('EmailChannel'), responses: { 200: { description: 'saved' }, ...errors } } },
      '/api/v1/notifications/routing': { put: { summary: 'which channels each severity goes to', parameters: [ifMatch], responses: { 200: { description: 'routing set' }, ...errors } } },
      '/api/v1/notifications/{channel}': { delete: { summary: 'remove a channel', parameters: [{ name: 'channel', in: 'path', required: true, schema: { enum: ['slack', 'email'] } }, ifMatch], responses: { 200: { description: 'removed' }, ...errors } } },
      '/api/v1/notifications/test': { post: { summary: 'send a real test message through a channel (via the relay) and return its answer', responses: { 200: { description: '{channel, ok}: delivered; or {channel, ok: false, retry, reason, error}: refused, in the channel words' }, 503: { description: 'relay unreachable' }, ...errors } } },
      '/api/v1/notifications/status': { get: { summary: 'queued, sent, failed and dead-lettered counts per channel (from the relay)', responses: { 200: { description: 'counts' }, ...errors } } },
      '/api/v1/notifications/dead-letters': { get: { summary: 'notifications that could not be delivered', responses: { 200: { description: 'dead letters' }, ...errors } } },
      '/api/v1/notifications/dead-letters/{id}/retry': { post: { summary: 'send a dead letter again (via the relay)', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { 202: { description: '{retried}' }, 404: { description: 'no such dead letter', ...json('Error') }, ...errors } } },
      '/api/v1/xid': { get: { summary: 'the Xid catalog', parameters: [{ name: 'severity', in: 'query', schema: { enum: ['critical', 'warning', 'info'] } }], responses: { 200: { description: 'entries' }, ...errors } } },
      '/api/v1/xid/search': { get: { summary: 'search the Xid catalog by word or number', parameters: [{ name: 'q', in: 'query', required: true, schema: { type: 'string' } }], responses: { 200: { description: 'entries' }, ...errors } } },
      '/api/v1/xid/{code}': { get: { summary: 'what one Xid means and what to do', parameters: [{ name: 'code', in: 'path', required: true, schema: { type: 'integer' } }], responses: { 200: { description: 'entry' }, 404: { description: 'unknown code', ...json('Error') } } } },
      '/api/v1/sxid/{code}': { get: { summary: 'what one NVSwitch SXid means', parameters: [{ name: 'code', in: 'path', required: true, schema: { type: 'integer' } }], responses: { 200: { description: 'entry' }, 404: { description: 'unknown code', ...json('Error') } } } },
      '/api/v1/install/runs': { post: { summary: 'start an install/upgrade/uninstall/verify run on nodes (install-worker)', responses: { 202: { description: '{runId}' }, ...errors } } },
      '/api/v1/install/runs/{id}': { get: { summary: 'progress and result of each node of a run', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: { description: 'run' }, ...errors } } },
      '/api/v1/install/nodes/{name}/last': { get: { summary: 'the last install result of a node', parameters: [nameParam], responses: { 200: { description: 'result' }, ...errors } } },
      '/api/v1/nodes/test': { post: { summary: 'check SSH reachability of nodes in parallel', responses: { 200: { description: 'per-node result' }, ...errors } } },
      '/api/v1/nodes/{name}/host-key': { get: { summary: 'the SSH host key the node offers now and the one pinned for it (nothing is changed)', parameters: [nameParam], responses: { 200: { description: '{node, host, port, type, fingerprint, pinned, status}' }, ...errors } } },
      '/api/v1/nodes/{name}/trust': { post: { summary: "accept a node's new SSH host key", parameters: [nameParam], responses: { 200: { description: 'trusted' }, ...errors } } },
      '/api/v1/health': { get: { summary: 'GPU health of every node, worst first: state, score, suggested action and reasons per GPU (analyzer)', responses: { 200: { description: 'fleet health', ...json('FleetHealth') }, 503: { description: 'analyzer unreachable', ...json('Error') }, ...errors } } },
      '/api/v1/health/{name}': { get: { summary: "one node's GPUs with every check's result and the recent state changes", parameters: [nameParam, { name: 'gpu', in: 'query', schema: { type: 'integer', minimum: 0, maximum: 63 } }], responses: { 200: { description: 'node health', ...json('NodeHealth') }, 404: { description: 'no health data for that node', ...json('Error') }, ...errors } } },
      '/api/v1/health/{name}/clear': { post: { summary: "forget a node's (or one GPU's) Xid findings and escalation after a repair; audited with the token name", parameters: [nameParam], requestBody: json('HealthClearRequest'), responses: { 200: { description: 'cleared', ...json('HealthClearResponse') }, 404: { description: 'no health data for that node', ...json('Error') }, ...errors } } },
      '/api/v1/tokens/{id}': { delete: { summary: 'revoke a token (admin)', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { 204: { description: 'revoked' }, ...errors } } },
    },
  };
}
