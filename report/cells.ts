// The block-state alphabet of the heap timeline, one character a block, and the colours the HTML
// report paints them with. Shared by the capture (report/heapState.ts), `replay --json`, the
// browser client and the browser test, so a colour on screen can be traced back to a state.
// Pure data: no DOM, no Node.

/** One character per block slot of a bound slab, in block-index order. */
export type CellChar = '#' | 'f' | 'c' | 'r' | '.' | 'x' | '!';

export type CellStateName = 'live' | 'free' | 'cached' | 'remote' | 'uncarved' | 'header-wrong' | 'conflict';

export interface CellKind {
  readonly ch: CellChar;
  readonly name: CellStateName;
  readonly label: string;
  /** CSS colour of the block; a live block takes its slab owner's colour instead (THREAD_COLOURS). */
  readonly colour: string;
}

export const CELL_KINDS: readonly CellKind[] = [
  { ch: '#', name: 'live', label: "live in the application (coloured by the slab's owner thread)", colour: '#9aa0a6' },
  { ch: 'f', name: 'free', label: 'free, on the slab (or page) freelist', colour: '#d5ecd4' },
  { ch: 'c', name: 'cached', label: "in a thread's TLS cache", colour: '#ffd54f' },
  { ch: 'r', name: 'remote', label: 'on the slab remote queue', colour: '#4dd0e1' },
  { ch: '.', name: 'uncarved', label: 'uncarved (never cut from the slab)', colour: '#f4f4f4' },
  {
    ch: 'x',
    name: 'header-wrong',
    label: 'header wrong (live, free or cached block whose header byte is not magic|class)',
    colour: '#d32f2f',
  },
  { ch: '!', name: 'conflict', label: 'on more than one list, or on a list beyond carved', colour: '#212121' },
];

/** Live blocks, by slab owner thread (t mod 8); orphan slabs (no owner) use the plain live colour. */
export const THREAD_COLOURS: readonly string[] = [
  '#1e63c6',
  '#2e9d3a',
  '#8e44ad',
  '#e67e22',
  '#c2185b',
  '#00897b',
  '#6d4c41',
  '#3949ab',
];

export const cellKind = (ch: string): CellKind | undefined => CELL_KINDS.find((k) => k.ch === ch);

/** The colour a block is painted with: its state's, or for a live block its slab owner's. */
export function cellColour(ch: string, owner: number): string {
  if (ch === '#' && owner >= 0) return THREAD_COLOURS[owner % THREAD_COLOURS.length] as string;
  return cellKind(ch)?.colour ?? '#ff00ff';
}

/** `{"#": "live ...", ...}` for JSON output. */
export const cellLegend = (): Record<string, string> =>
  Object.fromEntries(CELL_KINDS.map((k) => [k.ch, `${k.name}: ${k.label}`]));
