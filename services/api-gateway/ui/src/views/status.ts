// Status: the installation at a glance. First every component of the stack as `aami status` lists
// it (GET /api/v1/status: reachable or not, its version, the credential it asks for), refreshed every
// 15 seconds (poll.ts). Then the doctor (GET /api/v1/doctor, what `aami doctor` prints): a verdict,
// the findings that need something done, worst first, each with its symbol and severity in words, the
// check that found it, what was found and the command that fixes it; the checks that passed are
// folded away under them. The doctor logs in to every node over SSH, so it runs when the screen
// opens and when "Check again" is pressed, never on a timer. Read-only: a viewer token sees it all.
import { ApiError, get } from '../api.ts';
import { h, replace, uid, type Child } from '../dom.ts';
import { plural } from '../format.ts';
import { DEFAULT_POLL, startPoller } from '../poll.ts';
import type { ComponentStatus, DoctorCheckSummary, DoctorFinding, DoctorResponse, DoctorSeverity, StatusResponse } from '../types.ts';
import { button, errorBox, pageHeader } from '../ui.ts';
import { pageEnv } from './overview.ts';

const STATUS_POLL = { ...DEFAULT_POLL, intervalMs: 15_000 };

/** The doctor's marks, as the CLI prints them, so a line reads without colour. */
export const DOCTOR_MARK: Readonly<Record<DoctorSeverity, string>> = { critical: '✖', warning: '!', ok: '✔' };
const DOCTOR_WORD: Readonly<Record<DoctorSeverity, string>> = { critical: 'critical', warning: 'warning', ok: 'ok' };
const RANK: Readonly<Record<DoctorSeverity, number>> = { ok: 0, warning: 1, critical: 2 };

const knownSeverity = (s: string): DoctorSeverity => (s === 'critical' || s === 'warning' ? s : 'ok');

/** A severity as mark + word: "✖ critical". */
function doctorBadge(s: DoctorSeverity): HTMLSpanElement {
  return h('span', { class: `doc-sev doc-${s}` }, h('span', { class: 'doc-mark', attrs: { 'aria-hidden': 'true' } }, DOCTOR_MARK[s]), ' ', h('span', { class: 'doc-word' }, DOCTOR_WORD[s]));
}

/** The findings that need something done, worst first (the gateway sorts too; this keeps its order within a severity). */
export function findingsToFix(d: DoctorResponse): DoctorFinding[] {
  return d.findings.map((x, i) => ({ x, i, s: knownSeverity(x.severity) }))
    .filter((e) => e.s !== 'ok')
    .sort((a, b) => RANK[b.s] - RANK[a.s] || a.i - b.i)
    .map((e) => e.x);
}

/** "Nothing to fix" or "To fix: 1 critical, 2 warning", as `aami doctor` ends. */
export function doctorVerdict(d: DoctorResponse): string {
  const { critical, warning } = d.counts;
  return critical + warning === 0 ? 'Nothing to fix' : `To fix: ${critical} critical, ${warning} warning`;
}

function componentsTable(s: StatusResponse): HTMLElement {
  const rows = Array.isArray(s.components) ? s.components : [];
  const down = rows.filter((c) => !c.reachable).length;
  return h('div', null,
    h('p', { class: 'status-summary' },
      h('strong', null, `${rows.length - down} of ${plural(rows.length, 'component')} reachable`),
      ` · cluster ${s.cluster} · config revision ${s.config.revision}, ${plural(s.config.nodes, 'node')}`,
      s.config.presets.length > 0 ? `, presets ${s.config.presets.join(', ')}` : ', no preset applied'),
    h('table', { class: 'table status-components' },
      h('caption', { class: 'sr-only' }, 'Every component of the stack, whether the gateway reaches it, its version and the credential it asks for'),
      h('thead', null, h('tr', null, ['Component', 'Reachable', 'Version', 'Credential', 'Where'].map((t) => h('th', { attrs: { scope: 'col' } }, t)))),
      h('tbody', null, rows.map((c: ComponentStatus) => h('tr', { class: c.reachable ? 'comp-up' : 'comp-down', attrs: { 'data-component': c.name } },
        h('th', { attrs: { scope: 'row' } }, c.name),
        h('td', null,
          c.reachable ? doctorBadge('ok') : doctorBadge('critical'),
          ' ', h('span', { class: 'comp-reach' }, c.reachable ? 'reachable' : 'not reachable'),
          c.error ? h('p', { class: 'comp-error' }, c.error) : null),
        h('td', null, c.version ?? h('span', { class: 'muted' }, 'not known')),
        h('td', null, c.credential ?? h('span', { class: 'muted' }, 'none')),
        h('td', { class: 'comp-url' }, c.url),
      ))),
    ),
  );
}

function findingItem(f: DoctorFinding): HTMLLIElement {
  const s = knownSeverity(f.severity);
  return h('li', { class: `doc-finding doc-row-${s}`, attrs: { 'data-check': f.check, 'data-severity': s } },
    h('div', { class: 'doc-line' }, doctorBadge(s), ' ', h('span', { class: 'doc-check' }, f.check), ': ', h('span', { class: 'doc-message' }, f.message)),
    f.fix ? h('p', { class: 'doc-fix' }, 'Fix: ', h('code', { class: 'doc-fix-text', attrs: { title: 'Click once to select all of it' } }, f.fix)) : null,
  );
}

