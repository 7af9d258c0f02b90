// /api/v1/alerts: presets, the effective rules with their overrides, custom rules, the compile
// status and what fires now. Validation is the rule compiler's: custom rules and expressions go to
// its API (promtool runs only in its image), so the gateway never accepts a rule it would refuse.
// Requests and answers are the shared contract (shared/src/api/alerts.ts, compile-status.ts).
import { Router } from 'express';
import {
  CompileStatus, ExpressionCheckRequest, NotFoundError, RuleCheckResult, RulePatchRequest, ValidationError, applyOverride, effectiveRules, errorBody,
  listPresets, loadPresetCatalog, loadXidCatalog, parseOrThrow, validateOverride, type AamiConfig, type AlertsCompileStatus, type ConfigStore, type CustomRule,
  type CustomRuleAddResponse, type CustomRuleRemoveResponse, type EffectiveRule, type ExpressionCheckResponse, type FiringAlertsResponse, type HttpAuth,
  type PresetApplyResponse, type PresetCatalog, type PresetRemoveResponse, type PresetsListResponse, type RulePatchResponse, type RuleView,
  type RulesListResponse,
} from '@aami/shared';
import type { CompileTrigger } from '../compile-trigger.ts';
import { requestUpstream } from '../upstream.ts';
import { expectedRevision, setRevision } from '../revision.ts';

export interface AlertsDeps {
  store: ConfigStore;
  compile: CompileTrigger;
  alertmanagerUrl: string;
  /** Basic-auth headers for Alertmanager (settings.alertmanagerAuth); none when absent. */
  alertmanagerAuth?: HttpAuth;
  presetsDir?: string;
  /** The rule compiler: it checks rules with promtool (only its image has promtool) and knows its last compile. */
  ruleCompiler: { url: string; token: string };
}

/** "GPU temperature > {{threshold}} °C": the threshold's description, the comparison and the unit. */
export function conditionTemplate(catalog: PresetCatalog, rule: EffectiveRule): string | null {
  if (!rule.threshold) return null;
  const raw = catalog.rules.get(rule.name)?.rule.expr ?? '';
  const op = /(>=|<=|==|!=|>|<)\s*\{\{threshold\}\}/.exec(raw)?.[1] ?? '>';
  return `${rule.threshold.description} ${op} {{threshold}} ${rule.threshold.unit}`.trim();
}

function ruleView(catalog: PresetCatalog, rule: EffectiveRule): RuleView {
  return {
    name: rule.name,
    preset: rule.source.kind === 'preset' ? rule.source.preset : 'custom',
    summary: rule.annotations.summary ?? '',
    severity: rule.severity,
    for: rule.for,
    enabled: rule.enabled,
    threshold: rule.threshold ? { value: rule.threshold.value, default: rule.threshold.default, unit: rule.threshold.unit, description: rule.threshold.description, min: rule.threshold.min, max: rule.threshold.max } : null,
    condition_template: conditionTemplate(catalog, rule),
    expr: rule.expr,
    labels: rule.labels,
    runbook: rule.annotations.runbook ?? '',
    needs: rule.needs,
    overridden: rule.overridden.length > 0,
    overridden_fields: rule.overridden,
  };
}

