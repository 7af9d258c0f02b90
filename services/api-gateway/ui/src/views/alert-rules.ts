// Alert rules, as in the brief's mock: each rule with a checkbox (enabled), its condition with the
// threshold and duration editable inline ("GPU temperature > [85] °C for [5] minutes"), a severity
// drop-down; presets applied or removed with one click; custom PromQL rules checked by the
// compiler before they are saved. Every save reports whether the compiled rules were loaded.
import { ApiError, call, get, seg } from '../api.ts';
import { h, replace, uid, type Child } from '../dom.ts';
import { isAdmin } from '../session.ts';
import {
  SEVERITIES, type CompileRequest, type CompileStatus, type CustomRuleAddResponse, type CustomRuleInput, type PresetApplyResponse, type PresetRemoveResponse,
  type PresetsListResponse, type RulePatch, type RulePatchResult, type RuleView, type RulesList, type Severity, type Validation,
} from '../types.ts';
import { humanizeRuleName, plural, readableTemplate, splitDuration } from '../format.ts';
import { adminOnly, ago, button, busy, errorBox, field, flash, input, note, pageHeader, reloadScreen, section, select, severityBadge, severityText, showWriteError } from '../ui.ts';

const UNITS = [['s', 'seconds'], ['m', 'minutes'], ['h', 'hours'], ['d', 'days']] as const;

/** A duration editor: number + unit drop-down for simple ones, a text box otherwise. */
function durationEditor(value: string, title: string): { el: HTMLElement; value: () => string } {
  const split = splitDuration(value);
  if (!split) {
    const t = adminOnly(input({ value, size: 8, class: 'inline-input', 'aria-label': `How long the condition must hold for ${title} (a Prometheus duration such as 5m)` }));
    return { el: t, value: () => t.value.trim() };
  }
  const n = adminOnly(input({ type: 'number', min: 0, step: 1, value: split[0], class: 'inline-input num-input', 'aria-label': `How long the condition must hold for ${title}` }));
  const u = adminOnly(select(UNITS, split[1], { class: 'inline-select', 'aria-label': `Unit of that duration for ${title}` }));
  return { el: h('span', { class: 'duration' }, n, ' ', u), value: () => `${n.value.trim()}${u.value}` };
}

/** Words for a compile state, with whether Prometheus and Alertmanager took the new files. */
function compileSummary(cs: CompileStatus): HTMLElement {
  const rel = cs.reloaded;
  const reloaded = ` Prometheus ${rel.prometheus ? 'reloaded ✓' : 'NOT reloaded ✗'}, Alertmanager ${rel.alertmanager ? 'reloaded ✓' : 'NOT reloaded ✗'}.`;
  switch (cs.state) {
    case 'ok': {
      const all = rel.prometheus && rel.alertmanager;
      return note(all ? 'ok' : 'warn', `Rules compiled and accepted (config revision ${cs.revision ?? '?'}, ${ago(cs.compiled_at)}).${reloaded}`);
    }
    case 'failed':
      return h('div', { class: 'message error', attrs: { role: 'alert' } },
        h('p', { class: 'message-title' }, `The rules of config revision ${cs.revision ?? '?'} are not in force.`,
          cs.live_revision !== null ? ` Prometheus still runs the rules of revision ${cs.live_revision}.` : ''),
        cs.error ? h('pre', { class: 'compile-error' }, cs.error) : null,
        h('p', null, reloaded.trim()));
    case 'unknown':
      return note('info', 'The rule compiler has not reported yet.');
  }
}

