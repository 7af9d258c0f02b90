// The public HTTP API's shapes, as the UI reads them (the gateway's /api/v1 contract). The UI uses
// nothing else, so an internal portal calling the same API sees exactly what the UI shows.
import type { ChannelName } from '@aami/shared/api/notifications';

export type Role = 'admin' | 'viewer';
export type Severity = 'critical' | 'warning' | 'info';
export const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];

/** One `{path?, line?, message}` problem of an error answer. */
export interface ErrorDetail {
  path?: string;
  line?: number;
  message: string;
}

export interface ErrorBody {
  error: { code: string; message: string; details?: ErrorDetail[] };
}

export interface Whoami {
  name: string;
  role: Role;
}

export interface ConfigView {
  revision: number;
  config: { cluster: { name: string }; ssh?: { user?: string; port?: number; key?: string } };
}

export interface NodeHealth {
  status: 'up' | 'down' | null;
  gpus: number | null;
  alerts: number | null;
}

export interface NodeView {
  name: string;
  ip: string;
  ssh_user?: string;
  ssh_key?: string;
  ssh_port?: number;
  labels: Record<string, string>;
  health: NodeHealth;
}

export interface NodesList {
  revision: number;
  nodes: NodeView[];
}

/** What each write says about the compile it asked for. */
export type CompileRequest = { queued: true } | { queued: false; reason: string };

export interface ImportResult {
  revision: number;
  added: number;
  names: string[];
  skipped: ErrorDetail[];
  compile?: CompileRequest;
}

export interface PresetView {
  name: string;
  description: string;
  applied: boolean;
  /** Presets whose rules this one also applies. */
  include?: string[];
  rules: Array<{ name: string; summary: string; severity: Severity }>;
}

export interface Threshold {
  value: number;
  default: number;
  unit: string;
  description: string;
  min?: number;
  max?: number;
}

export interface RuleView {
  name: string;
  preset: string;
  summary: string;
  severity: Severity;
  for: string;
  enabled: boolean;
  threshold: Threshold | null;
  condition_template?: string | null;
  expr: string;
  overridden: boolean;
  /** Which fields differ from the preset (threshold, for, severity, disabled). */
  overridden_fields?: string[];
  runbook?: string;
  description?: string;
}

export interface RulesList {
  revision: number;
  rules: RuleView[];
}

/** A rule change; `null` puts a field back to the preset's value. */
export interface RulePatch {
  threshold?: number | null;
  for?: string | null;
  severity?: Severity | null;
  disabled?: boolean | null;
}

export interface RulePatchResult {
  revision: number;
  rule: RuleView;
  compile?: CompileRequest;
}

// GET /alerts/compile-status: the shared schema's type (types only).
export type { AlertsCompileStatus as CompileStatus } from '@aami/shared/api/compile-status';

export interface CustomRuleInput {
  name: string;
  expr: string;
  for: string;
  severity: Severity;
  summary: string;
  description: string;
}

export interface Validation {
  valid: boolean;
  error?: string;
}

export interface XidInfo {
  code: number;
  title: string;
  severity: Severity;
  meaning: string;
  causes: string[];
  actions: string[];
  if_repeats?: string;
}

export interface FiringAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  state?: string;
  xid?: XidInfo;
}

export interface SlackView {
  enabled: boolean;
  channel?: string;
  webhook_url: string;
}

export interface EmailView {
  enabled: boolean;
  smtp_host: string;
  smtp_port: number;
  tls: 'starttls' | 'implicit' | 'none';
  from: string;
  to: string[];
  username?: string;
  password?: string;
}


export interface Routing {
  critical: ChannelName[];
  warning: ChannelName[];
  info: ChannelName[];
}

export interface ChannelsView {
  revision: number;
  slack: SlackView | null;
  email: EmailView | null;
  routing: Routing;
}

// POST /notifications/test and the channel vocabulary: the shared schemas' types (types only).
export type { ChannelName, FailureReason, NotificationTestResult } from '@aami/shared/api/notifications';

export interface XidEntry {
  code: number;
  name: string;
  title: string;
  severity: Severity;
  origin: string;
  meaning: string;
  causes: string[];
  actions: string[];
  if_repeats: string;
  unused: boolean;
}

export type InstallState = 'queued' | 'running' | 'retrying' | 'done' | 'failed' | 'unchanged';

/** One node's progress in an install run, as the UI draws it. */
export interface InstallNodeProgress {
  node: string;
  state: InstallState;
  progress: number;
  step?: string;
  reason?: string;
  durationMs?: number;
}

/**
 * GET /install/runs/:id as the install-worker answers it (forwarded by the gateway): per-node
 * states under `states` (with `percent` and `result`), or under `nodes` (with `progress`).
 */
export interface InstallRunRaw {
  runId?: string;
  id?: string;
  nodes?: Array<string | RawNodeState>;
  states?: RawNodeState[];
}

export interface RawNodeState {
  node: string;
  state: string;
  progress?: number;
  percent?: number;
  step?: string;
  reason?: string;
  result?: string;
  durationMs?: number;
}

// GPU health (/api/v1/health): the shared zod schemas' own types, imported as types only, so the
// bundle gets no zod and the UI cannot drift from what the analyzer answers. The shared
// `NodeHealth` is the health view's node; the name above belongs to the nodes table.
export type {
  CheckResult, EvaluationStatus, FleetHealthResponse, GpuHealth, HealthAction, HealthClearRequest, HealthClearResponse,
  HealthState, HealthTransition, NodeHealthResponse, NodeHealth as HealthNode,
} from '@aami/shared/health/schema';
