import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { AamiConfig, loadPresetCatalog, type PresetCatalog } from '@aami/shared';
import { compileConfig, type CompileOptions } from './compile.ts';
import { checkGeneratedTree } from './validator.ts';
import { GeneratedTree } from './writer.ts';

/** The parts of the generated YAML the tests read. */
type PromYml = {
  global: { external_labels: Record<string, string> };
  alerting: { alertmanagers: Array<{ static_configs: unknown; basic_auth?: Record<string, string> }> };
  rule_files: string[];
  scrape_configs: Array<{ job_name: string; file_sd_configs: Array<{ files: string[] }>; relabel_configs: unknown; static_configs: unknown; basic_auth?: unknown }>;
};
type AmReceiver = {
  name: string;
  webhook_configs: unknown;
  slack_configs?: Array<{ api_url_file?: string; channel?: string }>;
  email_configs?: Array<{ auth_password_file?: string }>;
};
type AmYml = { route: { routes: Array<{ matchers: string[]; receiver: string }> }; receivers: AmReceiver[] };

let catalog: PresetCatalog;
before(async () => { catalog = await loadPresetCatalog(); });

const options = (extra: Partial<CompileOptions> = {}): CompileOptions => ({
  catalog,
  relayUrl: 'http://notification-relay:8081/',
  relayTokenFile: '/run/secrets/relay-token',
  alertmanagerUrl: 'http://alertmanager:9093',
  selfTargets: [{ service: 'analyzer', url: 'http://analyzer:8082' }],
  ...extra,
});

const sampleConfig = (extra: Record<string, unknown> = {}) => AamiConfig.parse({
  cluster: { name: 'prod' },
  nodes: [
    { name: 'gpu-node-02', ip: '192.168.1.102', labels: { rack: 'r2', gpu_type: 'h100' } },
    { name: 'gpu-node-01', ip: '192.168.1.101', labels: { rack: 'r1', gpu: 'oops' } },
    { name: 'gpu-node-v6', ip: 'fd00::5' },
  ],
  alerts: { presets: ['gpu-production', 'exporters'], custom: [{ name: 'TeamQuota', expr: 'sum by (node) (DCGM_FI_DEV_FB_USED) > 1e6', summary: 'quota on {{ $labels.node }}' }] },
  notifications: { slack: { webhook_url: '${SLACK_WEBHOOK_URL}', channel: '#gpu' } },
  ...extra,
});

test('the same config compiles to byte-identical files; node order in config.yaml does not matter', () => {
  const a = compileConfig(sampleConfig(), options());
  const b = compileConfig(sampleConfig(), options());
  assert.deepEqual([...a.files.entries()], [...b.files.entries()]);
  assert.equal(a.hash, b.hash);
  const reversed = sampleConfig();
  reversed.nodes.reverse();
  assert.equal(compileConfig(reversed, options()).hash, a.hash);
  const changed = sampleConfig({ alerts: { presets: ['gpu-production'], overrides: { GPUTemperatureCritical: { threshold: 88 } } } });
  assert.notEqual(compileConfig(changed, options()).hash, a.hash);
});

test('one file_sd file per node carries its name, the cluster and its labels, minus reserved ones', () => {
  const out = compileConfig(sampleConfig(), options({ installedExporters: new Map([['gpu-node-01', ['node_exporter', 'dcgm_exporter']], ['gpu-node-v6', ['dcgm_exporter', 'node_exporter']]]) }));
  const groups = JSON.parse(out.files.get('prometheus/targets/nodes/gpu-node-01.json')!) as Array<{ targets: string[]; labels: Record<string, string> }>;
  assert.deepEqual(groups, [
    { targets: ['192.168.1.101:9100'], labels: { __aami_job: 'node_exporter', cluster: 'prod', node: 'gpu-node-01', rack: 'r1' } },
    { targets: ['192.168.1.101:9400'], labels: { __aami_job: 'dcgm_exporter', cluster: 'prod', node: 'gpu-node-01', rack: 'r1' } },
  ]);
  const v6 = JSON.parse(out.files.get('prometheus/targets/nodes/gpu-node-v6.json')!) as Array<{ targets: string[] }>;
  assert.deepEqual(v6.map((g) => g.targets[0]), ['[fd00::5]:9100', '[fd00::5]:9400']);
  assert.ok(out.warnings.some((w) => w.path === 'nodes[].labels.gpu' && /gpu-node-01/.test(w.message)));
});

