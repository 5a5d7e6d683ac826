import { expect } from 'chai';
import fc from 'fast-check';
import {
  decodeBase64,
  decodeBase64Strict,
  encodeBase64,
  isCanonicalBase64,
} from '../../../client/protocol/base64.js';

const bytesOf = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * etcd 3.4.23's gateway on `{"key": TEXT}`: "ok", or N of its 400 `illegal base64 data at input
 * byte N`. A sample of 2,300 random texts compared with a running etcd during development (all
 * agreed, and the accepted ones stored the same bytes).
 */
const ETCD_BASE64: readonly (readonly [string, number | 'ok'])[] = [
  ['foo', 0],
  ['Zg=', 3],
  ['Z===', 1],
  ['Zm=v', 2],
  ['Zm9=v', 4],
  ['Zg==Zg==', 4],
  ['Zm9vYmFy=', 8],
  ['-_-_', 0],
  ['Zm9vé', 4],
  ['0ég=ZJ!DQZ', 1],
  ['Z=0m', 1],
  ['gDJ\r-QJ', 4],
  ['GDm/_g\n', 4],
  ['aZ\nQDm/ZUa', 9],
  ['AQ0VQ', 4],
  ['U0DémgDVUV0DG', 3],
  ['mZGJJZaVZDZ=+', 12],
  ['mQm/\nm\n', 6],
  ['DA\rJmZ aV', 6],
  ['\nZ', 1],
  ['9\rJ', 1],
  ['GUZQ0DUGVDZU', 'ok'],
  ['\nm! mZJQ+J-', 2],
  ['_Zm\n\nGJAV', 0],
  ['GQ_=UUDDZQVV', 2],
  ['V\rZmQD=Z', 6],
  ['JmJV/=ZZQ', 5],
  ['QZé9=\n=/Qmm', 2],
  ['GQQG\n', 'ok'],
  ['UmGJ\rUUmJ', 'ok'],
  ['Dgm=', 'ok'],
  ['UGZZQDm=VQ', 8],
  ['Um==__mZ', 4],
  ['Z\nDGVZA', 5],
  ['UQ=', 3],
  ['UQZUJUZGUU=', 11],
  ['D\nQZ=QéZ\r', 5],
  ['U\nZD DJQGgQZ=', 4],
  ['VVG=Z\r', 4],
  ['mZJGZJQQD\nQV=', 'ok'],
  ['mDGJDVG\r=', 'ok'],
  ['QUGZDDAAG=JG', 9],
  ['Zm\r=gZD', 3],
  ['Q9/9GV0Q=é\n', 8],
  ['VZQVGQQ\r\rQ-\r\n', 10],
  ['ZZVDg\nG=U', 7],
];

/** The oracle: Node's own base64 (the protocol code must not use Buffer, the tests may). */
const nodeBase64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

describe('base64', () => {
  describe('#encodeBase64', () => {
    it('encodes the RFC 4648 test vectors', () => {
      const vectors: [string, string][] = [
        ['', ''],
        ['f', 'Zg=='],
        ['fo', 'Zm8='],
        ['foo', 'Zm9v'],
        ['foob', 'Zm9vYg=='],
        ['fooba', 'Zm9vYmE='],
        ['foobar', 'Zm9vYmFy'],
      ];
      for (const [plain, encoded] of vectors) expect(encodeBase64(bytesOf(plain))).to.equal(encoded);
    });

    it("agrees with Node's Buffer on random bytes, including large ones", () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 40_000 }), (b) => {
          expect(encodeBase64(b)).to.equal(nodeBase64(b));
        }),
        { numRuns: 60 },
      );
    });
  });

  describe('#decodeBase64', () => {
    it('inverts encodeBase64', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
          expect(decodeBase64(encodeBase64(b))).to.deep.equal(b);
        }),
      );
    });

    it('refuses URL-safe and unpadded forms (etcd gateway accepts neither)', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), (b) => {
          const std = encodeBase64(b);
          const url = std.replace(/\+/g, '-').replace(/\//g, '_');
          if (std.endsWith('=')) expect(decodeBase64(std.replace(/=+$/, ''))).to.equal(undefined);
          if (url !== std) expect(decodeBase64(url)).to.equal(undefined);
        }),
      );
    });

    it('decodes the same bytes with line breaks inserted anywhere', () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 60 }),
          fc.array(fc.tuple(fc.nat(), fc.constantFrom('\n', '\r', '\r\n')), { maxLength: 6 }),
          (b, breaks) => {
            let text = encodeBase64(b);
            for (const [at, br] of breaks) {
              const i = at % (text.length + 1);
              text = text.slice(0, i) + br + text.slice(i);
            }
            expect(decodeBase64(text), JSON.stringify(text)).to.deep.equal(b);
          },
        ),
      );
    });

    it('skips line breaks and ignores bits beyond the data, as Go does', () => {
      expect(decodeBase64('Zm9v\n')).to.deep.equal(bytesOf('foo'));
      expect(decodeBase64('Z\r\nm9v')).to.deep.equal(bytesOf('foo'));
      expect(decodeBase64('Zg=\n=')).to.deep.equal(bytesOf('f'));
      expect(decodeBase64('Zh==')).to.deep.equal(bytesOf('f'));
      expect(decodeBase64('\n')).to.deep.equal(new Uint8Array(0));
    });

    context('when the text is not base64', () => {
      it('returns undefined', () => {
        for (const bad of [
          'Z',
          'Zm9vY',
          'Zg=',
          'Zg===',
          '=Zg=',
          'Zm 9v',
          'a+b-',
          'Zm9v====',
          'é',
          '****',
          'Zg',
        ]) {
          expect(decodeBase64(bad), JSON.stringify(bad)).to.equal(undefined);
        }
      });
    });
  });

  describe('#decodeBase64Strict', () => {
    it("reports the byte offsets etcd's gateway reports", () => {
      for (const [text, expected] of ETCD_BASE64) {
        const decoded = decodeBase64Strict(text);
        const got = decoded.ok ? 'ok' : decoded.errorOffset;
        expect(got, JSON.stringify(text)).to.equal(expected);
      }
    });

    it('agrees with decodeBase64 and with what it decodes', () => {
      fc.assert(
        fc.property(
          fc.string({ unit: fc.constantFrom(...'QUJDZm9v+/=\n\r-_!é'.split('')), maxLength: 16 }),
          (text) => {
            const strict = decodeBase64Strict(text);
            const plain = decodeBase64(text);
            if (strict.ok) expect(plain).to.deep.equal(strict.bytes);
            else {
              expect(plain).to.equal(undefined);
              expect(strict.errorOffset).to.be.within(0, text.length);
            }
          },
        ),
      );
    });
  });

  describe('#isCanonicalBase64', () => {
    it('is true exactly for what encodeBase64 produces', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 50 }), (b) => {
          expect(isCanonicalBase64(encodeBase64(b))).to.equal(true);
        }),
      );
      for (const other of ['Zg', 'Zh==', 'Zm9=', '-_8=', 'Zg=', '====']) {
        expect(isCanonicalBase64(other), other).to.equal(false);
      }
    });
  });
});
