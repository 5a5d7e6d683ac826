/**
 * The membership methods through the client API: the etcd gateway paths with etcd's bodies and
 * error texts, and the same methods on the WebSocket. The backend is the in-memory fake.
 */
import { expect } from 'chai';
import { gatewayCode, post, startTestServer, type Json, type TestServer } from './helpers.js';

describe('membership through the client API', () => {
  let server: TestServer;
  let url: string;

  beforeEach(async () => {
    server = await startTestServer();
    url = server.url;
  });
  afterEach(async () => server.stop());

  describe('POST /v3/cluster/member/add, /promote, /remove', () => {
    it('adds a learner, promotes it and removes it, answering with the member list each time', async () => {
      const added = await post(url, '/v3/cluster/member/add', {
        peerURLs: ['http://10.0.0.4:2380'],
        isLearner: true,
      });
      expect(added.status, added.text).to.equal(200);
      expect(added.json['member']).to.deep.equal({
        ID: '1000',
        peerURLs: ['http://10.0.0.4:2380'],
        isLearner: true,
      });
      expect((added.json['members'] as Json[]).map((m) => m['ID'])).to.deep.equal(['22', '1000']);
      expect(added.json['header']).to.deep.include({ cluster_id: '11', member_id: '22' });

      const promoted = await post(url, '/v3/cluster/member/promote', { ID: '1000' });
      expect(promoted.status, promoted.text).to.equal(200);
      expect((promoted.json['members'] as Json[])[1]).to.deep.equal({
        ID: '1000',
        peerURLs: ['http://10.0.0.4:2380'],
      });

      const removed = await post(url, '/v3/cluster/member/remove', { ID: '1000' });
      expect(removed.status, removed.text).to.equal(200);
      expect((removed.json['members'] as Json[]).map((m) => m['ID'])).to.deep.equal(['22']);
      expect(server.backend.members.map((m) => m.id)).to.deep.equal([22]);
    });

    context('when the backend refuses', () => {
      it("answers etcd's status and text, with Concord's code in details", async () => {
        const exists = await post(url, '/v3/cluster/member/add', { peerURLs: ['http://127.0.0.1:2380'] });
        expect(exists.status).to.equal(412); // FailedPrecondition, as etcd 3.4's gateway answers it
        expect(exists.json['error']).to.equal('etcdserver: Peer URLs already exists');
        expect(exists.json['code']).to.equal(9);
        expect(gatewayCode(exists.json)).to.equal('MEMBER_EXISTS');

        const missing = await post(url, '/v3/cluster/member/remove', { ID: '5' });
        expect(missing.status).to.equal(404);
        expect(missing.json['error']).to.equal('etcdserver: member not found');
        expect(gatewayCode(missing.json)).to.equal('MEMBER_NOT_FOUND');

        const voter = await post(url, '/v3/cluster/member/promote', { ID: '22' });
        expect(voter.status).to.equal(412);
        expect(voter.json['error']).to.equal('etcdserver: can only promote a learner member');
        expect(gatewayCode(voter.json)).to.equal('MEMBER_NOT_LEARNER');
      });
    });

    context('when the body is invalid', () => {
      it('answers 400 INVALID_ARGUMENT naming the field, and the backend is not called', async () => {
        const before = server.backend.calls;
        const noUrls = await post(url, '/v3/cluster/member/add', { isLearner: true });
        expect(noUrls.status).to.equal(400);
        expect(gatewayCode(noUrls.json)).to.equal('INVALID_ARGUMENT');
        const bad = await post(url, '/v3/cluster/member/add', { peerURLs: ['10.0.0.4:2380'] });
        expect(bad.status).to.equal(400);
        const noId = await post(url, '/v3/cluster/member/remove', {});
        expect(noId.status).to.equal(400);
        expect(server.backend.calls).to.equal(before);
      });
    });
  });

  describe('the WebSocket methods cluster.memberAdd, memberPromote, memberRemove', () => {
    it('runs them like the gateway does', async () => {
      const client = await server.client();
      const added = await client.ok('cluster.memberAdd', { peerURLs: ['http://10.0.0.5:2380'] });
      expect(added['member']).to.deep.equal({ ID: '1000', peerURLs: ['http://10.0.0.5:2380'] });
      const notLearner = await client.call('cluster.memberPromote', { ID: '1000' });
      expect((notLearner['error'] as Json)['code']).to.equal('MEMBER_NOT_LEARNER');
      const removed = await client.ok('cluster.memberRemove', { ID: '1000' });
      expect(removed['members']).to.have.length(1);
      const invalid = await client.call('cluster.memberAdd', { peerURLs: [] });
      expect((invalid['error'] as Json)['details']).to.deep.equal({ field: 'params.peerURLs' });
    });
  });
});
