// The comparator for B+ trees keyed by latin1 strings (one char per byte, so code-unit
// order is byte order). sorted-btree's default comparator first tests whether both keys
// are finite numbers, then their types, and settles equal keys only on a third string
// comparison (<, >, ===); a put's index lookup ends on an equal key, and each put does
// ~20 comparisons in the key index alone.

export function compareStrings(a: string, b: string): number {
  return a === b ? 0 : a < b ? -1 : 1;
}
