// Nodes: the `aami nodes list` table (GPUs, status, firing alerts from Prometheus/Alertmanager,
// each name a link to the node's page, a link to each node's topology), add one node, import a
// hosts file (every bad line reported with its number), remove, and start an exporter install
// while watching each node's progress live.
import { ApiError, call, get, seg } from '../api.ts';
import { h, replace, type Child } from '../dom.ts';
import { isAdmin } from '../session.ts';
import { FINAL_INSTALL_STATES as FINAL, INSTALL_STATE_TEXT as STATE_TEXT, installProgress, parseLabels, plural } from '../format.ts';
import type { ImportResult, InstallRun, InstallRunStarted, NodeAddResponse, NodeView, NodesList } from '../types.ts';
import { adminOnly, button, busy, checkField, errorBox, field, flash, input, note, pageHeader, reloadScreen, section, showWriteError } from '../ui.ts';

/** The install run being watched survives leaving and coming back to this screen. */
let watchedRun: string | null = null;

function statusCell(n: NodeView): HTMLElement {
  const s = n.health.status;
  if (s === 'up') return h('span', { class: 'status up' }, h('span', { class: 'dot', attrs: { 'aria-hidden': 'true' } }, '●'), ' Up');
  if (s === 'down') return h('span', { class: 'status down', attrs: { title: 'Prometheus cannot scrape node_exporter on this node' } }, h('span', { class: 'dot', attrs: { 'aria-hidden': 'true' } }, '●'), ' Down');
  return h('span', { class: 'status unknown', attrs: { title: 'Prometheus did not answer, so the status is not known' } }, '? Unknown');
}

const orUnknown = (v: number | null): Child => (v === null ? h('span', { class: 'muted', attrs: { title: 'not known: Prometheus or Alertmanager did not answer' } }, '?') : v);

function installPanel(host: HTMLElement, runId: string): () => void {
  let stopped = false;
  let timer: number | undefined;
  const tick = async () => {
    try {
      const nodes = installProgress(await get<InstallRun>(`/api/v1/install/runs/${seg(runId)}`));
      if (stopped) return;
      const done = nodes.filter((n) => FINAL.has(n.state)).length;
      const failed = nodes.filter((n) => n.state === 'failed').length;
      const finished = done === nodes.length;
      replace(host,
        h('p', { class: finished ? (failed ? 'message error' : 'message ok') : 'message info', attrs: { role: 'status' } },
          finished
            ? `Install finished: ${done - failed} of ${plural(nodes.length, 'node')} ready${failed ? `, ${failed} failed (reasons below)` : ''}.`
            : `Installing exporters: ${done} of ${plural(nodes.length, 'node')} finished. This updates every second.`),
        h('table', { class: 'table install-table' },
          h('caption', { class: 'sr-only' }, `Install progress, run ${runId}`),
          h('thead', null, h('tr', null, ['Node', 'Progress', 'State', 'Step', 'Time'].map((t) => h('th', { attrs: { scope: 'col' } }, t)))),
          h('tbody', null, nodes.map((n) => h('tr', { class: `install-${n.state}` },
            h('th', { attrs: { scope: 'row' } }, n.node),
            h('td', null, n.state === 'failed'
              ? h('span', { class: 'muted' }, 'stopped')
              : [h('progress', { attrs: { max: 100, value: Math.max(0, Math.min(100, n.progress)), 'aria-label': `${n.node}: ${n.progress}%` } }), ` ${Math.round(n.progress)}%`]),
            h('td', null, h('span', { class: `state state-${n.state}` }, STATE_TEXT[n.state])),
            h('td', null, n.step ?? '', n.reason ? h('div', { class: 'reason' }, n.reason) : null),
            h('td', null, n.durationMs !== undefined ? `${(n.durationMs / 1000).toFixed(1)} s` : ''),
          ))),
        ),
      );
      if (!finished) timer = window.setTimeout(() => void tick(), 1000);
    } catch (err) {
      if (!stopped) replace(host, errorBox(err, 'Could not read the install progress'));
    }
  };
  void tick();
  return () => { stopped = true; window.clearTimeout(timer); };
}

