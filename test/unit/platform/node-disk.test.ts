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

  describe('#appendAtSynced', () => {
    for (const syncOn of ['pool', 'loop'] as const) {
      context(`with syncOn '${syncOn}'`, () => {
        it('writes each batch at its offset in preallocated space, the first one opening the file', async () => {
          const d = new NodeDisk({ syncOn });
          const f = join(dir, 'wal');
          try {
            await d.appendAt(f, 0, Uint8Array.of(1, 2)); // creates the file
            await d.truncate(f, 8); // preallocate
            await d.appendAtSynced(f, 2, Uint8Array.of(3)); // (handle still opening or open)
            await d.appendAtSynced(f, 3, Uint8Array.of(4, 5)); // the inline path
            expect(await d.read(f)).to.deep.equal(Uint8Array.of(1, 2, 3, 4, 5, 0, 0, 0));
          } finally {
            await d.close();
          }
        });

        it('rejects a failed sync with op fdatasync, whichever path the write took', async () => {
          // fdatasync(2) of a character device fails (EINVAL) after its write succeeded
          const d = new NodeDisk({ syncOn });
          try {
            for (let i = 0; i < 2; i++) {
              const err = await d.appendAtSynced('/dev/null', 0, Uint8Array.of(1)).then(
                () => undefined,
                (e: unknown) => e,
              );
              expect(err, `call ${i + 1}`).to.be.instanceOf(DiskError);
              expect((err as DiskError).op).to.equal('fdatasync');
              expect((err as DiskError).path).to.equal('/dev/null');
            }
          } finally {
            await d.close();
          }
        });
      });
    }

    it('rejects a failed write with op append', async () => {
      const err = await disk.appendAtSynced(join(dir, 'no', 'such', 'dir'), 0, Uint8Array.of(1)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(DiskError);
      expect((err as DiskError).code).to.equal('ENOENT');
      expect((err as DiskError).op).to.equal('append');
    });

    it('keeps a file open while its sync is in the thread pool, even when the handle cache is full', async () => {
      const small = new NodeDisk({ maxOpenHandles: 1 });
      const f = join(dir, 'f');
      try {
        await small.appendAt(f, 0, Uint8Array.of(1));
        // The sync is queued on the pool; opening another file must not close f's descriptor under it.
        const synced = small.appendAtSynced(f, 1, Uint8Array.of(2));
        const other = small.appendAt(join(dir, 'g'), 0, Uint8Array.of(9));
        await Promise.all([synced, other]);
        await small.appendAtSynced(f, 2, Uint8Array.of(3));
        expect(await small.read(f)).to.deep.equal(Uint8Array.of(1, 2, 3));
      } finally {
        await small.close();
      }
    });

    it('writes batches larger than inlineWriteMaxBytes through the pool', async () => {
      const d = new NodeDisk({ inlineWriteMaxBytes: 4 });
      const f = join(dir, 'f');
      try {
        await d.appendAt(f, 0, Uint8Array.of(1));
        await d.appendAtSynced(f, 1, Uint8Array.of(2, 3, 4, 5, 6, 7));
        await d.appendAtSynced(f, 7, Uint8Array.of(8));
        expect(await d.read(f)).to.deep.equal(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
      } finally {
        await d.close();
      }
    });

    it('refuses an invalid inlineWriteMaxBytes or syncOn', () => {
      expect(() => new NodeDisk({ inlineWriteMaxBytes: -1 })).to.throw(TypeError);
      expect(() => new NodeDisk({ syncOn: 'disk' as 'pool' })).to.throw(TypeError);
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
