// The config.yaml schema: the single source of truth for what AAMI may be told. Every object is
// strict, so a typo ("ssh_usr") is an error that names the key instead of a silent no-op.
import { CONFIG_FORMAT } from './versions.ts';
import { z } from 'zod';
import { isIP } from 'node:net';
import { ENV_REF_PATTERN, SECRET_REF_PATTERN } from './references.ts';
import { durationMs } from './duration.ts';
import { ExporterName } from '../installed-exporters.ts';

/** `${VAR}` and `${secret:name}` references, kept verbatim in the file and expanded only in memory. */
const envRef = z.string().regex(ENV_REF_PATTERN);
const secretRef = z.string().regex(SECRET_REF_PATTERN);

/** Node and cluster names: what Prometheus labels, file names and shells can all carry safely. */
export const NodeName = z
  .string()
  .min(1, 'must not be empty')
  .max(63, 'must be at most 63 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'may hold only letters, digits, ".", "_" and "-", and must start with a letter or digit');

/** An IPv4/IPv6 address or a DNS host name. */
export const HostAddress = z
  .string()
  .min(1, 'must not be empty')
  .refine(
    (v) => isIP(v) !== 0 || (/^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/.test(v) && !/^[0-9.]+$/.test(v)),
    { message: 'is not a valid IP address or host name' },
  );

export const Port = z.number().int().min(1).max(65535);

/** Prometheus label names and values a node carries into every series it exports. */
export const Labels = z.record(
  z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'label names must match [a-zA-Z_][a-zA-Z0-9_]*').refine((k) => !k.startsWith('__'), 'label names starting with "__" are reserved by Prometheus'),
  z.string().max(256),
);

/** Prometheus duration: 30s, 5m, 1h30m, 15d... */
export const Duration = z.string().regex(/^([0-9]+(ms|s|m|h|d|w|y))+$/, 'must be a Prometheus duration such as 30s, 5m, 1h or 15d');

/**
 * A Duration that Prometheus and Alertmanager also take as a length of time above zero: units from
 * the largest to the smallest, each once ("1h30m", not "30m1h"). For values AAMI hands to them as
 * flags or settings that must not be zero.
 */
export const PositiveDuration = Duration.superRefine((v, ctx) => {
  if (!Duration.safeParse(v).success) return; // Duration's own message says what is wrong
  const ms = durationMs(v);
  if (ms === undefined) ctx.addIssue({ code: 'custom', message: 'must list its units from the largest to the smallest, each once (1h30m, not 30m1h)' });
  else if (ms === 0) ctx.addIssue({ code: 'custom', message: 'must be longer than zero' });
});

export const Severity = z.enum(['critical', 'warning', 'info']);
/** The channels AAMI delivers to (notifications.routing, the relay, the API). */
export const ChannelName = z.enum(['slack', 'email']);
export type ChannelName = z.infer<typeof ChannelName>;

export const Node = z.strictObject({
  name: NodeName,
  ip: HostAddress,
  ssh_user: z.string().min(1).optional(),
  ssh_key: z.string().min(1).optional(),
  ssh_port: Port.optional(),
  labels: Labels.default({}),
  /**
   * Exporters that run on the node without AAMI installing them (a site's own dcgm-exporter, a
   * simulator). Unset: Prometheus scrapes what AAMI installed there, or node_exporter alone.
   */
  exporters: z.array(ExporterName).min(1).optional(),
});

export const SshDefaults = z.strictObject({
  user: z.string().min(1).default('root'),
  key: z.string().min(1).optional(),
  port: Port.default(22),
  concurrency: z.number().int().min(1).max(2000).default(100),
  connect_timeout_s: z.number().positive().max(600).default(10),
  command_timeout_s: z.number().positive().max(86400).default(300),
  jump_host: z.string().min(1).optional(),
  known_hosts_path: z.string().min(1).optional(),
  /**
   * First contact with a node that has no key in known_hosts: `tofu` pins the key it offers once
   * the login succeeded; `strict` refuses it until `aami nodes trust NAME` pins one.
   */
  host_keys: z.enum(['tofu', 'strict']).default('tofu'),
});

export const RuleOverride = z.strictObject({
  threshold: z.number({ error: (i) => `must be a number (got ${JSON.stringify(i.input)})` }).finite().optional(),
  for: Duration.optional(),
  severity: Severity.optional(),
  disabled: z.boolean().optional(),
});

export const CustomRule = z.strictObject({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'rule names are letters, digits and "_", starting with a letter'),
  expr: z.string().min(1),
  for: Duration.default('5m'),
  severity: Severity.default('warning'),
  summary: z.string().min(1),
  description: z.string().default(''),
  labels: Labels.default({}),
});

export const Alerts = z.strictObject({
  presets: z.array(z.string().min(1)).default([]),
  overrides: z.record(z.string(), RuleOverride).default({}),
  custom: z.array(CustomRule).default([]),
});

const secretString = z.string().min(1);

export const SlackChannel = z.strictObject({
  enabled: z.boolean().default(true),
  webhook_url: z.union([envRef, secretRef, z.url({ protocol: /^https?$/ })], { error: 'must be an http(s) URL, a ${VAR} reference or a ${secret:name} reference' }),
  channel: z.string().optional(),
});

