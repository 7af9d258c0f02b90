// The Web UI's API types are the shared schemas' own (services/api-gateway/ui/src/types.ts re-exports
// them from @aami/shared, types only): a hand-written copy of an API answer there could drift from
// what the gateway answers, so one that shows up fails here. The UI's own types (form inputs,
// display states) are listed by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';

const TYPES = new URL('../../ui/src/types.ts', import.meta.url);
/** What types.ts defines itself: what the UI sends from its forms and how it draws install progress. */
const UI_ONLY = ['RulePatch', 'CustomRuleInput', 'InstallNodeProgress', 'InstallState'];

test('ui/src/types.ts defines no API answer of its own: answers are re-exported from @aami/shared', async () => {
  const text = await readFile(TYPES, 'utf8');
  const defined = [...text.matchAll(/^export\s+(?:interface|type)\s+([A-Za-z0-9_]+)\b/gm)].map((m) => m[1]);
  assert.deepEqual(defined.filter((name) => !UI_ONLY.includes(name ?? '')), [], 'hand-written types in types.ts: re-export the shared schema\'s type instead (export type { X } from \'@aami/shared/api/...\')');
  assert.ok(defined.length > 0, 'the pattern still finds the UI-only types');
  // Every re-export names a shared module, types only (esbuild erases them: no zod in the bundle).
  for (const m of text.matchAll(/^export\s+(type\s+)?\{[^}]*\}\s+from\s+'([^']+)'/gm)) {
    assert.ok(m[1], `a value re-export from ${m[2]} would put shared code in the bundle`);
    assert.match(m[2] ?? '', /^@aami\/shared\//);
  }
  assert.doesNotMatch(text, /^import\s+(?!type\b)/m, 'types.ts imports types only');
});
