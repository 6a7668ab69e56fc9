/**
 * The worker process behind every synchronous deletion: reads a {@link SyncJob} from stdin,
 * carries it out with the SDK, prints the outcomes after the result marker, and exits (the SDK
 * may hold sockets open that would otherwise keep it alive).
 */
import { readFileSync } from 'node:fs';
import { executeSyncJob } from './sync-job.js';
import { type SyncJob, syncResultMarker } from './sync-protocol.js';

const job = JSON.parse(readFileSync(0, 'utf8')) as SyncJob;
const outcomes = await executeSyncJob(job);
process.stdout.write(`\n${syncResultMarker}${JSON.stringify(outcomes)}\n`, () => process.exit(0));
