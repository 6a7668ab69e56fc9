import { tinyImage } from '@snapbox/test-support';
import { describe, expect, it } from 'vitest';
import type { BenchResults, ThroughputResult } from './results.js';
import { evaluateTargets, explainOpMiss } from './targets.js';

function results(overrides: Partial<BenchResults>): BenchResults {
  return {
    startedAt: '2026-01-01T00:00:00.000Z',
    mode: 'full',
    command: 'pnpm bench',
    image: tinyImage,
    machine: {
      cpu: 'test',
      cores: 2,
      memoryGiB: 1,
      os: 'test',
      kernel: 'test',
      node: 'v20',
      python: '3.11',
      dockerPy: '5',
      dockerCli: '28',
      testcontainers: '11',
      engine: '20.10',
      engineApi: '1.41',
      storageDriver: 'overlay2',
      snapbox: 'commit test',
      loadBefore: '0',
    },
    ops: [],
    transfers: [],
    throughput: [],
    chains: [],
    chainDepths: [10, 300],
    exitCleanup: [],
    goExplore: { status: 'skipped', reason: 'test' },
    notes: [],
    ...overrides,
  };
}

const throughput = (kind: ThroughputResult['kind'], tool: ThroughputResult['tool'], perSecond: number) => ({
  kind,
  tool,
  concurrency: 32,
  operations: perSecond * 10,
  elapsedMs: 10_000,
  perSecond,
  latencyMedianMs: 100,
  latencyP95Ms: 150,
});

