// Colours of the app's charts and previews: adaptation stages go from grey (before) through
// light to deep blue (later stages), so "more adapted" reads as "more saturated".
const STAGES = ['#94a3b8', '#60a5fa', '#3b82f6', '#1d4ed8', '#7c3aed', '#c026d3'];
const OTHER = ['#f59e0b', '#10b981', '#ef4444', '#06b6d4', '#a855f7', '#84cc16'];

export function stageColor(stage: number): string {
  return STAGES[Math.min(stage, STAGES.length - 1)];
}

export function seriesColor(key: string, index: number): string {
  if (key.startsWith('returns/')) {
    if (key.endsWith('/pre')) return STAGES[0];
    const m = key.match(/(\d+)$/);
    // RL² episodes are numbered from 1 like MAML steps; episode 1 is the un-adapted one.
    if (m)
      return /episode|ep_?\d/.test(key) ? stageColor(Number(m[1]) - 1) : stageColor(Number(m[1]));
    return STAGES[2];
  }
  return OTHER[index % OTHER.length];
}
