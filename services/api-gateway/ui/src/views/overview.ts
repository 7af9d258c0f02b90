// Overview, the first screen: the cluster summed up (nodes answering or not, GPUs by health state
// and by the level of the chosen metric, alerts firing by severity, the last rule compile, the last
// install run with its progress) over a map of every GPU of the fleet, one cell per GPU grouped by node and coloured by
// the metric the operator picks (GET /api/v1/overview?metric=...). The map is one <canvas> however
// large the fleet (overview-map.ts lays it out and draws it): the pointer shows a GPU's node, index,
// model and value, a click opens the node's page, and the keyboard moves a cursor over it (arrows,
// N for the next GPU that needs a look, Enter to open). Under the map, the GPUs above their warning
// or critical levels and the nodes that do not answer are listed as links, for keyboards and screen
// readers. Refreshes every 10 seconds while shown (poll.ts).
import { get, seg } from '../api.ts';
import { h, replace, uid, type Child } from '../dom.ts';
import { plural } from '../format.ts';
import { DEFAULT_POLL, startPoller, type PollEnv } from '../poll.ts';
import type { GpuLevel, OverviewMetric, OverviewResponse, OverviewSummary } from '../types.ts';
import { ago, button, errorBox, pageHeader, severityBadge } from '../ui.ts';
import {
  CURSOR_KEYS, HEALTH_COLOURS, SCALE, attention, cellCentre, cellSentence, drawBadMark, drawCursor, drawMap, drawNoValue, drawWarnMark,
  hitTest, layoutMap, levelText, mapModel, metricWord, moveCursor, nextAttention, num, tipLines, valueText,
  type CellRef, type CursorKey, type DrawCounts, type MapLayout, type MapModel,
} from './overview-map.ts';
import { HEALTH_STATE_SYMBOL, stateCounts } from './health-marks.ts';

export const METRICS: ReadonlyArray<{ metric: OverviewMetric; text: string }> = [
  { metric: 'health', text: 'Health' },
  { metric: 'temperature', text: 'Temperature' },
  { metric: 'utilization', text: 'Utilisation' },
  { metric: 'memory', text: 'Memory' },
  { metric: 'power', text: 'Power' },
];
const isMetric = (v: string | null): v is OverviewMetric => METRICS.some((m) => m.metric === v);

/** Rows of the "needs a look" table; the rest are counted. */
const ATTENTION_ROWS = 100;
const DOWN_ROWS = 100;

/** The poller's view of this page: document.hidden and visibilitychange. */
export function pageEnv(): PollEnv {
  return {
    hidden: () => document.hidden,
    onVisibility: (fn) => {
      document.addEventListener('visibilitychange', fn);
      return () => document.removeEventListener('visibilitychange', fn);
    },
    setTimeout: (fn, ms) => window.setTimeout(fn, ms),
    clearTimeout: (t) => window.clearTimeout(t as number | undefined),
    now: () => Date.now(),
  };
}

/** "12:04:31" now. */
const clock = () => new Date().toLocaleTimeString();

const sym = (s: string) => h('span', { class: 'hsym', attrs: { 'aria-hidden': 'true' } }, s);

/** A summary card: a heading, a big number and lines under it. */
function card(title: string, cls: string, ...body: Child[]): HTMLElement {
  const id = uid('ov-card');
  return h('section', { class: `ov-card ${cls}`, attrs: { 'aria-labelledby': id } }, h('h2', { attrs: { id } }, title), ...body);
}

const bigNumber = (n: number | null, word: string): HTMLElement =>
  h('p', { class: 'ov-big' }, h('strong', null, n === null ? '?' : n.toLocaleString()), ` ${word}`);

const unknownLine = (why: string) => h('p', { class: 'muted' }, why);

const STATE_WORD: Readonly<Record<string, string>> = { healthy: 'healthy', unknown: 'unknown', degraded: 'degraded', unhealthy: 'unhealthy' };

