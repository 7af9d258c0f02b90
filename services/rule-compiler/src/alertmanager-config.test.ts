import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { AamiConfig } from '@aami/shared';
import { renderAlertmanagerConfig, type AlertmanagerConfigOptions } from './alertmanager-config.ts';
import { requireTool, runTool } from './validator.ts';

type Timing = { group_wait: string; group_interval: string; repeat_interval: string };
type Route = Timing & { receiver: string; matchers?: string[]; routes?: Route[] };

const OPTIONS: AlertmanagerConfigOptions = { relayUrl: 'http://notification-relay:8081', relayTokenFile: '/run/secrets/relay-token' };

function routes(notifications: unknown): { root: Route; by: Record<string, Route>; text: string } {
  const { text } = renderAlertmanagerConfig(AamiConfig.parse({ notifications }), OPTIONS);
  const root = (YAML.parse(text) as { route: Route }).route;
  const by = Object.fromEntries((root.routes ?? []).map((r) => [r.matchers?.[0] ?? '', r]));
  return { root, by, text };
}

const timing = (r: Route | undefined): Timing | undefined => r && { group_wait: r.group_wait, group_interval: r.group_interval, repeat_interval: r.repeat_interval };

test('by default each severity is reminded at 1h / 4h / 24h, with the grouping timings of before', () => {
  const { root, by } = routes({});
  assert.deepEqual(timing(by['severity="critical"']), { group_wait: '10s', group_interval: '1m', repeat_interval: '1h' });
  assert.deepEqual(timing(by['severity="warning"']), { group_wait: '30s', group_interval: '5m', repeat_interval: '4h' });
  assert.deepEqual(timing(by['severity="info"']), { group_wait: '1m', group_interval: '10m', repeat_interval: '24h' });
  assert.deepEqual(timing(root), timing(by['severity="warning"']), 'an alert with no known severity follows the warning cadence');
});

test("notifications.repeat sets the repeat_interval of that severity's route and of nothing else", () => {
  const { root, by } = routes({ repeat: { critical: '20m' } });
  assert.equal(by['severity="critical"']?.repeat_interval, '20m');
  assert.equal(by['severity="critical"']?.group_interval, '1m', 'grouping stays');
  assert.equal(by['severity="warning"']?.repeat_interval, '4h');
  assert.equal(by['severity="info"']?.repeat_interval, '24h');
  assert.equal(root.repeat_interval, '4h');

  const all = routes({ repeat: { critical: '30m', warning: '2h', info: '3d' } });
  assert.deepEqual([all.by['severity="critical"'], all.by['severity="warning"'], all.by['severity="info"']].map((r) => r?.repeat_interval), ['30m', '2h', '3d']);
  assert.equal(all.root.repeat_interval, '2h', 'the root route follows warning');
});

test('amtool check-config accepts custom repeat intervals', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aami-am-repeat-'));
  try {
    const { text } = routes({ repeat: { critical: '1h30m', warning: '90s', info: '1w' } });
    const file = join(dir, 'alertmanager.yml');
    await writeFile(file, text);
    const run = requireTool(await runTool('amtool', ['check-config', file]));
    assert.ok(run.ok, `${run.stdout}\n${run.stderr}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
