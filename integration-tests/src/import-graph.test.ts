// The import graph: a service builds on @aami/shared and its own files only. When one service
// reaches into another's package (or its folder, by a relative path), they can no longer be built,
// tested or replaced one by one, and the contract between them stops being the HTTP API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { REPO_ROOT } from './harness/index.ts';

const SERVICES_DIR = join(REPO_ROOT, 'services');

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...await sourceFiles(path));
    else if (/\.(ts|js|mjs)$/.test(entry.name)) out.push(path);
  }
  return out;
}

/** Every module specifier in a file: static imports and exports, and import('...'). */
function specifiers(text: string): string[] {
  return [...text.matchAll(/(?:^|\s)(?:import|export)\s[^'";]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm)].map((m) => m[1] ?? m[2] ?? '');
}

test('no service imports another service: not its package, not its files', async () => {
  const services = (await readdir(SERVICES_DIR, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  assert.ok(services.length >= 6, `services found: ${services.join(', ')}`);
  const problems: string[] = [];
  for (const service of services) {
    const others = services.filter((s) => s !== service);
    const manifest = JSON.parse(await readFile(join(SERVICES_DIR, service, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    for (const field of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']) {
      for (const dep of Object.keys(manifest[field] ?? {})) {
        if (others.some((o) => dep === `@aami/${o}`)) problems.push(`services/${service}/package.json: ${field} names ${dep}`);
      }
    }
    for (const file of await sourceFiles(join(SERVICES_DIR, service))) {
      for (const spec of specifiers(await readFile(file, 'utf8'))) {
        const where = relative(REPO_ROOT, file);
        if (others.some((o) => spec === `@aami/${o}` || spec.startsWith(`@aami/${o}/`))) problems.push(`${where}: imports ${spec}`);
        if (spec.startsWith('.')) {
          const target = relative(SERVICES_DIR, resolve(file, '..', spec));
          const owner = target.split(sep)[0];
          if (owner && others.includes(owner)) problems.push(`${where}: imports ${spec} (a file of services/${owner})`);
        }
      }
    }
  }
  assert.deepEqual(problems, [], `cross-service imports:\n  ${problems.join('\n  ')}`);
});

test('the check sees a cross-service import when there is one', () => {
  assert.deepEqual(specifiers("import { a } from '@aami/rule-compiler';\nexport { b } from '../../analyzer/src/x.ts';\nconst c = await import('@aami/install-worker');"), ['@aami/rule-compiler', '../../analyzer/src/x.ts', '@aami/install-worker']);
  assert.deepEqual(specifiers("import type { T } from '@aami/shared';\nimport express from 'express';"), ['@aami/shared', 'express']);
});
