// A queue kept in order by a numeric key, taken from the front. Items usually
// arrive in order (appended); late ones are inserted where they belong.
// Taking from the front moves a head index instead of shifting the array, and
// the array is compacted only when the dead prefix is large, so sustained
// traffic costs O(1) per operation rather than a copy of the whole queue.

export class OrderedQueue<T> {
  private items: T[] = [];
  private head = 0;

  constructor(private readonly keyOf: (item: T) => number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++]!;
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Inserts after every item whose key is ≤ the new one's (stable for equal keys). `skip` items are ignored when comparing. */
  insert(item: T, skip?: (other: T) => boolean): void {
    const k = this.keyOf(item);
    let j = this.items.length;
    while (j > this.head) {
      const other = this.items[j - 1]!;
      if (skip?.(other) || this.keyOf(other) > k) j--;
      else break;
    }
    if (j === this.items.length) this.items.push(item);
    else this.items.splice(j, 0, item);
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i]!;
  }
}
