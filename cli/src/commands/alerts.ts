// `aami alerts ...`: presets, the rules they run, per-rule tuning and what fires now, through the API.
import type { Command } from 'commander';
import type {
  AlertsCompileStatus, CompileQueueResult, CustomRuleAddResponse, CustomRuleRemoveResponse, ExpressionCheckResponse, FiringAlertsResponse, PresetApplyResponse,
  PresetRemoveResponse, PresetsListResponse, RulePatchResponse, RuleView, RulesListResponse,
} from '@aami/shared';
import { clientFor, outputFormat } from '../context.ts';
import { CliError, UsageError } from '../errors.ts';
import { printJson, renderTable, terminalSafe as safe } from '../output.ts';

const DURATION = /^([0-9]+(ms|s|m|h|d|w|y))+$/;

function compileNote(c: CompileQueueResult | undefined): string {
  if (!c) return '';
  return c.queued ? ' The rule compiler will apply it shortly (aami alerts status).' : ` Not compiled yet: ${safe(c.reason)}.`;
}

/** The rule a PATCH answered; null only when the rule vanished meanwhile. */
function patchedRule(res: RulePatchResponse, name: string): RuleView {
  if (!res.rule) throw new CliError(`${name} was changed (config revision ${res.revision}) but is no longer among the rules`);
  return res.rule;
}

/** "GPU core temperature ... > 90 °C for 5m" */
export function describeCondition(r: Pick<RuleView, 'condition_template' | 'threshold' | 'summary' | 'for'>): string {
  const cond = r.condition_template && r.threshold ? r.condition_template.replace('{{threshold}}', String(r.threshold.value)) : r.summary;
  return `${cond} for ${r.for}`;
}

