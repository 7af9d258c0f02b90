// The public HTTP API's shapes, as the UI reads them (the gateway's /api/v1 contract). Every answer
// is the shared zod schema's own type (shared/src/api/, shared/src/health/), re-exported here as
// types only: esbuild erases them, so the bundle gets no zod and the UI cannot drift from what the
// gateway answers. What is defined here is the UI's own: form inputs and display states. An
// internal portal calling the same API sees exactly what the UI shows.
import type { InstallNodeState } from '@aami/shared/api/install';
import type { Severity } from '@aami/shared/config/schema';

export type { Severity } from '@aami/shared/config/schema';
export const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];

// The error envelope of every failed call, and its `{path?, line?, message}` problems.
export type { ErrorEnvelope as ErrorBody } from '@aami/shared/http/json-errors';
export type { CompileQueueResult as CompileRequest, ProblemDetail as ErrorDetail } from '@aami/shared/api/common';

// Sign-in: GET /config and GET /whoami.
export type { Role, WhoamiResponse as Whoami } from '@aami/shared/api/tokens';
export type { ConfigResponse as ConfigView } from '@aami/shared/api/config';

// Nodes.
export type {
  NodeAddResponse, NodeLiveness, NodeView, NodesImportResponse as ImportResult, NodesListResponse as NodesList,
} from '@aami/shared/api/nodes';

// Alert rules and presets, the compile status, firing alerts.
export type {
  CustomRuleAddResponse, ExpressionCheckResponse as Validation, FiringAlert, FiringAlertsResponse, FiringXid as XidInfo, PresetApplyResponse,
  PresetRemoveResponse, PresetRuleView, PresetView, PresetsListResponse, RulePatchResponse as RulePatchResult, RuleView,
  RulesListResponse as RulesList,
} from '@aami/shared/api/alerts';
export type { AlertsCompileStatus as CompileStatus } from '@aami/shared/api/compile-status';

/** A rule change the rules screen sends; `null` puts a field back to the preset's value. */
export interface RulePatch {
  threshold?: number | null;
  for?: string | null;
  severity?: Severity | null;
  disabled?: boolean | null;
}

/** The new-custom-rule form, as it is sent (the rule compiler fills in the rest). */
export interface CustomRuleInput {
  name: string;
  expr: string;
  for: string;
  severity: Severity;
  summary: string;
  description: string;
}

// Notification channels and routing; POST /notifications/test and the channel vocabulary.
export type {
  ChannelName, ChannelRouting as Routing, EmailView, FailureReason, NotificationChannelsResponse as ChannelsView, NotificationTestResult, SlackView,
} from '@aami/shared/api/notifications';

// The Xid catalog: one entry as GET /xid/:code answers it, and the list answers.
export type { XidEntry } from '@aami/shared/xid/catalog-schema';
export type { XidListResponse } from '@aami/shared/api/xid';

// Install runs (the install-worker's answers, passed on by the gateway).
export type { InstallNodeRun, InstallRun, InstallRunStarted } from '@aami/shared/api/install';

/** A node's install state as the UI draws it: the worker's, with "done, nothing to change" told apart. */
export type InstallState = InstallNodeState | 'unchanged';

/** One node's progress in an install run, as the UI draws it. */
export interface InstallNodeProgress {
  node: string;
  state: InstallState;
  progress: number;
  step?: string;
  reason?: string;
  durationMs?: number;
}

// GPU health (/api/v1/health): the shared zod schemas' own types. The shared `NodeHealth` is the
// health view's node; the nodes table's live health is `NodeLiveness`.
export type {
  CheckResult, EvaluationStatus, FleetHealthResponse, GpuHealth, HealthAction, HealthClearRequest, HealthClearResponse,
  HealthState, HealthTransition, NodeHealthResponse, NodeHealth as HealthNode,
} from '@aami/shared/health/schema';

// GPU interconnect topology (/api/v1/topology): each node's last `nvidia-smi topo -m` / `nvlink -s`
// / `--query-gpu`, judged against its peers or its kind's pin, and the pins.
export type {
  NodeTopology, TopologyList, TopologyPinInfo, TopologyPinResponse, TopologyRefreshResponse, TopologyState, TopologyUnpinResponse,
} from '@aami/shared/api/topology';
export type { GpuLinkCount, TopoDeviation, TopoExpectation } from '@aami/shared/topology/expected';
export type { LinkType, TopoGpu, TopoLink, TopoMatrix, TopoNic, TopoSummary } from '@aami/shared/topology/topo-matrix';
export type { NvlinkGpu, NvlinkState } from '@aami/shared/topology/nvlink-status';
export type { GpuIdentity } from '@aami/shared/topology/gpu-identity';

// The fleet overview (GET /api/v1/overview) and a node's charts (GET /api/v1/nodes/:name/charts).
export type {
  ChartGpu, ChartRange, ChartReadings, ChartSeries, ChartSeriesName, ClockReasonBit, GpuLevel, NodeChartsResponse, OverviewGpu, OverviewInstallRun,
  OverviewLegend, OverviewMetric, OverviewNode, OverviewResponse, OverviewSourceProblem, OverviewSummary, XidMarker,
} from '@aami/shared/api/overview';
