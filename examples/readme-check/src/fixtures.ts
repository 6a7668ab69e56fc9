import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tinyImage } from '@snapbox/test-support';

/**
 * Folders some examples run in. Each fixture fills `dir` (the example's working directory) and
 * returns extra environment for the example.
 */
export const fixtures: Record<string, (dir: string) => Promise<Record<string, string>>> = {
  /**
   * A Harbor registry in `./registry.json` whose `terminal-bench@2.0` tasks live in a local git
   * repository, so that the presets example fetches tasks with git exactly as it would from
   * GitHub. Each task's environment is a Dockerfile on the fixture image.
   */
  async harbor(dir) {
    const repo = join(dir, 'harbor-tasks');
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=readme', '-c', 'user.email=readme@example.com', ...args], {
        cwd: repo,
        encoding: 'utf8',
      }).trim();
    const names = ['fix-git', 'hello-world', 'sqlite-with-gcov', 'word-count', 'build-tcc'];
    for (const name of names) {
      await mkdir(join(repo, 'tasks', name, 'environment'), { recursive: true });
      await writeFile(join(repo, 'tasks', name, 'instruction.md'), `Task ${name}.\n`);
      await writeFile(
        join(repo, 'tasks', name, 'environment', 'Dockerfile'),
        `FROM ${tinyImage}\nRUN mkdir -p /app && echo ${name} > /app/TASK\n`,
      );
    }
    git('init', '--quiet', '--initial-branch=main');
    git('add', '.');
    git('commit', '--quiet', '-m', 'tasks');
    const commit = git('rev-parse', 'HEAD');
    const dataset = (version: string, tasks: readonly string[]) => ({
      name: 'terminal-bench',
      version,
      description: 'Terminal-Bench (a local stand-in for the README example)',
      tasks: tasks.map((name) => ({ name, git_url: `file://${repo}`, git_commit_id: commit, path: `tasks/${name}` })),
    });
    await writeFile(join(dir, 'registry.json'), JSON.stringify([dataset('2.0', names), dataset('2.0', names)]));
    return { XDG_CACHE_HOME: join(dir, 'cache') };
  },
};
