// One node (#/node/NAME): its GPUs with who they are (model, UUID, PCI bus id, driver) and their
// readings now; charts of utilisation, memory, temperature, power and clock slowdown over the last
// hour, 6 hours, 24 hours or 7 days (GET /api/v1/nodes/:name/charts), with the node's Xid events
// drawn as markers; the alerts firing on it (GET /api/v1/alerts/firing, kept to its `node` label);
// and its last install (GET /api/v1/install/nodes/:name/last; 404: never installed). Two panels
// from the other screens: Health, each GPU's state, score and the findings of its checks that are
// not healthy (GET /api/v1/health/:node, drawn with health-marks.ts), and Topology, the node's
// interconnect drawing and how it differs from its kind (GET /api/v1/topology/:name, drawn by
// topology-drawing.ts; 404: not read yet), each linking to its screen. The charts are uPlot (MIT),
// bundled with the UI; the data shaping is charts.ts. Refreshes every 10 seconds while shown; a
// panel whose source fails shows that error in its place and the rest of the page carries on.
import uPlot from 'uplot';
import { ApiError, get, seg } from '../api.ts';
import { h, replace, svg, uid, type Child } from '../dom.ts';
import { humanizeRuleName, plural } from '../format.ts';
import { DEFAULT_POLL, startPoller } from '../poll.ts';
import type {
  ChartRange, ChartSeriesName, FiringAlert, FiringAlertsResponse, InstallNodeRun, NodeChartsResponse, NodeHealthResponse, NodeTopology,
} from '../types.ts';
import { ago, button, errorBox, note, pageHeader, severityBadge } from '../ui.ts';
import {
  CHART_KIND, CHART_KINDS, RANGES, chartData, chartSummary, fmtValue, gpuStyle, isRange, reasonText, reasonsOf, xidMarks, yRange,
  type ChartData, type XidMark,
} from './charts.ts';
import { reasonLine, stateBadge } from './health.ts';
import { HEALTH_STATE_SYMBOL, actionText, known, score } from './health-marks.ts';
import { pageEnv } from './overview.ts';
import { drawTopology, layoutTopology } from './topology-drawing.ts';
import { deviationList, nvlinkText, sourcePhrase, takenCell } from './topology.ts';

const CHART_HEIGHT = 200;

