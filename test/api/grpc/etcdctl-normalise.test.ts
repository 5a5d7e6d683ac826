import { expect } from 'chai';
import { checkPerfVerdicts } from './etcdctl-normalise.js';

const BAR = ' 60 / 60 Boooooooooooooooooooooooooooooooooooooooooooooooooooooooooo! 100.00% 1m0s';
const ALL = [
  'throughput: <verdict>',
  'slowest request: <verdict>',
  'stddev: <verdict>',
  'overall: <verdict>',
];

describe('etcdctl check perf verdicts', () => {
  it('reads each criterion from its own line, whatever the verdict', () => {
    const pass = `\r${BAR}\r${BAR}\nPASS: Throughput is 151 writes/s\nPASS: Slowest request took 0.025s\nPASS: Stddev is 0.001s\nPASS\n`;
    const fail = `${BAR}\nFAIL: Throughput too low: 12 writes/s\nSlowest request took too long: 0.9s\nStddev too high: 0.3s\nFAIL\n`;
    expect(checkPerfVerdicts(pass).judged).to.deep.equal(ALL);
    expect(checkPerfVerdicts(fail).judged).to.deep.equal(ALL);
    expect(checkPerfVerdicts(pass).errors).to.deep.equal([]);
  });

  it('finds a verdict a late redraw of the bar left on the bar line (CI, stop 30)', () => {
    const glued = `${BAR}\n\r${BAR}PASS: Throughput is 150 writes/s\nPASS: Slowest request took 0.016s\nPASS: Stddev is 0.0005s\nPASS\n`;
    expect(checkPerfVerdicts(glued).judged).to.deep.equal(ALL);
  });

  it('keeps errors during the run as printed', () => {
    const out = `${BAR}\nFAIL: too many errors\nFAIL: ERROR(context deadline exceeded) -> 3\nFAIL\n`;
    expect(checkPerfVerdicts(out).errors).to.deep.equal([
      'FAIL: too many errors',
      'FAIL: ERROR(context deadline exceeded) -> 3',
    ]);
    expect(checkPerfVerdicts(out).judged).to.deep.equal(['overall: <verdict>']);
  });

  it('judges nothing from a run that printed no verdict', () => {
    expect(checkPerfVerdicts(`${BAR}\n`).judged).to.deep.equal([]);
  });
});
