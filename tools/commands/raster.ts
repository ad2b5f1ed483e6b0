/** `synfire raster` (placeholder: being written). */
import { UserError } from '../../src/io/errors';
import type { Command } from '../cli';

export const command: Command = {
  spec: { name: 'raster', summary: 'not written yet', options: [] },
  run() {
    throw new UserError('synfire raster is not written yet');
  },
};