export function alertsRouter(deps: AlertsDeps): Router {
  const { store, compile } = deps;
  let catalogPromise: Promise<PresetCatalog> | undefined;
  const catalog = () => (catalogPromise ??= loadPresetCatalog(deps.presetsDir));
  const r = Router();

  const compiler = (path: string, method = 'GET', body?: unknown) => requestUpstream({
    service: `the rule compiler at ${deps.ruleCompiler.url}`,
    url: `${deps.ruleCompiler.url.replace(/\/+$/, '')}${path}`,
    method, body, token: deps.ruleCompiler.token, timeoutMs: 30_000,
  });
  /** One custom rule, checked by the rule compiler (shape, name, promtool); defaults applied. */
  const checkRule = async (rule: unknown): Promise<CustomRule> => RuleCheckResult.parse(await compiler('/api/v1/rules/check', 'POST', { rule })).rule;

  /** Writes through the store, checking that the result still compiles to valid rules. */
  const write = async (req: Parameters<typeof expectedRevision>[0], reason: string, mutate: (c: AamiConfig, cat: PresetCatalog) => void) => {
    const cat = await catalog();
    const snap = await store.update((c) => {
      mutate(c, cat);
      effectiveRules(c, cat);
    }, { expectedRevision: expectedRevision(req) });
    return { snap, cat, compile: await compile.request({ reason, revision: snap.revision }) };
  };

  r.get('/presets', async (_req, res) => {
    const [cat, { config, revision }] = await Promise.all([catalog(), store.read()]);
    setRevision(res, revision);
    const answer: PresetsListResponse = { revision, presets: listPresets(cat).map((p) => ({ ...p, applied: config.alerts.presets.includes(p.name) })) };
    res.json(answer);
  });

  r.post('/presets/:name', async (req, res) => {
    const name = req.params.name;
    const cat = await catalog();
    if (!cat.presets.has(name)) throw new NotFoundError(`no preset "${name}"; presets: ${[...cat.presets.keys()].sort().join(', ')}`);
    const { snap, compile: queued } = await write(req, `preset ${name} applied`, (c) => {
      if (!c.alerts.presets.includes(name)) c.alerts.presets.push(name);
    });
    const rules = effectiveRules(snap.config, cat).rules.filter((rule) => rule.enabled);
    setRevision(res, snap.revision);
    const answer: PresetApplyResponse = { revision: snap.revision, presets: snap.config.alerts.presets, active_rules: rules.length, compile: queued };
    res.json(answer);
  });

  r.delete('/presets/:name', async (req, res) => {
    const name = req.params.name;
    const { snap, compile: queued } = await write(req, `preset ${name} removed`, (c) => {
      if (!c.alerts.presets.includes(name)) throw new NotFoundError(`preset "${name}" is not applied`);
      c.alerts.presets = c.alerts.presets.filter((p) => p !== name);
    });
    setRevision(res, snap.revision);
    const answer: PresetRemoveResponse = { revision: snap.revision, presets: snap.config.alerts.presets, compile: queued };
    res.json(answer);
  });

  r.get('/rules', async (_req, res) => {
    const [cat, { config, revision }] = await Promise.all([catalog(), store.read()]);
    const set = effectiveRules(config, cat);
    setRevision(res, revision);
    const answer: RulesListResponse = { revision, rules: set.rules.map((rule) => ruleView(cat, rule)), warnings: set.warnings };
    res.json(answer);
  });

  r.patch('/rules/:name', async (req, res) => {
    const name = req.params.name;
    const { expected_revision: _e, ...body } = parseOrThrow(RulePatchRequest, req.body ?? {}, 'rule change');
    // null resets a field to the preset's value; everything else is validated as an override.
    const resets = Object.fromEntries(Object.entries(body).filter(([, v]) => v === null).map(([k]) => [k, null]));
    const sets = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== null));
    if (Object.keys(body).length === 0) throw new ValidationError('nothing to change: give threshold, for, severity or disabled', []);
    const { snap, cat, compile: queued } = await write(req, `rule ${name} changed`, (c, cat) => {
      const override = validateOverride(cat, c, name, sets);
      applyOverride(c, name, { ...override, ...resets });
    });
    const rule = effectiveRules(snap.config, cat).rules.find((x) => x.name === name);
    setRevision(res, snap.revision);
    const answer: RulePatchResponse = { revision: snap.revision, rule: rule ? ruleView(cat, rule) : null, compile: queued };
    res.json(answer);
  });

  r.post('/custom', async (req, res) => {
    const { expected_revision: _e, ...input } = (req.body ?? {}) as Record<string, unknown>;
    const rule = await checkRule(input);
    const { snap, compile: queued } = await write(req, `custom rule ${rule.name} added`, (c) => {
      if (c.alerts.custom.some((x) => x.name === rule.name)) throw new ValidationError(`a custom rule named ${rule.name} already exists`, [{ path: 'name', message: 'already exists' }]);
      c.alerts.custom.push(rule);
    });
    setRevision(res, snap.revision);
    const answer: CustomRuleAddResponse = { revision: snap.revision, rule, compile: queued };
    res.status(201).json(answer);
  });

  r.delete('/custom/:name', async (req, res) => {
    const name = req.params.name;
    const { snap, compile: queued } = await write(req, `custom rule ${name} removed`, (c) => {
      const i = c.alerts.custom.findIndex((x) => x.name === name);
      if (i < 0) throw new NotFoundError(`no custom rule named "${name}"`);
      c.alerts.custom.splice(i, 1);
    });
    setRevision(res, snap.revision);
    const answer: CustomRuleRemoveResponse = { revision: snap.revision, removed: name, compile: queued };
    res.json(answer);
  });

  r.post('/validate', async (req, res) => {
    const { expr } = parseOrThrow(ExpressionCheckRequest, req.body, 'validation request');
    let answer: ExpressionCheckResponse;
    try {
      await checkRule({ name: 'AamiExpressionCheck', expr, summary: 'expression check' });
      answer = { valid: true };
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      answer = { valid: false, error: err.details.map((d) => d.message).join('; ') || err.message };
    }
    res.json(answer);
  });

  r.get('/compile-status', async (_req, res) => {
    const s = CompileStatus.parse(await compiler('/api/v1/compile/status'));
    const state = s.state === 'never' ? 'unknown' : s.state === 'ok' ? 'ok' : 'failed';
    const answer: AlertsCompileStatus = {
      state,
      revision: s.lastAttempt?.revision ?? null,
      compiled_at: s.lastAttempt?.at ?? null,
      live_revision: s.lastSuccess?.revision ?? null,
      error: s.lastAttempt && !s.lastAttempt.ok ? s.lastAttempt.errors.map((e) => `${e.path ? `${e.path}: ` : ''}${e.message}`).join('\n') : s.state === 'reload_failed' ? 'the files were written but a reload failed' : undefined,
      reloaded: { prometheus: s.reload?.prometheus.ok ?? false, alertmanager: s.reload?.alertmanager.ok ?? false },
      detail: s,
    };
    res.json(answer);
  });

  r.get('/firing', async (_req, res) => {
    let alerts: Array<{ labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; status?: { state?: string } }>;
    try {
      const am = await fetch(`${deps.alertmanagerUrl}/api/v2/alerts?active=true`, { headers: deps.alertmanagerAuth ?? {}, signal: AbortSignal.timeout(5000) });
      if (am.status === 401) throw new Error('HTTP 401: it refused the credentials, check AAMI_ALERTMANAGER_PASSWORD_FILE');
      if (!am.ok) throw new Error(`HTTP ${am.status}`);
      alerts = (await am.json()) as typeof alerts;
    } catch (err) {
      res.status(503).json(errorBody('unavailable', `alertmanager is not reachable (${(err as Error).message})`));
      return;
    }
    const xids = loadXidCatalog();
    const answer: FiringAlertsResponse = {
      alerts: alerts.map((a) => {
        const code = Number(a.labels.xid ?? /\bXid\s+(\d+)/i.exec(`${a.annotations.summary ?? ''} ${a.annotations.description ?? ''}`)?.[1]);
        const entry = Number.isInteger(code) ? xids.getXid(code) : undefined;
        return {
          labels: a.labels,
          annotations: a.annotations,
          startsAt: a.startsAt,
          state: a.status?.state ?? 'active',
          ...(entry ? { xid: { code: entry.code, title: entry.title, severity: entry.severity, meaning: entry.meaning, causes: entry.causes, actions: entry.actions, if_repeats: entry.if_repeats } } : {}),
        };
      }),
    };
    res.json(answer);
  });

  return r;
}