function nodesCard(s: OverviewSummary): HTMLElement {
  const { configured, up, down } = s.nodes;
  return card('Nodes', 'ov-card-nodes',
    bigNumber(configured, configured === 1 ? 'node' : 'nodes'),
    up === null || down === null
      ? unknownLine('Whether they answer is not known: Prometheus could not be asked.')
      : h('ul', { class: 'ov-lines' },
        h('li', { class: 'ov-ok' }, sym('✓'), ` ${up.toLocaleString()} answering`),
        h('li', { class: down > 0 ? 'ov-bad' : 'ov-zero' }, sym('✕'), ` ${down.toLocaleString()} not answering`)),
  );
}

const STATE_CLASS: Readonly<Record<string, string>> = { unhealthy: 'ov-bad', degraded: 'ov-warn', unknown: 'ov-muted', healthy: 'ov-ok' };

/** The GPUs per health state the analyzer gives (worst first, as the metric's levels under them), whatever the metric; or why there are none. */
function healthLines(g: OverviewSummary['gpus']): Child[] {
  const c = stateCounts(g.states, g.reporting);
  if (c.kind === 'unread') return [unknownLine('The analyzer\'s verdicts could not be read from Prometheus.')];
  if (c.kind === 'none') {
    return [h('p', { class: 'muted small ov-no-health' }, 'None judged yet: Prometheus holds no verdict of the analyzer (it is not running, or not scraped).')];
  }
  return [
    h('ul', { class: 'ov-lines ov-states', attrs: { 'aria-label': 'GPUs by health state' } }, c.rows.map(({ state, n }) =>
      h('li', { class: n === 0 ? 'ov-zero' : STATE_CLASS[state], attrs: { 'data-state': state, 'data-count': n } },
        sym(HEALTH_STATE_SYMBOL[state]), ` ${n.toLocaleString()} ${STATE_WORD[state] ?? state}`))),
    c.notJudged > 0 ? h('p', { class: 'muted small' }, `${c.notJudged.toLocaleString()} not judged by the analyzer yet`) : null,
  ];
}

function gpusCard(resp: OverviewResponse): HTMLElement {
  const g = resp.summary.gpus;
  const lines: Child[] = [h('p', { class: 'muted small ov-by' }, 'By health:'), ...healthLines(g)];
  if (resp.metric !== 'health') {
    lines.push(h('p', { class: 'muted small ov-by' }, `By ${metricWord(resp.metric)}:`));
    if (g.with_value === null || g.warn === null || g.bad === null) {
      lines.push(unknownLine(`Their ${metricWord(resp.metric)} could not be read from Prometheus.`));
    } else {
      const normal = g.with_value - g.warn - g.bad;
      const missing = (g.reporting ?? g.with_value) - g.with_value;
      lines.push(h('ul', { class: 'ov-lines ov-levels' },
        h('li', { class: g.bad > 0 ? 'ov-bad' : 'ov-zero' }, sym('✕'), ` ${g.bad.toLocaleString()} above the critical level`),
        h('li', { class: g.warn > 0 ? 'ov-warn' : 'ov-zero' }, sym('▲'), ` ${g.warn.toLocaleString()} above the warning level`),
        h('li', { class: 'ov-ok' }, sym('✓'), ` ${normal.toLocaleString()} below both`),
        missing > 0 ? h('li', { class: 'ov-muted' }, sym('▨'), ` ${missing.toLocaleString()} without a reading`) : null));
      if (resp.legend.warn === null && resp.legend.bad === null) lines.push(h('p', { class: 'muted small' }, `No alert rule sets a level for ${metricWord(resp.metric)}.`));
    }
  }
  return card('GPUs', 'ov-card-gpus', bigNumber(g.reporting, 'reporting'), ...lines);
}

function alertsCard(s: OverviewSummary): HTMLElement {
  const a = s.alerts;
  if (!a) return card('Alerts firing', 'ov-card-alerts', bigNumber(null, ''), unknownLine('Alertmanager could not be asked.'));
  const total = a.critical + a.warning + a.info + a.other;
  return card('Alerts firing', 'ov-card-alerts',
    bigNumber(total, total === 1 ? 'alert' : 'alerts'),
    h('ul', { class: 'ov-lines ov-sev' },
      (['critical', 'warning', 'info'] as const).map((k) => h('li', { class: a[k] === 0 ? 'ov-zero' : '' }, severityBadge(k), ` ${a[k].toLocaleString()}`)),
      a.other > 0 ? h('li', null, severityBadge('other'), ` ${a.other.toLocaleString()}`) : null),
    total > 0 ? h('p', { class: 'small' }, h('a', { attrs: { href: '#/firing' } }, 'See each alert that is firing')) : null,
  );
}

