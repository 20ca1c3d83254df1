/// <reference lib="dom" />

/**
 * The hand-drawn mask: a canvas laid over the picture at the picture's own resolution, so what is painted
 * maps 1:1 onto image pixels whatever size the page shows it at. Brush strokes and boxes paint; the PNG the
 * core receives is white where painted and black elsewhere.
 */

export type MaskTool = 'brush' | 'box';

const paint = 'rgb(255, 64, 96)';

export function createMaskPainter(canvas: HTMLCanvasElement) {
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  let tool: MaskTool = 'brush';
  let size = 40;
  let painted = false;
  let drag: { x: number; y: number; before: ImageData } | null = null;

  // Pointer position in image pixels.
  function at(event: PointerEvent): { x: number; y: number } {
    const rect = canvas.getBoundingClientRect();
    return { x: ((event.clientX - rect.left) * canvas.width) / rect.width, y: ((event.clientY - rect.top) * canvas.height) / rect.height };
  }

  // The brush size is in screen pixels: a stroke looks the same width on a phone photo and a poster.
  function brushWidth(): number {
    return (size * canvas.width) / Math.max(1, canvas.getBoundingClientRect().width);
  }

  function dot(x: number, y: number): void {
    ctx.beginPath();
    ctx.arc(x, y, brushWidth() / 2, 0, Math.PI * 2);
    ctx.fill();
  }

  function boxTo(x: number, y: number): void {
    if (!drag) return;
    ctx.putImageData(drag.before, 0, 0);
    ctx.fillRect(Math.min(drag.x, x), Math.min(drag.y, y), Math.abs(x - drag.x), Math.abs(y - drag.y));
  }

  canvas.addEventListener('pointerdown', (event) => {
    if (canvas.width === 0) return;
    canvas.setPointerCapture(event.pointerId);
    const p = at(event);
    ctx.fillStyle = paint;
    ctx.strokeStyle = paint;
    drag = { ...p, before: ctx.getImageData(0, 0, canvas.width, canvas.height) };
    if (tool === 'brush') dot(p.x, p.y);
    painted = true;
  });
  canvas.addEventListener('pointermove', (event) => {
    if (!drag) return;
    const p = at(event);
    if (tool === 'box') return boxTo(p.x, p.y);
    ctx.lineWidth = brushWidth();
    ctx.lineCap = 'round';
    ctx.beginPath();
    ctx.moveTo(drag.x, drag.y);
    ctx.lineTo(p.x, p.y);
    ctx.stroke();
    drag = { ...p, before: drag.before };
  });
  const end = (event: PointerEvent) => {
    if (drag && tool === 'box') boxTo(at(event).x, at(event).y);
    drag = null;
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', () => (drag = null));

  return {
    /** A new picture: match its size (which also clears the canvas). */
    reset(width: number, height: number): void {
      canvas.width = width;
      canvas.height = height;
      painted = false;
    },
    clear(): void {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      painted = false;
    },
    setTool(next: MaskTool): void {
      tool = next;
    },
    setSize(px: number): void {
      size = px;
    },
    hasPaint: () => painted,
    /** White = change, as the core reads masks; base64 so it rides in the JSON turn. */
    async toPngBase64(): Promise<string> {
      const { width, height } = canvas;
      const pixels = ctx.getImageData(0, 0, width, height);
      const d = pixels.data;
      for (let i = 0; i < d.length; i += 4) {
        const on = d[i + 3] > 0 ? 255 : 0;
        d[i] = d[i + 1] = d[i + 2] = on;
        d[i + 3] = 255;
      }
      const out = document.createElement('canvas');
      out.width = width;
      out.height = height;
      out.getContext('2d')!.putImageData(pixels, 0, 0);
      const blob = await new Promise<Blob | null>((resolve) => out.toBlob(resolve, 'image/png'));
      if (!blob) throw new Error('the browser could not encode the mask');
      const bytes = new Uint8Array(await blob.arrayBuffer());
      let binary = '';
      for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(binary);
    },
  };
}

export type MaskPainter = ReturnType<typeof createMaskPainter>;
