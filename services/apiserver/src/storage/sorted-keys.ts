/**
 * The keys of the store in sorted order, for `range`. A sorted array with binary search: lookups
 * are O(log n), inserts and removals O(n) memory moves, which for the ~10^5 keys of a control
 * plane costs microseconds and keeps range scans a plain array walk.
 *
 * Order is JavaScript string order (UTF-16 code units). For the ASCII keys the registry uses
 * (`/registry/<resource>/<namespace>/<name>`) it is the same as etcd's byte order.
 */
export class SortedKeys {
  private readonly keys: string[] = [];

  /** How many keys there are. */
  get size(): number {
    return this.keys.length;
  }

  /** Index of the first key `>= key`. */
  lowerBound(key: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Inserts `key` if absent. */
  insert(key: string): void {
    const i = this.lowerBound(key);
    if (this.keys[i] !== key) this.keys.splice(i, 0, key);
  }

  /** Removes `key` if present. */
  remove(key: string): void {
    const i = this.lowerBound(key);
    if (this.keys[i] === key) this.keys.splice(i, 1);
  }

  /** The key at position `i`, or undefined past the end. */
  at(i: number): string | undefined {
    return this.keys[i];
  }
}
