/** The subcommands of `synfire`, in the order the overview lists them. */
import type { Command } from '../cli';
import { command as train } from './train';
import { command as verify } from './verify';
import { command as profile } from './profile';
import { command as raster } from './raster';
import { command as demo } from './demo';
import { command as run } from './run';
import { command as plan } from './plan';
import { command as embedded } from './embedded';
import { command as device } from './device';
import { command as host } from './host';
import { command as serialDemo } from './serial-demo';

export const commands: Command[] = [train, verify, profile, raster, demo, run, plan, embedded, device, host, serialDemo];
