/** `synfire train` (placeholder: being written). */
import { UserError } from '../../src/io/errors';
import type { Command } from '../cli';

export const command: Command = {
  spec: { name: 'train', summary: 'not written yet', options: [] },
  run() {
    throw new UserError('synfire train is not written yet');
  },
};
