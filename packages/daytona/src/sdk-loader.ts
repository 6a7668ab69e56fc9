import { BackendUnavailableError } from '@snapbox/core';
import type { DaytonaSdkModule } from './client-types.js';
import { messageOf } from './sdk-error-info.js';

async function importSdk(): Promise<DaytonaSdkModule> {
  const sdk = await import('@daytonaio/sdk');
  return { Daytona: sdk.Daytona, Image: sdk.Image };
}

/**
 * Imports `@daytonaio/sdk`, an optional peer dependency: it is loaded on first use, so that
 * importing `@snapbox/daytona` never needs it.
 * @throws BackendUnavailableError telling the user to install it when it is missing.
 */
export async function loadDaytonaSdk(importer: () => Promise<DaytonaSdkModule> = importSdk): Promise<DaytonaSdkModule> {
  try {
    return await importer();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const missing =
      code === 'ERR_MODULE_NOT_FOUND' ||
      code === 'MODULE_NOT_FOUND' ||
      /Cannot find (?:package|module)[^\n]*@daytonaio\/sdk/.test(messageOf(error));
    throw new BackendUnavailableError({
      backend: 'daytona',
      detail: missing
        ? 'the Daytona SDK is not installed; @snapbox/daytona loads it on first use as an optional peer dependency. Install it next to @snapbox/daytona: npm install @daytonaio/sdk'
        : `the Daytona SDK (@daytonaio/sdk) failed to load: ${messageOf(error)}`,
      cause: error,
    });
  }
}
