/**
 * Go's `sort.SliceStable` (insertion sort over blocks of 20, then SymMerge), reproduced step by
 * step: the strategic merge patch sorts with a comparator that is not a strict weak order
 * (`normalizeSliceOrder` answers "less" for any element it cannot place), so the result depends on
 * the exact sequence of comparisons Go makes.
 */

/** Sorts `a` in place with Go's stable sort and comparator `less(x, y)`. */
export function goSliceStable<T>(a: T[], less: (x: T, y: T) => boolean): void {
  const n = a.length;
  const lessAt = (i: number, j: number): boolean => less(a[i] as T, a[j] as T);
  const swap = (i: number, j: number): void => {
    const t = a[i] as T;
    a[i] = a[j] as T;
    a[j] = t;
  };
  const insertionSort = (lo: number, hi: number): void => {
    for (let i = lo + 1; i < hi; i++) {
      for (let j = i; j > lo && lessAt(j, j - 1); j--) swap(j, j - 1);
    }
  };
  const swapRange = (x: number, y: number, len: number): void => {
    for (let i = 0; i < len; i++) swap(x + i, y + i);
  };
  const rotate = (lo: number, m: number, hi: number): void => {
    let i = m - lo;
    let j = hi - m;
    while (i !== j) {
      if (i > j) {
        swapRange(m - i, m, j);
        i -= j;
      } else {
        swapRange(m - i, m + j - i, i);
        j -= i;
      }
    }
    swapRange(m - i, m, i);
  };
  const symMerge = (lo: number, m: number, hi: number): void => {
    if (m - lo === 1) {
      let i = m;
      let j = hi;
      while (i < j) {
        const h = (i + j) >>> 1;
        if (lessAt(h, lo)) i = h + 1;
        else j = h;
      }
      for (let k = lo; k < i - 1; k++) swap(k, k + 1);
      return;
    }
    if (hi - m === 1) {
      let i = lo;
      let j = m;
      while (i < j) {
        const h = (i + j) >>> 1;
        if (!lessAt(m, h)) i = h + 1;
        else j = h;
      }
      for (let k = m; k > i; k--) swap(k, k - 1);
      return;
    }
    const mid = (lo + hi) >>> 1;
    const nn = mid + m;
    let start: number;
    let r: number;
    if (m > mid) {
      start = nn - hi;
      r = mid;
    } else {
      start = lo;
      r = m;
    }
    const p = nn - 1;
    while (start < r) {
      const c = (start + r) >>> 1;
      if (!lessAt(p - c, c)) start = c + 1;
      else r = c;
    }
    const end = nn - start;
    if (start < m && m < end) rotate(start, m, end);
    if (lo < start && start < mid) symMerge(lo, start, mid);
    if (mid < end && end < hi) symMerge(mid, end, hi);
  };

  let blockSize = 20;
  let lo = 0;
  let hi = blockSize;
  while (hi <= n) {
    insertionSort(lo, hi);
    lo = hi;
    hi += blockSize;
  }
  insertionSort(lo, n);
  while (blockSize < n) {
    lo = 0;
    hi = 2 * blockSize;
    while (hi <= n) {
      symMerge(lo, lo + blockSize, hi);
      lo = hi;
      hi += 2 * blockSize;
    }
    const m = lo + blockSize;
    if (m < n) symMerge(lo, m, n);
    blockSize *= 2;
  }
}
