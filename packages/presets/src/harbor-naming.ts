/**
 * ARES's short names for Harbor datasets; every other dataset keeps its own name as its short
 * name.
 */
export const harborShortNames: Readonly<Record<string, string>> = Object.freeze({
  'swebench-verified': 'sbv',
  'terminal-bench': 'tbench',
});

/** The short name of a Harbor dataset: `swebench-verified` → `sbv`, `terminal-bench` → `tbench`, else the name. */
export function harborShortName(datasetName: string): string {
  return Object.hasOwn(harborShortNames, datasetName) ? harborShortNames[datasetName]! : datasetName;
}

/** The versioned preset id of a dataset, always registered: `<short>-<version>`, e.g. `tbench-2.0`. */
export function harborPresetId(datasetName: string, version: string): string {
  return `${harborShortName(datasetName)}-${version}`;
}
