/** Small helpers shared by the mvcc, lease, watch and apply unit tests. */
export const enc = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
export const dec = (b: Uint8Array): string => String.fromCharCode(...b);
export const ALL = { key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) };
