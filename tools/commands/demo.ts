/** `synfire demo` (placeholder: being written). */
import { UserError } from '../../src/io/errors';
import type { Command } from '../cli';

export const command: Command = {
  spec: { name: 'demo', summary: 'not written yet', options: [] },
  run() {
    throw new UserError('synfire demo is not written yet');
  },
};
