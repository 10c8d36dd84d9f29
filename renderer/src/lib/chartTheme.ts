// The app's chart colours, read from its CSS variables when a chart is made (so a chart follows
// the light or dark theme), and an axis drawn in them.

export interface ChartColors {
  /** Titles, ticks and legend labels. */
  text: string;
  /** Grid lines. */
  grid: string;
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** The current theme's chart colours (the dark theme's without a stylesheet). */
export function chartColors(): ChartColors {
  return { text: cssVar('--text-muted', '#93a1b3'), grid: cssVar('--border', '#2a3544') };
}

/** A titled axis in the theme's colours, for chart.js `options.scales`. */
export function themedAxis(title: string, c: ChartColors) {
  return {
    title: { display: true, text: title, color: c.text },
    grid: { color: c.grid },
    ticks: { color: c.text },
  };
}
