/**
 * Reads an npm tarball (gzipped ustar, as `npm pack` writes it) into memory: path (without npm's
 * `package/` prefix), file mode and bytes of every regular file. Written here rather than shelling
 * out to `tar` so the checks see exactly the modes and bytes npm wrote, on any platform.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface TarEntry {
  readonly path: string;
  readonly mode: number;
  readonly data: Buffer;
}

const BLOCK = 512;

function field(header: Buffer, offset: number, length: number): string {
  const raw = header.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

function octal(header: Buffer, offset: number, length: number): number {
  const text = field(header, offset, length).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

export function readTarball(file: string): Map<string, TarEntry> {
  const tar = gunzipSync(readFileSync(file));
  const entries = new Map<string, TarEntry>();
  let pos = 0;
  let longName: string | undefined;
  while (pos + BLOCK <= tar.length) {
    const header = tar.subarray(pos, pos + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156] ?? 0);
    const data = tar.subarray(pos + BLOCK, pos + BLOCK + size);
    pos += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L') {
      longName = data.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    if (type === 'x' || type === 'g') {
      // PAX header: only the path record matters here.
      const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'))?.[1];
      if (path !== undefined) longName = path;
      continue;
    }
    const prefix = field(header, 345, 155);
    const name = longName ?? (prefix !== '' ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = undefined;
    if (type !== '0' && type !== '\0') continue;
    entries.set(name.replace(/^package\//, ''), { path: name, mode: octal(header, 100, 8), data });
  }
  return entries;
}
