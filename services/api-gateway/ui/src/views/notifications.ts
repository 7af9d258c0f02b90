// Notification channels, as in the brief's mock: Slack and email, each with [Test] and [Edit]
// (the test answer shown inline), plus which severities go to which channel. Secrets are never
// shown (the API redacts them) and may be left blank when editing to keep the stored one.
import { call } from '../api.ts';
import { h, replace } from '../dom.ts';
import { isAdmin } from '../session.ts';
import { SEVERITIES, type ChannelName, type ChannelsView, type EmailView, type Routing, type SlackView, type FailureReason, type NotificationTestResult } from '../types.ts';
import { adminOnly, button, busy, checkField, errorBox, field, flash, input, note, pageHeader, reloadScreen, section, select, severityText, showWriteError } from '../ui.ts';

/** The relay's failure kinds, in words. */
const FAILURE_TEXT: Record<FailureReason, string> = {
  clientError: 'The receiver refused this message',
  authError: 'The webhook URL or the credentials were refused',
  rateLimited: 'The receiver asked AAMI to slow down',
  serverError: 'The receiver is having trouble',
  timeout: 'No answer in time',
  connection: 'Could not connect to it',
  invalidConfig: 'The settings cannot be used (an unset ${VAR}, or a bad URL)',
  unexpected: 'Something unexpected happened',
};

const SECRET_HINT = (v: string | undefined): string =>
  !v ? 'not set' : /^\$\{.+\}$/.test(v) ? `taken from the environment variable ${v}` : 'stored, hidden';

