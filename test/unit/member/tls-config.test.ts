/**
 * The TLS hardening fields of the member config (etcd's --client-crl-file, --peer-crl-file,
 * --peer-cert-allowed-cn/-hostname, --cipher-suites, --tls-min/max-version): what they resolve
 * to, and the combinations refused before anything starts, told by flag through `concord serve`.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidFlagError, loadConfig, memberConfigFromArgs } from '../../../server/cli/config.js';
import { GO_CIPHER_SUITES, opensslCipherList } from '../../../server/member/cipher-suites.js';
import { InvalidConfigError, resolveMemberConfig, type MemberConfig } from '../../../server/member/config.js';
import { getCiphers } from 'node:tls';

const PEER = {
  peerCertFile: 'p.crt',
  peerKeyFile: 'p.key',
  peerTrustedCaFile: 'ca.crt',
  peerClientCertAuth: true,
};
const CLIENT = { certFile: 'c.crt', keyFile: 'c.key', trustedCaFile: 'ca.crt', clientCertAuth: true };

function refusal(config: MemberConfig): InvalidConfigError {
  try {
    resolveMemberConfig(config);
  } catch (err) {
    expect(err).to.be.instanceOf(InvalidConfigError);
    return err as InvalidConfigError;
  }
  throw new Error('expected an InvalidConfigError');
}

describe('member TLS hardening config', () => {
  it('resolves the flags onto the client and peer TLS settings', () => {
    const c = resolveMemberConfig({
      ...CLIENT,
      ...PEER,
      clientCrlFile: 'clients.crl',
      peerCrlFile: 'peers.crl',
      peerCertAllowedCn: 'etcd-peer',
      cipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'],
      tlsMaxVersion: 'TLS1.2',
    });
    expect(c.clientTls).to.include({
      crlFile: 'clients.crl',
      allowedCn: '',
      ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384',
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2',
    });
    expect(c.peerTls).to.include({ crlFile: 'peers.crl', allowedCn: 'etcd-peer', allowedHostname: '' });
  });

  it('defaults to no CRL, no name check, Node’s ciphers, TLS 1.2 to 1.3', () => {
    expect(resolveMemberConfig({ ...PEER }).peerTls).to.include({
      crlFile: '',
      allowedCn: '',
      allowedHostname: '',
      ciphers: '',
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
    });
  });

  it('refuses an unknown suite name, a TLS 1.3 suite, and an empty list', () => {
    expect(refusal({ cipherSuites: ['TLS_FOO'] }).reason).to.include("unknown cipher suite 'TLS_FOO'");
    expect(refusal({ cipherSuites: ['TLS_AES_128_GCM_SHA256'] }).reason).to.include('not configurable');
    expect(refusal({ cipherSuites: [' '] }).field).to.equal('cipherSuites');
  });

  it('refuses cipher suites when only TLS 1.3 is allowed, and a maximum below the minimum', () => {
    expect(
      refusal({ cipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'], tlsMinVersion: 'TLS1.3' }).field,
    ).to.equal('cipherSuites');
    expect(refusal({ tlsMinVersion: 'TLS1.3', tlsMaxVersion: 'TLS1.2' }).field).to.equal('tlsMaxVersion');
  });

  it('refuses a CRL or a name check without verified certificates', () => {
    expect(refusal({ ...CLIENT, clientCertAuth: false, clientCrlFile: 'x.crl' }).field).to.equal(
      'clientCrlFile',
    );
    expect(refusal({ ...PEER, peerClientCertAuth: false, peerCrlFile: 'x.crl' }).field).to.equal(
      'peerCrlFile',
    );
    expect(refusal({ ...PEER, peerClientCertAuth: false, peerCertAllowedCn: 'a' }).field).to.equal(
      'peerCertAllowedCn',
    );
    expect(refusal({ peerCertAllowedHostname: 'a' }).field).to.equal('peerCertAllowedHostname');
  });

  it('refuses an allowed CN together with an allowed hostname (etcd’s rule)', () => {
    expect(refusal({ ...PEER, peerCertAllowedCn: 'a', peerCertAllowedHostname: 'b' }).field).to.equal(
      'peerCertAllowedHostname',
    );
  });

  it('tells a bad suite by its flag, from a comma-separated flag or environment variable', () => {
    expect(() => loadConfig(['--cipher-suites', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_NOPE']))
      .to.throw(InvalidFlagError, /^--cipher-suites: unknown cipher suite 'TLS_NOPE'/)
      .with.property('flag', 'cipher-suites');
    expect(() => loadConfig([], { CONCORD_CIPHER_SUITES: 'TLS_NOPE' })).to.throw(
      InvalidFlagError,
      /TLS_NOPE/,
    );
    const ok = loadConfig(['--cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,']);
    expect(ok.clientTls).to.equal(undefined);
  });

  it('takes a JSON list or comma-separated text for cipher-suites in the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'concord-tlscfg-'));
    try {
      const file = join(dir, 'c.json');
      const suites = ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'];
      writeFileSync(file, JSON.stringify({ 'cipher-suites': suites, 'tls-max-version': 'TLS1.2' }));
      expect(memberConfigFromArgs([`--config-file=${file}`])).to.deep.equal({
        cipherSuites: suites,
        tlsMaxVersion: 'TLS1.2',
      });
      writeFileSync(file, JSON.stringify({ 'cipher-suites': suites.join(',') }));
      expect(memberConfigFromArgs([`--config-file=${file}`])).to.deep.equal({ cipherSuites: suites });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('maps every Go suite to a cipher this Node knows or to one OpenSSL 3 dropped (RC4, 3DES)', () => {
    const known = new Set(getCiphers().map((c) => c.toUpperCase()));
    for (const [go, openssl] of Object.entries(GO_CIPHER_SUITES)) {
      if (/RC4|DES-CBC3/.test(openssl)) continue;
      expect(known.has(openssl), `${go} → ${openssl}`).to.equal(true);
    }
    expect(
      opensslCipherList(['TLS_RSA_WITH_AES_128_GCM_SHA256', 'TLS_RSA_WITH_AES_128_GCM_SHA256']),
    ).to.equal('AES128-GCM-SHA256');
  });
});
