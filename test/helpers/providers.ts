import { checkProvider } from '../../src/onnx.ts';

/** Whether onnxruntime-node's CUDA binaries are installed here: the tests of their absence skip where they are. */
export const cudaInstalled = (() => {
  try {
    checkProvider('cuda');
    return true;
  } catch {
    return false;
  }
})();
