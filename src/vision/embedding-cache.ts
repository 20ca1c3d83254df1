/**
 * Cache of SAM image embeddings, keyed by image version + model: every re-prompt on the same image ("the
 * left one", "include the shadow") reuses the encoder's output instead of paying for the encoder again.
 *
 * Two tiers: an in-memory LRU (bounded by entries and bytes — a ViT-B embedding is ~8 MB) and one file per
 * entry on disk, so a restart or another process on the same data dir still skips the encoder. Disk files
 * are written to a temp name with a random suffix and renamed into place, so readers never see half a file;
 * a file that does not parse or fails its checksum is deleted and the embedding recomputed. Concurrent
 * calls for one key share a single computation.
 *
 * Returned embeddings are shared between callers: treat them as read-only.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { ImageEmbedding } from './segmenter.ts';

export type EmbeddingSource = 'memory' | 'disk' | 'computed';

export interface EmbeddingCacheOptions {
  dir: string;
  /** In-memory entries kept (LRU). 0 disables the memory tier. */
  maxEntries: number;
  /** In-memory byte budget over the Float32 data; default unbounded (maxEntries alone). */
  maxBytes?: number;
  /** Disk budget: after a write, the least recently used files beyond it are deleted. Default 2 GiB. */
  maxDiskBytes?: number;
  /** Disk-tier failures never fail a lookup; they are reported here (e.g. to the logger). */
  onError?: (error: unknown, context: string) => void;
}

export interface EmbeddingCache {
  getOrCompute(key: string, compute: () => Promise<ImageEmbedding>): Promise<{ embedding: ImageEmbedding; source: EmbeddingSource }>;
  /** Drop the memory tier (the disk tier stays). */
  clearMemory(): void;
}

/** The cache key for one image version under one model: different models never share an embedding. */
export function embeddingKey(blobId: string, modelId: string): string {
  return `${modelId}\u0000${blobId}`;
}

const MAGIC = Buffer.from('BTSAMEMB', 'ascii'); // 8 bytes, then u32 LE header length, JSON header, padding, data
const VERSION = 1;

interface Header {
  version: number;
  key: string;
  modelId: string;
  originalSize: [number, number];
  reshapedSize: [number, number];
  imageDims: number[];
  posDims: number[];
  imageLength: number;
  posLength: number;
  crc: number;
}

function bytesOf(e: ImageEmbedding): number {
  return e.imageEmbeddings.data.byteLength + e.positionalEmbeddings.data.byteLength;
}

function fileName(dir: string, key: string): string {
  return path.join(dir, `${createHash('sha256').update(key).digest('hex')}.bin`);
}

