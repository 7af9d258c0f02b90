// The AAMI Web UI: a sign-in screen, then a nav bar over eight screens (Overview, the first one
// after sign-in, then Nodes, GPU health, Topology, Alert rules, Notifications, Firing alerts, Xid
// lookup), and a page per node (#/node/NAME, opened from the overview's map and the Nodes table).
// It talks only to the gateway's public /api/v1, the same API the CLI and any internal portal use.
// Routing is by URL hash (#/overview ...), so the gateway serves one page and the back button works.
import { ApiError, callWithToken, configureApi } from './api.ts';
import { h, replace } from './dom.ts';
import { endSession, session, startSession, storedToken } from './session.ts';
import type { ConfigView, Whoami } from './types.ts';
import { button, clearConflict, errorBox, field, input, note, setScreenHost, takeFlash } from './ui.ts';
import { renderAlertRules } from './views/alert-rules.ts';
import { renderFiring } from './views/firing.ts';
import { renderHealth } from './views/health.ts';
import { renderNodePage } from './views/node-page.ts';
import { renderNodes } from './views/nodes.ts';
import { renderNotifications } from './views/notifications.ts';
import { renderOverview } from './views/overview.ts';
import { renderTopology } from './views/topology.ts';
import { renderXid } from './views/xid.ts';

/** A screen draws itself into `root`; what it returns stops its timers when the user leaves. */
export type Cleanup = () => void;
type View = (root: HTMLElement, params: URLSearchParams, arg: string | undefined) => Promise<Cleanup | void> | Cleanup | void;

/** The screens; `nav: false` ones (a node's page) are reached by links, not from the nav bar. */
const ROUTES: ReadonlyArray<{ path: string; title: string; view: View; nav?: false }> = [
  { path: 'overview', title: 'Overview', view: renderOverview },
  { path: 'nodes', title: 'Nodes', view: renderNodes },
  { path: 'health', title: 'GPU health', view: renderHealth },
  { path: 'topology', title: 'Topology', view: renderTopology },
  { path: 'alerts', title: 'Alert rules', view: renderAlertRules },
  { path: 'notifications', title: 'Notifications', view: renderNotifications },
  { path: 'firing', title: 'Firing alerts', view: renderFiring },
  { path: 'xid', title: 'Xid lookup', view: renderXid },
  { path: 'node', title: 'Node', view: renderNodePage, nav: false },
];

/** Where sign-in lands, and where an unknown address goes. */
const FIRST_SCREEN = '#/overview';

const app = document.getElementById('app') as HTMLElement;
let cleanup: Cleanup | undefined;
let signInNotice: string | undefined;

configureApi(
  () => session()?.token ?? null,
  () => {
    // The token was revoked or the gateway restarted with other tokens: back to sign-in.
    endSession();
    signInNotice = 'Your token is no longer accepted. Sign in again.';
    showSignIn();
  },
);

/** Checks a token (GET /config, then /whoami) and keeps it for this tab. */
async function signIn(token: string): Promise<void> {
  const cfg = await callWithToken<ConfigView>(token, 'GET', '/api/v1/config');
  const me = await callWithToken<Whoami>(token, 'GET', '/api/v1/whoami');
  startSession({ token, name: me.data.name, role: me.data.role, cluster: cfg.data.config.cluster.name });
}

function showSignIn(): void {
  cleanup?.();
  cleanup = undefined;
  document.title = 'Sign in · AAMI';
  const tokenInput = input({ type: 'password', name: 'token', autocomplete: 'off', required: true, placeholder: 'aami_…' });
  const result = h('div', { attrs: { 'aria-live': 'polite' } });
  if (signInNotice) replace(result, h('div', { class: 'message warn', attrs: { role: 'status' } }, signInNotice));
  signInNotice = undefined;
  const submit = button('Sign in', null, { kind: 'primary', type: 'submit' });
  const form = h('form', {
    class: 'signin-form',
    on: {
      submit: (ev) => {
        ev.preventDefault();
        const token = tokenInput.value.trim();
        if (!token) return;
        submit.disabled = true;
        replace(result, h('p', { class: 'muted' }, 'Checking the token…'));
        signIn(token).then(() => {
          if (!location.hash || location.hash === '#/' || location.hash === '#/signin') location.hash = FIRST_SCREEN;
          route();
        }, (err: unknown) => {
          submit.disabled = false;
          const why = err instanceof ApiError && err.status === 401
            ? errorBox(new Error('That token was not accepted. Check that you copied all of it, and that it has not been revoked.'), 'Sign-in failed')
            : errorBox(err, 'Sign-in failed');
          replace(result, why);
          tokenInput.select();
          tokenInput.focus();
        });
      },
    },
  },
  field('API token', tokenInput, 'An admin token can change settings; a viewer token can look at everything but change nothing. Make one with "aami tokens create", or use the admin token the gateway printed at its first start.'),
  submit,
  result,
  );
  replace(app, h('main', { class: 'signin', attrs: { id: 'main' } },
    h('div', { class: 'signin-card card' },
      h('div', { class: 'brand brand-large' }, h('span', { class: 'brand-mark', attrs: { 'aria-hidden': 'true' } }, '▣'), 'AAMI'),
      h('h1', null, 'Sign in'),
      h('p', { class: 'intro' }, 'GPU cluster monitoring: nodes, alert rules, notifications and Xid errors.'),
      form,
      h('p', { class: 'hint' }, 'The token stays in this browser tab only, and is sent only to this server.'),
    ),
  ));
  tokenInput.focus();
}