export function registerAlertsCommands(program: Command): void {
  const alerts = program.command('alerts').description('alert presets and rules');

  alerts.command('list-presets')
    .description('the presets AAMI ships and whether each is applied')
    .action(async (_o: unknown, cmd: Command) => {
      const res = await (await clientFor(cmd)).request<PresetsListResponse>('GET', '/api/v1/alerts/presets');
      if (outputFormat(cmd) === 'json') return printJson(res);
      process.stdout.write(`${renderTable(['Preset', 'Applied', 'Rules', 'What it covers'], res.presets.map((p) => [p.name, p.applied ? '✔' : '', String(p.rules.length), p.description.length > 70 ? `${p.description.slice(0, 67)}...` : p.description]))}\n`);
    });

  alerts.command('apply-preset')
    .description('apply a preset (its rules start running once compiled)')
    .argument('<name>')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const res = await (await clientFor(cmd)).request<PresetApplyResponse>('POST', `/api/v1/alerts/presets/${encodeURIComponent(name)}`);
      if (outputFormat(cmd) === 'json') return printJson(res);
      process.stdout.write(`Applied ${name}: ${res.active_rules} alert rule(s) active (config revision ${res.revision}).${compileNote(res.compile)}\n`);
    });

  alerts.command('remove-preset')
    .description('stop running a preset')
    .argument('<name>')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const res = await (await clientFor(cmd)).request<PresetRemoveResponse>('DELETE', `/api/v1/alerts/presets/${encodeURIComponent(name)}`);
      if (outputFormat(cmd) === 'json') return printJson(res);
      process.stdout.write(`Removed ${name} (config revision ${res.revision}).${compileNote(res.compile)}\n`);
    });

  alerts.command('list')
    .description('every rule that runs, with its condition and severity')
    .action(async (_o: unknown, cmd: Command) => {
      const res = await (await clientFor(cmd)).request<RulesListResponse>('GET', '/api/v1/alerts/rules');
      if (outputFormat(cmd) === 'json') return printJson(res);
      if (res.rules.length === 0) {
        process.stdout.write('No alert rules yet. Apply a preset: aami alerts apply-preset gpu-production\n');
        return;
      }
      process.stdout.write(`${renderTable(['Rule', 'On', 'Severity', 'Condition', 'From'], res.rules.map((r) => [r.name, r.enabled ? '✔' : '✖', r.severity, describeCondition(r) + (r.overridden ? ' *' : ''), r.preset]))}\n* = changed from the preset's default (aami alerts reset RULE)\n`);
    });

  alerts.command('set')
    .description('tune one rule: threshold, duration, severity')
    .argument('<rule>')
    .option('--threshold <number>', 'new threshold (in the rule\'s unit)')
    .option('--for <duration>', 'how long the condition must hold, e.g. 5m')
    .option('--severity <level>', 'critical, warning or info')
    .action(async (rule: string, opts: { threshold?: string; for?: string; severity?: string }, cmd: Command) => {
      const body: Record<string, unknown> = {};
      // Numbers go as numbers; anything else is sent as typed so the API names the bad field.
      if (opts.threshold !== undefined) body.threshold = /^-?\d+(\.\d+)?$/.test(opts.threshold) ? Number(opts.threshold) : opts.threshold;
      if (opts.for !== undefined) {
        if (!DURATION.test(opts.for)) throw new UsageError(`--for wants a duration like 30s, 5m or 1h, got "${opts.for}"`);
        body.for = opts.for;
      }
      if (opts.severity !== undefined) body.severity = opts.severity;
      if (Object.keys(body).length === 0) throw new UsageError('nothing to change: give --threshold, --for or --severity');
      const res = await (await clientFor(cmd)).request<RulePatchResponse>('PATCH', `/api/v1/alerts/rules/${encodeURIComponent(rule)}`, body);
      if (outputFormat(cmd) === 'json') return printJson(res);
      const now = patchedRule(res, rule);
      process.stdout.write(`${safe(`${rule}: ${describeCondition(now)}, ${now.severity}`)} (config revision ${res.revision}).${compileNote(res.compile)}\n`);
    });

  for (const [verb, body, what] of [['disable', { disabled: true }, 'stop evaluating a rule'], ['enable', { disabled: null }, 'evaluate a disabled rule again'], ['reset', { threshold: null, for: null, severity: null, disabled: null }, "go back to the preset's defaults"]] as const) {
    alerts.command(verb)
      .description(what)
      .argument('<rule>')
      .action(async (rule: string, _o: unknown, cmd: Command) => {
        const res = await (await clientFor(cmd)).request<RulePatchResponse>('PATCH', `/api/v1/alerts/rules/${encodeURIComponent(rule)}`, body);
        if (outputFormat(cmd) === 'json') return printJson(res);
        const now = patchedRule(res, rule);
        process.stdout.write(`${safe(`${rule}: ${now.enabled ? 'enabled' : 'disabled'}, ${describeCondition(now)}`)} (config revision ${res.revision}).${compileNote(res.compile)}\n`);
      });
  }

  const custom = alerts.command('custom').description('your own PromQL rules, checked by promtool before they are saved');
  custom.command('add')
    .description('add a rule: fires when EXPR returns anything for the --for duration')
    .argument('<name>', 'rule name: letters, digits and _')
    .requiredOption('--expr <promql>', 'the PromQL condition, e.g. DCGM_FI_DEV_GPU_TEMP > 85')
    .requiredOption('--summary <text>', 'one line for the notification; {{ $labels.node }} works')
    .option('--for <duration>', 'how long the condition must hold', '5m')
    .option('--severity <level>', 'critical, warning or info', 'warning')
    .option('--description <text>', 'more words for the notification')
    .action(async (name: string, opts: { expr: string; summary: string; for: string; severity: string; description?: string }, cmd: Command) => {
      if (!DURATION.test(opts.for)) throw new UsageError(`--for wants a duration like 30s, 5m or 1h, got "${opts.for}"`);
      const res = await (await clientFor(cmd)).request<CustomRuleAddResponse>('POST', '/api/v1/alerts/custom', {
        name, expr: opts.expr, summary: opts.summary, for: opts.for, severity: opts.severity, ...(opts.description ? { description: opts.description } : {}),
      });
      if (outputFormat(cmd) === 'json') return printJson(res);
      process.stdout.write(`${safe(`Added custom rule ${name} (config revision ${res.revision}).`)}${compileNote(res.compile)}\n`);
    });
  custom.command('remove')
    .description('remove a custom rule')
    .argument('<name>')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const res = await (await clientFor(cmd)).request<CustomRuleRemoveResponse>('DELETE', `/api/v1/alerts/custom/${encodeURIComponent(name)}`);
      if (outputFormat(cmd) === 'json') return printJson(res);
      process.stdout.write(`${safe(`Removed custom rule ${name} (config revision ${res.revision}).`)}${compileNote(res.compile)}\n`);
    });
  alerts.command('check')
    .description('check a PromQL expression with promtool, changing nothing')
    .argument('<expr>')
    .action(async (expr: string, _o: unknown, cmd: Command) => {
      const res = await (await clientFor(cmd)).request<ExpressionCheckResponse>('POST', '/api/v1/alerts/validate', { expr });
      if (!res.valid) process.exitCode = 1;
      if (outputFormat(cmd) === 'json') return printJson(res);
      process.stdout.write(res.valid ? '✔ promtool accepts the expression\n' : `✖ ${safe(res.error ?? 'promtool refused the expression', { keepNewlines: true })}\n`);
    });

  alerts.command('status')
    .description('did the last compile pass promtool/amtool and reload Prometheus and Alertmanager?')
    .action(async (_o: unknown, cmd: Command) => {
      const s = await (await clientFor(cmd)).request<AlertsCompileStatus>('GET', '/api/v1/alerts/compile-status');
      if (s.state !== 'ok') process.exitCode = 1;
      if (outputFormat(cmd) === 'json') return printJson(s);
      if (s.state === 'unknown') {
        process.stdout.write('The rule compiler has not compiled anything yet (is it running? aami status).\n');
        return;
      }
      process.stdout.write(`${safe(`Compile: ${s.state === 'ok' ? '✔ accepted' : '✖ refused'} (revision ${s.revision ?? '?'}, ${s.compiled_at ?? '?'}); live rules from revision ${s.live_revision ?? 'none'}`)}\nReload: Prometheus ${s.reloaded.prometheus ? '✔' : '✖'}  Alertmanager ${s.reloaded.alertmanager ? '✔' : '✖'}\n${s.error ? `Problem:\n${safe(s.error, { keepNewlines: true })}\n` : ''}`);
    });

  alerts.command('firing')
    .description('alerts firing now, with the Xid explanation where there is one')
    .action(async (_o: unknown, cmd: Command) => {
      const res = await (await clientFor(cmd)).request<FiringAlertsResponse>('GET', '/api/v1/alerts/firing');
      if (outputFormat(cmd) === 'json') return printJson(res);
      if (res.alerts.length === 0) {
        process.stdout.write('Nothing is firing.\n');
        return;
      }
      process.stdout.write(`${renderTable(['Alert', 'Severity', 'Node', 'GPU', 'Since', 'Summary'], res.alerts.map((a) => [a.labels.alertname ?? '?', a.labels.severity ?? '', a.labels.node ?? '', a.labels.gpu ?? '', a.startsAt.replace(/\.\d+Z$/, 'Z'), a.annotations.summary ?? '']))}\n`);
      for (const a of res.alerts.filter((x) => x.xid)) {
        process.stdout.write(`\n${safe(`Xid ${a.xid!.code} on ${a.labels.node ?? '?'} GPU ${a.labels.gpu ?? '?'}: ${a.xid!.title}`)}\n  First: ${safe(a.xid!.actions[0] ?? '-')}\n  More: aami explain xid ${a.xid!.code}\n`);
      }
    });
}
