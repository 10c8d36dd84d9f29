// How a run's state reads in the runs list and on a run's page.
import type { RunSummary } from '../../../src/shared/protocol';

/** The state word, or "training (in another process)" for a run another process holds the lock of. */
export function runStateLabel(s: Pick<RunSummary, 'state' | 'lockedBy'>): string {
  return s.lockedBy ? 'training (in another process)' : s.state;
}
