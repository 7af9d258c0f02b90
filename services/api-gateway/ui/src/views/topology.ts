// Topology: how the GPUs of each node are wired (NVLink, PCIe, NUMA), as the install worker last
// read it over SSH (`nvidia-smi topo -m`, `nvlink -s`, `--query-gpu`), and whether it is what its
// kind should be: what most nodes of the same GPU model and count have, or the node an admin pinned
// as the reference of that kind.
//
// `#/topology`: first the nodes that differ from what is expected, each difference in words; then
// every node in a table; an admin's "Refresh all"; the pins. `#/topology/NODE`: the node's drawing
// (topology-drawing.ts), its matrix and per-GPU identity and affinity, "Refresh", and pinning its
// topology as the expected one of its kind (or removing that pin).
import { ApiError, call, get, seg } from '../api.ts';
import { h, replace, svg, type Child } from '../dom.ts';
import { plural } from '../format.ts';
import { isAdmin } from '../session.ts';
import type {
  NodeTopology, TopoDeviation, TopoExpectation, TopologyList, TopologyPinInfo, TopologyPinResponse, TopologyRefreshResponse,
  TopologyUnpinResponse, TopoSummary,
} from '../types.ts';
import { ago, busy, button, errorBox, note, pageHeader, section } from '../ui.ts';
import { drawTopology, layoutTopology } from './topology-drawing.ts';

type ListedNode = TopologyList['nodes'][number];

const STATE_TEXT: Readonly<Record<string, { sym: string; text: string; cls: string }>> = {
  ok: { sym: '✓', text: 'Read', cls: 'ok' },
  'no-gpu-tool': { sym: '–', text: 'No nvidia-smi', cls: 'none' },
  failed: { sym: '✕', text: 'Not read', cls: 'bad' },
};

const nodeHref = (node: string) => `#/topology/${encodeURIComponent(node)}`;

export function stateCell(state: string): HTMLElement {
  const s = STATE_TEXT[state] ?? { sym: '?', text: state, cls: 'none' };
  return h('span', { class: `topo-state topo-state-${s.cls}` }, h('span', { class: 'hsym', attrs: { 'aria-hidden': 'true' } }, s.sym), ' ', s.text);
}

/** What a node is compared with, in words. */
function sourceText(e: TopoExpectation | undefined): string {
  if (!e) return '—';
  if (e.source === 'pinned') return `pinned from ${e.pinnedFrom ?? 'another node'}`;
  if (e.source === 'peers') return `its peers (${plural(e.peers - 1, 'other node')})`;
  return 'alone: no peer, no pin';
}

/** What a node is compared with, to end a sentence ("compared with ..."). */
export function sourcePhrase(e: TopoExpectation): string {
  if (e.source === 'pinned') return `the topology pinned from ${e.pinnedFrom ?? 'another node'}`;
  if (e.source === 'peers') return `most of its ${plural(e.peers - 1, 'peer')}`;
  return 'nothing: no other node has its kind, and no topology is pinned for it';
}

/** "28 of 28 pairs, NV18"; "16 of 28 pairs, NV1–NV2"; "none (PCIe only)". */
export function nvlinkText(s: TopoSummary | undefined): string {
  if (!s) return '—';
  if (s.gpuPairs === 0) return s.gpus === 1 ? 'one GPU' : '—';
  if (s.nvlinkPairs === 0 || s.minNvlinks === null) return 'none (PCIe only)';
  const nv = s.minNvlinks === s.maxNvlinks ? `NV${s.minNvlinks}` : `NV${s.minNvlinks}–NV${s.maxNvlinks}`;
  return `${s.nvlinkPairs} of ${plural(s.gpuPairs, 'pair')}, ${nv}`;
}

/** "✓ as expected", "✕ 2 differences", or why there is nothing to say. */
function matchCell(n: Pick<ListedNode, 'state' | 'expected'>): HTMLElement {
  if (n.state !== 'ok' || !n.expected) return h('span', { class: 'muted' }, '—');
  const d = n.expected.deviations.length;
  if (d > 0) return h('span', { class: 'topo-state topo-state-bad' }, h('span', { class: 'hsym', attrs: { 'aria-hidden': 'true' } }, '✕'), ` ${plural(d, 'difference')}`);
  if (n.expected.source === 'alone') return h('span', { class: 'muted', attrs: { title: 'No other node has this kind of GPUs and no topology is pinned for it' } }, 'nothing to compare with');
  return h('span', { class: 'topo-state topo-state-ok' }, h('span', { class: 'hsym', attrs: { 'aria-hidden': 'true' } }, '✓'), ' as expected');
}

