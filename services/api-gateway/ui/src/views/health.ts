// GPU health: the analyzer's verdict on every GPU of the fleet (GET /api/v1/health), one cell per
// GPU grouped by node, nodes worst first as the API sorts them. A cell shows its state as a colour
// and as a symbol, with the score, so it reads without colour. Clicking a cell opens that GPU:
// state, score, the suggested next step, every check with its reason, and the GPU's state changes
// (GET /api/v1/health/:node?gpu=K). An admin can clear the GPU's findings after a repair (POST
// /api/v1/health/:node/clear, with a reason for the audit). Refreshes every 30 seconds, the
// analyzer's default evaluation interval. `#/health/NODE?gpu=K` opens a GPU directly.
import { ApiError, call, get, seg } from '../api.ts';
import { h, replace, uid, type Child } from '../dom.ts';
import { plural } from '../format.ts';
import { isAdmin } from '../session.ts';
import type {
  CheckResult, FleetHealthResponse, GpuHealth, HealthClearResponse, HealthNode, HealthState, HealthTransition, NodeHealthResponse,
} from '../types.ts';
import { ago, busy, button, errorBox, field, input, note, pageHeader } from '../ui.ts';
import { HEALTH_ACTION_TEXT, HEALTH_STATE_SYMBOL, STATE_TEXT, actionText, known, score, stateText } from './health-marks.ts';

const REFRESH_MS = 30_000;

/** The order of the fleet counts (as `aami health` prints them). */
const COUNT_ORDER: readonly HealthState[] = ['healthy', 'degraded', 'unhealthy', 'unknown'];

/** A state as symbol + word, coloured. */
export function stateBadge(s: string): HTMLSpanElement {
  const k = known(s);
  return h('span', { class: `hstate hs-${k}` }, h('span', { class: 'hsym', attrs: { 'aria-hidden': 'true' } }, HEALTH_STATE_SYMBOL[k]), ' ', stateText(s));
}

/** "gpu-node-01 GPU 3: Unhealthy, score 39", the cell's accessible name. */
const cellLabel = (g: GpuHealth): string => `${g.node} GPU ${g.gpu}: ${stateText(g.state)}, score ${score(g.score)}`;

/** One check's finding: its state, the check's name and its reason (the node page's Health panel shows them too). */
export function reasonLine(r: CheckResult): HTMLLIElement {
  return h('li', { class: 'health-reason' }, stateBadge(r.state), ' ', h('span', { class: 'check-name' }, r.check), ': ', h('span', { class: 'reason-text' }, r.reason));
}

function evaluationStatus(fleet: FleetHealthResponse): Child[] {
  const ev = fleet.evaluation ?? { fieldErrors: [] };
  const out: Child[] = [];
  out.push(fleet.evaluatedAt
    ? h('p', { class: 'muted health-evaluated' }, 'Evaluated ', h('time', { attrs: { datetime: fleet.evaluatedAt, title: fleet.evaluatedAt } }, ago(fleet.evaluatedAt)),
      ` (${new Date(fleet.evaluatedAt).toLocaleString()}).`)
    : note('info', 'The analyzer has not finished its first health evaluation yet. This page refreshes by itself.'));
  if (ev.lastError) {
    out.push(h('div', { class: 'message error health-eval-error', attrs: { role: 'alert' } },
      h('p', { class: 'message-title' }, ev.lastSuccessAt
        ? `The last health evaluation failed, so these results are from ${ago(ev.lastSuccessAt)}:`
        : 'The health evaluation failed, and none has succeeded yet:'),
      h('p', { class: 'detail' }, ev.lastError)));
  }
  const fieldErrors = Array.isArray(ev.fieldErrors) ? ev.fieldErrors : [];
  if (fieldErrors.length > 0) {
    out.push(h('div', { class: 'message warn', attrs: { role: 'status' } },
      h('p', { class: 'message-title' }, `${plural(fieldErrors.length, 'query', 'queries')} to Prometheus failed; the checks that need them say unknown:`),
      h('ul', { class: 'details' }, fieldErrors.map((e) => h('li', null, e)))));
  }
  return out;
}

