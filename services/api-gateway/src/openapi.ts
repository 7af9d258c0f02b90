// The OpenAPI document, generated from the same zod schemas that validate requests and type the
// answers (shared/src/api/, shared/src/health/), so the document cannot drift from what the
// gateway accepts and answers.
import { z } from 'zod';
import {
  AlertsCompileStatus, ConfigResponse, DoctorResponse, CustomRule, CustomRuleAddResponse, CustomRuleRemoveResponse, DeadLetterRetryResponse, DeadLettersResponse,
  EmailChannelEdit, ErrorEnvelope, ExpressionCheckRequest, ExpressionCheckResponse, FiringAlertsResponse, FleetHealthResponse, HealthClearRequest,
  HealthClearResponse, HealthzResponse, HostKeyTrustRequest, NodeTopology, TopologyList, TopologyPinResponse, TopologyRefreshRequest, TopologyRefreshResponse, TopologyUnpinResponse, HostKeyTrustResult, HostKeyView, HostsImportRequest, InstallNodeRun, InstallRun,
  InstallRunRequest, InstallRunStarted, InstallRunsList, LabelsPatchRequest, Node, NodeAddResponse, NodeGetResponse, NodeHealthResponse,
  NodeChartsResponse, NodeLabelsResponse, NodeRemoveResponse, OverviewResponse, NodesImportResponse, NodesListResponse, NodesTestRequest, NodesTestResponse, NotificationChannelsResponse,
  NotificationTestRequest, NotificationTestResult, NotificationsStatusResponse, PresetApplyResponse, PresetRemoveResponse, PresetsListResponse,
  ReadyzResponse, RoutingEdit, RuleOverride, RulePatchResponse, RulesListResponse, SlackChannelEdit, StatusResponse, SxidEntry, TokenCreateResponse,
  TokenRequest, TokensListResponse, WhoamiResponse, XidEntry, XidListResponse,
} from '@aami/shared';