function linksDownCell(links: readonly string[] | undefined): Child {
  if (!links) return h('span', { class: 'muted' }, '—');
  if (links.length === 0) return '0';
  return h('span', { class: 'topo-state topo-state-bad', attrs: { title: links.join(', ') } }, h('span', { class: 'hsym', attrs: { 'aria-hidden': 'true' } }, '✕'), ` ${links.length}`);
}

export function takenCell(at: string): HTMLElement {
  return h('time', { attrs: { datetime: at, title: new Date(at).toLocaleString() } }, ago(at));
}

export function deviationList(deviations: readonly TopoDeviation[], label: string): HTMLElement {
  return h('ul', { class: 'topo-deviations', attrs: { 'aria-label': label } }, deviations.map((d) => h('li', { class: 'topo-deviation' },
    h('span', { class: 'hsym', attrs: { 'aria-hidden': 'true' } }, '✕'), ' ', h('span', { class: 'reason-text' }, d.text))));
}

/** The admin's "Refresh all" (or one node's "Refresh"): reads over SSH now, with a running clock. */
async function refreshNodes(btn: HTMLButtonElement, out: HTMLElement, body: { all: true } | { nodes: string[] }, what: string): Promise<TopologyRefreshResponse | undefined> {
  const started = Date.now();
  const tick = () => replace(out, note('info', `Reading the topology of ${what} over SSH… ${Math.round((Date.now() - started) / 1000)} s`));
  tick();
  const clock = window.setInterval(tick, 1000);
  try {
    return await busy(btn, async () => (await call<TopologyRefreshResponse>('POST', '/api/v1/topology/refresh', { body })).data, 'Reading…');
  } catch (err) {
    replace(out, errorBox(err, 'The topology was not read'));
    return undefined;
  } finally {
    window.clearInterval(clock);
  }
}

function refreshSummary(r: TopologyRefreshResponse, seconds: number): HTMLElement {
  const failed = r.results.filter((x) => x.state === 'failed');
  const noTool = r.results.filter((x) => x.state === 'no-gpu-tool');
  return h('div', { class: `message ${failed.length > 0 ? 'warn' : 'ok'}`, attrs: { role: 'status' } },
    h('p', { class: 'message-title' }, `Read ${plural(r.results.length, 'node')} in ${seconds} s: ${r.ok} read${failed.length ? `, ${failed.length} could not be read` : ''}.`),
    noTool.length > 0 ? h('p', null, `No nvidia-smi on ${noTool.map((x) => x.node).join(', ')}.`) : null,
    failed.length > 0 ? h('ul', { class: 'details' }, failed.map((x) => h('li', null, `${x.node}: ${x.reason ?? 'no reason given'}`))) : null);
}

export async function renderTopology(root: HTMLElement, _params: URLSearchParams, nodeArg: string | undefined): Promise<() => void> {
  return nodeArg ? renderNode(root, nodeArg) : renderFleet(root);
}

// ---- The fleet: #/topology -------------------------------------------------------------------