function compileCard(s: OverviewSummary): HTMLElement {
  const c = s.compile;
  if (!c) return card('Rules', 'ov-card-compile', unknownLine('The rule compiler could not be asked.'));
  const head = c.state === 'ok'
    ? h('p', { class: 'ov-state ov-ok' }, sym('✓'), ' Compiled and live')
    : c.state === 'failed'
      ? h('p', { class: 'ov-state ov-bad' }, sym('✕'), ' The last compile failed')
      : h('p', { class: 'ov-state ov-muted' }, sym('?'), ' Not compiled yet');
  return card('Rules', 'ov-card-compile', head,
    c.compiled_at ? h('p', { class: 'small' }, 'Last compile ', h('time', { attrs: { datetime: c.compiled_at, title: c.compiled_at } }, ago(c.compiled_at)),
      c.revision !== null ? ` (config revision ${c.revision}${c.live_revision !== null && c.live_revision !== c.revision ? `; live: ${c.live_revision}` : ''})` : '') : null,
    c.error ? h('p', { class: 'detail ov-error' }, c.error) : null,
  );
}

function installCard(s: OverviewSummary, unavailable: boolean): HTMLElement {
  const r = s.install;
  if (!r) return card('Last install', 'ov-card-install', unknownLine(unavailable ? 'The install worker could not be asked.' : 'No install has run yet.'));
  const done = (r.counts.done ?? 0) + (r.counts.failed ?? 0);
  const failed = r.results.failed ?? r.counts.failed ?? 0;
  const running = r.status === 'running';
  const results = Object.entries(r.results).filter(([, n]) => (n ?? 0) > 0).map(([k, n]) => `${n} ${k}`).join(', ');
  return card('Last install', 'ov-card-install',
    h('p', { class: `ov-state ${running ? 'ov-info' : failed > 0 ? 'ov-bad' : 'ov-ok'}` },
      sym(running ? '⟳' : failed > 0 ? '✕' : '✓'), running ? ` ${r.action === 'uninstall' ? 'Removing' : 'Installing'}: ${done} of ${plural(r.total, 'node')} finished` : ` Finished on ${plural(r.total, 'node')}${failed > 0 ? `, ${failed} failed` : ''}`),
    running
      ? h('p', { class: 'ov-progress' }, h('progress', { attrs: { max: 100, value: Math.round(r.percent), 'aria-label': `Install progress: ${Math.round(r.percent)}%` } }), ` ${Math.round(r.percent)}%`)
      : null,
    h('p', { class: 'small muted' }, `Started ${ago(r.createdAt)}`, results ? ` · ${results}` : ''),
  );
}

/** A legend swatch or mark, drawn by the map's own code on a tiny canvas so it looks exactly like the map. */
function swatch(draw: (ctx: CanvasRenderingContext2D) => void, size = 18): HTMLCanvasElement {
  const c = h('canvas', { class: 'ov-swatch', attrs: { width: size * 2, height: size * 2, 'aria-hidden': 'true' } });
  const ctx = c.getContext('2d');
  if (ctx) {
    ctx.scale(2, 2);
    draw(ctx);
  }
  return c;
}

