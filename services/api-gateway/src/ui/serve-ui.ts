// Serves the Web UI (services/api-gateway/ui/) from the gateway's own origin. The TypeScript is
// bundled in-process with esbuild once, when the router is made (gateway start), and kept in
// memory: no generated files, no extra build step, no CDN (air-gap safe). Every response carries a
// strict Content-Security-Policy, so only our own bundled script and stylesheet can run or load.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Router, type Response } from 'express';
import { build } from 'esbuild';

/** Where the UI sources live: services/api-gateway/ui/. */
export const UI_DIR = fileURLToPath(new URL('../../ui/', import.meta.url));

/** The headers every UI response carries. */
export const UI_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

interface Asset {
  type: string;
  body: string;
}

/** Bundles ui/src/main.ts and reads the static files; rejects with esbuild's message on a bad build. */
export async function buildUiAssets(uiDir: string = UI_DIR): Promise<Map<string, Asset>> {
  const [bundle, html, css, icon] = await Promise.all([
    build({
      entryPoints: [`${uiDir}src/main.ts`],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      sourcemap: false,
      legalComments: 'none',
      logLevel: 'silent',
      tsconfig: `${uiDir}tsconfig.json`,
    }),
    readFile(`${uiDir}index.html`, 'utf8'),
    readFile(`${uiDir}styles.css`, 'utf8'),
    readFile(`${uiDir}favicon.svg`, 'utf8'),
  ]);
  const js = bundle.outputFiles[0]?.text;
  if (js === undefined) throw new Error('esbuild produced no output for the Web UI');
  return new Map<string, Asset>([
    ['/', { type: 'text/html; charset=utf-8', body: html }],
    ['/index.html', { type: 'text/html; charset=utf-8', body: html }],
    ['/app.js', { type: 'text/javascript; charset=utf-8', body: js }],
    ['/styles.css', { type: 'text/css; charset=utf-8', body: css }],
    ['/favicon.svg', { type: 'image/svg+xml', body: icon }],
  ]);
}

function send(res: Response, asset: Asset, head: boolean) {
  res.set(UI_SECURITY_HEADERS);
  res.type(asset.type);
  if (head) res.end();
  else res.send(asset.body);
}

const builds = new Map<string, Promise<Map<string, Asset>>>();

/** The UI router, plus a promise that settles when its bundle is built. */
export type UiRouter = Router & { ready: Promise<void> };

/**
 * The UI router, mounted at `/`. The bundle starts building as soon as this is called, so
 * createApp can stay synchronous: `app.use(uiRouter())`. A request that comes before the build is
 * done waits for it; a failed build answers 500 (the gateway's error handler logs esbuild's message).
 * `ready` rejects on a failed build, for callers that want a bad UI to fail the start.
 */
export function uiRouter(uiDir: string = UI_DIR): UiRouter {
  // One build per folder and process: every createApp (tests make many) shares it.
  let assets = builds.get(uiDir);
  if (!assets) {
    assets = buildUiAssets(uiDir);
    builds.set(uiDir, assets);
  }
  // An unhandled rejection would end the gateway; the failure is reported on each request instead.
  assets.catch(() => undefined);
  const r = Router();
  const built = assets;
  r.get(['/', '/index.html', '/app.js', '/styles.css', '/favicon.svg'], async (req, res, next) => {
    let map: Map<string, Asset>;
    try {
      map = await built;
    } catch (err) {
      next(new Error(`the Web UI could not be built: ${(err as Error).message}`));
      return;
    }
    const asset = map.get(req.path);
    if (!asset) {
      next();
      return;
    }
    send(res, asset, req.method === 'HEAD');
  });
  const ready = built.then(() => undefined);
  ready.catch(() => undefined);
  return Object.assign(r, { ready });
}
