/** Key ranges as etcd spells them: a prefix is the half-open range [prefix, prefixEnd(prefix)). */

/** The first key after every key that starts with `prefix` ("\0" when there is none: the whole keyspace). */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = prefix.slice();
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.slice(0, i + 1);
    }
  }
  return new Uint8Array([0]);
}