describe('evaluateTargets', () => {
  it('reports nothing measured as neither met nor missed', () => {
    expect(evaluateTargets(results({})).map((outcome) => outcome.met)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('checks the daemonless backend against the Docker backend as speed-up ratios (issue 16)', () => {
    const op = (id: string, docker: number, bubblewrap: number) => ({
      id,
      label: id,
      samples: { snapbox: [docker, docker, docker], bubblewrap: [bubblewrap, bubblewrap, bubblewrap] },
    });
    const fast = evaluateTargets(
      results({
        ops: [op('return', 700, 30), op('restore', 400, 19), op('snapshot-1mib', 130, 8), op('exec-true', 86, 12)],
        throughput: [
          { ...throughput('cycle', 'snapbox', 1.5), concurrency: 1 },
          { ...throughput('cycle', 'bubblewrap', 20), concurrency: 1 },
          { ...throughput('cycle', 'snapbox', 3), concurrency: 8 },
          { ...throughput('cycle', 'bubblewrap', 40), concurrency: 8 },
        ],
      }),
    ).at(-1);
    expect(fast?.met).toBe(true);
    expect(fast?.detail).toHaveLength(6);
    expect(fast?.why).toEqual([]);
    const slow = evaluateTargets(results({ ops: [op('return', 700, 70), op('exec-true', 86, 12)] })).at(-1);
    expect(slow?.met).toBe(false);
    expect(slow?.why.join(' ')).toMatch(/return: Docker 700 ms, bubblewrap 70\.0 ms: 10\.0× \(target 20×\)/);
  });

  it('misses the operations target on the worst operation, naming the extra engine calls', () => {
    const [ops] = evaluateTargets(
      results({
        ops: [
          { id: 'exec-true', label: 'exec', samples: { floor: [10, 10, 10], snapbox: [10.5, 10.5, 10.5] } },
          {
            id: 'start',
            label: 'start',
            samples: { floor: [100, 100], snapbox: [130, 130] },
            apiCalls: {
              floor: { calls: 2, byEndpoint: { 'POST /containers/create': { perRep: 1, medianMs: 40 } } },
              snapbox: {
                calls: 3,
                byEndpoint: {
                  'POST /containers/create': { perRep: 1, medianMs: 40 },
                  'GET /containers/{id}/json': { perRep: 1, medianMs: 25 },
                },
              },
            },
          },
        ],
      }),
    );
    expect(ops?.met).toBe(false);
    expect(ops?.detail.join(' ')).toContain('1 of 2 operations within 1.10×; worst 1.30×');
    expect(ops?.why).toHaveLength(1);
    expect(ops?.why[0]).toContain('**start**: 1.30×');
    expect(ops?.why[0]).toContain('`GET /containers/{id}/json` ×1 (median 25.0 ms)');
  });

  it('meets the throughput target only when both exec and cycles are at least 2× Python', () => {
    const met = evaluateTargets(
      results({ throughput: [throughput('exec', 'snapbox', 50), throughput('exec', 'python', 20)] }),
    )[1];
    expect(met?.met).toBe(true);
    const missed = evaluateTargets(
      results({
        throughput: [
          throughput('exec', 'snapbox', 50),
          throughput('exec', 'python', 20),
          throughput('cycle', 'snapbox', 3),
          throughput('cycle', 'python', 2),
        ],
      }),
    )[1];
    expect(missed?.met).toBe(false);
    expect(missed?.why[0]).toContain('**cycle** at 32: 1.50×');
  });

  it('checks the 1 GiB transfers against 64 MiB above the baseline', () => {
    const memory = (snapbox: number[]) =>
      evaluateTargets(
        results({
          transfers: [
            { id: 'upload-1gib', label: 'upload 1 GiB', samples: { snapbox: [1] }, memoryMiB: { snapbox } },
            { id: 'upload-10mib', label: 'upload 10 MiB', samples: { snapbox: [1] }, memoryMiB: { snapbox: [500] } },
          ],
        }),
      )[2];
    expect(memory([20, 63.9])?.met).toBe(true);
    expect(memory([20, 64])?.met).toBe(false);
  });

  it('compares the generation time at the deepest depth with the shallowest', () => {
    const chain = (late: number) =>
      evaluateTargets(
        results({
          chains: [
            {
              tool: 'snapbox',
              generations: [...new Array<number>(290).fill(100), ...new Array<number>(10).fill(late)],
              layers: [],
              flattened: [98, 197, 296],
            },
          ],
        }),
      )[3];
    expect(chain(150)?.met).toBe(true);
    expect(chain(151)?.met).toBe(false);
    expect(chain(150)?.detail[0]).toContain('flattened at generations 98, 197, 296');
  });
});

describe('explainOpMiss', () => {
  const profile = (calls: Record<string, number>) => ({
    calls: Object.keys(calls).length,
    byEndpoint: Object.fromEntries(
      Object.entries(calls).map(([endpoint, ms]) => [endpoint, { perRep: 1, medianMs: ms }]),
    ),
  });

  it('blames the extra calls and proposes the fix when they account for the gap', () => {
    const text = explainOpMiss(
      {
        id: 'delete-snapshot',
        label: 'delete a snapshot',
        samples: { floor: [10, 10, 10], snapbox: [14, 14, 14] },
        cpuMs: { floor: [2, 2, 2], snapbox: [2.5, 2.5, 2.5] },
        apiCalls: {
          floor: profile({ 'DELETE /images/{id}': 10 }),
          snapbox: profile({ 'GET /images/{id}/json': 3.5, 'DELETE /images/{id}': 10 }),
        },
      },
      1.4,
    );
    expect(text).toContain('the extra `GET /images/{id}/json` ×1 (median 3.50 ms) account for ~3.50 ms');
    expect(text).toContain('Client CPU per repetition: snapbox 2.50 ms, floor 2.00 ms (+0.50 ms)');
    expect(text).toContain('Fix: `deleteSnapshotImage`');
    expect(text).not.toContain('noise');
  });

  it('calls a gap that neither calls nor client CPU explain noise, and proposes no fix', () => {
    const text = explainOpMiss(
      {
        id: 'exec-1mib',
        label: 'exec with 1 MiB of output',
        samples: { floor: [300, 300, 300], snapbox: [380, 380, 380] },
        cpuMs: { floor: [50, 50, 50], snapbox: [51, 51, 51] },
        apiCalls: {
          floor: profile({ 'POST /containers/{id}/exec': 2 }),
          snapbox: profile({ 'POST /containers/{id}/exec': 2 }),
        },
      },
      1.27,
    );
    expect(text).toContain('snapbox makes the same 1 Engine API calls as the floor');
    expect(text).toContain('The remaining ~79.0 ms are in neither');
    expect(text).not.toContain('Fix:');
  });
});