function counts(fleet: FleetHealthResponse): HTMLElement {
  const c = fleet.counts ?? {};
  const total = COUNT_ORDER.reduce((s, k) => s + (c[k] ?? 0), 0);
  return h('div', { class: 'health-counts', attrs: { role: 'group', 'aria-label': 'GPUs per state' } },
    h('p', { class: 'health-total' }, h('strong', null, String(total)), ` ${total === 1 ? 'GPU' : 'GPUs'}`),
    h('ul', { class: 'health-count-list' }, COUNT_ORDER.map((k) => h('li', { class: `health-count hs-${k}${(c[k] ?? 0) === 0 ? ' zero' : ''}`, attrs: { 'data-state': k } },
      h('span', { class: 'hsym', attrs: { 'aria-hidden': 'true' } }, HEALTH_STATE_SYMBOL[k]),
      h('span', { class: 'health-count-n' }, String(c[k] ?? 0)),
      h('span', { class: 'health-count-word' }, STATE_TEXT[k].toLowerCase())))),
  );
}

interface Selection { node: string; gpu: number }

function historyList(history: HealthTransition[]): HTMLElement {
  if (history.length === 0) return h('p', { class: 'muted' }, 'No state change recorded for this GPU yet.');
  return h('ol', { class: 'health-history', attrs: { 'aria-label': 'State changes, newest first' } }, history.map((t) => h('li', { class: 'history-item' },
    h('div', { class: 'history-when' },
      h('time', { attrs: { datetime: t.at, title: t.at } }, new Date(t.at).toLocaleString()), ' ', h('span', { class: 'muted small' }, `(${ago(t.at)})`)),
    h('div', { class: 'history-change' },
      stateBadge(t.from), h('span', { attrs: { 'aria-hidden': 'true' } }, ' → '), h('span', { class: 'sr-only' }, ' to '), stateBadge(t.to)),
    h('div', { class: 'history-next' }, 'Suggested: ', h('span', { class: 'history-action' }, actionText(t.action))),
    h('p', { class: 'reason-text history-reason' }, t.reason),
  )));
}

function checksTable(checks: CheckResult[]): HTMLElement {
  if (checks.length === 0) return h('p', { class: 'muted' }, 'No check results.');
  return h('table', { class: 'table health-checks' },
    h('caption', { class: 'sr-only' }, 'Every check and what it found'),
    h('thead', null, h('tr', null, ['Check', 'State', 'Reason'].map((t) => h('th', { attrs: { scope: 'col' } }, t)))),
    h('tbody', null, checks.map((c) => h('tr', { class: `check-row hs-row-${known(c.state)}`, attrs: { 'data-check': c.check } },
      h('th', { attrs: { scope: 'row' }, class: 'check-name' }, c.check),
      h('td', { class: 'nowrap' }, stateBadge(c.state)),
      h('td', { class: 'reason-text' }, c.reason),
    ))),
  );
}

