import { expect } from 'chai';
import type { Disk } from '../../../server/platform/disk.js';
import { MemoryDisk } from '../../../server/platform/memory-disk.js';
import { removeGradually } from '../../../server/storage/gradual-removal.js';

/** The disk operations on one path, in order, with a truncate's size. */
function recording(disk: MemoryDisk, log: string[]): Disk {
  const view = disk.attach();
  return {
    ...view,
    truncate: (p, n) => (log.push(`truncate ${n}`), view.truncate(p, n)),
    fdatasync: (p) => (log.push('fdatasync'), view.fdatasync(p)),
    remove: (p) => (log.push('remove'), view.remove(p)),
  };
}

describe('removeGradually', () => {
  let disk: MemoryDisk;
  beforeEach(async () => {
    disk = new MemoryDisk();
    await disk.mkdir('d');
  });

  it('cuts the file from its end one synced step at a time, then removes it', async () => {
    await disk.write('d/f', new Uint8Array(55));
    const log: string[] = [];
    await removeGradually(recording(disk, log), 'd/f', 10);
    expect(log).to.deep.equal([
      ...[45, 35, 25, 15, 5].flatMap((n) => [`truncate ${n}`, 'fdatasync']),
      'remove',
    ]);
    expect(await disk.list('d')).to.deep.equal([]);
  });

  it('removes a file of one step or less at once', async () => {
    await disk.write('d/f', new Uint8Array(10));
    const log: string[] = [];
    await removeGradually(recording(disk, log), 'd/f', 10);
    expect(log).to.deep.equal(['remove']);
  });

  it('treats a file already gone as removed', async () => {
    const log: string[] = [];
    await removeGradually(recording(disk, log), 'd/missing', 10);
    expect(log).to.deep.equal([]);
  });

  it('rejects a step that is not a positive integer', async () => {
    await disk.write('d/f', new Uint8Array(10));
    for (const step of [0, -1, 1.5])
      await removeGradually(disk, 'd/f', step).then(
        () => expect.fail(`step ${step} accepted`),
        (err: unknown) => expect(err).to.be.instanceOf(RangeError),
      );
    expect(await disk.list('d')).to.deep.equal(['f']);
  });
});