/** A Unix time as the charts' summaries and readouts show it: the time, with the day for the longer ranges. */
function when(range: ChartRange): (t: number) => string {
  const long = range === '24h' || range === '7d';
  return (t) => new Date(t * 1000).toLocaleString([], long ? { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' } : { hour: '2-digit', minute: '2-digit', second: range === '1h' ? '2-digit' : undefined });
}

/** The Xid lines on a chart: dashed, near-black, each with its label at the top of the plot. */
function drawXids(u: uPlot, marks: readonly XidMark[]): void {
  if (marks.length === 0) return;
  const ctx = u.ctx;
  const { top, height, left, width } = u.bbox;
  const dpr = uPlot.pxRatio;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  ctx.font = `600 ${Math.round(11 * dpr)}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  let lastLabelEnd = -Infinity;
  for (const m of marks) {
    const x = Math.round(u.valToPos(m.t, 'x', true));
    ctx.strokeStyle = '#b3261e';
    ctx.lineWidth = 1.5 * dpr;
    ctx.setLineDash([4 * dpr, 3 * dpr]);
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
    ctx.setLineDash([]);
    // A small flag at the top, and the label when there is room for it.
    ctx.fillStyle = '#b3261e';
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x + 7 * dpr, top + 4 * dpr);
    ctx.lineTo(x, top + 8 * dpr);
    ctx.closePath();
    ctx.fill();
    const w = ctx.measureText(m.label).width + 6 * dpr;
    let lx = x + 9 * dpr;
    if (lx + w > left + width) lx = x - 9 * dpr - w;
    if (lx > lastLabelEnd + 4 * dpr) {
      ctx.fillStyle = 'rgba(255,255,255,0.9)';
      ctx.fillRect(lx, top + 1 * dpr, w, 14 * dpr);
      ctx.fillStyle = '#8f1d17';
      ctx.fillText(m.label, lx + 3 * dpr, top + 2 * dpr);
      lastLabelEnd = lx + w;
    }
  }
  ctx.restore();
}

/** A short line sample in a series' colour and dash, for the GPU switches. */
function lineSample(stroke: string, dash: number[] | undefined): HTMLCanvasElement {
  const c = h('canvas', { class: 'chart-sample', attrs: { width: 48, height: 16, 'aria-hidden': 'true' } });
  const ctx = c.getContext('2d');
  if (ctx) {
    ctx.scale(2, 2);
    ctx.strokeStyle = stroke;
    ctx.lineWidth = 2;
    ctx.setLineDash(dash ?? []);
    ctx.beginPath();
    ctx.moveTo(1, 4);
    ctx.lineTo(23, 4);
    ctx.stroke();
  }
  return c;
}

/** A series with so few values that its line would hardly show. */
const sparse = (ys: ArrayLike<number | null | undefined> | undefined): boolean => {
  if (!ys) return false;
  let n = 0;
  for (let i = 0; i < ys.length; i++) if (ys[i] !== null && ys[i] !== undefined && ++n > 30) return false;
  return n > 0;
};

const axis = (extra: Partial<uPlot.Axis> = {}): uPlot.Axis => ({
  stroke: '#5c6776', font: '11px system-ui, sans-serif', grid: { stroke: '#e6e9ee', width: 1 }, ticks: { stroke: '#d9dee6', width: 1 }, ...extra,
});

interface Chart {
  kind: ChartSeriesName;
  u: uPlot;
  /** The series' labels when it was made: another set of series makes a new chart. */
  key: string;
  data: ChartData;
  fig: HTMLElement;
  caption: HTMLElement;
  readout: HTMLElement;
  plot: HTMLElement;
}

function identityCell(v: string | null, cls = 'mono small'): HTMLElement {
  return h('td', { class: cls }, v ?? h('span', { class: 'muted' }, 'not reported'));
}

function gpuTable(r: NodeChartsResponse): HTMLElement {
  if (r.gpus.length === 0) {
    return note('info', 'No GPU of this node reported to Prometheus in this range. If it has GPUs, check that dcgm-exporter runs on it and that Prometheus scrapes it.');
  }
  const reading = (k: ChartSeriesName, v: number | null) => h('td', { class: 'num' }, v === null ? h('span', { class: 'muted', attrs: { title: 'no reading in the last 5 minutes' } }, '–') : fmtValue(k, v));
  return h('div', { class: 'table-scroll' }, h('table', { class: 'table node-gpus' },
    h('caption', { class: 'sr-only' }, 'The node\'s GPUs: identity and readings now'),
    h('thead', null, h('tr', null, ['GPU', 'Model and UUID', 'PCI bus id', 'Driver', 'Utilisation', 'Memory', 'Temperature', 'Power', 'Clock slowdown', 'Last report']
      .map((t) => h('th', { attrs: { scope: 'col' } }, t)))),
    h('tbody', null, r.gpus.map((g) => {
      const reasons = reasonsOf(g.current.clock_reasons, r.clock_reason_bits);
      return h('tr', { attrs: { 'data-gpu': g.gpu } },
        h('th', { attrs: { scope: 'row' } }, `GPU ${g.gpu}`),
        h('td', { class: 'gpu-identity' },
          h('div', { class: 'gpu-model' }, g.model ?? h('span', { class: 'muted' }, 'model not reported')),
          h('div', { class: 'gpu-uuid mono small' }, g.uuid ?? h('span', { class: 'muted' }, 'UUID not reported'))),
        identityCell(g.pci_bus_id),
        identityCell(g.driver_version),
        reading('utilization', g.current.utilization),
        reading('memory', g.current.memory),
        reading('temperature', g.current.temperature),
        reading('power', g.current.power),
        h('td', { class: `gpu-slowdown${reasons.length ? ' ov-warn' : ''}` }, g.current.clock_reasons === null
          ? h('span', { class: 'muted' }, '–')
          : reasons.length === 0 ? 'none' : reasons.map(reasonText).join(', ')),
        h('td', { class: 'small nowrap' }, g.last_seen === null ? h('span', { class: 'muted' }, 'never') : ago(new Date(g.last_seen * 1000).toISOString())),
      );
    })),
  ));
}

function xidList(r: NodeChartsResponse, rangeText: string, fmt: (t: number) => string): HTMLElement {
  const id = uid('xids');
  const body: Child[] = r.xids.length === 0
    ? [h('p', { class: 'muted' }, `No Xid was logged on this node in the ${rangeText.toLowerCase()}.`)]
    : [h('ul', { class: 'xid-events' }, [...r.xids].reverse().map((m) => h('li', null,
      h('time', { attrs: { datetime: new Date(m.t * 1000).toISOString() } }, fmt(m.t)), ' · ',
      h('a', { attrs: { href: `#/xid/${m.xid}` } }, `Xid ${m.xid}`),
      ` on ${m.gpu !== null ? `GPU ${m.gpu}` : 'a device'} (${m.pci_bus_id})`, m.count > 1 ? ` ×${m.count}` : '')))];
  if (r.xids_truncated) body.push(h('p', { class: 'muted small' }, 'Only the newest are listed: the range holds more.'));
  return h('section', { class: 'card node-xids', attrs: { 'aria-labelledby': id } }, h('h2', { attrs: { id } }, 'Xid events'), ...body);
}

