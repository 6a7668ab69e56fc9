import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function list(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => !name.startsWith('.'));
  } catch {
    return [];
  }
}

/** What a state folder holds besides the image cache: empty lists once everything is cleaned up. */
export function storeContents(
  stateDir: string,
): Record<'containers' | 'snapshots' | 'layers' | 'refs' | 'pending', string[]> {
  return {
    containers: list(join(stateDir, 'containers')),
    snapshots: list(join(stateDir, 'snapshots')),
    layers: list(join(stateDir, 'layers')),
    refs: list(join(stateDir, 'refs')),
    pending: list(join(stateDir, 'pending')),
  };
}
