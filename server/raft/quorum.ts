/** Majority quorum math as pure functions over member ids. */

export const VoteResult = { Won: 'won', Lost: 'lost', Pending: 'pending' } as const;
export type VoteResult = (typeof VoteResult)[keyof typeof VoteResult];

export function quorumSize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/** The highest index stored on a majority of voters. An empty voter set commits nothing. */
export function committedIndex(voters: readonly number[], matchOf: (id: number) => number): number {
  if (voters.length === 0) return 0;
  const matches = voters.map(matchOf).sort((a, b) => b - a);
  return matches[quorumSize(voters.length) - 1]!;
}

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
