import { expect } from 'chai';
import { wantsHelp } from '../../../server/cli/usage.js';
import { listenError, ListenError } from '../../../server/member/listen-error.js';

describe('wantsHelp', () => {
  it("finds --help or -h among the command's own arguments", () => {
    expect(wantsHelp(['--help'])).to.equal(true);
    expect(wantsHelp(['name', '-h'])).to.equal(true);
    expect(wantsHelp(['name', '--ttl=3'])).to.equal(false);
  });

  it('leaves a --help after -- to the wrapped command', () => {
    expect(wantsHelp(['name', '--', 'grep', '--help'])).to.equal(false);
  });
});

describe('listenError', () => {
  const sysError = (code: string, address: string, port: number): Error =>
    Object.assign(new Error(`listen ${code}`), { code, syscall: 'listen', address, port });

  it('names the flag, the address and the reason of a port in use', () => {
    const err = listenError('listen-client-urls', sysError('EADDRINUSE', '127.0.0.1', 2379));
    expect(err).to.be.instanceOf(ListenError);
    expect((err as ListenError).message).to.equal(
      '--listen-client-urls: 127.0.0.1:2379 is already in use (EADDRINUSE)',
    );
  });

  it('brackets an IPv6 address and explains a privileged port', () => {
    const err = listenError('listen-peer-urls', sysError('EACCES', '::1', 80)) as ListenError;
    expect(err.message).to.match(/^--listen-peer-urls: \[::1\]:80 may not be bound/);
  });

  it('leaves any other error as it is', () => {
    const other = new Error('boom');
    expect(listenError('listen-client-urls', other)).to.equal(other);
    const connect = Object.assign(new Error('x'), { code: 'EADDRINUSE', syscall: 'connect' });
    expect(listenError('listen-client-urls', connect)).to.equal(connect);
  });
});