export const EmailChannel = z.strictObject({
  enabled: z.boolean().default(true),
  smtp_host: HostAddress,
  smtp_port: Port.default(587),
  tls: z.enum(['starttls', 'implicit', 'none']).default('starttls'),
  from: z.string().min(3),
  to: z.array(z.string().min(3)).min(1),
  username: z.string().optional(),
  password: secretString.optional(),
});

/** Reminder intervals by default: a critical alert every hour, a warning every 4 h, info once a day. */
const DEFAULT_REPEAT = { critical: '1h', warning: '4h', info: '24h' } as const;

export const NotificationRepeat = z.strictObject({
  critical: PositiveDuration.default(DEFAULT_REPEAT.critical),
  warning: PositiveDuration.default(DEFAULT_REPEAT.warning),
  info: PositiveDuration.default(DEFAULT_REPEAT.info),
});

export const Notifications = z.strictObject({
  slack: SlackChannel.optional(),
  email: EmailChannel.optional(),
  /** Which channels each severity goes to; a channel missing from config is skipped. */
  routing: z
    .strictObject({
      critical: z.array(ChannelName).default(['slack', 'email']),
      warning: z.array(ChannelName).default(['slack']),
      info: z.array(ChannelName).default([]),
    })
    .default({ critical: ['slack', 'email'], warning: ['slack'], info: [] }),
  /**
   * How often Alertmanager reminds of an alert that is still firing, per severity (its
   * repeat_interval). The relay lets each reminder through, so this is the one place to set it.
   */
  repeat: NotificationRepeat.default(DEFAULT_REPEAT),
});

export const PrometheusSettings = z.strictObject({
  /** How long Prometheus keeps samples; handed to it at start (a change applies when it restarts). */
  retention: PositiveDuration.default('15d'),
  scrape_interval: Duration.default('15s'),
  evaluation_interval: Duration.default('15s'),
});

const ArtifactPart = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'letters, digits and . _ + - only');

/**
 * The SHA-256 an exporter artifact must have before the install worker ships it to a node. Kept
 * here, not beside the artifact: the artifact store is writable by the install worker, config.yaml
 * only through the gateway. When a name has pins, the newest stored artifact of that name must be
 * a pinned version with that digest.
 */
export const ArtifactPin = z.strictObject({
  name: ArtifactPart,
  version: ArtifactPart,
  arch: ArtifactPart,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'the 64 lowercase hex digits sha256sum prints'),
});
export type ArtifactPin = z.infer<typeof ArtifactPin>;

export const Artifacts = z.strictObject({
  pins: z.array(ArtifactPin).default([]).superRefine((pins, ctx) => {
    const seen = new Set<string>();
    pins.forEach((p, i) => {
      const key = `${p.name}/${p.version}/${p.arch}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i], message: `${key} is pinned twice` });
      seen.add(key);
    });
  }),
});

/**
 * The whole config.yaml. `version` is the file's format (versions.ts migrates older ones before this
 * schema sees them); `revision` is owned by the config store: it counts writes.
 */
export const AamiConfig = z.strictObject({
  version: z.literal(CONFIG_FORMAT).default(CONFIG_FORMAT),
  revision: z.number().int().min(0).default(0),
  cluster: z.strictObject({ name: NodeName }).default({ name: 'gpu-cluster' }),
  ssh: SshDefaults.default({ user: 'root', port: 22, concurrency: 100, connect_timeout_s: 10, command_timeout_s: 300, host_keys: 'tofu' }),
  nodes: z.array(Node).default([]),
  alerts: Alerts.default({ presets: [], overrides: {}, custom: [] }),
  notifications: Notifications.default({ routing: { critical: ['slack', 'email'], warning: ['slack'], info: [] }, repeat: { ...DEFAULT_REPEAT } }),
  prometheus: PrometheusSettings.default({ retention: '15d', scrape_interval: '15s', evaluation_interval: '15s' }),
  artifacts: Artifacts.default({ pins: [] }),
}).superRefine((cfg, ctx) => {
  // Two nodes with one name or one address would scrape and alert as one: refuse both.
  const seenName = new Map<string, number>();
  const seenIp = new Map<string, number>();
  cfg.nodes.forEach((n, i) => {
    const byName = seenName.get(n.name);
    if (byName !== undefined) ctx.addIssue({ code: 'custom', path: ['nodes', i, 'name'], message: `duplicate node name "${n.name}" (also nodes[${byName}])` });
    else seenName.set(n.name, i);
    const byIp = seenIp.get(n.ip);
    if (byIp !== undefined) ctx.addIssue({ code: 'custom', path: ['nodes', i, 'ip'], message: `duplicate address ${n.ip} (also nodes[${byIp}], ${cfg.nodes[byIp]?.name})` });
    else seenIp.set(n.ip, i);
  });
});

export type AamiConfig = z.infer<typeof AamiConfig>;
export type Node = z.infer<typeof Node>;
export type RuleOverride = z.infer<typeof RuleOverride>;
export type CustomRule = z.infer<typeof CustomRule>;
export type Severity = z.infer<typeof Severity>;

/**
 * Paths (in YAML path form) of values that are secrets: never logged, never returned by the API.
 * The config store keeps the notification ones in secrets.json (see secret-fields.ts).
 */
export const SECRET_PATHS: readonly string[] = [
  'notifications.slack.webhook_url',
  'notifications.email.password',
];
