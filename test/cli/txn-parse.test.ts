/**
 * `concord txn`'s reading of etcdctl's syntax, without a member: words and quotes, each compare
 * target and operator, the requests with their flags, the three sections, and the errors that
 * name a line.
 */
import { expect } from 'chai';
import { KeySpace } from '../../client/namespace.js';
import { UsageError } from '../../server/cli/exit-codes.js';
import { parseCompare, parseRequest, readTxn, splitWords } from '../../server/cli/txn-verb.js';

const root = new KeySpace(new Uint8Array());
const str = (b: Uint8Array | undefined): string => Buffer.from(b ?? new Uint8Array()).toString();

async function* linesOf(text: string): AsyncGenerator<string> {
  for (const l of text.split('\n')) yield l;
}

describe('concord txn syntax', () => {
  it('splits words at blanks; double quotes keep blanks and take escapes, single quotes are literal', () => {
    expect(splitWords('put k "a b"')).to.deep.equal(['put', 'k', 'a b']);
    expect(splitWords(`put  k\t'x "y" \\n'`)).to.deep.equal(['put', 'k', 'x "y" \\n']);
    expect(splitWords('put k "say \\"hi\\"\\n"')).to.deep.equal(['put', 'k', 'say "hi"\n']);
    expect(splitWords('put k ""')).to.deep.equal(['put', 'k', '']);
    expect(splitWords('put a"b c"d')).to.deep.equal(['put', 'ab cd']);
    expect(() => splitWords('put k "open')).to.throw('unterminated " quote');
    expect(() => splitWords('put k "\\q"')).to.throw('unknown escape \\q');
  });

  it('reads every compare target and operator (= is ==; lease ids are hexadecimal)', () => {
    const c = (line: string) => {
      const built = parseCompare(line).build(root);
      return [
        str(built.key),
        built.target,
        built.result,
        built.target === 'value' ? str(built.value as Uint8Array) : built.value,
      ];
    };
    expect(c('val("a b") = "x y"')).to.deep.equal(['a b', 'value', 'equal', 'x y']);
    expect(c('value("k") != ""')).to.deep.equal(['k', 'value', 'notEqual', '']);
    expect(c('mod("k") > "5"')).to.deep.equal(['k', 'mod', 'greater', 5]);
    expect(c('m("k")<7')).to.deep.equal(['k', 'mod', 'less', 7]);
    expect(c('c("k") = "0"')).to.deep.equal(['k', 'create', 'equal', 0]);
    expect(c('create("k") == 3')).to.deep.equal(['k', 'create', 'equal', 3]);
    expect(c('ver("k") > "1"')).to.deep.equal(['k', 'version', 'greater', 1]);
    expect(c('version("k") = 2')).to.deep.equal(['k', 'version', 'equal', 2]);
    expect(c('lease("k") = "001a5be18abef701"')).to.deep.equal(['k', 'lease', 'equal', 0x1a5be18abef701]);
  });

  it('refuses a compare it cannot read, saying what it expected', () => {
    expect(() => parseCompare('size("k") > 1')).to.throw(/bad compare.*mod\("key"\)/);
    expect(() => parseCompare('mod("k") > "x"')).to.throw('mod compares with a non-negative integer');
    expect(() => parseCompare('val("k") = a b')).to.throw('expected one value');
    expect(() => parseCompare('lease("k") = "xyz"')).to.throw('bad lease id');
  });

  it('reads get, put and del with their flags', () => {
    const get = parseRequest(
      'get a/ --prefix --limit 2 --sort-by MODIFY --order DESCEND --keys-only',
    ).op.build(root);
    expect(get.type).to.equal('range');
    if (get.type !== 'range') return;
    expect([str(get.request.key), str(get.request.rangeEnd)]).to.deep.equal(['a/', 'a0']);
    expect([
      get.request.limit,
      get.request.sortTarget,
      get.request.sortOrder,
      get.request.keysOnly,
    ]).to.deep.equal([2, 'mod', 'descend', true]);

    const put = parseRequest('put k "v w" --lease=1f --prev-kv').op.build(root);
    expect(put.type).to.equal('put');
    if (put.type !== 'put') return;
    expect([
      str(put.request.key),
      str(put.request.value),
      put.request.lease,
      put.request.prevKv,
    ]).to.deep.equal(['k', 'v w', 0x1f, true]);

    const del = parseRequest('del a c --prev-kv').op.build(root);
    expect(del.type).to.equal('deleteRange');
    if (del.type !== 'deleteRange') return;
    expect([str(del.request.key), str(del.request.rangeEnd), del.request.prevKv]).to.deep.equal([
      'a',
      'c',
      true,
    ]);
    const fromKey = parseRequest('del m --from-key').op.build(root);
    if (fromKey.type !== 'deleteRange') throw new Error(fromKey.type);
    expect([...fromKey.request.rangeEnd]).to.deep.equal([0]);
  });

  it('refuses an unknown request, a missing argument and an unknown flag', () => {
    expect(() => parseRequest('frob k')).to.throw('unknown request "frob"');
    expect(() => parseRequest('put k')).to.throw('put takes 2 arguments, got 1');
    expect(() => parseRequest('get k --no-such')).to.throw(/get: .*--no-such/);
    expect(() => parseRequest('get k --prefix --from-key')).to.throw('exclude each other');
  });

  it('reads the three sections, ended by empty lines or the end of input', async () => {
    const spec = await readTxn(
      linesOf('mod("k") > "0"\nval("k") = "v"\n\nput k w\nget k\n\ndel k\n\nignored after the end\n'),
    );
    expect([
      spec.compares.length,
      spec.success.map((r) => r.kind),
      spec.failure.map((r) => r.kind),
    ]).to.deep.equal([2, ['put', 'get'], ['del']]);
    const short = await readTxn(linesOf('\nput k v'));
    expect([short.compares.length, short.success.length, short.failure.length]).to.deep.equal([0, 1, 0]);
  });

  it('prompts for each section in interactive mode', async () => {
    const prompts: string[] = [];
    await readTxn(linesOf('\n\n\n'), (p) => prompts.push(p));
    expect(prompts.map((p) => p.trim())).to.deep.equal([
      'compares:',
      'success requests (get, put, del):',
      'failure requests (get, put, del):',
    ]);
  });

  it('names the line of a bad request as a usage error', async () => {
    const err = await readTxn(linesOf('mod("k") > "0"\n\nput k v\nput k\n')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(UsageError);
    expect((err as Error).message).to.equal('line 4: put takes 2 arguments, got 1');
  });
});
