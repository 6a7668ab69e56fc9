import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DaytonaClientConfig } from './client-types.js';

/** The variables that give the SDK credentials. */
const credentialVariables = ['DAYTONA_API_KEY', 'DAYTONA_JWT_TOKEN'] as const;

/**
 * Whether the SDK would find credentials: `apiKey` given, or `DAYTONA_API_KEY` or
 * `DAYTONA_JWT_TOKEN` in the environment, or in a `.env` or `.env.local` file of the working
 * folder (which the SDK reads too). Only says whether there are any, not whether they work.
 */
export function credentialsConfigured(
  config: DaytonaClientConfig,
  env: Readonly<Record<string, string | undefined>> = process.env,
  cwd: string = process.cwd(),
): boolean {
  if (config.apiKey !== undefined) return true;
  if (credentialVariables.some((name) => (env[name] ?? '') !== '')) return true;
  return ['.env', '.env.local'].some((file) => {
    let text: string;
    try {
      text = readFileSync(join(cwd, file), 'utf8');
    } catch {
      return false;
    }
    return credentialVariables.some((name) => new RegExp(`^\\s*(?:export\\s+)?${name}\\s*=\\s*\\S`, 'm').test(text));
  });
}
