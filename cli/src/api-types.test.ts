// The CLI reads the gateway's answers as the shared schemas' types (@aami/shared): an inline object
// type in a `request<...>()` call is a copy that can drift from what the gateway answers, so one
// that shows up fails here, as does a request typed by a name not imported from @aami/shared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const SRC = new URL('.', import.meta.url).pathname;

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...(await sources(join(dir, e.name))));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push(join(dir, e.name));
  }
  return out;
}

test('every typed API request of the CLI names a type imported from @aami/shared', async () => {
  let typed = 0;
  for (const file of await sources(SRC)) {
    const text = await readFile(file, 'utf8');
    assert.doesNotMatch(text, /request<\s*\{/, `${file}: an inline answer type; use the shared schema's type`);
    const shared = new Set([...text.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'@aami\/shared'/g)]
      .flatMap((m) => (m[1] ?? '').split(',').map((n) => n.trim().replace(/^type\s+/, '')).filter(Boolean)));
    for (const m of text.matchAll(/\.request<([^>]+)>\(/g)) {
      typed++;
      assert.ok(shared.has((m[1] ?? '').trim()), `${file}: request<${m[1]}> is not a type imported from @aami/shared`);
    }
  }
  assert.ok(typed >= 30, `${typed} typed requests found`);
});
