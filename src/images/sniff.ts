/**
 * What a file is, by its content and never by its name: the magic-byte sniff that runs before any byte
 * reaches sharp (SVG, PDF and unknown formats never do).
 */

export function sniffFormat(b: Uint8Array): string {
  const ascii = (start: number, end: number) => String.fromCharCode(...b.subarray(start, Math.min(end, b.length)));
  if (b.length >= 8 && b[0] === 0x89 && ascii(1, 4) === 'PNG') return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return 'gif';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return 'tiff';
  if (ascii(4, 8) === 'ftyp') return sniffIsoBmff(b);
  if (ascii(0, 5) === '%PDF-') return 'pdf';
  if (ascii(0, 2) === 'BM') return 'bmp';
  if (ascii(0, 4) === '8BPS') return 'psd';
  if (b[0] === 0xff && b[1] === 0x0a) return 'jxl';
  if (ascii(0, 4) === '\0\0\x01\0') return 'ico';
  if (/^P[1-7]\s/.test(ascii(0, 3))) return 'ppm';
  const head = new TextDecoder('utf-8', { fatal: false }).decode(b.subarray(0, 4096)).replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('<')) return /<svg[\s>]/i.test(head) || /\.svg|svg\+xml|<!DOCTYPE svg/i.test(head) ? 'svg' : 'xml';
  if (looksLikeText(b.subarray(0, 4096))) return 'text';
  return 'unknown';
}

/** AVIF and HEIC share the HEIF container; the brands in the ftyp box tell them apart. */
function sniffIsoBmff(b: Uint8Array): string {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const boxSize = b.length >= 8 ? view.getUint32(0) : 0;
  const end = Math.min(b.length, Math.max(16, Math.min(boxSize, 256)));
  const brands: string[] = [];
  for (let at = 8; at + 4 <= end; at += 4) {
    if (at !== 12) brands.push(String.fromCharCode(...b.subarray(at, at + 4))); // skip minor_version
  }
  if (brands.some((x) => x === 'avif' || x === 'avis')) return 'avif';
  if (brands.some((x) => ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs', 'mif1', 'msf1'].includes(x))) return 'heic';
  return 'video';
}

function looksLikeText(b: Uint8Array): boolean {
  if (b.length === 0) return false;
  let printable = 0;
  for (const c of b) if (c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127) || c >= 128) printable++;
  return printable / b.length > 0.95 && !b.includes(0);
}
