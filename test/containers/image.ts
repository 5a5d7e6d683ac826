/**
 * Builds the Concord image for the container suite without any registry: a root filesystem
 * holding this machine's node binary (process.execPath), the shared libraries `ldd` names for
 * it, and the built project (dist/ without tests, package.json, production node_modules) is
 * packed with tar and loaded with `docker import`. The tag is a hash of every file in it, so an
 * unchanged build is not imported twice.
 *
 * The node binary runs inside the container as it is, so the host must be Linux on the same CPU
 * architecture as the Docker engine (a Linux machine, or a Linux VM running Docker).
 */
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { run } from './docker-engine.js';

export const IMAGE_REPOSITORY = 'concord-test';
/** Where the project lives inside the image. */
export const APP_DIR = '/app';
export const NODE_PATH_IN_IMAGE = '/usr/bin/node';

export interface ImageOptions {
  /** The project root: holds package.json, dist/ and node_modules/. */
  readonly projectRoot: string;
  /** Longest time for the whole build (default 180 000 ms). */
  readonly timeoutMs?: number;
}

export interface BuiltImage {
  readonly tag: string;
  /** false when an image with the same content hash already existed. */
  readonly imported: boolean;
}

/** Absolute paths of the shared libraries (and the loader) that `ldd` lists for a binary. */
async function sharedLibraries(binary: string): Promise<string[]> {
  const out = await run('ldd', [binary], 10_000);
  const libs = new Set<string>();
  for (const line of out.split('\n')) {
    const viaArrow = /=>\s*(\/\S+)/.exec(line);
    const direct = /^\s*(\/\S+)/.exec(line);
    const path = viaArrow?.[1] ?? direct?.[1];
    if (path !== undefined) libs.add(path);
  }
  if (libs.size === 0) throw new Error(`ldd ${binary} listed no libraries:\n${out}`);
  return [...libs];
}

/**
 * Production dependencies, found by walking package.json "dependencies" and resolving each name as
 * Node does: in the requiring package's own node_modules first, then in each folder above it up to
 * the project. A package nested under another (hpack.js holds its own readable-stream 2) is copied
 * with its parent, but its dependencies are still walked: they may be hoisted to the top level.
 * Returns the top-level package folders to copy, relative to node_modules.
 */
function productionPackages(projectRoot: string): string[] {
  const topLevel = join(projectRoot, 'node_modules');
  const visited = new Set<string>();
  const copy = new Set<string>();
  const resolve = (fromDir: string, name: string): string => {
    for (let dir = fromDir; ; dir = dirname(dir)) {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) return candidate;
      if (dir === projectRoot || dirname(dir) === dir) break;
    }
    throw new Error(`production dependency ${name} (needed by ${fromDir}) is not installed`);
  };
  const visit = (pkgDir: string): void => {
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    for (const name of Object.keys(pkg.dependencies ?? {})) {
      const dir = resolve(pkgDir, name);
      if (visited.has(dir)) continue;
      visited.add(dir);
      if (dirname(dir) === topLevel || dirname(dirname(dir)) === topLevel) {
        const rel = relative(topLevel, dir);
        if (!rel.includes('node_modules')) copy.add(rel);
      }
      visit(dir);
    }
  };
  visit(projectRoot);
  return [...copy].sort();
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out.push(p);
    }
  };
  walk(dir);
  return out;
}

function contentHash(root: string): string {
  const h = createHash('sha256');
  for (const file of filesUnder(root)) {
    h.update(relative(root, file));
    h.update('\0');
    h.update(String(statSync(file).mode & 0o777));
    h.update('\0');
    h.update(readFileSync(file));
  }
  return h.digest('hex').slice(0, 16);
}

function stageRootFs(root: string, projectRoot: string, libs: readonly string[]): void {
  const put = (from: string, to: string): void => {
    mkdirSync(dirname(to), { recursive: true });
    cpSync(from, to, { recursive: true, dereference: true });
  };
  put(process.execPath, join(root, NODE_PATH_IN_IMAGE));
  for (const lib of libs) put(lib, join(root, lib));
  mkdirSync(join(root, 'tmp'), { recursive: true, mode: 0o1777 });
  mkdirSync(join(root, 'data'), { recursive: true });
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/usr/sbin/nologin\n');
  writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\n');
  writeFileSync(join(root, 'etc', 'nsswitch.conf'), 'hosts: files dns\n');

  const app = join(root, APP_DIR);
  put(join(projectRoot, 'package.json'), join(app, 'package.json'));
  const dist = join(projectRoot, 'dist');
  for (const name of readdirSync(dist)) {
    // the tests, benchmarks and tsc's incremental state are not part of the product
    if (name === 'test' || name === 'bench' || name.startsWith('.')) continue;
    put(join(dist, name), join(app, 'dist', name));
  }
  for (const pkg of productionPackages(projectRoot)) {
    put(join(projectRoot, 'node_modules', pkg), join(app, 'node_modules', pkg));
  }
}

async function imageExists(tag: string): Promise<boolean> {
  try {
    await run('docker', ['image', 'inspect', '--format', '{{.Id}}', tag], 15_000);
    return true;
  } catch {
    return false;
  }
}

export async function buildConcordImage(options: ImageOptions): Promise<BuiltImage> {
  const timeoutMs = options.timeoutMs ?? 180_000;
  if (!(timeoutMs > 0)) throw new RangeError('timeoutMs must be positive');
  if (process.platform !== 'linux') {
    throw new Error(
      `the container suite copies this machine's node binary into the image, so it needs a Linux host (this is ${process.platform})`,
    );
  }
  const deadline = Date.now() + timeoutMs;
  const left = (): number => Math.max(1_000, deadline - Date.now());
  const work = mkdtempSync(join(tmpdir(), 'concord-image-'));
  try {
    const root = join(work, 'rootfs');
    stageRootFs(root, options.projectRoot, await sharedLibraries(process.execPath));
    const tag = `${IMAGE_REPOSITORY}:${contentHash(root)}`;
    if (await imageExists(tag)) return { tag, imported: false };
    const tarPath = join(work, 'rootfs.tar');
    await run('tar', ['-C', root, '--numeric-owner', '--owner=0', '--group=0', '-cf', tarPath, '.'], left());
    await run(
      'docker',
      [
        'import',
        '--change',
        `WORKDIR ${APP_DIR}`,
        '--change',
        `ENTRYPOINT ["${NODE_PATH_IN_IMAGE}", "${APP_DIR}/dist/server/cli/main.js"]`,
        '--change',
        'LABEL concord.test=containers',
        tarPath,
        tag,
      ],
      left(),
    );
    return { tag, imported: true };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
