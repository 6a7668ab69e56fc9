import type { Command } from '../command.js';
import { ls } from './ls.js';
import { presetsList } from './presets-list.js';
import { prune } from './prune.js';

/** Every command, in the order `snapbox --help` lists them. Add new commands here. */
export const commands: readonly Command[] = [ls, prune, presetsList];
