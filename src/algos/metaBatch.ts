// The meta-batch: everything one outer update needs, for T tasks — each task's inner
// batches (one per inner step), its adaptation path θ_0 = θ … θ_K = φ_t, its outer batch,
// and the derivative points on them. Built in one place (MetaBatchBuilder), whichever way
// the adaptation path comes:
//   - taken here, stage by stage as the inner data arrive (meta-training, re-adaptation
//     from a new θ, tests with given episodes);
//   - given (an update worker receives the main thread's paths; the curvature view on a
//     subset of the episodes reuses the full batch's paths).
import * as tf from '@tensorflow/tfjs';
import type { InnerPoint, OuterPoint, PolicyDerivatives, StepSize } from './derivatives';
import {
  type OuterTensors,
  type TaskTensors,
  curvatureSubset,
  disposeTaskTensors,
  withSamplingPolicy,
} from './taskData';

export interface MetaBatch {
  /** paths[t] = [θ_0 = θ, θ_1, …, θ_K = φ_t]. */
  paths: Float32Array[][];
  /** inner[t][k]: the episodes sampled with θ_k. */
  inner: TaskTensors[][];
  /** innerAt[t][k]: the inner point at θ_k on inner[t][k] (empty when first order). */
  innerAt: InnerPoint[][];
  outer: OuterTensors[];
  /** outerAt[t]: the outer point at φ_t on outer[t]. */
  outerAt: OuterPoint[];
  /**
   * pre[t]: task t's first inner batch with the outputs of the θ that sampled it, and the
   * surrogate −Σ c π_θ/π_sampling at the batch's θ, for the return before adaptation in the
   * meta-objective (MetaBatchOptions.preWeight; empty when it is 0).
   */
  pre: PreAdaptation[];
}

/** The policy before adaptation on its own episodes (MetaBatch.pre). */
export interface PreAdaptation {
  /** Shares its obs, act and weights with inner[t][0]; disposed with them. */
  tensors: OuterTensors;
  /** The surrogate at the batch's θ (an outer point on the inner batch). */
  at: OuterPoint;
}

export interface MetaBatchOptions {
  /** The inner step size α. */
  innerLr: StepSize;
  /** Keep the inner points for Hessian-vector products (false for first-order learners). */
  curvature: boolean;
  /** Weight of the return before adaptation in the meta-objective (MamlConfig.preAdaptWeight). */
  preWeight?: number;
}

/** Builds a MetaBatch stage by stage: the inner stages, then the outer one. */
export class MetaBatchBuilder {
  readonly mb: MetaBatch;

  /** One task per entry of `thetas`, each starting from its θ_0. */
  constructor(
    private readonly derivatives: PolicyDerivatives,
    private readonly opts: MetaBatchOptions,
    thetas: Float32Array[],
  ) {
    this.mb = {
      paths: thetas.map((th) => [th]),
      inner: thetas.map(() => []),
      innerAt: thetas.map(() => []),
      outer: [],
      outerAt: [],
      pre: [],
    };
  }

  /**
   * One inner stage: task t's batch data[t] was sampled with its latest parameters. Takes
   * the inner step θ_{k+1} = θ_k − α ∇L_in(θ_k), or, when `next` gives θ_{k+1}, records it.
   * Returns θ_{k+1} of every task.
   */
  innerStage(data: TaskTensors[], next?: Float32Array[]): Float32Array[] {
    const { mb, derivatives: d, opts } = this;
    for (let t = 0; t < data.length; t++) {
      const theta = mb.paths[t][mb.paths[t].length - 1];
      if (mb.inner[t].length === 0 && (opts.preWeight ?? 0) > 0) {
        const tensors = withSamplingPolicy(d.spec, data[t], theta);
        mb.pre.push({ tensors, at: d.outerPoint(theta, tensors) });
      }
      mb.inner[t].push(data[t]);
      if (next) {
        mb.paths[t].push(next[t]);
        if (opts.curvature) mb.innerAt[t].push(d.innerPoint(theta, data[t]));
      } else {
        const step = d.innerStep(theta, data[t], opts.innerLr, opts.curvature);
        mb.paths[t].push(step.next);
        if (step.point) mb.innerAt[t].push(step.point);
      }
    }
    return mb.paths.map((p) => p[p.length - 1]);
  }

