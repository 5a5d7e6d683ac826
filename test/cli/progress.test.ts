/**
 * The progress displays of the long commands (server/cli/progress.ts): shown on stderr only while
 * stdout and stderr are both terminals, silent otherwise; the watch line keeps out of the events.
 */
import { expect } from 'chai';
import { Writable } from 'node:stream';
import { startBar, startTicker, type ProgressTerminal } from '../../server/cli/progress.js';

/** A stderr that keeps what is written, a terminal or not. */
class FakeStderr extends Writable {
  written = '';
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.written += chunk.toString();
    done();
  }
  // What cli-progress's terminal asks of a TTY stream.
  columns = 120;
  cursorTo(_x: number, _y?: number, cb?: () => void): boolean {
    cb?.();
    return true;
  }
  moveCursor(_dx: number, _dy: number, cb?: () => void): boolean {
    cb?.();
    return true;
  }
  clearLine(_dir: number, cb?: () => void): boolean {
    cb?.();
    return true;
  }
  clearScreenDown(cb?: () => void): boolean {
    cb?.();
    return true;
  }
}

const terminal = (stdoutIsTTY: boolean, stderrIsTTY: boolean): ProgressTerminal & { stderr: FakeStderr } => ({
  stdoutIsTTY,
  stderr: new FakeStderr(stderrIsTTY),
});

describe('progress displays', () => {
  for (const [out, err] of [
    [false, true],
    [true, false],
    [false, false],
  ] as const) {
    it(`print nothing when stdout is ${out ? '' : 'not '}a terminal and stderr is ${err ? '' : 'not '}one`, async () => {
      const t = terminal(out, err);
      expect(await startBar({ label: 'defrag', total: 3, unit: { name: 'members' }, terminal: t })).to.equal(
        undefined,
      );
      expect(await startBar({ label: 'snapshot', total: 100, unit: 'bytes', terminal: t })).to.equal(
        undefined,
      );
      expect(startTicker({ label: 'watch k', things: 'events', terminal: t })).to.equal(undefined);
      expect(t.stderr.written).to.equal('');
    });
  }

  it('on a terminal, the members bar shows done / total', async () => {
    const t = terminal(true, true);
    const bar = (await startBar({ label: 'defrag', total: 3, unit: { name: 'members' }, terminal: t }))!;
    expect(bar).to.not.equal(undefined);
    expect(t.stderr.written).to.include('defrag [').and.include('0/3 members');
    bar.update(2);
    bar.stop();
    expect(t.stderr.written).to.include('2/3 members');
  });

  it('on a terminal, the bytes bar shows the amount and a rate', async () => {
    const t = terminal(true, true);
    const bar = (await startBar({ label: 'snapshot', total: 2_000_000, unit: 'bytes', terminal: t }))!;
    bar.update(1_000_000);
    bar.stop();
    expect(t.stderr.written)
      .to.include('1 MB / 2 MB')
      .and.match(/\d+(\.\d)? [kMG]?B\/s/);
  });

  it('the watch line counts events with their rate over the window, and clears itself around output', async () => {
    const t = terminal(true, true);
    let now = 0;
    const ticker = startTicker({
      label: 'watch app/',
      things: 'events',
      terminal: t,
      now: () => now,
      windowMs: 10_000,
      redrawMs: 60_000,
    })!;
    expect(t.stderr.written).to.equal('\r\x1b[2Kwatch app/: 0 events, 0.0/s');
    now = 2_000;
    ticker.add(4);
    expect(t.stderr.written.endsWith('\r\x1b[2Kwatch app/: 4 events, 2.0/s')).to.equal(true);
    t.stderr.written = '';
    const printed: string[] = [];
    await ticker.around(async () => {
      // The line was cleared before the output, and is not drawn during it.
      printed.push(t.stderr.written);
      ticker.add(1);
      printed.push(t.stderr.written);
    });
    expect(printed).to.deep.equal(['\r\x1b[2K', '\r\x1b[2K']);
    expect(t.stderr.written).to.equal('\r\x1b[2K\r\x1b[2Kwatch app/: 5 events, 2.5/s');
    // Past the window the old events no longer count in the rate; the total stays.
    now = 20_000;
    ticker.add(1);
    expect(t.stderr.written.endsWith('watch app/: 6 events, 0.1/s')).to.equal(true);
    t.stderr.written = '';
    ticker.stop();
    expect(t.stderr.written).to.equal('\r\x1b[2K');
    ticker.add(1);
    expect(t.stderr.written).to.equal('\r\x1b[2K');
  });
});