async function renderFleet(root: HTMLElement): Promise<() => void> {
  let stopped = false;
  const result = h('div', { attrs: { 'aria-live': 'polite' } });
  const offHost = h('div');
  const tableHost = h('div');
  const pinsHost = h('div');
  const refreshAll = button('Refresh all', null, { kind: 'primary', write: true });

  const draw = (list: TopologyList) => {
    const nodes = [...list.nodes].sort((a, b) => a.node.localeCompare(b.node));
    const off = nodes.filter((n) => (n.expected?.deviations.length ?? 0) > 0);
    const unread = nodes.filter((n) => n.state === 'failed');
    const compared = nodes.filter((n) => n.state === 'ok' && n.expected && n.expected.source !== 'alone');

    replace(offHost, section('Not as expected',
      'Nodes whose NVLinks or PCIe paths differ from what their kind should have (most of their peers, or the pinned node).',
      nodes.length === 0
        ? h('p', null, 'No topology has been read yet. "Refresh all" reads it from every node over SSH; it is also read after each exporter install.')
        : off.length === 0
          ? h('p', { class: 'topo-all-good' }, h('span', { class: 'ok-mark', attrs: { 'aria-hidden': 'true' } }, '✓ '),
            compared.length > 0
              ? `No node differs from what is expected: ${plural(compared.length, 'node')} compared with ${compared.length === 1 ? 'its' : 'their'} peers or a pin, and all match.`
              : 'No node differs from what is expected. (No node has a peer of its kind or a pin yet, so there was nothing to compare.)')
          : h('ul', { class: 'topo-off-list', attrs: { 'aria-label': 'Nodes that differ from what is expected' } }, off.map((n) => h('li', { class: 'topo-off', attrs: { 'data-node': n.node } },
            h('div', { class: 'topo-off-head' },
              h('a', { class: 'topo-off-name', attrs: { href: nodeHref(n.node) } }, n.node),
              h('span', { class: 'muted' }, `${n.expected!.kind} · compared with ${sourcePhrase(n.expected!)}`)),
            deviationList(n.expected!.deviations, `How ${n.node} differs`)))),
      unread.length > 0
        ? h('div', { class: 'message warn', attrs: { role: 'status' } },
          h('p', { class: 'message-title' }, `${plural(unread.length, 'node')} could not be read, so ${unread.length === 1 ? 'it is' : 'they are'} not compared:`),
          h('ul', { class: 'details' }, unread.map((n) => h('li', null, h('a', { attrs: { href: nodeHref(n.node) } }, n.node), `: ${n.reason ?? 'no reason given'}`))))
        : null,
    ));

    replace(tableHost, nodes.length === 0 ? null : h('div', { class: 'card table-card' },
      h('table', { class: 'table topo-table' },
        h('caption', { class: 'sr-only' }, 'The last topology read of every node'),
        h('thead', null, h('tr', null, ['Node', 'State', 'Kind', 'GPUs', 'NVLink', 'Compared with', 'Matches', 'Links down', 'Taken'].map((t) => h('th', { attrs: { scope: 'col' } }, t)))),
        h('tbody', null, nodes.map((n) => h('tr', { class: (n.expected?.deviations.length ?? 0) > 0 ? 'topo-row-off' : undefined, attrs: { 'data-node': n.node } },
          h('th', { attrs: { scope: 'row' }, class: 'node-name' }, h('a', { attrs: { href: nodeHref(n.node) } }, n.node)),
          h('td', null, stateCell(n.state), n.reason ? h('div', { class: 'reason' }, n.reason) : null),
          h('td', null, n.expected?.kind ?? h('span', { class: 'muted' }, '—')),
          h('td', { class: 'num' }, n.summary ? String(n.summary.gpus) : h('span', { class: 'muted' }, '—')),
          h('td', null, n.summary ? nvlinkText(n.summary) : h('span', { class: 'muted' }, '—')),
          h('td', null, n.expected ? sourceText(n.expected) : h('span', { class: 'muted' }, '—')),
          h('td', null, matchCell(n)),
          h('td', { class: 'num' }, linksDownCell(n.inactiveLinks)),
          h('td', { class: 'nowrap' }, takenCell(n.takenAt)),
        ))),
      )));

    const pins = [...(list.pins ?? [])].sort((a, b) => a.kind.localeCompare(b.kind));
    replace(pinsHost, section('Pinned topologies',
      'A pin makes one node\'s topology the expected one of its kind, so the nodes of that kind are compared with it instead of with each other. Pin or unpin from a node\'s page.',
      pins.length === 0
        ? h('p', { class: 'muted' }, 'No kind is pinned: each node is compared with what most of its peers have.')
        : h('ul', { class: 'topo-pins', attrs: { 'aria-label': 'Pinned topologies' } }, pins.map((p) => pinItem(p)))));
  };

  const pinItem = (p: TopologyPinInfo): HTMLElement => {
    const out = h('span', { attrs: { 'aria-live': 'polite' } });
    const remove = button('Remove the pin', null, { kind: 'link', write: true, label: `Remove the pin of ${p.kind}` });
    remove.addEventListener('click', () => void busy(remove, async () => {
      try {
        const { data } = await call<TopologyUnpinResponse>('DELETE', `/api/v1/topology/${seg(p.node)}/pin`);
        replace(result, note('ok', `Removed the pin of ${data.removed.kind} (taken from ${data.removed.node}): its nodes are compared with their peers again.`));
        await load();
      } catch (err) {
        replace(out, errorBox(err, 'The pin was not removed'));
      }
    }));
    return h('li', { class: 'topo-pin', attrs: { 'data-kind': p.kind } },
      h('span', { class: 'topo-pin-kind' }, p.kind), ' — pinned from ', h('a', { attrs: { href: nodeHref(p.node) } }, p.node), ' ',
      h('span', { class: 'muted' }, takenCell(p.pinnedAt)), ' ', remove, out);
  };

  const load = async () => {
    const list = await get<TopologyList>('/api/v1/topology');
    if (!stopped) draw(list);
  };

  refreshAll.addEventListener('click', () => void (async () => {
    const started = Date.now();
    const r = await refreshNodes(refreshAll, result, { all: true }, 'every node');
    if (!r || stopped) return;
    replace(result, refreshSummary(r, Math.round((Date.now() - started) / 1000)));
    try {
      await load();
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) replace(result, errorBox(err, 'Could not read the topology list again'));
    }
  })());

  replace(root,
    pageHeader('Topology',
      'How the GPUs of each node are connected (NVLink, PCIe, NUMA), from nvidia-smi on the node, compared with what nodes of the same kind (GPU model and count) should have.',
      refreshAll),
    isAdmin() ? null : note('info', 'Reading the topology again and pinning need an admin token: you are signed in with a viewer token.'),
    result,
    offHost,
    tableHost,
    pinsHost,
  );
  draw(await get<TopologyList>('/api/v1/topology'));
  return () => { stopped = true; };
}

