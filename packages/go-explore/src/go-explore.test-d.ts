import type { SnapshotableContainerFactory } from '@snapbox/core';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type Cell,
  type GoExploreResult,
  type GoExploreTask,
  type GoExploreTaskError,
  goExplore,
  type ReplayResult,
  replay,
} from './index.js';

type Move = 'up' | 'down';
declare const task: GoExploreTask<Move, { floor: number }>;
declare const factory: SnapshotableContainerFactory;

describe('types', () => {
  it('infers the action and observation types from the task', () => {
    const run = goExplore({ factory, image: 'x', task, maxSteps: 10 });
    expectTypeOf(run).resolves.toEqualTypeOf<GoExploreResult<Move, { floor: number }>>();
    expectTypeOf<GoExploreResult<Move, { floor: number }>['bestTrajectory']>().toEqualTypeOf<readonly Move[]>();
    expectTypeOf<GoExploreResult<Move, { floor: number }>['best']>().toEqualTypeOf<Cell<Move, { floor: number }>>();
  });

  it('types the policy and the weight from the task', () => {
    goExplore({
      factory,
      image: 'x',
      task,
      maxSteps: 1,
      policy: (context) => {
        expectTypeOf(context.observation).toEqualTypeOf<{ floor: number }>();
        expectTypeOf(context.previousAction).toEqualTypeOf<Move | undefined>();
        return context.sampleAction();
      },
      cellWeight: (cell) => {
        expectTypeOf(cell.trajectory).toEqualTypeOf<readonly Move[]>();
        return 1;
      },
    });
    // @ts-expect-error a policy returns an action of the task
    goExplore({ factory, image: 'x', task, maxSteps: 1, policy: () => 'sideways' });
  });

  it('types a replay inspection', () => {
    const checked = replay({ factory, image: 'x', task, trajectory: ['up'], inspect: () => 42 });
    expectTypeOf(checked).resolves.toEqualTypeOf<ReplayResult<{ floor: number }, number>>();
    // @ts-expect-error the trajectory holds the task's actions
    replay({ factory, image: 'x', task, trajectory: [3] });
  });

  it('accepts a task with typed agent state, and types the long-run options', () => {
    const remembering: GoExploreTask<Move, { floor: number }, { notes: string[] }> = {
      ...task,
      saveState: () => ({ notes: ['up'] }),
      restoreState: (_container, state) => {
        expectTypeOf(state).toEqualTypeOf<{ notes: string[] } | undefined>();
      },
    };
    const run = goExplore({
      factory,
      image: 'x',
      task: remembering,
      maxSteps: 1,
      checkpoint: { path: 'run.json', everyIterations: 10 },
      maxFailures: 5,
      onTaskError: (error) => {
        expectTypeOf(error).toEqualTypeOf<GoExploreTaskError>();
        return 'continue';
      },
    });
    expectTypeOf(run).resolves.toEqualTypeOf<GoExploreResult<Move, { floor: number }>>();
    // @ts-expect-error onTaskError decides between 'fail' and 'continue'
    goExplore({ factory, image: 'x', task, maxSteps: 1, onTaskError: () => 'retry' });
  });
});