test('a dcgm-exporter target exists only where AAMI installed one or the node says one runs', () => {
  const jobsOf = (out: ReturnType<typeof compileConfig>, node: string) => (JSON.parse(out.files.get(`prometheus/targets/nodes/${node}.json`)!) as Array<{ labels: Record<string, string> }>).map((g) => g.labels['__aami_job']);
  // No install record, no setting: node_exporter alone (an impostor on :9400 is never scraped).
  const bare = compileConfig(sampleConfig(), options());
  assert.deepEqual(jobsOf(bare, 'gpu-node-01'), ['node_exporter']);
  // The install worker recorded node_exporter only (a CPU node): still no dcgm target.
  assert.deepEqual(jobsOf(compileConfig(sampleConfig(), options({ installedExporters: new Map([['gpu-node-01', ['node_exporter']]]) })), 'gpu-node-01'), ['node_exporter']);
  // The node's own setting wins over the record, both ways.
  const own = sampleConfig();
  own.nodes[1]!.exporters = ['dcgm_exporter'];
  assert.deepEqual(jobsOf(compileConfig(own, options({ installedExporters: new Map([['gpu-node-01', ['node_exporter']]]) })), 'gpu-node-01'), ['dcgm_exporter']);
  own.nodes[1]!.exporters = ['node_exporter', 'dcgm_exporter'];
  assert.deepEqual(jobsOf(compileConfig(own, options()), 'gpu-node-01'), ['node_exporter', 'dcgm_exporter']);
});

test('prometheus.yml scrapes both exporters from the target files, AAMI\'s services, and loads the rule files', () => {
  const out = compileConfig(sampleConfig(), options());
  const prom = YAML.parse(out.files.get('prometheus/prometheus.yml')!) as PromYml;
  assert.deepEqual(prom.scrape_configs.map((j) => j.job_name), ['node_exporter', 'dcgm_exporter', 'aami']);
  for (const job of prom.scrape_configs.slice(0, 2)) {
    assert.deepEqual(job.file_sd_configs[0]!.files, ['targets/nodes/*.json']);
    assert.deepEqual(job.relabel_configs, [{ source_labels: ['__aami_job'], regex: job.job_name, action: 'keep' }]);
  }
  assert.deepEqual(prom.scrape_configs[2]!.static_configs, [{ targets: ['analyzer:8082'], labels: { cluster: 'prod', node: 'aami-control', service: 'analyzer' } }]);
  // Every job caps what one scrape may bring (issue 13: an impostor exporter must not flood Prometheus).
  for (const job of prom.scrape_configs as unknown as Array<Record<string, unknown>>) {
    for (const limit of ['sample_limit', 'label_limit', 'label_name_length_limit', 'label_value_length_limit']) {
      assert.ok(typeof job[limit] === 'number' && (job[limit] as number) > 0, `${String(job['job_name'])} sets ${limit}`);
    }
  }
  assert.deepEqual(prom.rule_files, ['rules/custom.yml', 'rules/exporters.yml', 'rules/gpu-basic.yml', 'rules/gpu-production.yml']);
  assert.deepEqual(prom.alerting.alertmanagers[0]!.static_configs, [{ targets: ['alertmanager:9093'] }]);
  assert.equal(prom.alerting.alertmanagers[0]!.basic_auth, undefined, 'no basic auth unless Alertmanager asks for it');
  assert.equal(prom.global.external_labels.cluster, 'prod');
  const rules = YAML.parse(out.files.get('prometheus/rules/gpu-basic.yml')!) as { groups: Array<{ name: string; rules: Array<Record<string, unknown>> }> };
  assert.equal(rules.groups[0]!.name, 'aami.gpu-basic');
  assert.deepEqual(rules.groups[0]!.rules[0], {
    alert: 'GPUTemperatureCritical', expr: 'DCGM_FI_DEV_GPU_TEMP > 85', for: '5m',
    labels: { component: 'thermal', severity: 'critical' },
    annotations: rules.groups[0]!.rules[0]!.annotations,
  });
});

test('with Alertmanager behind basic auth, prometheus.yml names the password file and holds no password', () => {
  const auth = { username: 'aami', passwordFile: '/var/lib/aami/secrets/alertmanager-password' };
  const text = compileConfig(sampleConfig(), options({ alertmanagerBasicAuth: auth })).files.get('prometheus/prometheus.yml')!;
  const prom = YAML.parse(text) as PromYml;
  assert.deepEqual(prom.alerting.alertmanagers[0]!.basic_auth, { username: 'aami', password_file: '/var/lib/aami/secrets/alertmanager-password' });
  assert.doesNotMatch(text, /\bpassword:/);
  // The scrape jobs are the exporters and AAMI's services: none is Prometheus or Alertmanager, so
  // none needs their credentials.
  assert.deepEqual(prom.scrape_configs.map((j) => [j.job_name, j.basic_auth]), [['node_exporter', undefined], ['dcgm_exporter', undefined], ['aami', undefined]]);
});

