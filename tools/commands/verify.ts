/** `synfire verify` (placeholder: being written). */
import { UserError } from '../../src/io/errors';
import type { Command } from '../cli';

export const command: Command = {
  spec: { name: 'verify', summary: 'not written yet', options: [] },
  run() {
    throw new UserError('synfire verify is not written yet');
  },
};
