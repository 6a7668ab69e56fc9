import type { Command } from '../command.js';
import { backends } from './backends.js';
import { ls } from './ls.js';
import { presetsList } from './presets-list.js';
import { prune } from './prune.js';

/**
 * Every command, in the order `snapbox --help` lists them. Add new commands here. Importing this
 * list loads only the commands' descriptions; each one's code is imported when it runs.
 */
export const commands: readonly Command[] = [ls, prune, backends, presetsList];
