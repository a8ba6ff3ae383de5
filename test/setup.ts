import { loadNodeKernels } from '../src/engine/kernels.js';

await loadNodeKernels();