// ---- One node: #/topology/NODE ---------------------------------------------------------------

/** The node's last topology, or undefined when none has been read yet (404). */
async function nodeTopology(name: string): Promise<NodeTopology | undefined> {
  try {
    return await get<NodeTopology>(`/api/v1/topology/${seg(name)}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}

/** A small drawing of each mark, in the legend. */
function swatch(kind: 'gpu' | 'gpu-bad' | 'edge' | 'edge-bad' | 'pcie' | 'group'): SVGElement {
  const s = (cls: string, ...children: SVGElement[]) => svg('svg', { class: 'topo-swatch', viewBox: '0 0 40 20', width: 40, height: 20, 'aria-hidden': 'true' }, svg('g', { class: cls }, ...children));
  const rect = () => svg('rect', { x: 3, y: 2, width: 34, height: 16, rx: 3 });
  const line = () => svg('path', { d: 'M 2 10 L 38 10' });
  switch (kind) {
    case 'gpu': return s('topo-gpu', rect());
    case 'gpu-bad': return s('topo-gpu degraded', rect());
    case 'edge': return s('topo-edge', line());
    case 'edge-bad': return s('topo-edge degraded', line());
    case 'pcie': return s('topo-edge topo-edge-pcie', line());
    case 'group': return s('topo-group', rect());
  }
}

function legend(mode: string): HTMLElement {
  const item = (marks: SVGElement | SVGElement[], ...text: Child[]) => h('li', null, h('span', { class: 'topo-legend-marks' }, marks), h('span', null, ...text));
  return h('ul', { class: 'topo-legend', attrs: { 'aria-label': 'How to read the drawing' } },
    item(swatch('group'), 'A NUMA node: its GPUs and the CPUs closest to them'),
    item(swatch('gpu'), 'A GPU; the second line is its active NVLinks of those expected'),
    mode === 'switch'
      ? item(swatch('edge'), 'NVLink to the NVSwitches; the number is the GPU\'s active links')
      : item(swatch('edge'), 'NVLink between two GPUs; NV# is how many links are bonded'),
    item(swatch('pcie'), 'A NIC on the same PCIe switch as the GPU (PIX: one switch, PXB: several)'),
    item([swatch('gpu-bad'), swatch('edge-bad')], h('strong', null, '✕ red and dashed'),
      ': not as expected. Fewer NVLinks active than it should have (✕ 16/18 is 16 of 18), links inactive, or a connection weaker than its peers\' or the pin\'s'),
  );
}

function factsList(t: NodeTopology, pin: TopologyPinInfo | undefined): HTMLElement {
  const e = t.expected;
  return h('dl', { class: 'health-facts topo-facts' },
    h('dt', null, 'State'), h('dd', null, stateCell(t.state), t.reason ? h('div', { class: 'reason' }, t.reason) : null),
    h('dt', null, 'Taken'), h('dd', null, takenCell(t.takenAt), ` (${new Date(t.takenAt).toLocaleString()})`),
    e ? [h('dt', null, 'Kind'), h('dd', null, e.kind)] : null,
    e ? [h('dt', null, 'Compared with'), h('dd', null, sourceText(e), pin && e.source !== 'pinned' ? ` (the pin of ${pin.kind} is from ${pin.node})` : '')] : null,
    t.summary ? [h('dt', null, 'GPUs and NICs'), h('dd', null, `${plural(t.summary.gpus, 'GPU')}, ${plural(t.summary.nics, 'NIC')}`)] : null,
    t.summary ? [h('dt', null, 'NVLink'), h('dd', null, nvlinkText(t.summary))] : null,
    t.inactiveLinks ? [h('dt', null, 'Inactive NVLinks'), h('dd', null, t.inactiveLinks.length === 0 ? 'none' : t.inactiveLinks.join(', '))] : null,
  );
}

function matrixTable(t: NodeTopology): HTMLElement | null {
  const m = t.matrix;
  if (!m) return null;
  const devices = [...m.gpus.map((g) => ({ name: g.name, device: null as string | null })), ...m.nics.map((n) => ({ name: n.name, device: n.device }))];
  const cells = new Map<string, string>();
  for (const l of m.links) {
    const text = l.type === 'NV' ? `NV${l.nvlinks ?? ''}` : l.type;
    cells.set(`${l.a}|${l.b}`, text);
    cells.set(`${l.b}|${l.a}`, text);
  }
  const dev = new Map<string, TopoDeviation>();
  for (const d of t.expected?.deviations ?? []) {
    if (d.kind === 'pair' && d.a && d.b) { dev.set(`${d.a}|${d.b}`, d); dev.set(`${d.b}|${d.a}`, d); }
  }
  const head = (d: { name: string; device: string | null }) => h('span', null, d.name, d.device && d.device !== d.name ? h('span', { class: 'topo-dev-name' }, d.device) : null);
  return h('table', { class: 'table topo-matrix' },
    h('caption', { class: 'sr-only' }, 'How each pair of devices is connected (nvidia-smi topo -m)'),
    h('thead', null, h('tr', null, h('td', null), devices.map((d) => h('th', { attrs: { scope: 'col' } }, head(d))))),
    h('tbody', null, devices.map((r) => h('tr', null,
      h('th', { attrs: { scope: 'row' } }, head(r)),
      devices.map((c) => {
        if (c.name === r.name) return h('td', { class: 'tm-self', attrs: { 'aria-label': 'itself' } }, 'X');
        const text = cells.get(`${r.name}|${c.name}`);
        if (text === undefined) return h('td', { class: 'muted' }, '');
        const d = dev.get(`${r.name}|${c.name}`);
        const cls = text.startsWith('NV') ? 'tm-nv' : `tm-${text.toLowerCase()}`;
        return d
          ? h('td', { class: `${cls} tm-bad`, attrs: { title: d.text } }, `✕ ${text}`, h('span', { class: 'sr-only' }, ` (expected ${d.expected})`))
          : h('td', { class: cls }, text);
      })))),
  );
}

function gpuTable(t: NodeTopology): HTMLElement | null {
  const m = t.matrix;
  if (!m) return null;
  const id = new Map((t.identity ?? []).map((g) => [g.index, g]));
  const nv = new Map((t.nvlink ?? []).map((g) => [g.index, g]));
  const want = new Map((t.expected?.gpus ?? []).map((g) => [g.gpu, g]));
  const linkDev = new Map((t.expected?.deviations ?? []).filter((d) => d.kind === 'links' && d.gpu !== undefined).map((d) => [d.gpu!, d]));
  const dash = () => h('span', { class: 'muted' }, '—');
  return h('table', { class: 'table topo-gpus' },
    h('caption', { class: 'sr-only' }, 'Each GPU: identity, affinity and NVLinks'),
    h('thead', null, h('tr', null, ['GPU', 'Model', 'UUID', 'PCI bus ID', 'CPU affinity', 'NUMA node', 'GPU NUMA ID', 'NVLinks active', 'Inactive links'].map((x) => h('th', { attrs: { scope: 'col' } }, x)))),
    h('tbody', null, [...m.gpus].sort((a, b) => a.index - b.index).map((g) => {
      const i = id.get(g.index);
      const links = nv.get(g.index);
      const active = links ? links.links.filter((l) => l.gbps !== null).length : want.get(g.index)?.active;
      const expected = Math.max(want.get(g.index)?.expected ?? 0, links?.links.length ?? 0);
      const inactive = links ? links.links.filter((l) => l.gbps === null).map((l) => l.link) : [];
      const bad = linkDev.has(g.index) || inactive.length > 0 || (active !== undefined && active < expected);
      return h('tr', { class: bad ? 'topo-row-off' : undefined, attrs: { 'data-gpu': g.index } },
        h('th', { attrs: { scope: 'row' } }, `GPU ${g.index}`),
        h('td', null, i?.model ?? links?.model ?? dash()),
        h('td', { class: 'mono small' }, i?.uuid ?? links?.uuid ?? dash()),
        h('td', { class: 'mono small' }, i?.pciBusId ?? dash()),
        h('td', { class: 'mono small' }, g.cpuAffinity ?? dash()),
        h('td', null, g.numaAffinity ?? dash()),
        h('td', null, g.gpuNumaId ?? dash()),
        h('td', { class: 'num' }, active === undefined ? dash()
          : bad ? h('span', { class: 'topo-state topo-state-bad' }, `✕ ${active} of ${expected}`) : `${active} of ${expected || active}`),
        h('td', null, inactive.length > 0 ? h('span', { class: 'topo-state topo-state-bad' }, inactive.map((l) => `link ${l}`).join(', ')) : links ? 'none' : dash()),
      );
    })),
  );
}

async function renderNode(root: HTMLElement, name: string): Promise<() => void> {
  let stopped = false;
  const result = h('div', { attrs: { 'aria-live': 'polite' } });

  const draw = (t: NodeTopology | undefined, list: TopologyList | undefined) => {
    const refresh = button('Refresh', null, { kind: 'primary', write: true, label: `Read the topology of ${name} again` });
    refresh.addEventListener('click', () => void (async () => {
      const started = Date.now();
      const r = await refreshNodes(refresh, result, { nodes: [name] }, name);
      if (!r || stopped) return;
      const one = r.results[0];
      const summary = one?.state === 'failed'
        ? errorBox(new Error(one.reason ?? 'no reason given'), `${name} could not be read`)
        : refreshSummary(r, Math.round((Date.now() - started) / 1000));
      await load(summary);
    })());
    const back = h('a', { class: 'topo-back', attrs: { href: '#/topology' } }, '← All nodes');
    const header = pageHeader(`Topology of ${name}`, h('span', null, back, ' · The last read of its GPU interconnect, and what it is compared with.'), refresh);
    if (!t) {
      replace(root, header, result, section('Not read yet', null,
        h('p', null, `No topology has been read from ${name} yet. "Refresh" reads it now over SSH (it is also read after each exporter install).`)));
      return;
    }
    const kind = t.expected?.kind;
    const pin = kind ? (list?.pins ?? []).find((p) => p.kind === kind) : undefined;
    const devs = t.expected?.deviations ?? [];
    const layout = layoutTopology(t);

    const pinOut = h('div', { attrs: { 'aria-live': 'polite' } });
    const pinBtn = button(kind ? `Pin as the expected topology of ${kind}` : 'Pin as the expected topology of its kind', null, { write: true });
    if (isAdmin() && (t.state !== 'ok' || !kind)) {
      pinBtn.disabled = true;
      pinBtn.title = 'Only a topology that was read can be pinned';
    }
    pinBtn.addEventListener('click', () => {
      const yes = button('Yes, pin it', null, { kind: 'primary', write: true });
      const cancel = button('Cancel', () => replace(pinOut), { kind: 'link' });
      yes.addEventListener('click', () => void busy(yes, async () => {
        try {
          const { data } = await call<TopologyPinResponse>('POST', `/api/v1/topology/${seg(name)}/pin`);
          await load(note('ok', `Pinned: the ${plural(data.nodes.length, 'node')} of ${data.pin.kind} (${data.nodes.join(', ')}) are now compared with the topology of ${data.pin.node}.`));
        } catch (err) {
          replace(pinOut, errorBox(err, 'Not pinned'));
        }
      }));
      replace(pinOut, h('div', { class: 'message warn topo-confirm', attrs: { role: 'group', 'aria-label': 'Confirm the pin' } },
        h('p', null, `From now on every node of ${kind ?? 'this kind'} is compared with this topology of ${name}, not with what most of its peers have.`),
        devs.length > 0 ? h('p', { class: 'message-title' }, `${name} itself differs from its peers in ${plural(devs.length, 'way')}: pinning it makes those differences the expected topology.`) : null,
        h('div', { class: 'form-actions' }, yes, cancel)));
      yes.focus();
    });
    const unpinBtn = pin ? button('Remove the pin', null, { kind: 'danger', write: true }) : null;
    unpinBtn?.addEventListener('click', () => void busy(unpinBtn, async () => {
      try {
        const { data } = await call<TopologyUnpinResponse>('DELETE', `/api/v1/topology/${seg(name)}/pin`);
        await load(note('ok', `Removed the pin of ${data.removed.kind} (taken from ${data.removed.node}): its nodes are compared with their peers again.`));
      } catch (err) {
        replace(pinOut, errorBox(err, 'The pin was not removed'));
      }
    }));

    replace(root,
      header,
      result,
      h('div', { class: 'card' }, factsList(t, pin),
        devs.length > 0
          ? h('div', { class: 'message error', attrs: { role: 'alert' } },
            h('p', { class: 'message-title' }, `Not as expected (compared with ${t.expected ? sourcePhrase(t.expected) : 'its kind'}):`),
            deviationList(devs, `How ${name} differs`))
          : t.state === 'ok' && t.expected && t.expected.source !== 'alone'
            ? note('ok', t.expected.source === 'pinned' && t.expected.pinnedFrom === name
              ? '✓ This topology is the pinned reference of its kind.'
              : `✓ As expected: the same as ${sourcePhrase(t.expected)}.`)
            : null),
      layout.gpus.length > 0
        ? h('section', { class: 'card topo-drawing-card', attrs: { 'aria-label': 'Drawing' } },
          h('h2', null, 'Drawing'),
          h('div', { class: 'topo-drawing' }, drawTopology(layout, svg, `GPU topology of ${name}`)),
          legend(layout.mode))
        : null,
      t.state === 'ok'
        ? section(kind ? `Expected topology of ${kind}` : 'Expected topology',
          pin
            ? `${kind} is pinned to the topology of ${pin.node} (${ago(pin.pinnedAt)}). Removing the pin compares its nodes with each other again.`
            : 'Nothing is pinned for this kind: its nodes are compared with what most of them have. Pinning this node makes its topology the reference.',
          h('div', { class: 'form-actions' }, pinBtn, unpinBtn),
          isAdmin() ? null : h('p', { class: 'hint' }, 'Pinning needs an admin token.'),
          pinOut)
        : null,
      t.matrix
        ? section('Connection matrix', 'nvidia-smi topo -m: NV# is # bonded NVLinks; PIX one PCIe switch; PXB several; PHB through the CPU\'s host bridge; NODE between host bridges of one NUMA node; SYS across NUMA nodes.',
          h('div', { class: 'table-scroll' }, matrixTable(t)))
        : null,
      t.matrix ? section('GPUs', 'Identity (nvidia-smi --query-gpu), affinity (topo -m) and NVLinks (nvlink -s) of each GPU.', h('div', { class: 'table-scroll' }, gpuTable(t))) : null,
    );
  };

  const load = async (message?: HTMLElement) => {
    const [t, list] = await Promise.all([nodeTopology(name), get<TopologyList>('/api/v1/topology').catch(() => undefined)]);
    if (stopped) return;
    draw(t, list);
    replace(result, message ?? null);
  };
  await load();
  return () => { stopped = true; };
}