export async function renderHealth(root: HTMLElement, params: URLSearchParams, nodeArg: string | undefined): Promise<() => void> {
  const problem = h('div', { attrs: { 'aria-live': 'polite' } });
  const status = h('div', { class: 'health-status' });
  const countsHost = h('div');
  const grid = h('div', { class: 'health-fleet' });
  const updated = h('span', { class: 'muted', attrs: { 'aria-live': 'polite' } });
  const detailsId = uid('gpu-details');
  const details = h('section', { class: 'card gpu-details', attrs: { id: detailsId, 'aria-label': 'GPU details', tabindex: -1 } });
  details.hidden = true;

  let timer: number | undefined;
  let stopped = false;
  let selected: Selection | undefined;
  let detailsRequest = 0;

  const isSelected = (g: GpuHealth) => selected !== undefined && selected.node === g.node && selected.gpu === g.gpu;

  const markSelection = () => {
    for (const cell of grid.querySelectorAll<HTMLButtonElement>('button.gpu-cell')) {
      const on = selected !== undefined && cell.dataset.node === selected.node && cell.dataset.gpu === String(selected.gpu);
      cell.setAttribute('aria-expanded', on ? 'true' : 'false');
      cell.classList.toggle('selected', on);
    }
  };

  const gpuCell = (g: GpuHealth): HTMLButtonElement => {
    const k = known(g.state);
    const label = cellLabel(g);
    const why = g.reasons?.[0]?.reason;
    return h('button', {
      class: `gpu-cell hs-${k}${isSelected(g) ? ' selected' : ''}`,
      attrs: {
        type: 'button', 'aria-label': label, title: why ? `${label}. ${why}` : label,
        'aria-expanded': isSelected(g) ? 'true' : 'false', 'aria-controls': detailsId,
        'data-node': g.node, 'data-gpu': g.gpu, 'data-state': k,
      },
      on: { click: () => void openDetails({ node: g.node, gpu: g.gpu }, { focus: true }) },
    },
    h('span', { class: 'cell-symbol', attrs: { 'aria-hidden': 'true' } }, HEALTH_STATE_SYMBOL[k]),
    h('span', { class: 'cell-gpu', attrs: { 'aria-hidden': 'true' } }, `GPU ${g.gpu}`),
    h('span', { class: 'cell-score', attrs: { 'aria-hidden': 'true' } }, score(g.score)));
  };

  const nodeBlock = (n: HealthNode): HTMLElement => {
    const id = uid('hnode');
    const k = known(n.state);
    const gpus = Array.isArray(n.gpus) ? n.gpus : [];
    const healthy = gpus.filter((g) => g.state === 'healthy').length;
    return h('section', { class: `health-node hs-edge-${k}`, attrs: { 'aria-labelledby': id, 'data-node': n.node } },
      h('div', { class: 'health-node-head' },
        h('h2', { class: 'health-node-name', attrs: { id } }, n.node),
        stateBadge(n.state),
        h('span', { class: 'health-node-score' }, `score ${score(n.score)}`),
        h('span', { class: 'muted' }, gpus.length > 0 ? `${healthy} of ${plural(gpus.length, 'GPU')} healthy` : 'no GPUs reported'),
        n.action !== 'none' ? h('span', { class: 'health-next' }, 'Next: ', actionText(n.action)) : null),
      Array.isArray(n.reasons) && n.reasons.length > 0 ? h('ul', { class: 'health-reasons node-reasons', attrs: { 'aria-label': `Findings about node ${n.node}` } }, n.reasons.map(reasonLine)) : null,
      gpus.length > 0 ? h('ul', { class: 'gpu-grid', attrs: { 'aria-label': `GPUs of ${n.node}` } }, gpus.map((g) => h('li', null, gpuCell(g)))) : null,
    );
  };

  const drawFleet = (fleet: FleetHealthResponse) => {
    // A refresh redraws the cells: keep the keyboard focus on the same GPU.
    const focused = document.activeElement instanceof HTMLButtonElement && grid.contains(document.activeElement)
      ? { node: document.activeElement.dataset.node, gpu: document.activeElement.dataset.gpu } : undefined;
    replace(status, evaluationStatus(fleet));
    replace(countsHost, counts(fleet));
    const nodes = Array.isArray(fleet.nodes) ? fleet.nodes : [];
    replace(grid, nodes.length === 0
      ? h('div', { class: 'empty card' }, h('p', null, fleet.evaluatedAt
        ? 'No GPU nodes are monitored yet. Add nodes and install their exporters on the Nodes screen.'
        : 'No results yet.'))
      : [
        h('p', { class: 'hint health-legend', attrs: { 'aria-hidden': 'true' } },
          COUNT_ORDER.map((k) => h('span', { class: `legend-item hs-${k}` }, h('span', { class: 'hsym' }, HEALTH_STATE_SYMBOL[k]), ` ${STATE_TEXT[k]}`)),
          h('span', null, 'The number in a cell is the GPU\'s score (100 = no findings). Select a GPU for its checks and history.')),
        h('div', { class: 'card health-nodes' }, nodes.map(nodeBlock)),
      ]);
    if (focused) {
      const again = [...grid.querySelectorAll<HTMLButtonElement>('button.gpu-cell')].find((b) => b.dataset.node === focused.node && b.dataset.gpu === focused.gpu);
      again?.focus({ preventScroll: true });
    }
  };

  const loadFleet = async (): Promise<boolean> => {
    window.clearTimeout(timer);
    let ok = false;
    try {
      const fleet = await get<FleetHealthResponse>('/api/v1/health');
      if (stopped) return false;
      drawFleet(fleet);
      replace(problem);
      updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
      ok = true;
    } catch (err) {
      if (stopped || (err instanceof ApiError && err.status === 401)) return false;
      // The last good cells stay on screen under the error.
      replace(problem, errorBox(err, 'Could not read GPU health'));
    }
    if (!stopped) timer = window.setTimeout(() => void loadFleet(), REFRESH_MS);
    return ok;
  };

  const closeDetails = () => {
    const was = selected;
    selected = undefined;
    detailsRequest += 1;
    details.hidden = true;
    replace(details);
    history.replaceState(null, '', '#/health');
    markSelection();
    if (was) [...grid.querySelectorAll<HTMLButtonElement>('button.gpu-cell')].find((b) => b.dataset.node === was.node && b.dataset.gpu === String(was.gpu))?.focus();
  };

  const clearForm = (sel: Selection): HTMLElement => {
    if (!isAdmin()) {
      return h('div', { class: 'message info', attrs: { role: 'note' } },
        'Clearing findings needs an admin token: you are signed in with a viewer token.');
    }
    const result = h('div', { attrs: { 'aria-live': 'polite' } });
    const reason = input({ name: 'reason', required: true, maxlength: 500, placeholder: 'GPU replaced, ticket 4411' });
    const submit = button('Clear findings', null, { kind: 'danger', type: 'submit', write: true });
    const form = h('form', {
      class: 'health-clear',
      on: {
        submit: (ev) => {
          ev.preventDefault();
          const why = reason.value.trim();
          if (!why) {
            replace(result, errorBox(new Error('Say why, for the audit (for example "GPU replaced, ticket 4411").'), 'Not cleared'));
            reason.focus();
            return;
          }
          void busy(submit, async () => {
            try {
              const { data } = await call<HealthClearResponse>('POST', `/api/v1/health/${seg(sel.node)}/clear`, { body: { gpu: sel.gpu, reason: why } });
              const done = `Cleared ${plural(data.cleared, 'finding')} on ${data.node} GPU ${data.gpu ?? sel.gpu} (by ${data.by}). Reason: ${data.reason}`;
              await loadFleet();
              await openDetails(sel, { message: done });
            } catch (err) {
              replace(result, errorBox(err, 'Not cleared'));
            }
          }, 'Clearing…');
        },
      },
    },
    field('Reason (kept in the audit log)', reason,
      'After a repair or replacement: this forgets the GPU\'s Xid findings and escalation. A problem that is still measured now (a failed row remap, for example) comes back at the next evaluation.'),
    h('div', { class: 'form-actions' }, submit),
    result,
    );
    return form;
  };

  const drawDetails = (sel: Selection, n: NodeHealthResponse, message: string | undefined) => {
    const g = (Array.isArray(n.gpus) ? n.gpus : []).find((x) => x.gpu === sel.gpu);
    const headingId = uid('gpu-title');
    details.setAttribute('aria-labelledby', headingId);
    const close = button('Close', closeDetails, { kind: 'link', label: 'Close the GPU details' });
    if (!g) {
      replace(details, h('div', { class: 'gpu-details-head' }, h('h2', { attrs: { id: headingId } }, `${sel.node} · GPU ${sel.gpu}`), close),
        errorBox(new Error(`The analyzer no longer reports GPU ${sel.gpu} on ${sel.node}.`)));
      return;
    }
    const changes = (Array.isArray(n.history) ? n.history : []).filter((t) => t.gpu === sel.gpu);
    replace(details,
      h('div', { class: 'gpu-details-head' },
        h('h2', { attrs: { id: headingId } }, `${g.node} · GPU ${g.gpu}`),
        stateBadge(g.state),
        close),
      message ? note('ok', message) : null,
      h('dl', { class: 'health-facts' },
        h('dt', null, 'State'), h('dd', null, stateBadge(g.state)),
        h('dt', null, 'Score'), h('dd', null, `${score(g.score)} of 100`),
        h('dt', null, 'Suggested action'), h('dd', { class: `health-action action-${Object.hasOwn(HEALTH_ACTION_TEXT, g.action) ? g.action : 'unknown'}` }, actionText(g.action)),
        g.modelName ? [h('dt', null, 'Model'), h('dd', null, g.modelName)] : null,
        g.pciBusId ? [h('dt', null, 'PCI bus ID'), h('dd', { class: 'mono' }, g.pciBusId)] : null,
        g.uuid ? [h('dt', null, 'UUID'), h('dd', { class: 'mono' }, g.uuid)] : null,
      ),
      h('h3', null, 'Why'),
      Array.isArray(g.reasons) && g.reasons.length > 0
        ? h('ul', { class: 'health-reasons gpu-reasons' }, g.reasons.map(reasonLine))
        : h('p', null, h('span', { class: 'ok-mark', attrs: { 'aria-hidden': 'true' } }, '✓ '), 'Every check passes.'),
      Array.isArray(n.reasons) && n.reasons.length > 0
        ? [h('h3', null, `About node ${n.node}`), h('ul', { class: 'health-reasons' }, n.reasons.map(reasonLine))] : null,
      h('h3', null, 'Checks'),
      checksTable(Array.isArray(g.checks) ? g.checks : []),
      h('h3', null, 'History'),
      historyList(changes),
      h('h3', null, 'Clear findings'),
      clearForm(sel),
    );
  };

  async function openDetails(sel: Selection, opts: { focus?: boolean; message?: string } = {}): Promise<void> {
    selected = sel;
    const request = ++detailsRequest;
    history.replaceState(null, '', `#/health/${encodeURIComponent(sel.node)}?gpu=${encodeURIComponent(String(sel.gpu))}`);
    markSelection();
    details.hidden = false;
    if (!opts.message) replace(details, h('p', { class: 'muted', attrs: { role: 'status' } }, `Loading ${sel.node} GPU ${sel.gpu}…`));
    try {
      const n = await get<NodeHealthResponse>(`/api/v1/health/${seg(sel.node)}?gpu=${encodeURIComponent(String(sel.gpu))}`);
      if (stopped || request !== detailsRequest) return;
      drawDetails(sel, n, opts.message);
      // After a clear the panel was scrolled down to the form: bring its result into view.
      if (opts.message) {
        details.scrollTop = 0;
        details.scrollIntoView({ block: 'nearest' });
      }
    } catch (err) {
      if (stopped || request !== detailsRequest || (err instanceof ApiError && err.status === 401)) return;
      replace(details,
        h('div', { class: 'gpu-details-head' }, h('h2', null, `${sel.node} · GPU ${sel.gpu}`), button('Close', closeDetails, { kind: 'link', label: 'Close the GPU details' })),
        opts.message ? note('ok', opts.message) : null,
        errorBox(err, `Could not read ${sel.node} GPU ${sel.gpu}`));
    }
    if (opts.focus) {
      details.scrollIntoView({ block: 'nearest' });
      details.focus({ preventScroll: true });
    }
  }

  replace(root,
    pageHeader('GPU health',
      'The analyzer\'s verdict on every GPU, from its checks of dcgm-exporter\'s fields and the Xid errors in the kernel log. Nodes are listed worst first.',
      updated, button('Refresh', () => void loadFleet())),
    problem,
    status,
    countsHost,
    h('div', { class: 'health-layout' }, grid, details),
  );
  await loadFleet();
  const gpuParam = params.get('gpu');
  if (nodeArg && gpuParam !== null && /^\d{1,2}$/.test(gpuParam)) void openDetails({ node: nodeArg, gpu: Number(gpuParam) });
  return () => { stopped = true; window.clearTimeout(timer); };
}