export async function renderNodes(root: HTMLElement): Promise<() => void> {
  const list = await call<NodesList>('GET', '/api/v1/nodes');
  const { nodes } = list.data;
  let revision = list.data.revision;
  const reload = reloadScreen;
  let stopInstall: (() => void) | undefined;

  const selected = new Set<string>();
  const installResult = h('div', { attrs: { 'aria-live': 'polite' } });
  const installBtn = button('Install exporters on selected nodes', null, { kind: 'primary', write: true });
  const installAllBtn = button('Install on all nodes', null, { write: true });
  const updateInstallBtn = () => {
    installBtn.textContent = selected.size > 0 ? `Install exporters on ${plural(selected.size, 'selected node')}` : 'Install exporters on selected nodes';
    if (isAdmin()) installBtn.disabled = selected.size === 0;
  };
  const startInstall = async (btn: HTMLButtonElement, body: { action: 'install'; nodes?: string[]; all?: boolean }) => {
    await busy(btn, async () => {
      try {
        const { data } = await call<InstallRunStarted>('POST', '/api/v1/install/runs', { body });
        const runId = data.runId;
        if (!runId) throw new Error('the install-worker did not say which run it started');
        watchedRun = runId;
        stopInstall?.();
        stopInstall = installPanel(installResult, runId);
      } catch (err) {
        replace(installResult, errorBox(err, 'The install did not start'));
      }
    }, 'Starting…');
  };
  installBtn.addEventListener('click', () => void startInstall(installBtn, { action: 'install', nodes: [...selected] }));
  installAllBtn.addEventListener('click', () => void startInstall(installAllBtn, { action: 'install', all: true }));
  updateInstallBtn();

  const rowFor = (n: NodeView): HTMLTableRowElement => {
    const box = adminOnly(h('input', { attrs: { type: 'checkbox', 'aria-label': `Select ${n.name}` } }));
    box.addEventListener('change', () => { if (box.checked) selected.add(n.name); else selected.delete(n.name); updateInstallBtn(); });
    const actions = h('td', { class: 'actions' });
    const confirmRemove = () => {
      const result = h('span');
      const yes = button(`Yes, remove ${n.name}`, () => void busy(yes, async () => {
        try {
          const { revision: r } = await call('DELETE', `/api/v1/nodes/${seg(n.name)}`, { ifMatch: revision });
          if (r !== undefined) revision = r;
          reload();
        } catch (err) {
          showWriteError(result, err, `Could not remove ${n.name}`);
        }
      }), { kind: 'danger', write: true });
      replace(actions, yes, ' ', button('Cancel', () => replace(actions, topologyLink, ' ', removeBtn), { kind: 'link' }), result);
      yes.focus();
    };
    const removeBtn = button('Remove', confirmRemove, { kind: 'link', write: true, label: `Remove ${n.name}` });
    // How its GPUs are wired (NVLink, PCIe, NUMA), and whether that is what its kind should have.
    const topologyLink = h('a', { class: 'topology-link', attrs: { href: `#/topology/${encodeURIComponent(n.name)}`, 'aria-label': `Topology of ${n.name}` } }, 'Topology');
    actions.append(topologyLink, ' ', removeBtn);
    const labels = Object.entries(n.labels ?? {});
    return h('tr', null,
      h('td', { class: 'select' }, box),
      h('th', { attrs: { scope: 'row' }, class: 'node-name' }, h('a', { attrs: { href: `#/node/${encodeURIComponent(n.name)}`, title: `${n.name}: its GPUs, charts, alerts and last install` } }, n.name)),
      h('td', { class: 'mono' }, n.ip),
      h('td', { class: 'num' }, orUnknown(n.health.gpus)),
      h('td', null, statusCell(n)),
      h('td', { class: 'num' }, n.health.alerts && n.health.alerts > 0
        ? h('a', { attrs: { href: `#/firing?node=${encodeURIComponent(n.name)}` }, class: 'alert-count' }, `${n.health.alerts} firing`)
        : orUnknown(n.health.alerts)),
      h('td', null, labels.length ? h('ul', { class: 'labels' }, labels.map(([k, v]) => h('li', { class: 'label' }, `${k}=${v}`))) : h('span', { class: 'muted' }, '—')),
      h('td', { class: 'mono small' }, n.ssh_user || n.ssh_port ? `${n.ssh_user ?? 'default user'}${n.ssh_port ? `:${n.ssh_port}` : ''}` : h('span', { class: 'muted' }, 'defaults')),
      actions,
    );
  };

  const up = nodes.filter((n) => n.health.status === 'up').length;
  const down = nodes.filter((n) => n.health.status === 'down').length;
  const firing = nodes.reduce((s, n) => s + (n.health.alerts ?? 0), 0);
  const table = nodes.length === 0
    ? h('div', { class: 'empty' }, h('p', null, 'No nodes yet.'), h('p', { class: 'muted' }, 'Add one below, or import a hosts file: one "name address" per line.'))
    : h('table', { class: 'table nodes-table' },
      h('caption', { class: 'sr-only' }, 'Monitored nodes'),
      h('thead', null, h('tr', null,
        h('th', { attrs: { scope: 'col' } }, h('span', { class: 'sr-only' }, 'Select')),
        ['Name', 'Address', 'GPUs', 'Status', 'Alerts', 'Labels', 'SSH', 'Actions'].map((t) => h('th', { attrs: { scope: 'col' } }, t)))),
      h('tbody', null, nodes.map(rowFor)),
    );

  // Add one node.
  const addResult = h('div', { attrs: { 'aria-live': 'polite' } });
  const fName = input({ name: 'name', required: true, placeholder: 'gpu-node-01' });
  const fIp = input({ name: 'ip', required: true, placeholder: '192.168.1.101' });
  const fUser = input({ name: 'ssh_user', placeholder: 'root' });
  const fKey = input({ name: 'ssh_key', placeholder: '/root/.ssh/id_ed25519' });
  const fPort = input({ name: 'ssh_port', type: 'number', min: 1, max: 65535, placeholder: '22' });
  const fLabels = input({ name: 'labels', placeholder: 'gpu_type=h100 rack=r12' });
  const addBtn = button('Add node', null, { kind: 'primary', type: 'submit', write: true });
  const addForm = h('form', {
    class: 'form-grid',
    on: {
      submit: (ev) => {
        ev.preventDefault();
        const { labels, bad } = parseLabels(fLabels.value);
        if (bad.length) {
          replace(addResult, errorBox(new Error(`labels must be written name=value; not understood: ${bad.join(', ')}`), 'Not added'));
          return;
        }
        const body: Record<string, unknown> = { name: fName.value.trim(), ip: fIp.value.trim(), labels };
        if (fUser.value.trim()) body.ssh_user = fUser.value.trim();
        if (fKey.value.trim()) body.ssh_key = fKey.value.trim();
        if (fPort.value.trim()) body.ssh_port = Number(fPort.value);
        void busy(addBtn, async () => {
          try {
            const res = await call<NodeAddResponse>('POST', '/api/v1/nodes', { body, ifMatch: revision });
            revision = res.data.revision;
            flash(`Added node ${String(body.name)}. Install its exporters to start monitoring it.`);
            reload();
          } catch (err) {
            showWriteError(addResult, err, `Could not add "${String(body.name)}"`);
          }
        });
      },
    },
  },
  field('Name', adminOnly(fName), 'Letters, digits, ".", "_" and "-".'),
  field('Address', adminOnly(fIp), 'IP address or host name.'),
  field('SSH user', adminOnly(fUser), 'Leave empty for the cluster default.'),
  field('SSH key path (on the control node)', adminOnly(fKey)),
  field('SSH port', adminOnly(fPort)),
  field('Labels', adminOnly(fLabels), 'Optional, name=value separated by spaces.'),
  h('div', { class: 'form-actions' }, addBtn),
  addResult,
  );

  // Import a hosts file.
  const importResult = h('div', { attrs: { 'aria-live': 'polite' } });
  const fText = adminOnly(h('textarea', { attrs: { name: 'hosts', rows: 7, spellcheck: 'false', placeholder: 'gpu-node-01 192.168.1.101\ngpu-node-02 192.168.1.102 rack=r12' } }));
  const fFile = adminOnly(h('input', { attrs: { type: 'file', accept: '.txt,.hosts,text/plain' } }));
  fFile.addEventListener('change', () => {
    const file = fFile.files?.[0];
    if (file) void file.text().then((t) => { fText.value = t; });
  });
  const iUser = adminOnly(input({ name: 'import_ssh_user', placeholder: 'root' }));
  const iKey = adminOnly(input({ name: 'import_ssh_key', placeholder: '/root/.ssh/id_ed25519' }));
  const iSkip = adminOnly(h('input', { attrs: { type: 'checkbox', name: 'skip_invalid' } }));
  const importBtn = button('Import', null, { kind: 'primary', type: 'submit', write: true });
  const importForm = h('form', {
    on: {
      submit: (ev) => {
        ev.preventDefault();
        const body: Record<string, unknown> = { text: fText.value, skip_invalid: iSkip.checked };
        if (iUser.value.trim()) body.ssh_user = iUser.value.trim();
        if (iKey.value.trim()) body.ssh_key = iKey.value.trim();
        void busy(importBtn, async () => {
          try {
            const res = await call<ImportResult>('POST', '/api/v1/nodes/import', { body, ifMatch: revision });
            revision = res.data.revision;
            const r = res.data;
            replace(importResult, note('ok',
              h('p', { class: 'message-title' }, `Added ${plural(r.added, 'node')}: ${r.names.join(', ')}.`),
              r.skipped.length ? [h('p', null, `Skipped ${plural(r.skipped.length, 'bad line')}:`), h('ul', { class: 'details' }, r.skipped.map((d) => h('li', null, `Line ${d.line ?? '?'}: ${d.message}`)))] : null,
              button('Show the updated table', reload, { kind: 'link' }),
            ));
          } catch (err) {
            const lines = err instanceof ApiError ? err.details.filter((d) => d.line !== undefined).length : 0;
            if (lines > 0 && err instanceof ApiError) {
              // The gateway's own words name the CLI flag; say it the way this form does.
              replace(importResult, errorBox(new ApiError(err.status, err.code, `${plural(lines, 'line needs', 'lines need')} fixing (or tick "Skip bad lines" to add the good ones only).`, err.details), 'Nothing was imported'));
            } else {
              showWriteError(importResult, err, 'Nothing was imported');
            }
          }
        }, 'Importing…');
      },
    },
  },
  field('Hosts file', fText, 'One node per line: name, address, then optional label=value. Lines starting with # are ignored.'),
  field('…or read it from a file', fFile),
  h('div', { class: 'form-row' },
    field('SSH user for these nodes', iUser),
    field('SSH key path', iKey)),
  checkField('Skip bad lines and add the good ones (otherwise nothing is added until every line is right)', iSkip),
  h('div', { class: 'form-actions' }, importBtn),
  importResult,
  );

  replace(root,
    pageHeader('Nodes', 'GPU machines AAMI monitors. Status, GPU count and firing alerts come live from Prometheus and Alertmanager.',
      button('Refresh', reload)),
    h('p', { class: 'summary', attrs: { role: 'status' } },
      nodes.length === 0 ? null
        : `${plural(nodes.length, 'node')}: ${up} up, ${down} down${nodes.length - up - down > 0 ? `, ${nodes.length - up - down} not known` : ''}. ${firing === 0 ? 'No alerts firing.' : `${plural(firing, 'alert')} firing.`}`),
    h('div', { class: 'card table-card' }, table,
      nodes.length > 0 ? h('div', { class: 'table-actions' }, installBtn, installAllBtn) : null,
      installResult),
    h('div', { class: 'two-col' },
      section('Add a node', 'AAMI reaches nodes over SSH to install exporters; nothing runs there until you install.', addForm),
      section('Import a hosts file', null, importForm),
    ),
  );
  if (watchedRun) stopInstall = installPanel(installResult, watchedRun);
  return () => stopInstall?.();
}