function okChecks(d: DoctorResponse): HTMLElement | null {
  const ok = d.checks.filter((c) => knownSeverity(c.severity) === 'ok');
  if (ok.length === 0) return null;
  const said = (c: DoctorCheckSummary) => d.findings.filter((f) => f.check === c.name && knownSeverity(f.severity) === 'ok');
  return h('details', { class: 'doc-ok-checks' },
    h('summary', null, `${plural(ok.length, 'check')} found nothing to fix`),
    h('ul', { class: 'doc-ok-list' }, ok.map((c) => h('li', { attrs: { 'data-check': c.name } },
      doctorBadge('ok'), ' ', h('span', { class: 'doc-check' }, c.name), ': ', h('span', { class: 'muted' }, c.description),
      said(c).length > 0 ? h('ul', { class: 'doc-ok-said' }, said(c).map((f) => h('li', null, f.message))) : null))),
  );
}

function doctorResult(d: DoctorResponse): Child[] {
  const fix = findingsToFix(d);
  const worst = knownSeverity(d.severity);
  return [
    h('p', { class: `doc-verdict doc-verdict-${worst}`, attrs: { 'data-severity': worst } }, doctorBadge(worst), ' ', h('strong', null, doctorVerdict(d)),
      h('span', { class: 'muted' }, ` · ${plural(d.checks.length, 'check')} in ${(d.duration_ms / 1000).toFixed(1)} s`)),
    fix.length > 0 ? h('ol', { class: 'doc-findings', attrs: { 'aria-label': 'What to fix, worst first' } }, fix.map(findingItem)) : null,
    okChecks(d),
  ];
}

export async function renderStatus(root: HTMLElement): Promise<() => void> {
  let stopped = false;
  const compHost = h('div', { class: 'status-components-host' });
  const compProblem = h('div', { attrs: { 'aria-live': 'polite' } });
  const compUpdated = h('span', { class: 'muted' });
  const docHost = h('div', { class: 'doc-result' });
  const docState = h('p', { class: 'muted doc-state', attrs: { role: 'status' } });
  let doctorCtl: AbortController | undefined;

  const drawStatus = (s: StatusResponse) => {
    replace(compHost, componentsTable(s));
    replace(compProblem);
    compUpdated.textContent = `updated ${new Date().toLocaleTimeString()}`;
  };

  const again = button('Check again', () => void runDoctor());
  const docHeadingId = uid('doc');
  const compHeadingId = uid('comp');

  async function runDoctor(): Promise<void> {
    doctorCtl?.abort();
    const ctl = new AbortController();
    doctorCtl = ctl;
    again.disabled = true;
    again.setAttribute('aria-busy', 'true');
    docHost.setAttribute('aria-busy', 'true');
    docHost.classList.add('doc-running');
    docState.textContent = 'Checking the installation… this takes a few seconds, as the doctor logs in to every node.';
    try {
      const d = await get<DoctorResponse>('/api/v1/doctor', ctl.signal);
      if (stopped || ctl.signal.aborted) return;
      replace(docHost, doctorResult(d));
      replace(docState, 'Checked at ', h('time', { attrs: { datetime: d.checked_at, title: d.checked_at } }, new Date(d.checked_at).toLocaleString()), '.');
    } catch (err) {
      if (stopped || ctl.signal.aborted || (err instanceof ApiError && err.status === 401)) return;
      replace(docHost, errorBox(err, 'The doctor could not run'));
      docState.textContent = `Tried at ${new Date().toLocaleTimeString()}.`;
    } finally {
      if (doctorCtl === ctl) {
        again.disabled = false;
        again.removeAttribute('aria-busy');
        docHost.removeAttribute('aria-busy');
        docHost.classList.remove('doc-running');
      }
    }
  }

  replace(root,
    pageHeader('Status', 'Which parts of the stack the gateway can reach, and what the doctor thinks needs fixing. The same answers as aami status and aami doctor.'),
    h('section', { class: 'card table-card status-card', attrs: { 'aria-labelledby': compHeadingId } },
      h('div', { class: 'status-head' }, h('h2', { attrs: { id: compHeadingId } }, 'Components'), compUpdated),
      compProblem,
      compHost),
    h('section', { class: 'card doctor-card', attrs: { 'aria-labelledby': docHeadingId } },
      h('div', { class: 'status-head' }, h('h2', { attrs: { id: docHeadingId } }, 'Doctor'), again),
      docState,
      docHost),
  );

  const poller = startPoller(async (signal) => {
    const s = await get<StatusResponse>('/api/v1/status', signal);
    if (!stopped) drawStatus(s);
  }, pageEnv(), STATUS_POLL, (err, retryMs) => {
    if (stopped || (err instanceof ApiError && err.status === 401)) return;
    replace(compProblem, errorBox(err, `Could not read the status (trying again in ${Math.round(retryMs / 1000)} s)`));
  });

  void runDoctor();
  try {
    drawStatus(await get<StatusResponse>('/api/v1/status'));
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) replace(compProblem, errorBox(err, 'Could not read the status'));
  }
  return () => {
    stopped = true;
    poller.stop();
    doctorCtl?.abort();
  };
}
