/**
 * Bundles the console (console/src) into dist/console with esbuild: one script, one stylesheet,
 * one page, no CDN. The SDK is bundled from its TypeScript sources; its Node-only `ws` import is
 * replaced by a stub (the console uses the browser's own WebSocket). Type-checking is separate:
 * `tsc -p console/tsconfig.json` (esbuild only strips types).
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
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
copyFileSync(join(here, 'src', 'style.css'), join(out, 'style.css'));