  /** The outer stage: task t's outer batch, sampled with φ_t. */
  outerStage(outer: OuterTensors[]): MetaBatch {
    const { mb } = this;
    for (let t = 0; t < outer.length; t++) {
      mb.outer.push(outer[t]);
      mb.outerAt.push(this.derivatives.outerPoint(mb.paths[t][mb.paths[t].length - 1], outer[t]));
    }
    return mb;
  }
}

/** A meta-batch on given data and paths (paths[t] has one more entry than inner[t]). */
export function metaBatchAt(
  derivatives: PolicyDerivatives,
  opts: MetaBatchOptions,
  inner: TaskTensors[][],
  outer: OuterTensors[],
  paths: Float32Array[][],
): MetaBatch {
  const b = new MetaBatchBuilder(
    derivatives,
    opts,
    paths.map((p) => p[0]),
  );
  const K = inner[0]?.length ?? 0;
  for (let k = 0; k < K; k++)
    b.innerStage(
      inner.map((ts) => ts[k]),
      paths.map((p) => p[k + 1]),
    );
  return b.outerStage(outer);
}

/** The view of a batch on the first fraction of each task's episodes, for curvature products. */
export function curvatureView(
  derivatives: PolicyDerivatives,
  opts: MetaBatchOptions,
  mb: MetaBatch,
  fraction: number,
): { view: MetaBatch; dispose: () => void } {
  if (fraction >= 1) return { view: mb, dispose: () => {} };
  const view = metaBatchAt(
    derivatives,
    { ...opts, preWeight: 0 },
    mb.inner.map((ts) => ts.map((d) => curvatureSubset(d, fraction))),
    mb.outer.map((o) => curvatureSubset(o, fraction)),
    mb.paths,
  );
  return { view, dispose: () => disposeMetaBatch(view) };
}

/** The batch's tasks re-adapted from θ on the same data (shares its tensors: dispose with `tensors: false`). */
export function readaptedBatch(
  derivatives: PolicyDerivatives,
  opts: MetaBatchOptions,
  mb: MetaBatch,
  theta: Float32Array,
): MetaBatch {
  const b = new MetaBatchBuilder(
    derivatives,
    { ...opts, preWeight: 0 },
    mb.paths.map(() => theta),
  );
  const K = mb.inner[0]?.length ?? 0;
  for (let k = 0; k < K; k++) b.innerStage(mb.inner.map((ts) => ts[k]));
  const out = b.outerStage(mb.outer);
  // The episodes before adaptation keep the policy that sampled them, as the outer ones do.
  out.pre = mb.pre.map((p) => ({
    tensors: p.tensors,
    at: derivatives.outerPoint(theta, p.tensors),
  }));
  return out;
}

/** Tasks [a, b) of a batch (shares its tensors and points). */
export function sliceBatch(mb: MetaBatch, a: number, b: number): MetaBatch {
  return {
    paths: mb.paths.slice(a, b),
    inner: mb.inner.slice(a, b),
    innerAt: mb.innerAt.slice(a, b),
    outer: mb.outer.slice(a, b),
    outerAt: mb.outerAt.slice(a, b),
    pre: mb.pre.slice(a, b),
  };
}

/** Release the batch's points, and its tensors unless they belong to another batch. */
export function disposeMetaBatch(mb: MetaBatch, { tensors = true } = {}): void {
  for (const ps of mb.innerAt) for (const p of ps) p.dispose();
  for (const p of mb.outerAt) p.dispose();
  for (const p of mb.pre) p.at.dispose();
  if (!tensors) return;
  for (const p of mb.pre) tf.dispose([p.tensors.oldLogp, p.tensors.oldMean, p.tensors.oldLogStd]);
  disposeTaskTensors(mb.outer);
  for (const ts of mb.inner) disposeTaskTensors(ts);
}
