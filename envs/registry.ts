// The registry of environment families: what the CLI lists and the UI builds cards and
// task editors from.
import type { TaskFamily } from '../src/core/env';
import type { FamilyDescription } from '../src/shared/protocol';
import { cartpole } from './cartpole';
import { cheetahDir, cheetahVel } from './cheetah';
import { mujocoAntDir, mujocoAntGoal } from './mujocoAnt';
import { mujocoCheetahDir, mujocoCheetahVel } from './mujocoCheetah';
import { pointNav } from './pointNav';
import { reacher } from './reacher';

/** All families, in the order the UI shows them. */
const FAMILIES: TaskFamily[] = [
  pointNav,
  reacher,
  cheetahVel,
  cheetahDir,
  cartpole,
  mujocoCheetahVel,
  mujocoCheetahDir,
  mujocoAntDir,
  mujocoAntGoal,
].map((f) => f as unknown as TaskFamily);

export function listFamilies(): FamilyDescription[] {
  return FAMILIES.map((f) => ({
    id: f.id,
    title: f.title,
    description: f.description,
    observationSize: f.observationSize,
    actionSize: f.actionSize,
    horizon: f.horizon,
    params: f.params.map((p) => ({ ...p })),
    docs: { ...f.docs },
  }));
}

export function getFamily(id: string): TaskFamily {
  const f = FAMILIES.find((x) => x.id === id);
  if (!f)
    throw new Error(
      `Unknown environment family "${id}". Known: ${FAMILIES.map((x) => x.id).join(', ')}`,
    );
  return f;
}

export function familyIds(): string[] {
  return FAMILIES.map((f) => f.id);
}
