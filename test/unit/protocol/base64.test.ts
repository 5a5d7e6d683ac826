import { expect } from 'chai';
import fc from 'fast-check';
import { decodeBase64, encodeBase64, isCanonicalBase64 } from '../../../client/protocol/base64.js';

const bytesOf = (s: string): Uint8Array => new TextEncoder().encode(s);

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

    it('accepts URL-safe and unpadded forms of the same bytes', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
          const std = encodeBase64(b);
          const url = std.replace(/\+/g, '-').replace(/\//g, '_');
          expect(decodeBase64(std.replace(/=+$/, ''))).to.deep.equal(b);
          expect(decodeBase64(url)).to.deep.equal(b);
          expect(decodeBase64(url.replace(/=+$/, ''))).to.deep.equal(b);
        }),
      );
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
          'Zm9v\n',
          'a+b-',
          'Zm9v====',
          'é',
          '****',
        ]) {
          expect(decodeBase64(bad), JSON.stringify(bad)).to.equal(undefined);
        }
      });
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
