/** The items of `xs` grouped by `key`, each group in input order (the checkers work per lock, per item). */
export function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    let list = m.get(k);
    if (list === undefined) m.set(k, (list = []));
    list.push(x);
  }
  return m;
}