function alertsSection(name: string, alerts: FiringAlert[] | Error): HTMLElement {
  const id = uid('node-alerts');
  let body: Child;
  if (alerts instanceof Error) body = errorBox(alerts, 'Could not read the firing alerts');
  else if (alerts.length === 0) body = h('p', null, h('span', { class: 'ok-mark', attrs: { 'aria-hidden': 'true' } }, '✓ '), `Nothing is firing on ${name}.`);
  else {
    body = [
      h('ul', { class: 'node-alert-list' }, alerts.map((a) => h('li', { class: `node-alert sev-border-${a.labels.severity ?? 'unknown'}`, attrs: { 'data-alertname': a.labels.alertname ?? '' } },
        severityBadge(a.labels.severity ?? 'unknown'), ' ',
        h('strong', null, humanizeRuleName(a.labels.alertname ?? 'Alert')),
        a.labels.gpu !== undefined ? h('span', { class: 'alert-gpu' }, ` GPU ${a.labels.gpu}`) : null,
        h('span', { class: 'muted small' }, ` · since ${ago(a.startsAt)}`),
        a.annotations?.summary ? h('p', { class: 'small' }, a.annotations.summary) : null))),
      h('p', { class: 'small' }, h('a', { attrs: { href: `#/firing?node=${encodeURIComponent(name)}` } }, 'Each of them with its details and what to do')),
    ];
  }
  return h('section', { class: 'card node-alerts', attrs: { 'aria-labelledby': id } }, h('h2', { attrs: { id } }, 'Alerts firing on this node'), body);
}

const INSTALL_WORD: Readonly<Record<string, string>> = { queued: 'Waiting', running: 'Running', retrying: 'Retrying', done: 'Done', failed: 'Failed' };

function installSection(last: InstallNodeRun | null | Error): HTMLElement {
  const id = uid('node-install');
  let body: Child;
  if (last instanceof Error) body = errorBox(last, 'Could not read the install history');
  else if (last === null) body = h('p', { class: 'muted' }, 'No install has run on this node yet. Start one from the Nodes screen.');
  else {
    const running = last.state === 'running' || last.state === 'queued' || last.state === 'retrying';
    const symbol = last.state === 'failed' ? '✕' : running ? '⟳' : '✓';
    const cls = last.state === 'failed' ? 'ov-bad' : running ? 'ov-info' : 'ov-ok';
    body = [
      h('p', { class: `ov-state ${cls}` }, h('span', { class: 'hsym', attrs: { 'aria-hidden': 'true' } }, symbol), ` ${last.action === 'uninstall' ? 'Removal' : 'Install'}: ${INSTALL_WORD[last.state] ?? last.state}`,
        last.result ? ` (${last.result})` : '', last.step && running ? ` · ${last.step}` : ''),
      running ? h('p', { class: 'ov-progress' }, h('progress', { attrs: { max: 100, value: Math.round(last.percent), 'aria-label': `Install progress: ${Math.round(last.percent)}%` } }), ` ${Math.round(last.percent)}%`) : null,
      last.reason ? h('p', { class: 'reason' }, last.reason) : null,
      h('dl', { class: 'health-facts' },
        h('dt', null, 'Run'), h('dd', { class: 'mono small' }, last.runId),
        last.startedAt ? [h('dt', null, 'Started'), h('dd', null, h('time', { attrs: { datetime: last.startedAt, title: last.startedAt } }, ago(last.startedAt)))] : null,
        last.finishedAt ? [h('dt', null, 'Finished'), h('dd', null, h('time', { attrs: { datetime: last.finishedAt, title: last.finishedAt } }, ago(last.finishedAt)),
          last.durationMs !== undefined ? ` (took ${(last.durationMs / 1000).toFixed(1)} s)` : '')] : null,
        last.attempts > 1 ? [h('dt', null, 'Attempts'), h('dd', null, String(last.attempts))] : null,
        last.versions && Object.keys(last.versions).length ? [h('dt', null, 'Versions'), h('dd', null, Object.entries(last.versions).map(([k, v]) => `${k} ${v}`).join(', '))] : null,
      ),
      last.notes?.length ? h('ul', { class: 'small' }, last.notes.map((n) => h('li', null, n))) : null,
    ];
  }
  return h('section', { class: 'card node-install', attrs: { 'aria-labelledby': id } }, h('h2', { attrs: { id } }, 'Last install'), body);
}