function legend(m: MapModel, counts: DrawCounts | undefined): HTMLElement {
  const items: Child[] = [];
  if (m.metric === 'health') {
    for (const st of m.legend.states ?? []) {
      const lvl: GpuLevel = st === 'unhealthy' ? 2 : st === 'degraded' ? 1 : 0;
      items.push(h('li', null, swatch((ctx) => {
        ctx.fillStyle = HEALTH_COLOURS[st] ?? '#ccc';
        ctx.fillRect(2, 2, 14, 14);
        if (lvl === 2) drawBadMark(ctx, 9, 9, 5);
        else if (lvl === 1) drawWarnMark(ctx, 9, 10, 6);
      }), ` ${STATE_WORD[st] ?? st}`));
    }
  } else {
    const [lo, hi] = m.domain;
    const bar = h('canvas', { class: 'ov-scale', attrs: { width: 480, height: 28, 'aria-hidden': 'true' } });
    const ctx = bar.getContext('2d');
    if (ctx) SCALE.forEach((c, i) => { ctx.fillStyle = c; ctx.fillRect((i * 480) / SCALE.length, 0, 480 / SCALE.length + 1, 28); });
    const unit = m.legend.unit ? (m.legend.unit === '%' ? ' %' : ` ${m.legend.unit}`) : '';
    items.push(h('li', { class: 'ov-scale-item' },
      h('span', { class: 'ov-scale-end' }, `${num(lo)}${unit}`), bar, h('span', { class: 'ov-scale-end' }, `${num(hi)}${unit} or more`)));
    if (m.legend.warn !== null) items.push(h('li', null, swatch((ctx) => drawWarnMark(ctx, 9, 10, 6)), ` above ${valueText(m, m.legend.warn)} (warning)`, counts ? h('span', { class: 'muted' }, ` · ${counts.warn.toLocaleString()}`) : null));
    if (m.legend.bad !== null) items.push(h('li', null, swatch((ctx) => drawBadMark(ctx, 9, 9, 5)), ` above ${valueText(m, m.legend.bad)} (critical)`, counts ? h('span', { class: 'muted' }, ` · ${counts.bad.toLocaleString()}`) : null));
  }
  items.push(h('li', null, swatch((ctx) => drawNoValue(ctx, 2, 2, 14)), ' no reading', counts ? h('span', { class: 'muted' }, ` · ${counts.noValue.toLocaleString()}`) : null));
  items.push(h('li', null, swatch((ctx) => {
    ctx.setLineDash([3, 2]);
    ctx.lineWidth = 2;
    ctx.strokeStyle = '#1c2430';
    ctx.strokeRect(2, 3, 14, 12);
  }), ' node not answering', counts ? h('span', { class: 'muted' }, ` · ${counts.down.toLocaleString()}`) : null));
  return h('ul', { class: 'ov-legend', attrs: { 'aria-label': 'Legend' } }, items);
}