const schema = (s: z.ZodType, io: 'input' | 'output' = 'output') => {
  const { $schema: _s, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

/** Request bodies, as the gateway (or the service behind it) accepts them. */
const REQUESTS = {
  Node,
  HostsImport: HostsImportRequest,
  LabelsPatch: LabelsPatchRequest,
  TokenRequest,
  RuleOverride,
  CustomRule,
  ExpressionCheckRequest,
  SlackChannelEdit,
  EmailChannelEdit,
  RoutingEdit,
  NotificationTestRequest,
  InstallRunRequest,
  NodesTestRequest,
  HostKeyTrustRequest,
  TopologyRefreshRequest,
  HealthClearRequest,
} satisfies Record<string, z.ZodType>;

/** Success answers: each route's 200/201/202 body. */
const RESPONSES = {
  Healthz: HealthzResponse,
  Readyz: ReadyzResponse,
  NodesList: NodesListResponse,
  NodeGet: NodeGetResponse,
  NodeAdd: NodeAddResponse,
  NodesImport: NodesImportResponse,
  NodeLabels: NodeLabelsResponse,
  NodeRemove: NodeRemoveResponse,
  ConfigResponse,
  Status: StatusResponse,
  Doctor: DoctorResponse,
  TokensList: TokensListResponse,
  TokenCreate: TokenCreateResponse,
  Whoami: WhoamiResponse,
  PresetsList: PresetsListResponse,
  PresetApply: PresetApplyResponse,
  PresetRemove: PresetRemoveResponse,
  RulesList: RulesListResponse,
  RulePatch: RulePatchResponse,
  CustomRuleAdd: CustomRuleAddResponse,
  CustomRuleRemove: CustomRuleRemoveResponse,
  ExpressionCheck: ExpressionCheckResponse,
  CompileStatus: AlertsCompileStatus,
  FiringAlerts: FiringAlertsResponse,
  NotificationChannels: NotificationChannelsResponse,
  NotificationTestResult,
  NotificationsStatus: NotificationsStatusResponse,
  DeadLetters: DeadLettersResponse,
  DeadLetterRetry: DeadLetterRetryResponse,
  XidList: XidListResponse,
  XidEntry,
  SxidEntry,
  InstallRunStarted,
  InstallRunsList,
  InstallRun,
  InstallNodeRun,
  NodesTest: NodesTestResponse,
  HostKeyView,
  HostKeyTrust: HostKeyTrustResult,
  TopologyRefresh: TopologyRefreshResponse,
  TopologyList,
  TopologyPin: TopologyPinResponse,
  TopologyUnpin: TopologyUnpinResponse,
  NodeTopology,
  FleetHealth: FleetHealthResponse,
  NodeHealth: NodeHealthResponse,
  HealthClearResponse,
  Overview: OverviewResponse,
  NodeCharts: NodeChartsResponse,
  Error: ErrorEnvelope,
} satisfies Record<string, z.ZodType>;

type SchemaName = keyof typeof REQUESTS | keyof typeof RESPONSES;

const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: SchemaName) => ({ content: { 'application/json': { schema: ref(name) } } });
/** A success answer: its words and its schema. */
const ok = (description: string, name: keyof typeof RESPONSES) => ({ description, ...json(name) });
const errors = {
  400: { description: 'invalid input; details name each field or line', ...json('Error') },
  401: { description: 'no or unknown token', ...json('Error') },
  403: { description: 'a viewer token tried to change something', ...json('Error') },
};
const ifMatch = { name: 'If-Match', in: 'header', required: false, description: 'config revision the change is based on; a stale one gets 409', schema: { type: 'string' } };
const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const codeParam = { name: 'code', in: 'path', required: true, schema: { type: 'integer' } };

/** Builds the document for this gateway version. */
export function buildOpenApi(version: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'AAMI API', version, description: 'Monitoring for GPU clusters without Kubernetes. Every request under /api/v1 needs `Authorization: Bearer <token>`; writes need an admin token.' },
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        ...Object.fromEntries(Object.entries(REQUESTS).map(([name, s]) => [name, schema(s, 'input')])),
        ...Object.fromEntries(Object.entries(RESPONSES).map(([name, s]) => [name, schema(s)])),
      },
    },
    paths: {
      '/healthz': { get: { summary: 'liveness', security: [], responses: { 200: ok('alive', 'Healthz') } } },
      '/readyz': { get: { summary: 'readiness: config readable', security: [], responses: { 200: ok('ready', 'Readyz'), 503: { description: 'not ready' } } } },
      '/api/v1/nodes': {
        get: { summary: 'list nodes with health (up/down, GPUs, firing alerts) from Prometheus and Alertmanager', parameters: [{ name: 'status', in: 'query', schema: { type: 'boolean' } }], responses: { 200: ok('nodes', 'NodesList'), ...errors } },
        post: { summary: 'add one node', parameters: [ifMatch], requestBody: json('Node'), responses: { 201: ok('added', 'NodeAdd'), 409: { description: 'duplicate or stale revision', ...json('Error') }, ...errors } },
      },
      '/api/v1/nodes/import': {
        post: { summary: 'add nodes from hosts-file text ("name ip" lines); all-or-nothing unless skip_invalid', parameters: [ifMatch], requestBody: json('HostsImport'), responses: { 201: ok('added', 'NodesImport'), ...errors } },
      },
      '/api/v1/nodes/{name}': {
        get: { summary: 'one node', parameters: [nameParam], responses: { 200: ok('the node', 'NodeGet'), 404: { description: 'unknown', ...json('Error') } } },
        delete: { summary: 'remove a node', parameters: [nameParam, ifMatch], responses: { 200: ok('removed', 'NodeRemove'), 404: { description: 'unknown', ...json('Error') }, ...errors } },
      },
      '/api/v1/nodes/{name}/labels': {
        patch: { summary: 'set or remove labels', parameters: [nameParam, ifMatch], requestBody: json('LabelsPatch'), responses: { 200: ok('updated', 'NodeLabels'), ...errors } },
      },
      '/api/v1/config': { get: { summary: 'the config, secrets redacted', responses: { 200: ok('config', 'ConfigResponse'), ...errors } } },
      '/api/v1/status': { get: { summary: 'reachability and versions of Prometheus, Alertmanager, Redis and each AAMI service', responses: { 200: ok('status', 'Status'), ...errors } } },
      '/api/v1/doctor': { get: { summary: 'check the whole installation: every finding with its severity (ok, warning, critical) and what to do, worst first; 200 whatever was found', responses: { 200: ok('findings', 'Doctor'), ...errors } } },
      '/api/v1/tokens': {
        get: { summary: 'list tokens (admin)', responses: { 200: ok('tokens, without secrets', 'TokensList'), ...errors } },
        post: { summary: 'create a token (admin); the secret is returned once', requestBody: json('TokenRequest'), responses: { 201: ok('created', 'TokenCreate'), ...errors } },
      },
      '/api/v1/whoami': { get: { summary: 'name and role of the calling token', responses: { 200: ok('{name, role}', 'Whoami'), ...errors } } },
      '/api/v1/alerts/presets': { get: { summary: 'presets, each with its rules and whether it is applied', responses: { 200: ok('presets', 'PresetsList'), ...errors } } },
      '/api/v1/alerts/presets/{name}': {
        post: { summary: 'apply a preset', parameters: [nameParam, ifMatch], responses: { 200: ok('applied', 'PresetApply'), 404: { description: 'no such preset', ...json('Error') }, ...errors } },
        delete: { summary: 'remove a preset', parameters: [nameParam, ifMatch], responses: { 200: ok('removed', 'PresetRemove'), ...errors } },
      },
      '/api/v1/alerts/rules': { get: { summary: 'the rules that run: presets + overrides + custom rules', responses: { 200: ok('rules', 'RulesList'), ...errors } } },
      '/api/v1/alerts/rules/{name}': { patch: { summary: 'override threshold, for, severity or disabled (null resets to the preset value)', parameters: [nameParam, ifMatch], requestBody: json('RuleOverride'), responses: { 200: ok('changed', 'RulePatch'), 404: { description: 'no such rule', ...json('Error') }, ...errors } } },
      '/api/v1/alerts/custom': { post: { summary: 'add a custom rule; its PromQL is checked by promtool first', parameters: [ifMatch], requestBody: json('CustomRule'), responses: { 201: ok('added', 'CustomRuleAdd'), ...errors } } },
      '/api/v1/alerts/custom/{name}': { delete: { summary: 'remove a custom rule', parameters: [nameParam, ifMatch], responses: { 200: ok('removed', 'CustomRuleRemove'), ...errors } } },
      '/api/v1/alerts/validate': { post: { summary: 'check a PromQL expression with promtool', requestBody: json('ExpressionCheckRequest'), responses: { 200: ok('{valid, error?}', 'ExpressionCheck'), ...errors } } },
      '/api/v1/alerts/compile-status': { get: { summary: 'whether the last compile passed promtool/amtool and reloaded Prometheus and Alertmanager', responses: { 200: ok('status', 'CompileStatus'), ...errors } } },
      '/api/v1/alerts/firing': { get: { summary: 'alerts firing in Alertmanager, with the Xid explanation where one applies', responses: { 200: ok('alerts', 'FiringAlerts'), 503: { description: 'Alertmanager unreachable', ...json('Error') }, ...errors } } },
      '/api/v1/notifications/channels': { get: { summary: 'Slack and email channels and routing, secrets redacted', responses: { 200: ok('channels', 'NotificationChannels'), ...errors } } },
      '/api/v1/notifications/slack': { put: { summary: 'set the Slack channel (a left-out webhook_url keeps the stored one)', parameters: [ifMatch], requestBody: json('SlackChannelEdit'), responses: { 200: ok('saved: the channels now', 'NotificationChannels'), ...errors } } },
      '/api/v1/notifications/email': { put: { summary: 'set the email channel (a left-out password keeps the stored one)', parameters: [ifMatch], requestBody: json('EmailChannelEdit'), responses: { 200: ok('saved: the channels now', 'NotificationChannels'), ...errors } } },
      '/api/v1/notifications/routing': { put: { summary: 'which channels each severity goes to', parameters: [ifMatch], requestBody: json('RoutingEdit'), responses: { 200: ok('routing set: the channels now', 'NotificationChannels'), ...errors } } },
      '/api/v1/notifications/{channel}': { delete: { summary: 'remove a channel', parameters: [{ name: 'channel', in: 'path', required: true, schema: { enum: ['slack', 'email'] } }, ifMatch], responses: { 200: ok('removed: the channels now', 'NotificationChannels'), ...errors } } },
      '/api/v1/notifications/test': { post: { summary: 'send a real test message through a channel (via the relay) and return its answer', requestBody: json('NotificationTestRequest'), responses: { 200: ok('{channel, ok}: delivered; or {channel, ok: false, retry, reason, error}: refused, in the channel words', 'NotificationTestResult'), 503: { description: 'relay unreachable', ...json('Error') }, ...errors } } },
      '/api/v1/notifications/status': { get: { summary: 'queued, sent, failed and dead-lettered counts per channel (from the relay)', responses: { 200: ok('counts', 'NotificationsStatus'), ...errors } } },
      '/api/v1/notifications/dead-letters': { get: { summary: 'notifications that could not be delivered', responses: { 200: ok('dead letters', 'DeadLetters'), ...errors } } },
      '/api/v1/notifications/dead-letters/{id}/retry': { post: { summary: 'send a dead letter again (via the relay)', parameters: [idParam], responses: { 202: ok('{retried}', 'DeadLetterRetry'), 404: { description: 'no such dead letter', ...json('Error') }, ...errors } } },
      '/api/v1/xid': { get: { summary: 'the Xid catalog', parameters: [{ name: 'severity', in: 'query', schema: { enum: ['critical', 'warning', 'info'] } }], responses: { 200: ok('entries', 'XidList'), ...errors } } },
      '/api/v1/xid/search': { get: { summary: 'search the Xid catalog by word or number', parameters: [{ name: 'q', in: 'query', required: true, schema: { type: 'string' } }], responses: { 200: ok('entries', 'XidList'), ...errors } } },
      '/api/v1/xid/{code}': { get: { summary: 'what one Xid means and what to do', parameters: [codeParam], responses: { 200: ok('entry', 'XidEntry'), 404: { description: 'unknown code', ...json('Error') } } } },
      '/api/v1/sxid/{code}': { get: { summary: 'what one NVSwitch SXid means', parameters: [codeParam], responses: { 200: ok('entry', 'SxidEntry'), 404: { description: 'unknown code', ...json('Error') } } } },
      '/api/v1/install/runs': {
        get: { summary: 'the latest install runs, newest first (install-worker)', parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200 } }], responses: { 200: ok('runs, without per-node states', 'InstallRunsList'), ...errors } },
        post: { summary: 'start an install/upgrade/uninstall/verify run on nodes (install-worker)', requestBody: json('InstallRunRequest'), responses: { 202: ok('{runId}', 'InstallRunStarted'), ...errors } },
      },
      '/api/v1/install/runs/{id}': { get: { summary: 'progress and result of each node of a run', parameters: [idParam], responses: { 200: ok('run', 'InstallRun'), ...errors } } },
      '/api/v1/install/nodes/{name}/last': { get: { summary: 'the last install result of a node', parameters: [nameParam], responses: { 200: ok('result', 'InstallNodeRun'), ...errors } } },
      '/api/v1/nodes/test': { post: { summary: 'check SSH reachability of nodes in parallel', requestBody: json('NodesTestRequest'), responses: { 200: ok('per-node result', 'NodesTest'), ...errors } } },
      '/api/v1/nodes/{name}/host-key': { get: { summary: 'the SSH host key the node offers now and the one pinned for it (nothing is changed)', parameters: [nameParam], responses: { 200: ok('{node, host, port, type, fingerprint, pinned, status}', 'HostKeyView'), ...errors } } },
      '/api/v1/nodes/{name}/trust': { post: { summary: "accept a node's new SSH host key", parameters: [nameParam], requestBody: json('HostKeyTrustRequest'), responses: { 200: ok('trusted', 'HostKeyTrust'), ...errors } } },
      '/api/v1/topology/refresh': { post: { summary: 'read the GPU topology (nvidia-smi topo -m, nvlink -s, nvlink -e, --query-gpu) of nodes over SSH now and keep it (install-worker)', requestBody: json('TopologyRefreshRequest'), responses: { 200: ok('per-node topology', 'TopologyRefresh'), ...errors } } },
      '/api/v1/topology': { get: { summary: 'the last topology of every node that has one: NVLink pairs, links down, how it differs from its peers or its kind\'s pin (install-worker)', responses: { 200: ok('per-node summaries', 'TopologyList'), ...errors } } },
      '/api/v1/topology/{name}': { get: { summary: "a node's last topology: the matrix, affinities, NVLink speeds", parameters: [nameParam], responses: { 200: ok('topology', 'NodeTopology'), 404: { description: 'never taken', ...json('Error') }, ...errors } } },
      '/api/v1/topology/{name}/pin': {
        post: { summary: "make the node's topology the expected one of every node of its kind (same GPU model and count) (admin)", parameters: [nameParam], responses: { 200: ok('the pin', 'TopologyPin'), 404: { description: 'never taken', ...json('Error') }, ...errors } },
        delete: { summary: "remove the pin of the node's kind: its nodes are judged by their peers again (admin)", parameters: [nameParam], responses: { 200: ok('the pin removed', 'TopologyUnpin'), 404: { description: 'no pin', ...json('Error') }, ...errors } },
      },
      '/api/v1/health': { get: { summary: 'GPU health of every node, worst first: state, score, suggested action and reasons per GPU (analyzer)', responses: { 200: ok('fleet health', 'FleetHealth'), 503: { description: 'analyzer unreachable', ...json('Error') }, ...errors } } },
      '/api/v1/health/{name}': { get: { summary: "one node's GPUs with every check's result and the recent state changes", parameters: [nameParam, { name: 'gpu', in: 'query', schema: { type: 'integer', minimum: 0, maximum: 63 } }], responses: { 200: ok('node health', 'NodeHealth'), 404: { description: 'no health data for that node', ...json('Error') }, ...errors } } },
      '/api/v1/health/{name}/clear': { post: { summary: "forget a node's (or one GPU's) Xid findings and escalation after a repair; audited with the token name", parameters: [nameParam], requestBody: json('HealthClearRequest'), responses: { 200: ok('cleared', 'HealthClearResponse'), 404: { description: 'no health data for that node', ...json('Error') }, ...errors } } },
      '/api/v1/overview': { get: { summary: "the fleet at a glance: nodes up and down, GPUs by level or health state, firing alerts by severity, the last compile and install run, and every configured node's GPUs with their value of one metric (compact tuples, see the schema); a source that does not answer is named in `unavailable`", parameters: [{ name: 'metric', in: 'query', schema: { enum: ['health', 'temperature', 'utilization', 'memory', 'power'], default: 'temperature' } }], responses: { 200: ok('the overview (gzipped when the client accepts it)', 'Overview'), ...errors } } },
      '/api/v1/nodes/{name}/charts': { get: { summary: "one node's GPUs over a range: identity, readings now, about 240 points of utilisation, memory, temperature, power and clock-slowdown reasons, and the Xids counted as markers", parameters: [nameParam, { name: 'range', in: 'query', schema: { enum: ['1h', '6h', '24h', '7d'], default: '1h' } }], responses: { 200: ok('the charts', 'NodeCharts'), 404: { description: 'no such node in config.yaml', ...json('Error') }, 502: { description: 'Prometheus answered with an error or refused the credentials', ...json('Error') }, 503: { description: 'Prometheus unreachable', ...json('Error') }, ...errors } } },
      '/api/v1/tokens/{id}': { delete: { summary: 'revoke a token (admin)', parameters: [idParam], responses: { 204: { description: 'revoked' }, ...errors } } },
    },
  };
}