/** Polls compile-status until `revision` (or later) is compiled or failed, drawing into `host`. */
async function watchCompile(host: HTMLElement, revision: number, compile: CompileRequest | undefined, top: HTMLElement): Promise<void> {
  if (compile && !compile.queued) {
    replace(host, note('warn', `Saved (revision ${revision}), but the compile was not queued: ${compile.reason}. The rule compiler will pick the change up when it next starts.`));
    return;
  }
  replace(host, note('info', `Saved (revision ${revision}). Compiling and reloading Prometheus…`));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    let cs: CompileStatus;
    try {
      cs = await get<CompileStatus>('/api/v1/alerts/compile-status');
    } catch (err) {
      replace(host, note('warn', `Saved (revision ${revision}). Could not read the compile status: ${(err as Error).message}`));
      return;
    }
    if ((cs.revision ?? -1) >= revision && (cs.state === 'ok' || cs.state === 'failed')) {
      replace(host, compileSummary(cs));
      replace(top, compileSummary(cs));
      return;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  replace(host, note('warn', `Saved (revision ${revision}), but the rule compiler has not finished after a minute. Check that it is running ("aami status").`));
}

export async function renderAlertRules(root: HTMLElement): Promise<void> {
  const [rulesRes, presetsRes, statusRes] = await Promise.allSettled([
    call<RulesList>('GET', '/api/v1/alerts/rules'),
    get<PresetsListResponse>('/api/v1/alerts/presets'),
    get<CompileStatus>('/api/v1/alerts/compile-status'),
  ]);
  if (rulesRes.status === 'rejected') throw rulesRes.reason;
  let revision = rulesRes.value.data.revision;
  const rules = rulesRes.value.data.rules;

  const topStatus = h('div', { class: 'compile-status', attrs: { 'aria-live': 'polite' } },
    statusRes.status === 'fulfilled' ? compileSummary(statusRes.value) : errorBox(statusRes.reason, 'Compile status unavailable'));

  // One card per rule.
  const ruleCard = (rule: RuleView): HTMLElement => {
    const title = humanizeRuleName(rule.name);
    const enabled = adminOnly(h('input', { attrs: { type: 'checkbox', id: uid('rule'), 'aria-describedby': undefined } }));
    enabled.checked = rule.enabled;
    const severity = adminOnly(select(SEVERITIES.map((s) => [s, severityText(s)] as const), rule.severity, { 'aria-label': `Severity of ${title}`, class: 'inline-select' }));
    const dur = durationEditor(rule.for, title);
    let threshold: HTMLInputElement | null = null;
    if (rule.threshold) {
      threshold = adminOnly(input({
        type: 'number', step: 'any', value: rule.threshold.value, class: 'inline-input num-input',
        min: rule.threshold.min, max: rule.threshold.max,
        'aria-label': `Threshold for ${title} (${rule.threshold.unit})`,
      }));
      threshold.title = `${rule.threshold.description} (preset default ${rule.threshold.default} ${rule.threshold.unit})`;
    }
    const template = rule.condition_template ?? (rule.threshold ? `${rule.threshold.description} > {{threshold}} ${rule.threshold.unit}` : null);
    const conditionParts: Child[] = [];
    if (template) {
      const [before = '', ...after] = template.split('{{threshold}}');
      conditionParts.push(before);
      if (threshold && template.includes('{{threshold}}')) conditionParts.push(threshold, after.join(''));
      else if (threshold) conditionParts.push(after.join(''), ' (threshold ', threshold, ` ${rule.threshold?.unit ?? ''})`);
    } else {
      conditionParts.push(h('span', { class: 'muted' }, 'the PromQL below is true'));
    }
    const result = h('div', { class: 'rule-result', attrs: { 'aria-live': 'polite' } });
    const save = button('Save', null, { kind: 'primary', write: true, label: `Save ${title}` });
    const undo = button('Undo changes', null, { kind: 'link', write: true });
    const dirtyNote = h('span', { class: 'dirty-note' });
    const patch = (): RulePatch => {
      const p: RulePatch = {};
      if (enabled.checked !== rule.enabled) p.disabled = !enabled.checked;
      if (severity.value !== rule.severity) p.severity = severity.value as Severity;
      if (dur.value() !== rule.for) p.for = dur.value();
      if (threshold && rule.threshold && threshold.value.trim() !== '' && Number(threshold.value) !== rule.threshold.value) p.threshold = Number(threshold.value);
      return p;
    };
    const changedBadge = h('span', { class: 'badge changed', attrs: { title: 'This rule differs from its preset default' } }, 'Changed from preset');
    const refresh = () => {
      const dirty = Object.keys(patch()).length > 0;
      if (isAdmin()) { save.disabled = !dirty; undo.disabled = !dirty; }
      card.classList.toggle('dirty', dirty);
      card.classList.toggle('rule-off', !rule.enabled);
      dirtyNote.textContent = dirty ? 'Unsaved changes' : '';
      changedBadge.hidden = !rule.overridden;
      if (reset) reset.hidden = !rule.overridden;
    };
    // Puts every field that differs from the preset back to the preset's value.
    const reset = rule.preset !== 'custom' ? button('Reset to preset', null, { kind: 'link', write: true, label: `Reset ${title} to the preset's values` }) : null;
    reset?.addEventListener('click', () => void busy(reset, async () => {
      const fields = rule.overridden_fields.length ? rule.overridden_fields : ['threshold', 'for', 'severity', 'disabled'];
      const body = Object.fromEntries(fields.map((f) => [f, null])) as RulePatch;
      try {
        const res = await call<RulePatchResult>('PATCH', `/api/v1/alerts/rules/${seg(rule.name)}`, { body, ifMatch: revision });
        revision = res.data.revision;
        flash(`${title} is back to its preset values. Config revision ${res.data.revision} is being compiled.`);
        reloadScreen();
      } catch (err) {
        showWriteError(result, err, 'Not reset');
      }
    }));
    const del = rule.preset === 'custom' ? button('Delete rule', null, { kind: 'danger', write: true, label: `Delete custom rule ${rule.name}` }) : null;
    del?.addEventListener('click', () => void busy(del, async () => {
      try {
        const res = await call('DELETE', `/api/v1/alerts/custom/${seg(rule.name)}`, { ifMatch: revision });
        if (res.revision !== undefined) revision = res.revision;
        flash(`Deleted custom rule ${rule.name}.`);
        reloadScreen();
      } catch (err) {
        showWriteError(result, err, 'Not deleted');
      }
    }));
    const card = h('article', { class: `rule${rule.enabled ? '' : ' rule-off'}`, attrs: { 'data-rule': rule.name } },
      h('div', { class: 'rule-head' },
        h('div', { class: 'check' }, enabled, h('label', { attrs: { for: enabled.id }, class: 'rule-title' }, title)),
        severityBadge(rule.severity),
        changedBadge,
        h('code', { class: 'rule-name', attrs: { title: 'alertname in Prometheus' } }, rule.name),
      ),
      rule.summary ? h('p', { class: 'rule-summary' }, readableTemplate(rule.summary)) : null,
      h('div', { class: 'rule-line' }, h('span', { class: 'rule-key' }, 'Condition:'), h('span', { class: 'condition' }, ...conditionParts, ' for ', dur.el)),
      h('div', { class: 'rule-line' }, h('span', { class: 'rule-key' }, 'Severity:'), h('span', { class: 'rule-value' }, severity,
        rule.threshold ? h('span', { class: 'hint inline-hint' }, `Preset default threshold: ${rule.threshold.default} ${rule.threshold.unit}.`) : null)),
      h('details', { class: 'promql' }, h('summary', null, rule.runbook ? 'PromQL and what to do when it fires' : 'PromQL'),
        h('pre', null, rule.expr),
        rule.runbook ? h('p', { class: 'runbook' }, readableTemplate(rule.runbook)) : null),
      h('div', { class: 'rule-actions' }, save, undo, dirtyNote, reset, del),
      result,
    );
    for (const el of [enabled, severity, threshold, ...Array.from(dur.el.querySelectorAll('input,select')), dur.el]) {
      el?.addEventListener('input', refresh);
      el?.addEventListener('change', refresh);
    }
    undo.addEventListener('click', () => {
      enabled.checked = rule.enabled;
      severity.value = rule.severity;
      if (threshold && rule.threshold) threshold.value = String(rule.threshold.value);
      const split = splitDuration(rule.for);
      const durInputs = dur.el instanceof HTMLInputElement ? [dur.el] : Array.from(dur.el.querySelectorAll('input,select')) as Array<HTMLInputElement | HTMLSelectElement>;
      if (split && durInputs.length === 2) { durInputs[0]!.value = String(split[0]); durInputs[1]!.value = split[1]; } else if (durInputs[0]) durInputs[0].value = rule.for;
      replace(result);
      refresh();
    });
    save.addEventListener('click', () => void busy(save, async () => {
      const body = patch();
      if (body.threshold !== undefined && !Number.isFinite(body.threshold)) {
        replace(result, errorBox(new Error('the threshold must be a number'), 'Not saved'));
        return;
      }
      try {
        const res = await call<RulePatchResult>('PATCH', `/api/v1/alerts/rules/${seg(rule.name)}`, { body, ifMatch: revision });
        revision = res.data.revision;
        if (res.data.rule) Object.assign(rule, res.data.rule);
        refresh();
        await watchCompile(result, res.data.revision, res.data.compile, topStatus);
      } catch (err) {
        showWriteError(result, err, 'Not saved');
      }
    }, 'Saving…').finally(refresh));
    refresh();
    return card;
  };

  // Rules grouped by the preset they come from; custom rules last.
  const groups = new Map<string, RuleView[]>();
  for (const r of rules) groups.set(r.preset, [...(groups.get(r.preset) ?? []), r]);
  const custom = groups.get('custom') ?? [];
  groups.delete('custom');

  const rulesSection = section('Rules in force',
    rules.length === 0 ? 'No rules yet: apply a preset below, or write a custom rule.' : 'Tick a rule to turn it on, change its numbers, then Save. Each save rewrites the Prometheus rule file and reloads Prometheus.',
    [...groups.entries()].map(([preset, list]) => h('div', { class: 'rule-group' },
      h('h3', null, `Preset ${preset}`, h('span', { class: 'muted count' }, ` · ${plural(list.length, 'rule')}`)),
      list.map(ruleCard))),
    custom.length ? h('div', { class: 'rule-group' }, h('h3', null, 'Custom rules', h('span', { class: 'muted count' }, ` · ${custom.length}`)), custom.map(ruleCard)) : null,
  );

  // Presets.
  let presetsBody: Child;
  if (presetsRes.status === 'rejected') {
    presetsBody = errorBox(presetsRes.reason, 'Could not list the presets');
  } else {
    const presets = presetsRes.value.presets;
    // Presets an applied preset includes (at any depth) are in force already: gpu-production includes gpu-basic.
    const byName = new Map(presets.map((p) => [p.name, p]));
    const inForceVia = new Map<string, string>();
    for (const root of presets.filter((p) => p.applied)) {
      const stack = [...root.include];
      for (let name = stack.pop(); name !== undefined; name = stack.pop()) {
        if (inForceVia.has(name)) continue;
        inForceVia.set(name, root.name);
        stack.push(...(byName.get(name)?.include ?? []));
      }
    }
    presetsBody = h('ul', { class: 'preset-list' }, presetsRes.value.presets.map((p) => {
      const via = p.applied ? undefined : inForceVia.get(p.name);
      const res = h('div', { attrs: { 'aria-live': 'polite' } });
      const act = button(p.applied ? 'Remove preset' : 'Apply preset', null, { kind: p.applied || via ? 'secondary' : 'primary', write: true, label: `${p.applied ? 'Remove' : 'Apply'} preset ${p.name}` });
      act.addEventListener('click', () => void busy(act, async () => {
        try {
          const r = await call<PresetApplyResponse | PresetRemoveResponse>(p.applied ? 'DELETE' : 'POST', `/api/v1/alerts/presets/${seg(p.name)}`, { ifMatch: revision });
          flash(p.applied ? `Removed preset ${p.name}: its rules no longer fire.` : `Applied preset ${p.name}: ${plural(p.rules.length, 'rule')} added. Config revision ${r.data.revision}.`);
          reloadScreen();
        } catch (err) {
          showWriteError(res, err, p.applied ? 'Not removed' : 'Not applied');
        }
      }));
      return h('li', { class: `preset${p.applied ? ' applied' : via ? ' included' : ''}` },
        h('div', { class: 'preset-head' },
          h('strong', { class: 'preset-name' }, p.name),
          p.applied ? h('span', { class: 'badge ok' }, '✓ Applied')
            : via ? h('span', { class: 'badge ok-light' }, `✓ In force through ${via}`)
              : h('span', { class: 'badge muted-badge' }, 'Not applied'),
          act),
        h('p', null, p.description),
        h('details', null, h('summary', null, `Its ${plural(p.rules.length, 'rule')}`),
          h('ul', { class: 'preset-rules' }, p.rules.map((r) => h('li', null, severityBadge(r.severity), ' ', h('strong', null, humanizeRuleName(r.name)), ' — ', readableTemplate(r.summary))))),
        res);
    }));
  }

  // A custom rule: PromQL checked by the compiler (promtool) before it is saved.
  const cName = adminOnly(input({ name: 'custom_name', placeholder: 'HighGpuPower', required: true }));
  const cExpr = adminOnly(h('textarea', { attrs: { name: 'custom_expr', rows: 3, spellcheck: 'false', class: 'mono', placeholder: 'avg by (node) (DCGM_FI_DEV_POWER_USAGE) > 650', required: true } }));
  const cFor = adminOnly(input({ name: 'custom_for', value: '5m', size: 8 }));
  const cSev = adminOnly(select(SEVERITIES.map((s) => [s, severityText(s)] as const), 'warning', { name: 'custom_severity' }));
  const cSummary = adminOnly(input({ name: 'custom_summary', placeholder: 'GPU power above 650 W', required: true }));
  const cDesc = adminOnly(h('textarea', { attrs: { name: 'custom_description', rows: 2, placeholder: 'What it means and what to do first' } }));
  const checkResult = h('div', { attrs: { 'aria-live': 'polite' } });
  const saveResult = h('div', { attrs: { 'aria-live': 'polite' } });
  const validate = async (): Promise<boolean> => {
    try {
      const { data } = await call<Validation>('POST', '/api/v1/alerts/validate', { body: { expr: cExpr.value } });
      replace(checkResult, data.valid
        ? note('ok', '✓ Valid PromQL (checked by promtool).')
        : h('div', { class: 'message error', attrs: { role: 'alert' } }, h('p', { class: 'message-title' }, 'Not valid PromQL:'), h('pre', { class: 'compile-error' }, data.error ?? 'no reason given')));
      return data.valid;
    } catch (err) {
      replace(checkResult, errorBox(err, 'Could not check the expression'));
      return false;
    }
  };
  const checkBtn = button('Check PromQL', () => void busy(checkBtn, validate, 'Checking…'), { write: true });
  const saveCustom = button('Save custom rule', null, { kind: 'primary', type: 'submit', write: true });
  const customForm = h('form', {
    attrs: { id: 'custom-rule', 'aria-label': 'New custom rule' },
    on: {
      submit: (ev) => {
        ev.preventDefault();
        void busy(saveCustom, async () => {
          replace(saveResult);
          if (!(await validate())) {
            replace(saveResult, note('warn', 'Not saved: fix the PromQL first.'));
            return;
          }
          const body: CustomRuleInput = { name: cName.value.trim(), expr: cExpr.value, for: cFor.value.trim(), severity: cSev.value as Severity, summary: cSummary.value.trim(), description: cDesc.value.trim() };
          try {
            const res = await call<CustomRuleAddResponse>('POST', '/api/v1/alerts/custom', { body, ifMatch: revision });
            flash(`Saved custom rule ${body.name} (config revision ${res.data.revision}). It is compiled into the Prometheus rules now.`);
            reloadScreen();
          } catch (err) {
            if (err instanceof ApiError && err.status === 400 && err.details.some((d) => d.path === 'expr')) replace(checkResult);
            showWriteError(saveResult, err, 'Not saved');
          }
        }, 'Saving…');
      },
    },
  },
  h('div', { class: 'form-row' },
    field('Rule name', cName, 'Letters and digits, starting with a letter; it becomes the alert\'s name.'),
    field('Fires after', cFor, 'How long the expression must be true: 30s, 5m, 1h.'),
    field('Severity', cSev)),
  field('PromQL expression', cExpr, 'The alert fires for every series this returns.'),
  h('div', { class: 'form-actions' }, checkBtn),
  checkResult,
  field('Summary', cSummary, 'One line shown in Slack and email.'),
  field('Description', cDesc),
  h('div', { class: 'form-actions' }, saveCustom),
  saveResult,
  );

  const newBtn = button('+ New custom rule', () => { customForm.scrollIntoView({ block: 'start' }); cName.focus(); }, { kind: 'primary', write: true });
  replace(root,
    pageHeader('Alert rules', 'What makes an alert fire. Change thresholds, durations and severities with clicks; AAMI writes the Prometheus rules and reloads Prometheus.', newBtn),
    topStatus,
    rulesSection,
    section('Presets', 'Ready-made sets of GPU rules. Applying one adds its rules; removing it takes them away.', presetsBody),
    section('New custom rule', 'For anything the presets do not cover. The expression is checked before it is saved.', customForm),
  );
}
