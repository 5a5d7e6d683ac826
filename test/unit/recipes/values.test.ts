import { expect } from 'chai';
import type { KeyValue } from '../../../client/index.js';
import {
  checkConfigValue,
  parseInstance,
  parseSemaphoreRecord,
  pickRandom,
  RecipeError,
  roundRobin,
  type ServiceInstance,
} from '../../../recipes/index.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const kv = (value: string, modRevision = 7): KeyValue => ({
  key: enc('k'),
  value: enc(value),
  createRevision: 3,
  modRevision,
  version: 1,
  lease: 0,
});
const inst = (id: string): ServiceInstance => ({
  service: 's',
  id,
  address: `${id}:1`,
  meta: {},
  revision: 1,
});

describe('recipes values', () => {
  describe('#checkConfigValue', () => {
    const parse = (v: unknown): { n: number } => {
      if (typeof (v as { n?: unknown }).n !== 'number') throw new Error('n must be a number');
      return v as { n: number };
    };
    context('when the value is valid', () => {
      it('returns the parsed value', () => {
        expect(checkConfigValue('{"n":3}', { parse })).to.deep.equal({ ok: true, value: { n: 3 } });
      });
      it('accepts a schema object with a parse method', () => {
        expect(checkConfigValue('{"n":4}', { schema: { parse } })).to.deep.equal({
          ok: true,
          value: { n: 4 },
        });
        expect(checkConfigValue('{"n":null}', { schema: { parse } }).ok).to.equal(false);
      });
    });
    context('when the value is not JSON', () => {
      it('reports an error instead of a value', () => {
        expect(checkConfigValue('{', { parse }).ok).to.equal(false);
      });
    });
    context('when the schema rejects it', () => {
      it('reports the schema error', () => {
        const r = checkConfigValue('{"n":"x"}', { parse });
        expect(r.ok).to.equal(false);
        expect(r.ok ? undefined : (r.error as Error).message).to.equal('n must be a number');
      });
    });
    context('when a type guard rejects it', () => {
      it('reports it', () => {
        const validate = (v: unknown): v is number => typeof v === 'number';
        expect(checkConfigValue('"text"', { validate }).ok).to.equal(false);
        expect(checkConfigValue('4', { validate })).to.deep.equal({ ok: true, value: 4 });
      });
    });
  });

  describe('#parseSemaphoreRecord', () => {
    it('accepts a locksmith-style record', () => {
      expect(parseSemaphoreRecord('{"limit":2,"holders":["a"]}')).to.deep.equal({ limit: 2, holders: ['a'] });
    });
    context('when the record is malformed', () => {
      it('throws a RecipeError INVALID_VALUE', () => {
        for (const bad of ['x', '{"limit":-1,"holders":[]}', '{"limit":1,"holders":[1]}', 'null']) {
          let caught: unknown;
          try {
            parseSemaphoreRecord(bad);
          } catch (e) {
            caught = e;
          }
          expect(caught, bad).to.be.instanceOf(RecipeError);
          expect((caught as RecipeError).code).to.equal('RECIPE_INVALID_VALUE');
        }
      });
    });
  });

  describe('#parseInstance', () => {
    it('reads id, address and string meta', () => {
      expect(parseInstance('api', kv('{"id":"a","address":"h:1","meta":{"zone":"z","n":1}}'))).to.deep.equal({
        service: 'api',
        id: 'a',
        address: 'h:1',
        meta: { zone: 'z' },
        revision: 7,
      });
    });
    it('skips an entry without an address', () => {
      expect(parseInstance('api', kv('{"id":"a"}'))).to.equal(undefined);
      expect(parseInstance('api', kv('garbage'))).to.equal(undefined);
    });
  });

  describe('#roundRobin', () => {
    it('cycles through the current set', () => {
      const next = roundRobin();
      const set = [inst('a'), inst('b'), inst('c')];
      expect([1, 2, 3, 4].map(() => next(set)?.id)).to.deep.equal(['a', 'b', 'c', 'a']);
      expect(next([])).to.equal(undefined);
    });
  });

  describe('#pickRandom', () => {
    it('maps the random draw onto the set', () => {
      const set = [inst('a'), inst('b')];
      expect(pickRandom(set, () => 0)?.id).to.equal('a');
      expect(pickRandom(set, () => 0.99)?.id).to.equal('b');
      expect(pickRandom([], () => 0.5)).to.equal(undefined);
    });
  });
});