function asBytes(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Float data is written in the platform's byte order (little-endian on every target we run on). */
export function encodeEmbedding(key: string, e: ImageEmbedding): Buffer {
  const image = asBytes(e.imageEmbeddings.data);
  const pos = asBytes(e.positionalEmbeddings.data);
  const header: Header = {
    version: VERSION,
    key,
    modelId: e.modelId,
    originalSize: e.originalSize,
    reshapedSize: e.reshapedSize,
    imageDims: e.imageEmbeddings.dims,
    posDims: e.positionalEmbeddings.dims,
    imageLength: e.imageEmbeddings.data.length,
    posLength: e.positionalEmbeddings.data.length,
    crc: crc32(pos, crc32(image)),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  // Pad so the float data starts 4-byte aligned (lets a reader view it without copying if it wants to).
  const dataStart = Math.ceil((MAGIC.length + 4 + json.length) / 4) * 4;
  const out = Buffer.alloc(dataStart + image.length + pos.length);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(json.length, MAGIC.length);
  json.copy(out, MAGIC.length + 4);
  out.set(image, dataStart);
  out.set(pos, dataStart + image.length);
  return out;
}

const product = (dims: number[]): number => dims.reduce((a, b) => a * b, 1);

/** Parse a cache file; throws on anything unexpected (wrong magic/key/size/checksum). */
export function decodeEmbedding(key: string, buf: Buffer): ImageEmbedding {
  if (buf.length < MAGIC.length + 4 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('bad magic');
  const jsonLength = buf.readUInt32LE(MAGIC.length);
  if (MAGIC.length + 4 + jsonLength > buf.length) throw new Error('truncated header');
  const h = JSON.parse(buf.subarray(MAGIC.length + 4, MAGIC.length + 4 + jsonLength).toString('utf8')) as Header;
  if (h.version !== VERSION) throw new Error(`unknown version ${h.version}`);
  if (h.key !== key) throw new Error('key mismatch');
  if (product(h.imageDims) !== h.imageLength || product(h.posDims) !== h.posLength) throw new Error('dims do not match lengths');
  const dataStart = Math.ceil((MAGIC.length + 4 + jsonLength) / 4) * 4;
  const imageBytes = h.imageLength * 4;
  const posBytes = h.posLength * 4;
  if (buf.length !== dataStart + imageBytes + posBytes) throw new Error(`size ${buf.length}, expected ${dataStart + imageBytes + posBytes}`);
  const image = buf.subarray(dataStart, dataStart + imageBytes);
  const pos = buf.subarray(dataStart + imageBytes);
  if (crc32(pos, crc32(image)) !== h.crc) throw new Error('checksum mismatch');
  // Copy into fresh buffers: the file's Buffer may be a pooled slice, and owners must be free to transfer.
  const floats = (b: Buffer): Float32Array => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  return {
    modelId: h.modelId,
    imageEmbeddings: { data: floats(image), dims: h.imageDims },
    positionalEmbeddings: { data: floats(pos), dims: h.posDims },
    originalSize: h.originalSize,
    reshapedSize: h.reshapedSize,
  };
}

export function createEmbeddingCache(options: EmbeddingCacheOptions): EmbeddingCache {
  const { dir, maxEntries } = options;
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  const maxDiskBytes = options.maxDiskBytes ?? 2 * 1024 ** 3;
  const report = options.onError ?? (() => {});
  const memory = new Map<string, ImageEmbedding>(); // insertion order = recency
  let memoryBytes = 0;
  const inflight = new Map<string, Promise<{ embedding: ImageEmbedding; source: EmbeddingSource }>>();

  function remember(key: string, e: ImageEmbedding): void {
    const size = bytesOf(e);
    if (maxEntries <= 0 || size > maxBytes) return;
    const old = memory.get(key);
    if (old) {
      memory.delete(key);
      memoryBytes -= bytesOf(old);
    }
    memory.set(key, e);
    memoryBytes += size;
    for (const [k, v] of memory) {
      if (memory.size <= maxEntries && memoryBytes <= maxBytes) break;
      memory.delete(k);
      memoryBytes -= bytesOf(v);
    }
  }

  async function readDisk(key: string): Promise<ImageEmbedding | null> {
    const file = fileName(dir, key);
    let buf: Buffer;
    try {
      buf = await fs.promises.readFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') report(error, `reading ${file}`);
      return null;
    }
    try {
      const e = decodeEmbedding(key, buf);
      const now = new Date();
      await fs.promises.utimes(file, now, now).catch(() => {}); // mtime = last use, for disk pruning
      return e;
    } catch (error) {
      report(error, `ignoring corrupt cache file ${file}`);
      await fs.promises.rm(file, { force: true }).catch(() => {});
      return null;
    }
  }

  async function pruneDisk(): Promise<void> {
    const names = (await fs.promises.readdir(dir)).filter((n) => n.endsWith('.bin'));
    const files = await Promise.all(
      names.map(async (n) => {
        const st = await fs.promises.stat(path.join(dir, n)).catch(() => null);
        return st ? { file: path.join(dir, n), size: st.size, mtime: st.mtimeMs } : null;
      }),
    );
    const live = files.filter((f) => f !== null).sort((a, b) => b.mtime - a.mtime);
    let total = 0;
    for (const f of live) {
      total += f.size;
      if (total > maxDiskBytes) await fs.promises.rm(f.file, { force: true }).catch(() => {});
    }
  }

  async function writeDisk(key: string, e: ImageEmbedding): Promise<void> {
    const file = fileName(dir, key);
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await fs.promises.mkdir(dir, { recursive: true });
      await fs.promises.writeFile(tmp, encodeEmbedding(key, e));
      await fs.promises.rename(tmp, file);
      await pruneDisk();
    } catch (error) {
      report(error, `writing ${file}`);
      await fs.promises.rm(tmp, { force: true }).catch(() => {});
    }
  }

  async function lookup(key: string, compute: () => Promise<ImageEmbedding>): Promise<{ embedding: ImageEmbedding; source: EmbeddingSource }> {
    const fromDisk = await readDisk(key);
    if (fromDisk) {
      remember(key, fromDisk);
      return { embedding: fromDisk, source: 'disk' };
    }
    const computed = await compute();
    remember(key, computed);
    await writeDisk(key, computed);
    return { embedding: computed, source: 'computed' };
  }

  return {
    async getOrCompute(key, compute) {
      const hit = memory.get(key);
      if (hit) {
        memory.delete(key);
        memory.set(key, hit);
        return { embedding: hit, source: 'memory' };
      }
      const pending = inflight.get(key);
      if (pending) return pending;
      const job = lookup(key, compute).finally(() => inflight.delete(key));
      inflight.set(key, job);
      return job;
    },
    clearMemory() {
      memory.clear();
      memoryBytes = 0;
    },
  };
}
