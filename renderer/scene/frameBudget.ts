// Where a frame's time goes, per scene layer: SceneView times each layer's updates (posing
// agents, revealing trails, posing the task's markers, moving the camera) and the render
// call, and closes a frame after each render. Off by default (then nothing is timed); the
// viewer benchmark turns it on and prints the medians. Samples land in preallocated arrays.

/** The budget's lines, in the order they are printed. */
export const BUDGET_LAYERS = ['task', 'agents', 'trails', 'camera', 'render'] as const;
export type BudgetLayer = (typeof BUDGET_LAYERS)[number];
export const TASK = 0;
export const AGENTS = 1;
export const TRAILS = 2;
export const CAMERA = 3;
export const RENDER = 4;

export interface BudgetSummary {
  frames: number;
  /** Median milliseconds per frame spent in each layer's updates (render: the render call). */
  medianMs: Record<BudgetLayer, number>;
  /** Mean milliseconds per frame, same lines. */
  meanMs: Record<BudgetLayer, number>;
}

export class FrameBudget {
  private on = false;
  private readonly current = new Float64Array(BUDGET_LAYERS.length);
  private readonly samples: Float64Array[];
  private frames = 0;

  constructor(private readonly capacity = 8192) {
    this.samples = BUDGET_LAYERS.map(() => new Float64Array(capacity));
  }

  get enabled(): boolean {
    return this.on;
  }

  /** Start (clearing what was measured) or stop timing. */
  set enabled(v: boolean) {
    this.on = v;
    this.reset();
  }

  /** A start time for stop(); 0 (and no clock read) when the budget is off. */
  start(): number {
    return this.on ? performance.now() : 0;
  }

  /** Charge the time since `t0` to `layer` in the current frame. */
  stop(layer: number, t0: number): void {
    if (this.on) this.current[layer] += performance.now() - t0;
  }

  /** Close the current frame (SceneView calls this after each render). */
  endFrame(): void {
    if (!this.on) return;
    if (this.frames < this.capacity) {
      for (let i = 0; i < this.current.length; i++) this.samples[i][this.frames] = this.current[i];
      this.frames++;
    }
    this.current.fill(0);
  }

  reset(): void {
    this.frames = 0;
    this.current.fill(0);
  }

  summary(): BudgetSummary {
    const medianMs = {} as Record<BudgetLayer, number>;
    const meanMs = {} as Record<BudgetLayer, number>;
    BUDGET_LAYERS.forEach((name, i) => {
      const xs = Array.from(this.samples[i].subarray(0, this.frames)).sort((a, b) => a - b);
      medianMs[name] = xs.length ? xs[Math.floor(xs.length / 2)] : 0;
      meanMs[name] = xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0;
    });
    return { frames: this.frames, medianMs, meanMs };
  }
}
