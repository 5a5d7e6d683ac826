import { expect } from 'chai';
import { parseJsonSequence } from '../../../server/api/json-sequence.js';

describe('parseJsonSequence', () => {
  it('reads values one after another, with or without whitespace between them', () => {
    expect(parseJsonSequence('{"a":1}{"b":[2,{"c":3}]}\n\t {"d":"}{"} 7 "x" true null')).to.deep.equal({
      values: [{ a: 1 }, { b: [2, { c: 3 }] }, { d: '}{' }, 7, 'x', true, null],
    });
  });

  it('reads nothing from an empty or blank text', () => {
    expect(parseJsonSequence('')).to.deep.equal({ values: [] });
    expect(parseJsonSequence(' \r\n')).to.deep.equal({ values: [] });
  });

  it('keeps braces and escaped quotes inside strings out of the nesting', () => {
    expect(parseJsonSequence('{"k":"a\\"}{"}{"k":"\\\\"}').values).to.deep.equal([
      { k: 'a"}{' },
      { k: '\\' },
    ]);
  });

  context('when a value is not valid JSON', () => {
    it('returns the values before it and says which request failed', () => {
      expect(parseJsonSequence('{"a":1} xx {"b":2}')).to.deep.equal({
        values: [{ a: 1 }],
        error: 'request 2 of the body is not valid JSON',
      });
      expect(parseJsonSequence('{"a":1} {"b":')).to.deep.equal({
        values: [{ a: 1 }],
        error: 'request 2 of the body is not closed',
      });
      expect(parseJsonSequence('{"a":"}').error).to.equal('request 1 of the body is not closed');
      expect(parseJsonSequence('{"a":1]').error).to.equal('request 1 of the body is not valid JSON');
      expect(parseJsonSequence('}').error).to.equal('request 1 of the body is not valid JSON');
    });
  });
});
