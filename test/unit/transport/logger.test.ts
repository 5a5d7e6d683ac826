import { expect } from 'chai';
import {
  JsonLinesLogger,
  noopLogger,
  withFields,
  type LogFields,
  type Logger,
} from '../../../server/platform/logger.js';

const clock = { nowMs: () => Date.UTC(2026, 0, 2, 3, 4, 5, 6) };

describe('JsonLinesLogger', () => {
  describe('#info', () => {
    it('writes one JSON object per line with time, level, message and fields', () => {
      const lines: string[] = [];
      const log = new JsonLinesLogger({ write: (l) => lines.push(l), clock, fields: { member: 'm1' } });
      log.info('peer added', { peer: 2 });
      expect(lines).to.have.length(1);
      expect(lines[0]?.endsWith('\n')).to.equal(true);
      expect(JSON.parse(lines[0] as string)).to.deep.equal({
        ts: '2026-01-02T03:04:05.006Z',
        level: 'info',
        msg: 'peer added',
        member: 'm1',
        peer: 2,
      });
    });
  });

  context('when the level is warn', () => {
    it('discards debug and info records', () => {
      const lines: string[] = [];
      const log = new JsonLinesLogger({ write: (l) => lines.push(l), clock, level: 'warn' });
      log.debug('d');
      log.info('i');
      log.warn('w');
      log.error('e');
      expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).to.deep.equal(['w', 'e']);
    });
  });

  context('when fields hold errors, bigints, bytes or cycles', () => {
    it('renders them without throwing', () => {
      const lines: string[] = [];
      const log = new JsonLinesLogger({ write: (l) => lines.push(l), clock });
      const cyclic: Record<string, unknown> = {};
      cyclic['self'] = cyclic;
      const err = Object.assign(new Error('boom'), { code: 'E_X' });
      log.error('x', { err, big: 10n, bytes: new Uint8Array(3), cyclic });
      const rec = JSON.parse(lines[0] as string) as Record<string, unknown>;
      expect(rec['err']).to.deep.equal({ name: 'Error', message: 'boom', code: 'E_X' });
      expect(rec['big']).to.equal('10');
      expect(rec['bytes']).to.equal('<3 bytes>');
      expect(rec['cyclic']).to.deep.equal({ self: '[circular]' });
    });
  });

  describe('#child', () => {
    it('adds its fields to every record', () => {
      const lines: string[] = [];
      const log = new JsonLinesLogger({ write: (l) => lines.push(l), clock }).child({
        component: 'transport',
      });
      log.warn('w', { peer: 3 });
      expect(JSON.parse(lines[0] as string)).to.include({ component: 'transport', peer: 3 });
    });
  });
});

describe('withFields', () => {
  it('wraps any logger', () => {
    const seen: LogFields[] = [];
    const inner: Logger = { ...noopLogger, info: (_m, f) => void seen.push(f ?? {}) };
    withFields(inner, { a: 1 }).info('m', { b: 2 });
    expect(seen).to.deep.equal([{ a: 1, b: 2 }]);
  });
});