function signOut(): void {
  endSession();
  location.hash = '#/signin';
  showSignIn();
}

function shell(active: string): { main: HTMLElement } {
  const s = session();
  const nav = h('nav', { class: 'nav', attrs: { 'aria-label': 'Main' } },
    h('ul', null, ROUTES.filter((r) => r.nav !== false).map((r) => h('li', null,
      h('a', { attrs: { href: `#/${r.path}`, 'aria-current': r.path === active ? 'page' : undefined } }, r.title)))),
  );
  const who = s
    ? h('div', { class: 'who' },
      h('span', { class: 'who-name', attrs: { title: s.name } }, s.name),
      h('span', { class: `badge role-${s.role}` }, s.role === 'admin' ? 'Admin' : 'Viewer (read-only)'),
      button('Sign out', signOut, { kind: 'link' }))
    : null;
  const banner = h('div', { class: 'banner-host', attrs: { id: 'conflict-banner' } });
  banner.hidden = true;
  const main = h('main', { attrs: { id: 'main' } });
  const flashed = takeFlash();
  replace(app,
    h('a', { class: 'skip', attrs: { href: '#main' }, on: { click: (ev) => { ev.preventDefault(); main.querySelector('h1')?.focus(); } } }, 'Skip to content'),
    h('header', { class: 'topbar' },
      h('div', { class: 'brand' }, h('span', { class: 'brand-mark', attrs: { 'aria-hidden': 'true' } }, '▣'), 'AAMI',
        s ? h('span', { class: 'cluster', attrs: { title: 'Cluster name (config.yaml)' } }, s.cluster) : null),
      nav,
      who,
    ),
    s?.role === 'viewer'
      ? h('div', { class: 'viewer-note', attrs: { role: 'note' } }, 'You are signed in with a viewer token: you can look at everything, but changing anything needs an admin token.')
      : null,
    banner,
    flashed ? h('div', { class: 'flash' }, note('ok', flashed)) : null,
    main,
  );
  setScreenHost(banner, () => route());
  return { main };
}

async function route(): Promise<void> {
  cleanup?.();
  cleanup = undefined;
  clearConflict();
  if (!session()) {
    const token = storedToken();
    if (!token) {
      showSignIn();
      return;
    }
    try {
      await signIn(token);
    } catch (err) {
      endSession();
      signInNotice = err instanceof ApiError && err.status === 401 ? 'Your token is no longer accepted. Sign in again.' : `Could not check your token: ${(err as Error).message}`;
      showSignIn();
      return;
    }
  }
  const raw = location.hash.replace(/^#\/?/, '');
  const [pathPart = '', query = ''] = raw.split('?');
  const [name = '', arg] = pathPart.split('/');
  const r = ROUTES.find((x) => x.path === name);
  if (!r) {
    location.replace(FIRST_SCREEN);
    return;
  }
  document.title = `${r.title} · AAMI`;
  const { main } = shell(r.path);
  main.append(h('p', { class: 'muted loading' }, 'Loading…'));
  try {
    const c = await r.view(main, new URLSearchParams(query), arg ? decodeURIComponent(arg) : undefined);
    if (c) cleanup = c;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    replace(main, errorBox(err, `Could not show ${r.title}`));
  }
  main.querySelector('h1')?.focus({ preventScroll: true });
}

window.addEventListener('hashchange', () => { void route(); });
void route();
