/** `synfire profile` (placeholder: being written). */
import { UserError } from '../../src/io/errors';
import type { Command } from '../cli';

export const command: Command = {
  spec: { name: 'profile', summary: 'not written yet', options: [] },
  run() {
    throw new UserError('synfire profile is not written yet');
  },
};