/** A panel's heading with the link to the screen it comes from. */
function panelHead(id: string, title: string, href: string, link: string): HTMLElement {
  return h('div', { class: 'panel-head' }, h('h2', { attrs: { id } }, title), h('a', { class: 'panel-link', attrs: { href } }, link));
}

/** The Health panel: the analyzer's verdict on each GPU of the node, and why where it is not healthy. */
function healthSection(name: string, n: NodeHealthResponse | null | Error): HTMLElement {
  const id = uid('node-health');
  const at = (gpu?: number) => `#/health/${encodeURIComponent(name)}${gpu === undefined ? '' : `?gpu=${gpu}`}`;
  let body: Child;
  if (n instanceof Error) body = errorBox(n, 'Could not read the GPU health');
  else if (n === null) {
    body = h('p', { class: 'muted' }, `The analyzer has no verdict on ${name}: either it does not watch this node (no GPU of it reports to Prometheus), or its first evaluation has not finished yet.`);
  } else {
    const gpus = Array.isArray(n.gpus) ? n.gpus : [];
    const healthy = gpus.filter((g) => g.state === 'healthy').length;
    body = [
      h('p', { class: 'node-health-sum' }, stateBadge(n.state), ` · node score ${score(n.score)}`,
        gpus.length > 0 ? ` · ${healthy} of ${plural(gpus.length, 'GPU')} healthy` : '',
        n.action !== 'none' ? h('span', { class: 'health-next' }, ` · Next: ${actionText(n.action)}`) : null),
      Array.isArray(n.reasons) && n.reasons.length > 0
        ? h('ul', { class: 'health-reasons node-reasons', attrs: { 'aria-label': `Findings about node ${name}` } }, n.reasons.map(reasonLine)) : null,
      gpus.length === 0
        ? h('p', { class: 'muted' }, 'The analyzer lists no GPU on this node.')
        : h('div', { class: 'table-scroll' }, h('table', { class: 'table node-health-gpus' },
          h('caption', { class: 'sr-only' }, 'Each GPU\'s health state, score, and the checks that are not healthy'),
          h('thead', null, h('tr', null, ['GPU', 'State', 'Score', 'What is not healthy'].map((t) => h('th', { attrs: { scope: 'col' } }, t)))),
          h('tbody', null, gpus.map((g) => {
            const k = known(g.state);
            const reasons = Array.isArray(g.reasons) ? g.reasons : [];
            return h('tr', { class: `check-row hs-row-${k}`, attrs: { 'data-gpu': g.gpu, 'data-state': k } },
              h('th', { attrs: { scope: 'row' } }, h('span', { class: `hsym hs-${k}`, attrs: { 'aria-hidden': 'true' } }, HEALTH_STATE_SYMBOL[k]), ' ',
                h('a', { attrs: { href: at(g.gpu), 'aria-label': `GPU ${g.gpu}: its checks and history` } }, `GPU ${g.gpu}`)),
              h('td', { class: 'nowrap' }, stateBadge(g.state)),
              h('td', { class: 'num' }, score(g.score)),
              h('td', null, reasons.length === 0
                ? h('span', { class: 'muted' }, 'every check passes')
                : h('ul', { class: 'health-reasons gpu-reasons' }, reasons.map(reasonLine))));
          })))),
    ];
  }
  return h('section', { class: 'card node-health', attrs: { 'aria-labelledby': id } },
    panelHead(id, 'Health', at(), 'All checks and state changes'), body);
}

