import Docker from 'dockerode';
import type { Tool } from '../results.js';
import { BubblewrapDriver } from './bubblewrap-driver.js';
import { CliDriver } from './cli-driver.js';
import type { Driver } from './driver.js';
import { FloorDriver } from './floor-driver.js';
import { PythonDriver } from './python-driver.js';
import { SnapboxDriver } from './snapbox-driver.js';
import { TestcontainersDriver } from './testcontainers-driver.js';

/** A driver of `tool`, with its own engine client (so its API calls can be recorded apart). */
export function makeDriver(tool: Tool, image: string, labels: Record<string, string>): Driver {
  switch (tool) {
    case 'floor':
      return new FloorDriver(new Docker(), image, labels);
    case 'snapbox':
      return new SnapboxDriver(new Docker(), image, labels);
    case 'python':
      return new PythonDriver(image, labels);
    case 'cli':
      return new CliDriver(image, labels);
    case 'testcontainers':
      return new TestcontainersDriver(image, labels);
    case 'bubblewrap':
      return new BubblewrapDriver(image, labels);
  }
}
