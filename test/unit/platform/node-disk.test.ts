import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskError } from '../../../server/platform/disk.js';
import { NodeDisk } from '../../../server/platform/node-disk.js';

describe('NodeDisk', () => {
  let dir: string;
  let disk: NodeDisk;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'concord-nodedisk-'));
    disk = new NodeDisk();
  });
  afterEach(async () => {
    await disk.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('appends, syncs, renames and reads back', async () => {
    const f = join(dir, 'a');
    await disk.append(f, Uint8Array.of(1, 2));
    await disk.fdatasync(f);
    await disk.rename(f, join(dir, 'b'));
    await disk.append(join(dir, 'b'), Uint8Array.of(3));
    await disk.fsync(join(dir, 'b'));
    await disk.fsyncDir(dir);
    expect(await disk.read(join(dir, 'b'))).to.deep.equal(Uint8Array.of(1, 2, 3));
    expect(await disk.list(dir)).to.deep.equal(['b']);
  });

  it('truncates, rewrites and removes files and empty directories', async () => {
    const f = join(dir, 'sub', 'f');
    await disk.mkdir(join(dir, 'sub'));
    await disk.write(f, Uint8Array.of(1, 2, 3));
    await disk.truncate(f, 1);
    expect(await disk.read(f)).to.deep.equal(Uint8Array.of(1));
    await disk.remove(f);
    await disk.remove(join(dir, 'sub'));
    expect(await disk.list(dir)).to.deep.equal([]);
  });

  context('when records are written into preallocated space with appendAt', () => {
    it('writes at the given offset, keeps the zeros after it, and mixes with syncs and appends', async () => {
      const f = join(dir, 'wal');
      await disk.appendAt(f, 0, Uint8Array.of(1, 2));
      await disk.truncate(f, 8); // preallocate
      await disk.fdatasync(f);
      await disk.appendAt(f, 2, Uint8Array.of(3));
      await disk.fdatasync(f);
      expect(await disk.read(f)).to.deep.equal(Uint8Array.of(1, 2, 3, 0, 0, 0, 0, 0));
      await disk.append(f, Uint8Array.of(9)); // append mode writes at the file's end
      await disk.appendAt(f, 3, Uint8Array.of(4));
      expect(await disk.read(f)).to.deep.equal(Uint8Array.of(1, 2, 3, 4, 0, 0, 0, 0, 9));
    });
  });

  context('when more files are appended to than maxOpenHandles', () => {
    it('closes idle handles and reopens them on demand', async () => {
      const small = new NodeDisk({ maxOpenHandles: 2 });
      for (let round = 0; round < 3; round++) {
        await Promise.all(
          [0, 1, 2, 3, 4].map((i) => small.append(join(dir, `f${i}`), Uint8Array.of(round, i))),
        );
      }
      for (let i = 0; i < 5; i++) {
        await small.fdatasync(join(dir, `f${i}`));
        expect(await small.read(join(dir, `f${i}`))).to.deep.equal(Uint8Array.of(0, i, 1, i, 2, i));
      }
      await small.close();
    });
  });

  it('maps node errors to DiskError codes', async () => {
    const err = await disk.read(join(dir, 'missing')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(DiskError);
    expect((err as DiskError).code).to.equal('ENOENT');
  });
});
