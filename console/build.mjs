/**
 * Bundles the console (console/src) into dist/console with esbuild: one script, one stylesheet
 * (uPlot's and the console's), one page, no CDN. The SDK is bundled from its TypeScript sources; its Node-only `ws` import is
 * replaced by a stub (the console uses the browser's own WebSocket). Type-checking is separate:
 * `tsc -p console/tsconfig.json` (esbuild only strips types).
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'dist', 'console');
mkdirSync(out, { recursive: true });

await build({
  entryPoints: [join(here, 'src', 'main.ts')],
  outfile: join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  alias: { ws: join(here, 'src', 'ws-stub.ts') },
  logLevel: 'warning',
});
copyFileSync(join(here, 'src', 'index.html'), join(out, 'index.html'));
// One stylesheet: uPlot's own (its charts need it) before the console's.
const uplotCss = createRequire(import.meta.url).resolve('uplot/dist/uPlot.min.css');
writeFileSync(
  join(out, 'style.css'),
  `${readFileSync(uplotCss, 'utf8')}\n${readFileSync(join(here, 'src', 'style.css'), 'utf8')}`,
);
