/**
 * The subcommands of `synfire`, in the order the overview lists them.
 *
 * Placeholder for testing the CLI framework: the lead replaces this file with the real list,
 * which is meant to be
 *   import { command as train } from './train';
 *   import { command as verify } from './verify';
 *   import { command as profile } from './profile';
 *   import { command as raster } from './raster';
 *   import { command as demo } from './demo';
 *   export const commands: Command[] = [train, verify, profile, raster, demo, hello];
 * (test/cli-args.test.ts runs `synfire hello`, so keep `hello` in the list.)
 */
import type { Command } from '../cli';
import { command as hello } from './hello';

export const commands: Command[] = [hello];
