/** Majority quorum math as pure functions over member ids. */

export const VoteResult = { Won: 'won', Lost: 'lost', Pending: 'pending' } as const;
export type VoteResult = (typeof VoteResult)[keyof typeof VoteResult];

export function quorumSize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/** The highest index stored on a majority of voters. An empty voter set commits nothing. */
export function committedIndex(voters: Iterable<number>, matchOf: (id: number) => number): number {
  // A leader asks after every acknowledgement and proposal: insertion into a reused array, in
  // descending order, allocates nothing (map + sort allocated two arrays per call).
  let n = 0;
  for (const id of voters) {
    const match = matchOf(id);
    let i = n++;
    while (i > 0 && (matchScratch[i - 1] as number) < match) {
      matchScratch[i] = matchScratch[i - 1] as number;
      i--;
    }
    matchScratch[i] = match;
  }
  return n === 0 ? 0 : (matchScratch[quorumSize(n) - 1] as number);
}

const matchScratch: number[] = [];

/** Outcome of an election given the votes received so far (true = granted). */
export function voteResult(voters: readonly number[], votes: ReadonlyMap<number, boolean>): VoteResult {
  if (voters.length === 0) return VoteResult.Won;
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  const q = quorumSize(voters.length);
  if (granted >= q) return VoteResult.Won;
  if (granted + missing >= q) return VoteResult.Pending;
  return VoteResult.Lost;
}
