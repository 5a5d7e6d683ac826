import { expect } from 'chai';
import { exponentialBuckets, MetricsRegistry } from '../../../server/api/metrics.js';

describe('MetricsRegistry', () => {
  describe('#render', () => {
    it('writes counters, gauges and labels in the Prometheus text format', () => {
      const reg = new MetricsRegistry();
      const c = reg.counter('concord_proposals_committed_total', 'Proposals committed.');
      const g = reg.gauge('concord_client_connections', 'Open client connections.');
      c.inc();
      c.inc(2);
      g.set(3, { transport: 'ws' });
      expect(reg.render()).to.equal(
        [
          '# HELP concord_proposals_committed_total Proposals committed.',
          '# TYPE concord_proposals_committed_total counter',
          'concord_proposals_committed_total 3',
          '# HELP concord_client_connections Open client connections.',
          '# TYPE concord_client_connections gauge',
          'concord_client_connections{transport="ws"} 3',
          '',
        ].join('\n'),
      );
    });

    it('writes cumulative histogram buckets with sum and count', () => {
      const reg = new MetricsRegistry();
      const h = reg.histogram('concord_wal_fsync_duration_seconds', 'WAL fsync latency.', [0.001, 0.01]);
      h.observe(0.0005);
      h.observe(0.005);
      h.observe(1);
      const text = reg.render();
      expect(text).to.contain('concord_wal_fsync_duration_seconds_bucket{le="0.001"} 1');
      expect(text).to.contain('concord_wal_fsync_duration_seconds_bucket{le="0.01"} 2');
      expect(text).to.contain('concord_wal_fsync_duration_seconds_bucket{le="+Inf"} 3');
      expect(text).to.contain('concord_wal_fsync_duration_seconds_count 3');
    });

    it('runs collectors before each scrape', () => {
      const reg = new MetricsRegistry();
      const g = reg.gauge('concord_raft_term', 'Current term.');
      let term = 4;
      reg.addCollector(() => g.set(term));
      expect(reg.render()).to.contain('concord_raft_term 4');
      term = 5;
      expect(reg.render()).to.contain('concord_raft_term 5');
    });

    it('escapes label values', () => {
      const reg = new MetricsRegistry();
      reg.gauge('x', 'x').set(1, { v: 'a"b\\c\nd' });
      expect(reg.render()).to.contain('x{v="a\\"b\\\\c\\nd"} 1');
    });

    it('escapes backslashes and line feeds in HELP text (quotes stay as they are)', () => {
      const reg = new MetricsRegistry();
      reg.gauge('x', 'one\\two\n"three"');
      expect(reg.render()).to.contain('# HELP x one\\\\two\\n"three"\n');
    });

    it('writes a collected total as a counter', () => {
      const reg = new MetricsRegistry();
      const c = reg.counter('concord_things_total', 'Things.');
      let things = 7;
      reg.addCollector(() => c.setTotal(things));
      expect(reg.render()).to.contain('# TYPE concord_things_total counter\nconcord_things_total 7\n');
      things = 9;
      expect(reg.render()).to.contain('concord_things_total 9\n');
    });
  });

  it("adds a counter series' increments to the sample that inc() with the same labels writes", () => {
    const reg = new MetricsRegistry();
    const c = reg.counter('concord_client_requests_total', 'Requests.');
    const series = c.series({ transport: 'ws', method: 'put', code: 'OK' });
    series.inc();
    series.inc(2);
    c.inc(1, { code: 'OK', method: 'put', transport: 'ws' });
    c.setTotal(10, { transport: 'ws', method: 'range', code: 'OK' });
    const other = c.series({ transport: 'ws', method: 'range', code: 'OK' });
    other.inc();
    const text = reg.render();
    expect(text).to.contain('concord_client_requests_total{transport="ws",method="put",code="OK"} 4');
    expect(text).to.contain('concord_client_requests_total{transport="ws",method="range",code="OK"} 11');
    expect(text.match(/method="put"/g)).to.have.length(1);
    expect(() => series.inc(-1)).to.throw(/cannot go down/);
    // A total set after the series was taken lands in the same sample.
    c.setTotal(20, { transport: 'ws', method: 'put', code: 'OK' });
    series.inc();
    expect(reg.render()).to.contain(
      'concord_client_requests_total{transport="ws",method="put",code="OK"} 21',
    );
  });

  it('refuses a bad or duplicate metric name', () => {
    const reg = new MetricsRegistry();
    reg.counter('ok_total', 'ok');
    expect(() => reg.counter('ok_total', 'again')).to.throw(/twice/);
    expect(() => reg.counter('bad-name', 'bad')).to.throw(/bad metric name/);
  });

  it("refuses names against Prometheus' conventions", () => {
    const reg = new MetricsRegistry();
    expect(() => reg.counter('concord_requests', 'x')).to.throw(/_total/);
    expect(() => reg.gauge('concord_applied_total', 'x')).to.throw(/_total/);
    expect(() => reg.histogram('concord_x_total', 'x', [1])).to.throw(/_total/);
    expect(() => reg.counter('concord_apply_ms_total', 'x')).to.throw(/base units/);
    expect(() => reg.histogram('concord_latency_milliseconds', 'x', [1])).to.throw(/base units/);
    expect(() => reg.gauge('concord_size_kb', 'x')).to.throw(/base units/);
    expect(() => reg.gauge('concord_dbSize', 'x')).to.throw(/snake_case/);
    expect(() => reg.counter('concord_count_total', 'x').inc(-1)).to.throw(/cannot go down/);
    reg.counter('concord_apply_seconds_total', 'x');
    reg.gauge('concord_db_size_bytes', 'x');
    reg.histogram('concord_fsync_duration_seconds', 'x', [1]);
  });

  it('builds exponential buckets', () => {
    expect(exponentialBuckets(0.001, 2, 4)).to.deep.equal([0.001, 0.002, 0.004, 0.008]);
  });
});
