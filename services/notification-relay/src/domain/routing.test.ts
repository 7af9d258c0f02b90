import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Notifications } from '@aami/shared';
import { routeAlert } from './routing.ts';

const slack = { webhook_url: 'https://hooks.slack.test/services/T/B/x' };
const email = { smtp_host: 'mail.example.com', from: 'aami@example.com', to: ['ops@example.com'] };

test('default routing: critical to both, warning to slack, info nowhere', () => {
  const cfg = Notifications.parse({ slack, email });
  assert.deepEqual(routeAlert(cfg, 'critical'), ['slack', 'email']);
  assert.deepEqual(routeAlert(cfg, 'warning'), ['slack']);
  assert.deepEqual(routeAlert(cfg, 'info'), []);
});

test('a channel missing from config or disabled is skipped', () => {
  assert.deepEqual(routeAlert(Notifications.parse({ email }), 'critical'), ['email']);
  assert.deepEqual(routeAlert(Notifications.parse({ slack: { ...slack, enabled: false }, email }), 'critical'), ['email']);
  assert.deepEqual(routeAlert(Notifications.parse({}), 'critical'), []);
});

test('custom routing is followed and duplicates collapse', () => {
  const cfg = Notifications.parse({ slack, email, routing: { critical: ['email', 'email'], warning: ['email', 'slack'], info: ['slack'] } });
  assert.deepEqual(routeAlert(cfg, 'critical'), ['email']);
  assert.deepEqual(routeAlert(cfg, 'warning'), ['email', 'slack']);
  assert.deepEqual(routeAlert(cfg, 'info'), ['slack']);
});
