// Family ids the sampler understands: every registered family, and `oracle:<id>` for the
// oracle baseline's view of it (task parameters appended to the observation).
import type { TaskFamily } from '../core/env';
import { getFamily } from '../../envs/registry';
import { ORACLE_PREFIX, withTaskInObservation } from './taskInObservation';

export function resolveFamily(id: string): TaskFamily {
  if (id.startsWith(ORACLE_PREFIX))
    return withTaskInObservation(getFamily(id.slice(ORACLE_PREFIX.length)));
  return getFamily(id);
}