/** The Topology panel: the node's last read interconnect as drawn on its topology page, and how it differs from its kind. */
function topologySection(name: string, t: NodeTopology | null | Error): HTMLElement {
  const id = uid('node-topo');
  let body: Child;
  if (t instanceof Error) body = errorBox(t, 'Could not read the topology');
  else if (t === null) {
    body = h('p', { class: 'muted topo-none' }, `No topology read yet: nobody has read ${name}'s GPU interconnect. It is read after each exporter install, and "Refresh" on its topology page reads it now.`);
  } else if (t.state === 'no-gpu-tool') {
    body = [
      h('p', { class: 'topo-none' }, h('span', { class: 'hsym', attrs: { 'aria-hidden': 'true' } }, '–'),
        ` No nvidia-smi: when its topology was read (`, takenCell(t.takenAt), `), ${name} had no nvidia-smi, so there is nothing to draw.`),
      t.reason ? h('p', { class: 'reason muted small' }, t.reason) : null,
    ];
  } else if (t.state !== 'ok') {
    body = h('div', { class: 'message warn', attrs: { role: 'status' } },
      h('p', { class: 'message-title' }, 'The last read of the topology (', takenCell(t.takenAt), ') failed:'),
      h('p', { class: 'detail reason' }, t.reason ?? 'no reason was given'));
  } else {
    const e = t.expected;
    const devs = e?.deviations ?? [];
    const layout = layoutTopology(t);
    body = [
      h('p', { class: 'small' }, 'Read ', takenCell(t.takenAt), e ? ` · ${e.kind}` : '', t.summary ? ` · NVLink: ${nvlinkText(t.summary)}` : ''),
      devs.length > 0
        ? h('div', { class: 'message error', attrs: { role: 'status' } },
          h('p', { class: 'message-title' }, `Not as expected (compared with ${e ? sourcePhrase(e) : 'its kind'}):`),
          deviationList(devs, `How ${name} differs`))
        : e && e.source !== 'alone'
          ? h('p', { class: 'topo-all-good' }, h('span', { class: 'ok-mark', attrs: { 'aria-hidden': 'true' } }, '✓ '), `As expected: the same as ${sourcePhrase(e)}.`)
          : h('p', { class: 'muted' }, 'Nothing to compare it with: no other node has this kind of GPUs, and no topology is pinned for it.'),
      layout.gpus.length > 0
        ? h('div', { class: 'topo-drawing' }, drawTopology(layout, svg, `GPU topology of ${name}`))
        : h('p', { class: 'muted' }, 'The read lists no GPU to draw.'),
      layout.gpus.length > 0 && layout.degradedGpus.length + devs.length > 0
        ? h('p', { class: 'hint' }, 'Red, dashed and marked ✕: not as expected. The topology page has the legend and the full matrix.') : null,
    ];
  }
  return h('section', { class: 'card node-topology', attrs: { 'aria-labelledby': id } },
    panelHead(id, 'Topology', `#/topology/${encodeURIComponent(name)}`, 'Matrix, NVLinks and pin'), body);
}

/** What a panel's source said: its answer, null for "none" (404), or the error to show in its place. */
async function readPanel<T>(path: string, signal?: AbortSignal): Promise<T | null | Error> {
  try {
    return await get<T>(path, signal);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    if ((err as Error).name === 'AbortError') throw err;
    return err as Error;
  }
}

const readHealth = (name: string, signal?: AbortSignal) => readPanel<NodeHealthResponse>(`/api/v1/health/${seg(name)}`, signal);
const readTopology = (name: string, signal?: AbortSignal) => readPanel<NodeTopology>(`/api/v1/topology/${seg(name)}`, signal);

async function readAlerts(name: string, signal?: AbortSignal): Promise<FiringAlert[] | Error> {
  try {
    const { alerts } = await get<FiringAlertsResponse>('/api/v1/alerts/firing', signal);
    return alerts.filter((a) => a.labels.node === name).sort((x, y) => Date.parse(y.startsAt) - Date.parse(x.startsAt));
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    return err as Error;
  }
}

