/** Binary min-heap of pixel indices keyed by T, in preallocated typed arrays (each pixel enters at most once). */
export interface Heap {
  keys: Float32Array;
  items: Int32Array;
  size: number;
}

export function createHeap(capacity: number): Heap {
  return { keys: new Float32Array(capacity), items: new Int32Array(capacity), size: 0 };
}

export function heapPush(heap: Heap, item: number, key: number): void {
  const { keys, items } = heap;
  let i = heap.size++;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (keys[parent] <= key) break;
    keys[i] = keys[parent];
    items[i] = items[parent];
    i = parent;
  }
  keys[i] = key;
  items[i] = item;
}

export function heapPop(heap: Heap): number {
  const { keys, items } = heap;
  const top = items[0];
  const last = --heap.size;
  const key = keys[last];
  const item = items[last];
  let i = 0;
  for (;;) {
    let child = 2 * i + 1;
    if (child >= last) break;
    if (child + 1 < last && keys[child + 1] < keys[child]) child++;
    if (keys[child] >= key) break;
    keys[i] = keys[child];
    items[i] = items[child];
    i = child;
  }
  keys[i] = key;
  items[i] = item;
  return top;
}
