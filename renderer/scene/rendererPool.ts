// WebGL renderers are pooled for the whole page: a browser allows only ~16 live WebGL
// contexts, so a viewer opened and closed many times (or a split view) must reuse them
// rather than create one per mount. A pooled renderer keeps its own canvas, which the
// SceneView moves into its container while it holds the renderer.
import { BasicShadowMap, PCFSoftShadowMap, WebGLRenderer } from 'three';

const free: WebGLRenderer[] = [];
const all = new Set<WebGLRenderer>();

export function acquireRenderer(): WebGLRenderer {
  const r =
    free.pop() ??
    // No MSAA: on software GL it costs more than the whole scene (measured by bench:viewer).
    new WebGLRenderer({
      antialias: false,
      alpha: false,
      powerPreference: 'high-performance',
      preserveDrawingBuffer: false,
    });
  all.add(r);
  configureShadows(r);
  r.setPixelRatio(pixelRatioFor(r));
  return r;
}

/** True when WebGL runs on the CPU (SwiftShader, llvmpipe): no GPU to hide the per-pixel cost. */
export function isSoftwareGl(r: WebGLRenderer): boolean {
  const gl = r.getContext();
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  const name = String(
    ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER),
  );
  return /swiftshader|llvmpipe|softpipe|software/i.test(name);
}

/**
 * Soft (PCF) shadows on a GPU; hard-edged basic shadows on software GL, where soft-shadow
 * filtering of every floor pixel cost 3× the frame time of basic shadows in bench:viewer.
 */
export function configureShadows(r: WebGLRenderer): void {
  r.shadowMap.enabled = true;
  r.shadowMap.type = isSoftwareGl(r) ? BasicShadowMap : PCFSoftShadowMap;
}

/**
 * Drawing-buffer pixels per CSS pixel: the screen's (at most 2) on a GPU; 0.75 on software
 * GL, where every shaded pixel is CPU time (the frame cost scales with pixel count, see
 * bench:viewer --size), and the compositor's upscale is barely visible on a 3-D scene.
 */
export function pixelRatioFor(r: WebGLRenderer): number {
  return isSoftwareGl(r) ? SOFTWARE_PIXEL_RATIO : Math.min(globalThis.devicePixelRatio || 1, 2);
}
export const SOFTWARE_PIXEL_RATIO = 0.75;

export function releaseRenderer(r: WebGLRenderer): void {
  r.setAnimationLoop(null);
  r.domElement.remove();
  // Programs stay cached (they are keyed by material type, not by scene): that is reuse, not a leak.
  r.renderLists.dispose();
  if (!free.includes(r)) free.push(r);
}

/** Every renderer the pool ever created (for leak checks and diagnostics). */
export function pooledRenderers(): WebGLRenderer[] {
  return [...all];
}

/** GPU memory held by every pooled renderer: what the leak test compares before and after. */
export function pooledMemory(): { geometries: number; textures: number; renderers: number } {
  let geometries = 0;
  let textures = 0;
  for (const r of all) {
    geometries += r.info.memory.geometries;
    textures += r.info.memory.textures;
  }
  return { geometries, textures, renderers: all.size };
}

// A read-only diagnostics hook for end-to-end tests (the page exposes nothing else).
(globalThis as { __mrlScene?: { memory: typeof pooledMemory } }).__mrlScene = {
  memory: pooledMemory,
};
