import { expect } from 'chai';
import { DEFAULTS, InvalidConfigError, PeerTransport } from '../../../server/transport/index.js';
import { resolveOptions, type PeerTransportOptions } from '../../../server/transport/options.js';

const base: PeerTransportOptions = { clusterId: 'c1', memberId: 1 };

function invalid(options: Partial<PeerTransportOptions> | Record<string, unknown>, option: string): void {
  try {
    resolveOptions({ ...base, ...options } as PeerTransportOptions);
  } catch (err) {
    expect(err).to.be.instanceOf(InvalidConfigError);
    expect((err as InvalidConfigError).option).to.equal(option);
    expect((err as InvalidConfigError).code).to.equal('INVALID_CONFIG');
    return;
  }
  expect.fail(`expected ${option} to be refused`);
}

describe('PeerTransport options', () => {
  describe('#resolveOptions', () => {
    it('fills in every default', () => {
      const r = resolveOptions(base);
      for (const [k, v] of Object.entries(DEFAULTS)) expect(r[k as keyof typeof DEFAULTS], k).to.equal(v);
      expect(r.listenUrls).to.deep.equal([]);
    });

    it('documents a 1 MiB snapshot chunk by default', () => {
      expect(DEFAULTS.snapshotChunkBytes).to.equal(1024 * 1024);
    });

    context('when an option is out of range', () => {
      it('refuses a bad cluster id', () => invalid({ clusterId: 'a b' }, 'clusterId'));
      it('refuses an empty cluster id', () => invalid({ clusterId: '' }, 'clusterId'));
      it('refuses member id 0', () => invalid({ memberId: 0 }, 'memberId'));
      it('refuses a fractional member id', () => invalid({ memberId: 1.5 }, 'memberId'));
      it('refuses a zero dial timeout', () => invalid({ dialTimeoutMs: 0 }, 'dialTimeoutMs'));
      it('refuses a non-integer frame size', () => invalid({ maxFrameBytes: 1e6 + 0.5 }, 'maxFrameBytes'));
      it('refuses a negative ping interval', () => invalid({ pingIntervalMs: -1 }, 'pingIntervalMs'));
    });

    context('when options contradict each other', () => {
      it('refuses a minimum backoff above the maximum', () =>
        invalid({ reconnectBackoffMinMs: 10, reconnectBackoffMaxMs: 5 }, 'reconnectBackoffMinMs'));
      it('refuses a snapshot chunk that cannot fit in a frame', () =>
        invalid({ maxFrameBytes: 4096, snapshotChunkBytes: 4096 }, 'snapshotChunkBytes'));
      it('refuses a per-peer queue smaller than one frame', () =>
        invalid(
          { maxFrameBytes: 8192, snapshotChunkBytes: 1024, maxQueuedBytesPerPeer: 4096 },
          'maxQueuedBytesPerPeer',
        ));
      it('refuses an https listener without tls', () =>
        invalid({ listenUrls: ['https://127.0.0.1:0'] }, 'tls'));
      it('refuses tls without a CA file', () =>
        invalid({ tls: { certFile: 'c', keyFile: 'k', trustedCaFile: '' } }, 'tls.trustedCaFile'));
    });

    context('when a listen URL is malformed', () => {
      for (const url of [
        '127.0.0.1:2380',
        'ftp://127.0.0.1:2380',
        'http://127.0.0.1:2380/raft',
        'http://127.0.0.1',
        'http://u:p@h:1',
      ]) {
        it(`refuses ${url}`, () => invalid({ listenUrls: [url] }, 'listenUrls[0]'));
      }
      it('accepts port 0 and IPv6 literals', () => {
        const r = resolveOptions({ ...base, listenUrls: ['http://127.0.0.1:0', 'http://[::1]:2380'] });
        expect(r.listenUrls.map((u) => u.host)).to.deep.equal(['127.0.0.1:0', '[::1]:2380']);
      });
    });
  });

  describe('PeerTransport#addPeer', () => {
    const t = new PeerTransport(base);
    it('refuses its own id', () =>
      expect(() => t.addPeer(1, ['http://127.0.0.1:2380'])).to.throw(InvalidConfigError));
    it('refuses an empty URL list', () => expect(() => t.addPeer(2, [])).to.throw(InvalidConfigError));
    it('refuses port 0 for a peer', () =>
      expect(() => t.addPeer(2, ['http://127.0.0.1:0'])).to.throw(InvalidConfigError));
    it('refuses https without tls options', () =>
      expect(() => t.addPeer(2, ['https://127.0.0.1:2380'])).to.throw(InvalidConfigError));
    it('accepts a valid peer', () => expect(() => t.addPeer(2, ['http://127.0.0.1:2380'])).to.not.throw());
  });
});