export async function renderNotifications(root: HTMLElement): Promise<void> {
  const res = await call<ChannelsView>('GET', '/api/v1/notifications/channels');
  const view = res.data;
  let revision = view.revision;

  const channelRow = (name: ChannelName, conf: SlackView | EmailView | null): HTMLElement => {
    const label = name === 'slack' ? 'Slack' : 'Email';
    const testResult = h('div', { class: 'test-result', attrs: { 'aria-live': 'polite' } });
    const editHost = h('div');
    const rowResult = h('div', { attrs: { 'aria-live': 'polite' } });
    if (!conf) {
      const add = button(`+ Add ${label}`, () => { replace(editHost, name === 'slack' ? slackForm(null, editHost) : emailForm(null, editHost)); editHost.querySelector('input')?.focus(); }, { kind: 'primary', write: true });
      return h('li', { class: 'channel channel-missing' },
        h('div', { class: 'channel-head' },
          h('span', { class: 'channel-state none', attrs: { 'aria-hidden': 'true' } }, '+'),
          h('span', { class: 'channel-title' }, `${label}: not set up`),
          h('span', { class: 'channel-buttons' }, add)),
        editHost);
    }
    const target = name === 'slack' ? ((conf as SlackView).channel || 'the webhook\'s default channel') : (conf as EmailView).to.join(', ');
    const test = button('Test', null, { write: true, label: `Send a test message to ${label}` });
    test.addEventListener('click', () => void busy(test, async () => {
      replace(testResult, note('info', `Sending a test message to ${label}…`));
      const refused = (answer: Extract<NotificationTestResult, { ok: false }>) => h('div', { class: 'message error', attrs: { role: 'alert' } },
        h('p', { class: 'message-title' }, `✗ ${label} did not accept the test message.`),
        h('p', null, h('span', { class: 'detail' }, answer.error)),
        h('p', null, `${FAILURE_TEXT[answer.reason]}. `,
          answer.retry ? 'Real alerts are sent again when this happens.' : 'Sending again will not help: check the settings with Edit.'));
      try {
        // The test's outcome is the answer (200), delivered or refused in the channel's own words.
        const { data } = await call<NotificationTestResult>('POST', '/api/v1/notifications/test', { body: { channel: name } });
        replace(testResult, data.ok ? note('ok', `✓ ${label} accepted the test message.`) : refused(data));
      } catch (err) {
        replace(testResult, errorBox(err, `The ${label} test could not be sent`));
      }
    }, 'Testing…'));
    const edit = button('Edit', () => {
      replace(editHost, name === 'slack' ? slackForm(conf as SlackView, editHost) : emailForm(conf as EmailView, editHost));
      editHost.querySelector('input')?.focus();
    }, { write: true, label: `Edit ${label}` });
    const remove = button('Remove', () => {
      const yes = button(`Yes, remove ${label}`, () => void busy(yes, async () => {
        try {
          await call('DELETE', `/api/v1/notifications/${name}`, { ifMatch: revision });
          flash(`Removed the ${label} channel.`);
          reloadScreen();
        } catch (err) {
          showWriteError(rowResult, err, 'Not removed');
        }
      }), { kind: 'danger', write: true });
      replace(rowResult, h('div', { class: 'confirm' }, `Alerts will no longer go to ${label}. `, yes, ' ', button('Cancel', () => replace(rowResult), { kind: 'link' })));
      yes.focus();
    }, { kind: 'link', write: true, label: `Remove ${label}` });
    const facts = name === 'slack'
      ? [`Webhook URL: ${SECRET_HINT((conf as SlackView).webhook_url)}`]
      : [`Server: ${(conf as EmailView).smtp_host}:${(conf as EmailView).smtp_port} (${(conf as EmailView).tls === 'none' ? 'no encryption' : (conf as EmailView).tls === 'implicit' ? 'TLS' : 'STARTTLS'})`,
        `From: ${(conf as EmailView).from}`,
        (conf as EmailView).username ? `Sign-in: ${(conf as EmailView).username}, password ${SECRET_HINT((conf as EmailView).password)}` : 'No SMTP sign-in'];
    return h('li', { class: `channel${conf.enabled ? '' : ' channel-off'}`, attrs: { 'data-channel': name } },
      h('div', { class: 'channel-head' },
        h('span', { class: `channel-state ${conf.enabled ? 'on' : 'off'}`, attrs: { title: conf.enabled ? 'Alerts are sent here' : 'Turned off: no alerts are sent here' } }, conf.enabled ? '✓' : '–',
          h('span', { class: 'sr-only' }, conf.enabled ? ' On' : ' Off')),
        h('span', { class: 'channel-title' }, `${label}: `, h('strong', null, target)),
        conf.enabled ? null : h('span', { class: 'badge muted-badge' }, 'Turned off'),
        h('span', { class: 'channel-buttons' }, test, edit, remove)),
      h('ul', { class: 'facts' }, facts.map((f) => h('li', null, f))),
      testResult, rowResult, editHost);
  };

  const formShell = (title: string, host: HTMLElement, build: (result: HTMLElement) => { fields: HTMLElement[]; body: () => Record<string, unknown> | Error }, path: string, what: string): HTMLFormElement => {
    const result = h('div', { attrs: { 'aria-live': 'polite' } });
    const { fields, body } = build(result);
    const save = button('Save', null, { kind: 'primary', type: 'submit', write: true });
    return h('form', {
      class: 'edit-form card inset',
      attrs: { 'aria-label': title },
      on: {
        submit: (ev) => {
          ev.preventDefault();
          const b = body();
          if (b instanceof Error) { replace(result, errorBox(b, 'Not saved')); return; }
          void busy(save, async () => {
            try {
              await call('PUT', path, { body: b, ifMatch: revision });
              flash(`Saved the ${what} channel. Press Test to check that it delivers.`);
              reloadScreen();
            } catch (err) {
              showWriteError(result, err, 'Not saved');
            }
          }, 'Saving…');
        },
      },
    },
    h('h3', null, title), ...fields,
    h('div', { class: 'form-actions' }, save, button('Cancel', () => replace(host), { kind: 'link' })),
    result);
  };

  const slackForm = (conf: SlackView | null, host: HTMLElement) => formShell(conf ? 'Edit Slack' : 'Add Slack', host, () => {
    const enabled = adminOnly(h('input', { attrs: { type: 'checkbox', name: 'slack_enabled' } }));
    enabled.checked = conf?.enabled ?? true;
    const url = adminOnly(input({ name: 'webhook_url', type: 'url', placeholder: conf ? 'leave empty to keep the current URL' : 'https://hooks.slack.com/services/…', required: !conf }));
    const channel = adminOnly(input({ name: 'slack_channel', value: conf?.channel ?? '', placeholder: '#gpu-alerts' }));
    return {
      fields: [
        checkField('Send alerts to Slack', enabled),
        field('Incoming-webhook URL', url, conf ? `Currently ${SECRET_HINT(conf.webhook_url)}. Leave empty to keep it, or write \${VAR} to read it from the environment.` : 'From Slack: Apps → Incoming Webhooks. You may write ${VAR} to read it from the environment.'),
        field('Channel', channel, 'Optional: overrides the webhook\'s own channel.'),
      ],
      body: () => {
        const b: Record<string, unknown> = { enabled: enabled.checked };
        if (url.value.trim()) b.webhook_url = url.value.trim();
        else if (!conf) return new Error('a webhook URL is needed');
        if (channel.value.trim() || conf?.channel) b.channel = channel.value.trim();
        return b;
      },
    };
  }, '/api/v1/notifications/slack', 'Slack');

  const emailForm = (conf: EmailView | null, host: HTMLElement) => formShell(conf ? 'Edit email' : 'Add email', host, () => {
    const enabled = adminOnly(h('input', { attrs: { type: 'checkbox', name: 'email_enabled' } }));
    enabled.checked = conf?.enabled ?? true;
    const smtpHost = adminOnly(input({ name: 'smtp_host', value: conf?.smtp_host ?? '', placeholder: 'smtp.company.com', required: true }));
    const port = adminOnly(input({ name: 'smtp_port', type: 'number', min: 1, max: 65535, value: conf?.smtp_port ?? 587 }));
    const tls = adminOnly(select([['starttls', 'STARTTLS (port 587)'], ['implicit', 'TLS from the start (port 465)'], ['none', 'No encryption (port 25)']], conf?.tls ?? 'starttls', { name: 'tls' }));
    const from = adminOnly(input({ name: 'from', value: conf?.from ?? '', placeholder: 'aami@company.com', required: true }));
    const to = adminOnly(input({ name: 'to', value: conf?.to.join(', ') ?? '', placeholder: 'infra-team@company.com, oncall@company.com', required: true }));
    const user = adminOnly(input({ name: 'username', value: conf?.username ?? '', autocomplete: 'off' }));
    const pass = adminOnly(input({ name: 'password', type: 'password', autocomplete: 'new-password', placeholder: conf?.password ? 'leave empty to keep the current password' : '' }));
    return {
      fields: [
        checkField('Send alerts by email', enabled),
        h('div', { class: 'form-row' }, field('SMTP server', smtpHost), field('Port', port), field('Encryption', tls)),
        h('div', { class: 'form-row' }, field('From', from), field('To', to, 'Addresses separated by commas.')),
        h('div', { class: 'form-row' }, field('SMTP user name', user, 'Empty if the server needs no sign-in.'), field('SMTP password', pass, conf?.password ? `Currently ${SECRET_HINT(conf.password)}.` : undefined)),
      ],
      body: () => {
        const recipients = to.value.split(/[,;\s]+/).map((s) => s.trim()).filter(Boolean);
        if (recipients.length === 0) return new Error('give at least one address to send to');
        const b: Record<string, unknown> = {
          enabled: enabled.checked, smtp_host: smtpHost.value.trim(), smtp_port: Number(port.value), tls: tls.value, from: from.value.trim(), to: recipients,
        };
        if (user.value.trim()) b.username = user.value.trim();
        if (pass.value) b.password = pass.value;
        return b;
      },
    };
  }, '/api/v1/notifications/email', 'email');

  // Routing: which severities go where.
  const routingResult = h('div', { attrs: { 'aria-live': 'polite' } });
  const boxes = new Map<string, HTMLInputElement>();
  const routingTable = h('table', { class: 'table routing-table' },
    h('caption', { class: 'sr-only' }, 'Which channels each severity is sent to'),
    h('thead', null, h('tr', null, h('th', { attrs: { scope: 'col' } }, 'Severity'), h('th', { attrs: { scope: 'col' } }, 'Slack'), h('th', { attrs: { scope: 'col' } }, 'Email'))),
    h('tbody', null, SEVERITIES.map((sev) => h('tr', null,
      h('th', { attrs: { scope: 'row' } }, severityText(sev)),
      (['slack', 'email'] as const).map((ch) => {
        const b = adminOnly(h('input', { attrs: { type: 'checkbox', 'aria-label': `Send ${severityText(sev)} alerts to ${ch === 'slack' ? 'Slack' : 'email'}` } }));
        b.checked = view.routing[sev].includes(ch);
        boxes.set(`${sev}:${ch}`, b);
        return h('td', null, b);
      })))),
  );
  const saveRouting = button('Save routing', null, { kind: 'primary', write: true });
  saveRouting.addEventListener('click', () => void busy(saveRouting, async () => {
    const routing: Routing = { critical: [], warning: [], info: [] };
    for (const sev of SEVERITIES) for (const ch of ['slack', 'email'] as const) if (boxes.get(`${sev}:${ch}`)?.checked) routing[sev].push(ch);
    try {
      const r = await call<ChannelsView>('PUT', '/api/v1/notifications/routing', { body: routing, ifMatch: revision });
      revision = r.data.revision;
      replace(routingResult, note('ok', 'Routing saved.'));
    } catch (err) {
      showWriteError(routingResult, err, 'Routing not saved');
    }
  }));

  const addMenu = !view.slack || !view.email
    ? button('+ Add channel', () => {
      const target = root.querySelector<HTMLButtonElement>('.channel-missing .btn-primary');
      target?.click();
    }, { kind: 'primary', write: true })
    : null;

  replace(root,
    pageHeader('Notification channels', 'Where AAMI tells people about alerts. Press Test after any change: the channel\'s own answer is shown.', addMenu),
    section('Channels', null, h('ul', { class: 'channel-list' }, channelRow('slack', view.slack), channelRow('email', view.email))),
    section('Who gets what', 'Which channels each alert severity goes to. A channel that is not set up is skipped.',
      routingTable, h('div', { class: 'form-actions' }, saveRouting), routingResult),
  );
  if (!isAdmin()) saveRouting.disabled = true;
}