test('a disabled rule is left out of its rule file; a preset left with no rules gets no file', () => {
  const out = compileConfig(sampleConfig({ alerts: { presets: ['gpu-basic'], overrides: Object.fromEntries(['GPUTemperatureCritical', 'GPUTemperatureWarning', 'GPUFramebufferHigh', 'GPUXidError'].map((n) => [n, { disabled: true }])) } }), options());
  const rules = YAML.parse(out.files.get('prometheus/rules/gpu-basic.yml')!) as { groups: Array<{ rules: Array<{ alert: string }> }> };
  assert.deepEqual(rules.groups[0]!.rules.map((r) => r.alert), ['NodeDown']);
  const none = compileConfig(sampleConfig({ alerts: { presets: ['gpu-basic'], overrides: { NodeDown: { disabled: true }, GPUTemperatureCritical: { disabled: true }, GPUTemperatureWarning: { disabled: true }, GPUFramebufferHigh: { disabled: true }, GPUXidError: { disabled: true } } } }), options());
  assert.equal([...none.files.keys()].filter((p) => p.includes('/rules/')).length, 0);
  assert.equal(none.summary.disabledRules, 5);
});

test('alertmanager.yml routes by severity to the relay webhook with a bearer token file and no secret', () => {
  const out = compileConfig(sampleConfig(), options());
  const text = out.files.get('alertmanager/alertmanager.yml')!;
  const am = YAML.parse(text) as AmYml;
  assert.deepEqual(am.route.routes.map((r) => [r.matchers[0], r.receiver]), [
    ['severity="critical"', 'aami-critical'], ['severity="warning"', 'aami-warning'], ['severity="info"', 'aami-info'],
  ]);
  for (const r of am.receivers) {
    assert.deepEqual(r.webhook_configs, [{
      url: 'http://notification-relay:8081/alertmanager/webhook', send_resolved: true, max_alerts: 0,
      http_config: { authorization: { type: 'Bearer', credentials_file: '/run/secrets/relay-token' } },
    }]);
    assert.equal(r.slack_configs, undefined, 'no direct Slack unless asked');
  }
  assert.doesNotMatch(text, /SLACK_WEBHOOK_URL|hooks\.slack/);
});

test('direct delivery adds Slack and email by notifications.routing, reading secrets from files', () => {
  const config = sampleConfig({
    notifications: {
      slack: { webhook_url: 'https://hooks.slack.com/services/T/B/secret', channel: '#gpu' },
      email: { smtp_host: 'smtp.example.com', from: 'aami@example.com', to: ['ops@example.com'], username: 'aami', password: 'hunter2' },
    },
  });
  const out = compileConfig(config, options({ direct: { slackApiUrlFile: '/run/secrets/slack', smtpPasswordFile: '/run/secrets/smtp' } }));
  const text = out.files.get('alertmanager/alertmanager.yml')!;
  assert.doesNotMatch(text, /hunter2|services\/T\/B/);
  const am = YAML.parse(text) as AmYml;
  const by = Object.fromEntries(am.receivers.map((r) => [r.name, r]));
  assert.equal(by['aami-critical']!.slack_configs![0]!.api_url_file, '/run/secrets/slack');
  assert.equal(by['aami-critical']!.email_configs![0]!.auth_password_file, '/run/secrets/smtp');
  assert.equal(by['aami-warning']!.slack_configs![0]!.channel, '#gpu');
  assert.equal(by['aami-warning']!.email_configs, undefined, 'warning goes to Slack only by default');
  assert.equal(by['aami-info']!.slack_configs, undefined);
  const noFile = compileConfig(config, options({ direct: {} }));
  assert.ok(noFile.warnings.some((w) => /AAMI_SMTP_PASSWORD_FILE/.test(w.message)));
  assert.doesNotMatch(noFile.files.get('alertmanager/alertmanager.yml')!, /hunter2/);
});

test('promtool and amtool accept what the compiler writes (every preset, custom rules, direct delivery, Alertmanager basic auth)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aami-compile-check-'));
  try {
    const config = sampleConfig({ alerts: { presets: [...catalog.presets.keys()], custom: [{ name: 'TeamQuota', expr: 'sum by (node) (DCGM_FI_DEV_FB_USED) > 1e6', summary: 'quota on {{ $labels.node }}' }] } });
    const out = compileConfig(config, options({ direct: { slackApiUrlFile: '/run/secrets/slack' }, alertmanagerBasicAuth: { username: 'aami', passwordFile: '/run/secrets/alertmanager-password' } }));
    const tree = new GeneratedTree(dir);
    const staging = await tree.stage(out.files, out.hash);
    const ruleFiles = [...out.files.keys()].filter((p) => p.startsWith('prometheus/rules/')).map((p) => p.slice('prometheus/'.length));
    assert.deepEqual(await checkGeneratedTree(staging.dir, ruleFiles), []);
    // and the checkers do catch a broken file: the check is not a rubber stamp
    const broken = new Map(out.files);
    broken.set('prometheus/targets/nodes/gpu-node-01.json', '[{"targets": "not-a-list"}]');
    const bad = await tree.stage(broken, 'x');
    const problems = await checkGeneratedTree(bad.dir, ruleFiles);
    assert.ok(problems.some((p) => p.path === 'prometheus/prometheus.yml' && /SD file/.test(p.message)), JSON.stringify(problems));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
