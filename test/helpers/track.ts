/** A promise that settles once `p` has, exposing whether it is still pending. */
export function track<T>(p: Promise<T>): { promise: Promise<T>; readonly settled: boolean } {
  const state = { settled: false, promise: p };
  p.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}