export async function renderOverview(root: HTMLElement, params: URLSearchParams): Promise<() => void> {
  let metric: OverviewMetric = isMetric(params.get('metric')) ? params.get('metric') as OverviewMetric : 'temperature';
  const url = (m: OverviewMetric) => `/api/v1/overview?metric=${seg(m)}`;
  let resp = await get<OverviewResponse>(url(metric));

  const problems = h('div', { attrs: { 'aria-live': 'polite' } });
  const summary = h('div', { class: 'ov-summary' });
  const legendHost = h('div', { class: 'ov-legend-host' });
  const status = h('p', { class: 'muted small ov-status' });
  const refreshError = h('div', { attrs: { 'aria-live': 'polite' } });
  const readoutId = uid('ov-readout');
  const readout = h('p', { class: 'ov-readout', attrs: { id: readoutId, 'aria-live': 'polite' } });
  const canvas = h('canvas', {
    class: 'ov-map',
    attrs: {
      tabindex: 0, role: 'application', 'aria-roledescription': 'GPU map', 'aria-describedby': readoutId, 'data-drawn': 0,
    },
  });
  const overlay = h('canvas', { class: 'ov-overlay', attrs: { 'aria-hidden': 'true' } });
  const wrap = h('div', { class: 'ov-map-wrap' }, canvas, overlay);
  const attentionHost = h('div');
  const downHost = h('div');
  const picker = h('fieldset', { class: 'ov-picker' },
    h('legend', null, 'Colour the GPUs by'),
    METRICS.map((m) => {
      const id = uid('ov-metric');
      const radio = h('input', { attrs: { type: 'radio', name: 'ov-metric', id, value: m.metric, checked: m.metric === metric } });
      radio.addEventListener('change', () => { if (radio.checked) setMetric(m.metric); });
      return h('span', { class: 'ov-choice' }, radio, h('label', { attrs: { for: id } }, m.text));
    }),
  );

  let model: MapModel = mapModel(resp);
  let layout: MapLayout | undefined;
  let counts: DrawCounts | undefined;
  let drawn = 0;
  let cursor: CellRef | undefined;
  let hover: { ref: CellRef; x: number; y: number } | undefined;
  let stopped = false;
  let updatedAt = clock();

  const drawOverlay = () => {
    if (!layout) return;
    const ctx = overlay.getContext('2d');
    if (!ctx) return;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    if (hover) drawCursor(ctx, layout, hover.ref, tipLines(model, hover.ref), { x: hover.x, y: hover.y });
    else if (cursor && document.activeElement === canvas) {
      const c = cellCentre(layout, cursor);
      drawCursor(ctx, layout, cursor, tipLines(model, cursor).slice(0, -1).concat('Enter opens the node'), c);
    } else drawCursor(ctx, layout, undefined, undefined);
  };

  /** Lays the map out for the wrapper's width and draws it; sets data-drawn when done (tests, bench). */
  const draw = () => {
    const t0 = performance.now();
    const width = Math.floor(wrap.clientWidth) || 1100;
    const maxHeight = Math.max(560, window.innerHeight - 200);
    layout = layoutMap(model.nodes.length, model.slots, width, maxHeight);
    const dpr = window.devicePixelRatio || 1;
    for (const c of [canvas, overlay]) {
      c.width = Math.round(layout.width * dpr);
      c.height = Math.round(layout.height * dpr);
    }
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    counts = drawMap(ctx, layout, model);
    drawn++;
    canvas.setAttribute('aria-label', `Map of ${plural(counts.cells, 'GPU')} on ${plural(model.nodes.length, 'node')}, coloured by ${metricWord(model.metric)}. `
      + `${counts.bad} above the critical level, ${counts.warn} above the warning level. Arrow keys move between GPUs, N goes to the next GPU that needs a look, Enter opens the node.`);
    Object.assign(canvas.dataset, {
      cells: String(counts.cells), bad: String(counts.bad), warn: String(counts.warn), noValue: String(counts.noValue), down: String(counts.down),
      nodes: String(model.nodes.length), metric: model.metric, at: String(resp.at), cell: String(layout.cell), drawMs: (performance.now() - t0).toFixed(1),
      // What layoutMap was given, so a test can work out where a GPU's cell is.
      width: String(layout.width), maxHeight: String(maxHeight), slots: String(model.slots),
    });
    canvas.dataset.drawn = String(drawn);
    drawOverlay();
    replace(legendHost, legend(model, counts));
  };

  const locate = (ref: CellRef) => {
    cursor = ref;
    canvas.focus({ preventScroll: true });
    showCursor();
  };

  const attentionList = () => {
    const { rows, total } = attention(model, ATTENTION_ROWS);
    const title = model.metric === 'health' ? 'GPUs the analyzer is not happy with' : `GPUs above their ${metricWord(model.metric)} levels`;
    if (total === 0) {
      replace(attentionHost, h('section', { class: 'card ov-attention', attrs: { 'aria-label': title } },
        h('h2', null, title),
        h('p', { class: 'ov-none' }, sym('✓'), model.metric === 'health' ? ' Every judged GPU is healthy.' : model.legend.warn === null && model.legend.bad === null
          ? ` No alert rule sets a level for ${metricWord(model.metric)}, so no GPU is marked.` : ' None: every GPU with a reading is below its warning level.')));
      return;
    }
    const id = uid('ov-att');
    replace(attentionHost, h('section', { class: 'card table-card ov-attention', attrs: { 'aria-labelledby': id } },
      h('h2', { class: 'ov-table-title', attrs: { id } }, title, h('span', { class: 'count muted' }, ` (${total.toLocaleString()})`)),
      h('table', { class: 'table ov-attention-table' },
        h('caption', { class: 'sr-only' }, `${title}, worst first`),
        h('thead', null, h('tr', null, ['Node', 'GPU', 'Model', 'Reading', 'Level', ''].map((t) => h('th', { attrs: { scope: 'col' } }, t)))),
        h('tbody', null, rows.map((r) => h('tr', { class: `ov-level-${r.level}`, attrs: { 'data-node': r.name, 'data-gpu': r.gpu, 'data-level': r.level } },
          h('th', { attrs: { scope: 'row' }, class: 'node-name' }, h('a', { attrs: { href: `#/node/${encodeURIComponent(r.name)}` } }, r.name)),
          h('td', { class: 'num' }, String(r.gpu)),
          h('td', null, r.model ?? h('span', { class: 'muted' }, 'unknown')),
          h('td', { class: 'num' }, valueText(model, r.value)),
          h('td', { class: r.level === 2 ? 'ov-bad' : 'ov-warn' }, sym(r.level === 2 ? '✕' : '▲'), ` ${levelText(model, r.level)}`),
          h('td', null, button('Show on the map', () => locate({ node: r.node, slot: r.gpu }), { kind: 'link', label: `Show ${r.name} GPU ${r.gpu} on the map` })),
        ))),
      ),
      total > rows.length ? h('p', { class: 'muted small ov-more' }, `The ${rows.length} worst are listed; ${(total - rows.length).toLocaleString()} more are marked on the map.`) : null,
    ));
  };

  const downList = () => {
    const down = model.nodes.filter((n) => n.up === false);
    if (down.length === 0) {
      replace(downHost);
      return;
    }
    const id = uid('ov-down');
    replace(downHost, h('section', { class: 'card ov-down', attrs: { 'aria-labelledby': id } },
      h('h2', { attrs: { id } }, 'Not answering', h('span', { class: 'count muted' }, ` (${down.length.toLocaleString()})`)),
      h('p', { class: 'intro' }, 'Prometheus cannot scrape node_exporter on these. Their GPUs may still report if dcgm-exporter answers.'),
      h('ul', { class: 'ov-down-list' }, down.slice(0, DOWN_ROWS).map((n) => h('li', null, sym('✕'), ' ', h('a', { attrs: { href: `#/node/${encodeURIComponent(n.name)}` } }, n.name)))),
      down.length > DOWN_ROWS ? h('p', { class: 'muted small' }, `and ${(down.length - DOWN_ROWS).toLocaleString()} more.`) : null,
    ));
  };

  const fill = () => {
    replace(problems, resp.unavailable.length > 0
      ? h('div', { class: 'message warn', attrs: { role: 'status' } },
        h('p', { class: 'message-title' }, 'Some of this could not be read, so parts of the page are empty:'),
        h('ul', { class: 'details' }, resp.unavailable.map((u) => h('li', null, `${u.source}: ${u.message}`))))
      : null);
    replace(summary, nodesCard(resp.summary), gpusCard(resp), alertsCard(resp.summary), compileCard(resp.summary),
      installCard(resp.summary, resp.unavailable.some((u) => u.source === 'install-worker')));
    draw();
    attentionList();
    downList();
    if (cursor) readout.textContent = cellSentence(model, cursor);
    updatedAt = clock();
    status.textContent = `Updated ${updatedAt}. This page refreshes every ${DEFAULT_POLL.intervalMs / 1000} seconds while you look at it.`;
  };

  const showCursor = () => {
    if (!cursor || !layout) return;
    readout.textContent = cellSentence(model, cursor);
    drawOverlay();
    // Keep the cursor in view on a map taller than the window.
    const rect = canvas.getBoundingClientRect();
    const scale = rect.width / layout.width;
    const c = cellCentre(layout, cursor);
    const y = rect.top + c.y * scale;
    if (y < 40 || y > window.innerHeight - 40) window.scrollBy({ top: y - window.innerHeight / 2 });
  };

  const openNode = (ref: CellRef) => {
    const n = model.nodes[ref.node];
    if (n) location.hash = `#/node/${encodeURIComponent(n.name)}`;
  };

  /** The layout point under a mouse event. */
  const pointOf = (ev: MouseEvent): { x: number; y: number } | undefined => {
    if (!layout) return undefined;
    const rect = canvas.getBoundingClientRect();
    if (rect.width === 0) return undefined;
    const scale = layout.width / rect.width;
    return { x: (ev.clientX - rect.left) * scale, y: (ev.clientY - rect.top) * scale };
  };

  canvas.addEventListener('mousemove', (ev) => {
    const p = pointOf(ev);
    const ref = p && layout ? hitTest(layout, p.x, p.y) : null;
    const same = ref && hover && hover.ref.node === ref.node && hover.ref.slot === ref.slot;
    canvas.classList.toggle('over-cell', ref !== null);
    hover = ref && p ? { ref, x: p.x, y: p.y } : undefined;
    if (ref && !same) readout.textContent = cellSentence(model, ref);
    if (!same || ref) drawOverlay();
  });
  canvas.addEventListener('mouseleave', () => {
    hover = undefined;
    canvas.classList.remove('over-cell');
    drawOverlay();
  });
  canvas.addEventListener('click', (ev) => {
    const p = pointOf(ev);
    const ref = p && layout ? hitTest(layout, p.x, p.y) : null;
    if (ref) openNode(ref);
  });
  canvas.addEventListener('focus', () => {
    cursor ??= nextAttention(model, undefined) ?? { node: 0, slot: 0 };
    showCursor();
  });
  canvas.addEventListener('blur', () => drawOverlay());
  canvas.addEventListener('keydown', (ev) => {
    if (!layout || model.nodes.length === 0) return;
    const cur = cursor ?? { node: 0, slot: 0 };
    if (CURSOR_KEYS.has(ev.key)) {
      ev.preventDefault();
      cursor = moveCursor(layout, cur, ev.key as CursorKey);
      showCursor();
    } else if (ev.key === 'n' || ev.key === 'N') {
      ev.preventDefault();
      const next = nextAttention(model, cur);
      if (next) {
        cursor = next;
        showCursor();
      } else {
        readout.textContent = 'No GPU needs a look.';
      }
    } else if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      openNode(cur);
    }
  });

  const setMetric = (m: OverviewMetric) => {
    if (m === metric) return;
    metric = m;
    history.replaceState(null, '', `#/overview?metric=${m}`);
    status.textContent = `Loading ${metricWord(m)}…`;
    poller.now();
  };

  replace(root,
    pageHeader('Overview', 'Every GPU of the cluster at a glance. Pick what the colours show; point at a GPU for its details, or click it to open its node.',
      button('Refresh now', () => poller.now())),
    problems,
    summary,
    h('section', { class: 'card ov-map-card', attrs: { 'aria-label': 'Fleet map' } },
      h('div', { class: 'ov-map-head' }, picker, legendHost),
      wrap,
      readout,
      h('p', { class: 'hint' }, 'Keyboard: Tab to the map, then the arrow keys move between GPUs, PageUp and PageDown jump eight rows of nodes, N goes to the next GPU that needs a look, and Enter opens the node.'),
      status,
      refreshError,
    ),
    attentionHost,
    downHost,
  );
  fill();

  const poller = startPoller(async (signal) => {
    const want = metric;
    const next = await get<OverviewResponse>(url(want), signal);
    if (stopped || want !== metric) return;
    resp = next;
    model = mapModel(resp);
    if (cursor && cursor.node >= model.nodes.length) cursor = undefined;
    replace(refreshError);
    fill();
  }, pageEnv(), DEFAULT_POLL, (err, retryMs) => {
    if (stopped) return;
    replace(refreshError, h('div', { class: 'message warn', attrs: { role: 'status' } },
      `The last refresh failed, so the page still shows what it read at ${updatedAt}. It tries again in ${Math.round(retryMs / 1000)} seconds.`,
      errorBox(err)));
  });

  // Lay the map out again when the page's width changes.
  let lastWidth = Math.floor(wrap.clientWidth);
  const resized = new ResizeObserver(() => {
    const w = Math.floor(wrap.clientWidth);
    if (w !== lastWidth && w > 0) {
      lastWidth = w;
      draw();
    }
  });
  resized.observe(wrap);

  return () => {
    stopped = true;
    poller.stop();
    resized.disconnect();
  };
}

