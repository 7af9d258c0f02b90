// /api/v1/alerts: presets, the effective rules with their overrides, custom rules, the compile
// status and what fires now. Validation is the rule compiler's: custom rules and expressions go to
// its API (promtool runs only in its image), so the gateway never accepts a rule it would refuse.
// Requests and answers are the shared contract (shared/src/api/alerts.ts, compile-status.ts); the
// rules of presets, overrides and custom rules are the domain's (src/domain/alerts.ts).
import { Router } from 'express';
import {
  CompileStatus, ExpressionCheckRequest, RuleCheckResult, RulePatchRequest, errorBody, loadPresetCatalog, loadXidCatalog, parseOrThrow,
  type AlertsCompileStatus, type CustomRule, type FiringAlertsResponse, type HttpAuth,
} from '@aami/shared';
import { alertsDomain } from '../domain/alerts.ts';
import type { CompileRequester, ConfigAccess } from '../domain/config-writes.ts';
import { requestUpstream } from '../upstream.ts';
import { expectedRevision, setRevision } from '../revision.ts';

export interface AlertsDeps {
  store: ConfigAccess;
  compile: CompileRequester;
  alertmanagerUrl: string;
  /** Basic-auth headers for Alertmanager (settings.alertmanagerAuth); none when absent. */
  alertmanagerAuth?: HttpAuth;
  presetsDir?: string;
  /** The rule compiler: it checks rules with promtool (only its image has promtool) and knows its last compile. */
  ruleCompiler: { url: string; token: string };
}

export function alertsRouter(deps: AlertsDeps): Router {
  const { store, compile } = deps;
  const r = Router();

  const compiler = (path: string, method = 'GET', body?: unknown) => requestUpstream({
    service: `the rule compiler at ${deps.ruleCompiler.url}`,
    url: `${deps.ruleCompiler.url.replace(/\/+$/, '')}${path}`,
    method, body, token: deps.ruleCompiler.token, timeoutMs: 30_000,
  });
  /** One custom rule, checked by the rule compiler (shape, name, promtool); defaults applied. */
  const checkRule = async (rule: unknown): Promise<CustomRule> => RuleCheckResult.parse(await compiler('/api/v1/rules/check', 'POST', { rule })).rule;
  const alerts = alertsDomain({ store, compile, checkRule, catalog: () => loadPresetCatalog(deps.presetsDir) });

  r.get('/presets', async (_req, res) => {
    const answer = await alerts.presets();
    setRevision(res, answer.revision);
    res.json(answer);
  });

  r.post('/presets/:name', async (req, res) => {
    const answer = await alerts.applyPreset(req.params.name, expectedRevision(req));
    setRevision(res, answer.revision);
    res.json(answer);
  });

  r.delete('/presets/:name', async (req, res) => {
    const answer = await alerts.removePreset(req.params.name, expectedRevision(req));
    setRevision(res, answer.revision);
    res.json(answer);
  });

  r.get('/rules', async (_req, res) => {
    const answer = await alerts.rules();
    setRevision(res, answer.revision);
    res.json(answer);
  });

  r.patch('/rules/:name', async (req, res) => {
    const { expected_revision: _e, ...change } = parseOrThrow(RulePatchRequest, req.body ?? {}, 'rule change');
    const answer = await alerts.patchRule(req.params.name, change, expectedRevision(req));
    setRevision(res, answer.revision);
    res.json(answer);
  });

  r.post('/custom', async (req, res) => {
    // The rule compiler checks the rule's shape; here only the revision is taken out of the body.
    const { expected_revision: _e, ...input } = (req.body ?? {}) as Record<string, unknown>;
    const answer = await alerts.addCustomRule(input, expectedRevision(req));
    setRevision(res, answer.revision);
    res.status(201).json(answer);
  });

  r.delete('/custom/:name', async (req, res) => {
    const answer = await alerts.removeCustomRule(req.params.name, expectedRevision(req));
    setRevision(res, answer.revision);
    res.json(answer);
  });

  r.post('/validate', async (req, res) => {
    const { expr } = parseOrThrow(ExpressionCheckRequest, req.body, 'validation request');
    res.json(await alerts.checkExpression(expr));
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
