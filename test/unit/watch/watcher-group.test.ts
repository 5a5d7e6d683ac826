import { expect } from 'chai';
import { toKeyRange } from '../../../server/mvcc/index.js';
import { Watcher } from '../../../server/watch/watcher.js';
import { WatcherGroup } from '../../../server/watch/watcher-group.js';
import { enc } from '../mvcc/helpers.js';

let nextId = 1;
const watcher = (key: string, end?: string): Watcher =>
  new Watcher(
    nextId++,
    toKeyRange(enc(key), end === undefined ? undefined : enc(end)),
    1,
    false,
    false,
    false,
    false,
    10,
    10,
  );

function matches(g: WatcherGroup, key: string): number[] {
  const out: number[] = [];
  g.matching(key, (w) => out.push(w.id));
  return out.sort((a, b) => a - b);
}

describe('WatcherGroup', () => {
  describe('#matching', () => {
    it('finds single-key, range, open-ended and shared-range watchers', () => {
      const g = new WatcherGroup();
      const single = watcher('b');
      const span = watcher('a', 'c');
      const same = watcher('a', 'c');
      const open = watcher('b', '\0');
      const other = watcher('x', 'z');
      for (const w of [single, span, same, open, other]) g.add(w);
      expect(matches(g, 'b')).to.deep.equal([single.id, span.id, same.id, open.id]);
      expect(matches(g, 'c')).to.deep.equal([open.id]);
      expect(matches(g, 'a')).to.deep.equal([span.id, same.id]);
      expect(g.size).to.equal(5);
    });

    it('keeps a shared range while one of its watchers remains', () => {
      const g = new WatcherGroup();
      const a = watcher('a', 'c');
      const b = watcher('a', 'c');
      g.add(a);
      g.add(b);
      expect(g.remove(a)).to.equal(true);
      expect(g.remove(a)).to.equal(false);
      expect(matches(g, 'b')).to.deep.equal([b.id]);
      g.remove(b);
      expect(matches(g, 'b')).to.deep.equal([]);
      expect([...g]).to.have.length(0);
    });
  });
});