const readInstall = (name: string, signal?: AbortSignal) => readPanel<InstallNodeRun>(`/api/v1/install/nodes/${seg(name)}/last`, signal);

export async function renderNodePage(root: HTMLElement, params: URLSearchParams, name: string | undefined): Promise<() => void> {
  if (!name) {
    location.replace('#/overview');
    return () => undefined;
  }
  let range: ChartRange = isRange(params.get('range')) ? params.get('range') as ChartRange : '1h';
  const chartsUrl = (r: ChartRange) => `/api/v1/nodes/${seg(name)}/charts?range=${r}`;
  let [charts, alerts, install, health, topology] = await Promise.all([
    get<NodeChartsResponse>(chartsUrl(range)), readAlerts(name), readInstall(name), readHealth(name), readTopology(name),
  ]);
  document.title = `${name} · AAMI`;

  const syncKey = uid('node-sync');
  const sync = uPlot.sync(syncKey);
  const hidden = new Set<number>();
  const made = new Map<ChartSeriesName, Chart>();
  let marks: XidMark[] = xidMarks(charts);
  let stopped = false;

  const gpuHost = h('div');
  const switchesHost = h('div', { class: 'chart-switches' });
  const grid = h('div', { class: 'chart-grid' });
  const xidHost = h('div');
  const alertsHost = h('div');
  const installHost = h('div');
  const healthHost = h('div');
  const topologyHost = h('div');
  /**
   * What each panel was last drawn from: a panel is drawn again only when its answer (or the "… ago"
   * it shows) changed, so a refresh leaves the keyboard focus and a scrolled drawing where they were.
   */
  const drawnFrom = new Map<HTMLElement, string>();
  const panel = (host: HTMLElement, from: unknown, draw: () => HTMLElement, extra = '') => {
    const key = `${from instanceof Error ? `error:${from.name}:${from.message}` : JSON.stringify(from)}|${extra}`;
    if (drawnFrom.get(host) === key) return;
    drawnFrom.set(host, key);
    replace(host, draw());
  };
  const status = h('p', { class: 'muted small ov-status' });
  const refreshError = h('div', { attrs: { 'aria-live': 'polite' } });
  const rangeText = () => RANGES.find((x) => x.range === range)?.text ?? range;

  const rangePicker = h('fieldset', { class: 'ov-picker' },
    h('legend', null, 'Range'),
    RANGES.map((r) => {
      const id = uid('range');
      const radio = h('input', { attrs: { type: 'radio', name: `range-${syncKey}`, id, value: r.range, checked: r.range === range } });
      radio.addEventListener('change', () => {
        if (!radio.checked || r.range === range) return;
        range = r.range;
        history.replaceState(null, '', `#/node/${encodeURIComponent(name)}?range=${r.range}`);
        status.textContent = `Loading the ${r.text.toLowerCase()}…`;
        poller.now();
      });
      return h('span', { class: 'ov-choice' }, radio, h('label', { attrs: { for: id } }, r.text));
    }),
  );

  /** Shows or hides GPU `pos` (its position in the answer) on every GPU chart. */
  const applyHidden = () => {
    for (const c of made.values()) {
      if (c.kind === 'clock_reasons') continue;
      c.data.labels.forEach((_, i) => c.u.setSeries(i + 1, { show: !hidden.has(i) }));
    }
  };

  const switches = () => {
    if (charts.gpus.length === 0) {
      replace(switchesHost);
      return;
    }
    replace(switchesHost, h('fieldset', { class: 'ov-picker chart-gpus' },
      h('legend', null, 'GPUs on the charts'),
      charts.gpus.map((g, i) => {
        const id = uid('gpu-switch');
        const box = h('input', { attrs: { type: 'checkbox', id, checked: !hidden.has(i) } });
        box.addEventListener('change', () => {
          if (box.checked) hidden.delete(i);
          else hidden.add(i);
          applyHidden();
        });
        const st = gpuStyle(i);
        return h('span', { class: 'ov-choice chart-switch' }, box, h('label', { attrs: { for: id } }, lineSample(st.stroke, st.dash), `GPU ${g.gpu}`));
      })));
  };

  const plotWidth = (fig: HTMLElement) => Math.max(280, Math.floor(fig.clientWidth) - 2);

  const readoutText = (c: Chart, idx: number | null | undefined): string => {
    if (idx === null || idx === undefined) return '';
    const t = c.data.data[0][idx];
    if (t === undefined) return '';
    const parts = c.data.labels.map((label, s) => {
      if (c.kind !== 'clock_reasons' && hidden.has(s)) return null;
      const v = c.data.data[s + 1]?.[idx];
      if (c.kind === 'clock_reasons') {
        const who = (c.data as ChartData & { gpusByPoint?: string[][][] }).gpusByPoint?.[s]?.[idx] ?? [];
        return v ? `${label}: ${who.join(', ') || fmtValue(c.kind, v)}` : null;
      }
      return `${label} ${fmtValue(c.kind, v)}`;
    }).filter((p): p is string => p !== null);
    const at = marks.filter((m) => Math.abs(m.t - t) <= charts.step / 2).map((m) => m.label);
    return `${when(range)(t)}: ${parts.length ? parts.join(' · ') : c.kind === 'clock_reasons' ? 'no slowdown' : 'no data'}${at.length ? ` · ${at.join(', ')}` : ''}`;
  };

  const makeChart = (kind: ChartSeriesName, data: ChartData, fig: HTMLElement, plot: HTMLElement, caption: HTMLElement, readout: HTMLElement): Chart => {
    const k = CHART_KIND[kind];
    const stepped = kind === 'clock_reasons' ? uPlot.paths.stepped?.({ align: 1 }) : undefined;
    /** The chart, once made (uPlot calls the hooks while it is being made). */
    const ref: { chart?: Chart } = {};
    const opts: uPlot.Options = {
      width: plotWidth(fig),
      height: CHART_HEIGHT,
      legend: { show: false },
      cursor: { sync: { key: syncKey }, focus: { prox: 12 }, points: { size: 6 } },
      focus: { alpha: 0.35 },
      scales: {
        x: { time: true, range: () => [charts.start, charts.end] },
        y: { range: () => yRange(kind, ref.chart?.data ?? data) },
      },
      axes: [
        axis(),
        axis({
          size: 58,
          // Slowdown counts GPUs: whole numbers only.
          ...(kind === 'clock_reasons' ? { incrs: [1, 2, 4, 8, 16, 32, 64] } : {}),
          values: (_u, splits) => splits.map((v) => (kind === 'clock_reasons' ? String(v) : `${v}${k.unit === '%' ? ' %' : ` ${k.unit}`}`)),
        }),
      ],
      series: [
        {},
        ...data.labels.map((label, i) => ({
          label, stroke: data.colours[i], width: kind === 'clock_reasons' ? 2 : 1.5, dash: data.dashes[i], spanGaps: false,
          // Dots where a series has only a few points (a node that just started reporting), else lines alone.
          points: { show: (pu: uPlot, si: number) => sparse(pu.data[si]), size: 5, fill: data.colours[i] },
          show: kind === 'clock_reasons' || !hidden.has(i), ...(stepped ? { paths: stepped } : {}),
        })),
      ],
      hooks: {
        draw: [(u) => drawXids(u, marks)],
        setCursor: [(u) => { if (ref.chart) readout.textContent = readoutText(ref.chart, u.cursor.idx); }],
      },
    };
    const u = new uPlot(opts, data.data, plot);
    sync.sub(u);
    ref.chart = { kind, u, key: data.labels.join('|'), data, fig, caption, readout, plot };
    return ref.chart;
  };

  /** Draws every chart from `charts`: new ones where the series changed, new data otherwise. */
  const drawCharts = () => {
    marks = xidMarks(charts);
    const fmt = when(range);
    for (const kind of CHART_KINDS) {
      const data = chartData(charts, kind);
      let c = made.get(kind);
      if (!c) {
        const id = uid('chart');
        const plot = h('div', { class: 'chart-plot', attrs: { role: 'img', 'aria-labelledby': id, 'aria-describedby': `${id}-cap` } });
        const caption = h('p', { class: 'chart-caption', attrs: { id: `${id}-cap` } });
        const readout = h('p', { class: 'chart-readout muted small' });
        const fig = h('figure', { class: 'chart', attrs: { 'data-kind': kind } },
          h('h3', { class: 'chart-title', attrs: { id } }, CHART_KIND[kind].title), h('p', { class: 'chart-about muted small' }, CHART_KIND[kind].about),
          plot, readout, caption);
        grid.append(fig);
        c = makeChart(kind, data, fig, plot, caption, readout);
        made.set(kind, c);
      } else if (c.key !== data.labels.join('|')) {
        sync.unsub(c.u);
        c.u.destroy();
        replace(c.plot);
        c = makeChart(kind, data, c.fig, c.plot, c.caption, c.readout);
        made.set(kind, c);
      } else {
        c.data = data;
        c.u.setData(data.data);
      }
      c.caption.textContent = chartSummary(data, rangeText(), fmt);
      c.fig.dataset.points = String(data.points);
      c.fig.dataset.series = String(data.labels.length);
      c.fig.dataset.start = String(charts.start);
      c.fig.dataset.end = String(charts.end);
      c.fig.dataset.xids = String(marks.length);
    }
    grid.dataset.range = range;
    grid.dataset.drawn = String(Number(grid.dataset.drawn ?? '0') + 1);
  };

  const fill = () => {
    replace(gpuHost, gpuTable(charts));
    switches();
    drawCharts();
    applyHidden();
    replace(xidHost, xidList(charts, rangeText(), when(range)));
    replace(alertsHost, alertsSection(name, alerts));
    replace(installHost, installSection(install));
    panel(healthHost, health, () => healthSection(name, health));
    panel(topologyHost, topology, () => topologySection(name, topology), topology && !(topology instanceof Error) ? ago(topology.takenAt) : '');
    status.textContent = `Updated ${new Date().toLocaleTimeString()}. This page refreshes every ${DEFAULT_POLL.intervalMs / 1000} seconds while you look at it.`;
  };

  const gpuCount = charts.gpus.length;
  replace(root,
    h('p', { class: 'topo-back' }, h('a', { attrs: { href: '#/overview' } }, '← Overview')),
    pageHeader(`Node ${name}`,
      gpuCount ? `${plural(gpuCount, 'GPU')} as dcgm-exporter reports them, their readings now and their history.` : 'What Prometheus knows about this node.',
      h('a', { class: 'btn', attrs: { href: `#/health/${encodeURIComponent(name)}` } }, 'Health checks'),
      h('a', { class: 'btn', attrs: { href: `#/topology/${encodeURIComponent(name)}` } }, 'GPU interconnect'),
      button('Refresh now', () => poller.now())),
    h('section', { class: 'card table-card node-gpus-card', attrs: { 'aria-label': 'GPUs' } }, h('h2', { class: 'ov-table-title' }, 'GPUs'), gpuHost),
    healthHost,
    h('section', { class: 'card node-charts', attrs: { 'aria-label': 'History' } },
      h('div', { class: 'ov-map-head' }, h('h2', null, 'History'), rangePicker),
      switchesHost,
      grid,
      status,
      refreshError),
    xidHost,
    topologyHost,
    h('div', { class: 'two-col' }, alertsHost, installHost),
  );
  fill();

  const poller = startPoller(async (signal) => {
    const want = range;
    const [c, a, i, hl, tp] = await Promise.all([
      get<NodeChartsResponse>(chartsUrl(want), signal), readAlerts(name, signal), readInstall(name, signal), readHealth(name, signal), readTopology(name, signal),
    ]);
    if (stopped || want !== range) return;
    health = hl;
    topology = tp;
    const gpusChanged = c.gpus.map((g) => g.gpu).join() !== charts.gpus.map((g) => g.gpu).join();
    charts = c;
    alerts = a;
    install = i;
    if (gpusChanged) hidden.clear();
    replace(refreshError);
    fill();
  }, pageEnv(), DEFAULT_POLL, (err, retryMs) => {
    if (stopped) return;
    replace(refreshError, h('div', { class: 'message warn', attrs: { role: 'status' } },
      `The last refresh failed; the charts show what was read before. It tries again in ${Math.round(retryMs / 1000)} seconds.`, errorBox(err)));
  });

  const resized = new ResizeObserver(() => {
    for (const c of made.values()) {
      const w = plotWidth(c.fig);
      if (Math.abs(w - c.u.width) > 1) c.u.setSize({ width: w, height: CHART_HEIGHT });
    }
  });
  resized.observe(grid);

  return () => {
    stopped = true;
    poller.stop();
    resized.disconnect();
    for (const c of made.values()) {
      sync.unsub(c.u);
      c.u.destroy();
    }
  };
}
