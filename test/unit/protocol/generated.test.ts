/**
 * client/protocol/gen is generated from client/protocol/proto by `npm run gen` (protoc-gen-es for the
 * message types, tools/protoc-gen-concord-codecs.ts for the JSON and protobuf codecs) and committed. These
 * tests fail when the committed code no longer matches the .proto files (someone edited one without
 * regenerating, or edited the output by hand), when the generated code reaches outside its folder
 * and @bufbuild/protobuf, and when a message stops encoding to etcd's bytes.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutRequestSchema, WatchRequestSchema } from '../../../client/protocol/gen/etcdserverpb/rpc_pb.js';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', '..');
const genDir = join(root, 'client', 'protocol', 'gen');

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out.sort();
}

function importsOf(source: string): string[] {
  const re = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g;
  return [...source.matchAll(re)].map((m) => m[1] as string);
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('client/protocol/gen', () => {
  it('is what `npm run gen` makes of client/protocol/proto', function () {
    this.timeout(60_000);
    const out = mkdtempSync(join(tmpdir(), 'concord-gen-'));
    try {
      const bin = join(root, 'node_modules', '.bin');
      execFileSync(join(bin, 'buf'), ['generate', '-o', out], {
        cwd: root,
        env: { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const fresh = join(out, 'client', 'protocol', 'gen');
      const committed = filesUnder(genDir).map((f) => relative(genDir, f));
      expect(filesUnder(fresh).map((f) => relative(fresh, f))).to.deep.equal(committed);
      for (const file of committed) {
        const same = readFileSync(join(fresh, file), 'utf8') === readFileSync(join(genDir, file), 'utf8');
        expect(same, `${file} is stale: run npm run gen`).to.equal(true);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('imports only @bufbuild/protobuf, its own files and the codec runtime, checks and adapters', () => {
    for (const file of filesUnder(genDir)) {
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        expect(spec, `${relative(genDir, file)} imports ${spec}`).to.match(
          /^(@bufbuild\/protobuf(\/codegenv2|\/wkt)?|\.\.?\/[a-zA-Z0-9_/.-]+_(pb|codec)\.js|(\.\.\/)+codec-(runtime|checks|adapters)\.js)$/,
        );
      }
    }
  });

  it("encodes messages to etcd's bytes (field numbers and types)", () => {
    // etcdctl put foo bar --prev-kv: key = 1, value = 2, prev_kv = 4 (varint).
    const put = create(PutRequestSchema, {
      key: new TextEncoder().encode('foo'),
      value: new TextEncoder().encode('bar'),
      prevKv: true,
    });
    expect(hex(toBinary(PutRequestSchema, put))).to.equal('0a03666f6f1203626172' + '2001');
    // A watch create of prefix "a" from revision 5 with watch_id 7: create_request = 1 holds
    // key = 1, range_end = 2, start_revision = 3, watch_id = 7.
    const watch = create(WatchRequestSchema, {
      requestUnion: {
        case: 'createRequest',
        value: {
          key: new Uint8Array([0x61]),
          rangeEnd: new Uint8Array([0x62]),
          startRevision: 5n,
          watchId: 7n,
        },
      },
    });
    expect(hex(toBinary(WatchRequestSchema, watch))).to.equal('0a0a' + '0a0161' + '120162' + '1805' + '3807');
  });
});
