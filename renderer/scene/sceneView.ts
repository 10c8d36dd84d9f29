// SceneView: draws any environment family from its SceneDescription and frames (plain data;
// this module never sees tfjs or matter-js). One view = one camera + one canvas; it holds a
// task layer (static bodies + goal markers), an instanced AgentsLayer (one instance per
// replaying agent), a TrailsLayer (every trail in one draw call), and the environment (lights,
// ground, grid). Used by the dashboard's live preview and the adaptation viewer. Nothing is
// allocated per rendered frame: poses are copied in place, only changed buffer ranges are
// uploaded, and the follow camera works on module-level scratch vectors. `budget` times each
// layer's share of a frame (the viewer benchmark prints it).
import {
  Color,
  Fog,
  Group,
  PerspectiveCamera,
  Plane,
  Raycaster,
  Scene,
  Vector2,
  Vector3,
  WebGLRenderer,
} from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import type { SceneDescription } from '../../src/shared/scene';
import { GeometryCache } from './geometry';
import { AgentsLayer, EnvironmentLayer, TaskLayer, TrailsLayer } from './layers';
import { AGENTS, CAMERA, FrameBudget, RENDER, TASK, TRAILS } from './frameBudget';
import { checkFrame, poseIndex } from './frames';
import {
  acquireRenderer,
  configureShadows,
  isSoftwareGl,
  pixelRatioFor,
  releaseRenderer,
} from './rendererPool';

export interface SceneViewOptions {
  /**
   * Shadows: 'auto' (default) draws them on a GPU and leaves them off on software GL, where
   * they cost more than the rest of the frame (bench:viewer --shadows on|off).
   */
  shadows?: boolean | 'auto';
  /** Background colour (default a light neutral grey). */
  background?: string;
  /** Called every animation frame before rendering (playback drives poses from here). */
  onFrame?: (now: number) => void;
}

export interface AgentOptions {
  /** Tint of the agent's moving bodies (default: the family's body colours). */
  color?: string;
}

// Scratch objects: allocated once, reused every frame.
const _target = new Vector3();
const _delta = new Vector3();
const _ndc = new Vector2();
const _hit = new Vector3();
const _raycaster = new Raycaster();
const _floor = new Plane(new Vector3(0, 1, 0), 0);

export class SceneView {
  readonly renderer: WebGLRenderer;
  readonly camera = new PerspectiveCamera(45, 1, 0.01, 1000);
  readonly controls: OrbitControls;
  private readonly scene = new Scene();
  /** Holds the family's content in its own coordinates (z-up families are turned into three's y-up here). */
  private readonly root = new Group();
  private readonly pooled: boolean;
  private desc: SceneDescription | null = null;
  private geometries: GeometryCache | null = null;
  private env: EnvironmentLayer | null = null;
  private task: TaskLayer | null = null;
  private agents: AgentsLayer | null = null;
  private trails: TrailsLayer | null = null;
  private followIndex = -1;
  private followAgent: string | null = null;
  private follow = true;
  /** The user's follow-camera choice; null: the family's default (runners follow, others do not). */
  private userFollow: boolean | null = null;
  /** The default framing of the scene, for resetCamera(). */
  private readonly homePosition = new Vector3();
  private readonly homeTarget = new Vector3();
  private extent = 1;
  private dirty = true;
  private disposed = false;
  /** WebGL runs on the CPU (SwiftShader, llvmpipe): curved bodies get fewer segments. */
  private readonly software: boolean;
  /** Whether this view draws shadows (resolved from the 'auto' option). */
  readonly shadows: boolean;
  /** Per-layer frame timings (off unless enabled). */
  readonly budget = new FrameBudget();
  onFrame: ((now: number) => void) | undefined;

  /**
   * `target` is either a canvas (the view creates its own renderer on it and destroys it on
   * dispose) or a container element (a pooled renderer's canvas is placed inside it: use
   * this for views that are mounted and unmounted often).
   */
  constructor(target: HTMLCanvasElement | HTMLElement, opts: SceneViewOptions = {}) {
    this.onFrame = opts.onFrame;
    if (target instanceof HTMLCanvasElement) {
      // No MSAA: on software GL it costs more than the whole scene (measured by bench:viewer).
      this.renderer = new WebGLRenderer({ canvas: target, antialias: false });
      configureShadows(this.renderer);
      this.renderer.setPixelRatio(pixelRatioFor(this.renderer));
      this.pooled = false;
    } else {
      this.renderer = acquireRenderer();
      const c = this.renderer.domElement;
      c.style.display = 'block';
      c.style.width = '100%';
      c.style.height = '100%';
      target.appendChild(c);
      this.pooled = true;
    }
    this.software = isSoftwareGl(this.renderer);
    const want = opts.shadows ?? 'auto';
    this.shadows = want === 'auto' ? !this.software : want;
    this.renderer.shadowMap.enabled = this.shadows;
    const bg = new Color(opts.background ?? '#f7f8fa');
    this.scene.background = bg;
    // Fog in the background colour hides the ground's far edge (side views look at the horizon).
    this.scene.fog = new Fog(bg, 10, 100);
    this.scene.add(this.root);
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.enableDamping = false;
    this.controls.addEventListener('change', this.markDirty);
    this.resize();
    this.renderer.setAnimationLoop(this.tick);
  }

  get canvas(): HTMLCanvasElement {
    return this.renderer.domElement;
  }

  get description(): SceneDescription | null {
    return this.desc;
  }

  private readonly markDirty = (): void => {
    this.dirty = true;
  };

  private readonly tick = (now: number): void => {
    if (this.onFrame) {
      this.onFrame(now);
      this.dirty = true;
    }
    if (!this.dirty) return;
    this.render();
  };

  /** Render now (e.g. right before reading the canvas for a PNG). */
  render(): void {
    const b = this.budget;
    let t = b.start();
    this.agents?.flush();
    b.stop(AGENTS, t);
    t = b.start();
    this.trails?.flush();
    b.stop(TRAILS, t);
    t = b.start();
    this.updateFollow();
    this.markCameraOffset();
    b.stop(CAMERA, t);
    t = b.start();
    this.renderer.render(this.scene, this.camera);
    b.stop(RENDER, t);
    b.endFrame();
    this.dirty = false;
  }

  /** Replace the scene (or clear it with null): agents and trails of the old scene are disposed. */
  setScene(desc: SceneDescription | null, initialFrame?: Float32Array): void {
    this.clearScene();
    this.desc = desc;
    if (!desc) return;
    this.root.rotation.set(desc.up === 'z' ? -Math.PI / 2 : 0, 0, 0);
    this.root.updateMatrixWorld(true);
    this.geometries = new GeometryCache(desc.up, this.software ? 'low' : 'full');
    this.task = new TaskLayer(desc, this.geometries, this.shadows);
    this.root.add(this.task.object);
    // Runners follow their torso; any other family can follow its trail body on request.
    this.followIndex = desc.follow ? poseIndex(desc, desc.follow) : poseIndex(desc, desc.trail);
    this.agents = new AgentsLayer(desc, this.geometries, this.followIndex);
    this.root.add(this.agents.object);
    this.trails = new TrailsLayer();
    this.root.add(this.trails.object);
    if (initialFrame) this.setFrame(initialFrame);

    const { min, max } = desc.bounds;
    const center = new Vector3((min[0] + max[0]) / 2, (min[1] + max[1]) / 2, (min[2] + max[2]) / 2);
    const size = new Vector3(max[0] - min[0], max[1] - min[1], max[2] - min[2]);
    this.extent = Math.max(size.x, size.y, size.z, 1e-3);
    const floorH = desc.floor?.height ?? (desc.up === 'z' ? min[2] : min[1]);
    // World (three.js y-up) position of the floor point under the centre.
    const worldCenter = this.toWorld(center.clone());
    const floorY = floorH;
    // Side views see the horizon: give them (and runners) a ground that reaches it.
    const largeGround = Boolean(desc.follow) || desc.up === 'y';
    this.env = new EnvironmentLayer(
      floorY,
      worldCenter.x,
      worldCenter.z,
      this.extent,
      largeGround,
      this.shadows,
      this.scene.background as Color,
    );
    const fog = this.scene.fog as Fog;
    fog.near = this.extent * 2.5;
    fog.far = this.extent * 10;
    this.scene.add(this.env.object);

    // Default framing: top-down families seen from above at an angle, side-view ones from the front.
    this.camera.near = this.extent / 500;
    this.camera.far = this.extent * 200;
    this.camera.updateProjectionMatrix();
    if (desc.up === 'z') {
      this.camera.position.set(
        worldCenter.x,
        floorY + this.extent * 1.0,
        worldCenter.z + this.extent * 0.7,
      );
    } else {
      this.camera.position.set(
        worldCenter.x,
        worldCenter.y + this.extent * 0.2,
        worldCenter.z + this.extent * 0.85,
      );
    }
    this.controls.target.copy(worldCenter);
    this.controls.update();
    this.homePosition.copy(this.camera.position);
    this.homeTarget.copy(worldCenter);
    this.dirty = true;
  }

  /** Back to the scene's default framing (after orbiting, zooming or following). */
  resetCamera(): void {
    if (!this.desc) return;
    this.camera.position.copy(this.homePosition);
    this.controls.target.copy(this.homeTarget);
    this.controls.update();
    this.env?.placeSun(
      this.homeTarget.x,
      this.desc.floor?.height ?? 0,
      this.homeTarget.z,
      this.extent,
    );
    this.dirty = true;
  }

  /** Follow the tracked agent with the camera (true), never (false), or as the family does by default (null). */
  setFollowMode(on: boolean | null): void {
    this.userFollow = on;
    this.dirty = true;
  }

  private toWorld(v: Vector3): Vector3 {
    return this.root.localToWorld(v);
  }

  /** Pose the static bodies and markers (goal) from a frame. */
  setFrame(frame: Float32Array): void {
    if (!this.desc || !this.task) throw new Error('setFrame: no scene set');
    const t = this.budget.start();
    checkFrame(this.desc, frame);
    this.task.setFrame(frame);
    this.budget.stop(TASK, t);
    this.dirty = true;
  }

  addAgent(id: string, opts: AgentOptions | string = {}): void {
    if (!this.agents) throw new Error(`addAgent("${id}"): no scene set`);
    const o = typeof opts === 'string' ? { color: opts } : opts;
    this.agents.add(id, o.color);
    if (this.followAgent === null) this.followAgent = id;
    this.dirty = true;
  }

  removeAgent(id: string): void {
    if (!this.agents?.has(id)) return;
    this.agents.remove(id);
    if (this.followAgent === id) this.followAgent = this.agents.agentIds()[0] ?? null;
    this.dirty = true;
  }

  hasAgent(id: string): boolean {
    return this.agents?.has(id) ?? false;
  }

  agentIds(): string[] {
    return this.agents?.agentIds() ?? [];
  }

  setPose(id: string, frame: Float32Array): void {
    const t = this.budget.start();
    const posed = this.agents?.setPose(id, frame);
    this.budget.stop(AGENTS, t);
    if (!posed) throw new Error(`setPose: no agent "${id}"`);
    this.dirty = true;
  }

  setAgentVisible(id: string, visible: boolean): void {
    const t = this.budget.start();
    this.agents?.setVisible(id, visible);
    this.budget.stop(AGENTS, t);
    this.dirty = true;
  }

  /** Draw (or replace) a trail: points are x, y, z flat in the family's coordinates. */
  setTrail(id: string, points: Float32Array, color: string): void {
    if (!this.trails) throw new Error(`setTrail("${id}"): no scene set`);
    const t = this.budget.start();
    this.trails.set(id, points, color);
    this.budget.stop(TRAILS, t);
    this.dirty = true;
  }

  /** Reveal the first `n` points of a trail (progressive drawing during replay). */
  revealTrail(id: string, n: number): void {
    const t = this.budget.start();
    this.trails?.reveal(id, n);
    this.budget.stop(TRAILS, t);
    this.dirty = true;
  }

  setTrailVisible(id: string, visible: boolean): void {
    this.trails?.setVisible(id, visible);
    this.dirty = true;
  }

  removeTrail(id: string): void {
    if (this.trails?.remove(id)) this.dirty = true;
  }

  trailIds(): string[] {
    return this.trails?.ids() ?? [];
  }

  /** Which agent the follow-camera tracks (runners only); null turns following off. */
  setFollow(agentId: string | null): void {
    this.follow = agentId !== null;
    if (agentId !== null) this.followAgent = agentId;
    this.dirty = true;
  }

  /**
   * How far the camera's target has moved from the scene's default framing (world metres, on
   * the canvas as data-camera-offset): a following camera moves with the runner; diagnostics
   * and end-to-end tests read it.
   */
  private markCameraOffset(): void {
    const offset = this.controls.target.distanceTo(this.homeTarget).toFixed(2);
    if (this.canvas.dataset.cameraOffset !== offset) this.canvas.dataset.cameraOffset = offset;
  }

  private updateFollow(): void {
    const wanted = this.userFollow ?? Boolean(this.desc?.follow);
    if (!wanted || !this.follow || this.followIndex < 0 || this.followAgent === null || !this.env)
      return;
    if (!this.agents?.followPosition(this.followAgent, _target)) return;
    this.root.localToWorld(_target);
    // Track along the ground only: bobbing the camera with the torso is nauseating.
    _target.y = this.controls.target.y;
    _delta.subVectors(_target, this.controls.target);
    if (_delta.lengthSq() < 1e-12) return;
    this.camera.position.add(_delta);
    this.controls.target.copy(_target);
    this.controls.update();
    this.env.placeSun(_target.x, this.desc?.floor?.height ?? 0, _target.z, this.extent);
  }

  /**
   * The point on the floor under a pointer position, in the family's coordinates (for
   * click-to-place-goal), or null if the ray misses the floor.
   */
  pickFloor(clientX: number, clientY: number): [number, number, number] | null {
    if (!this.desc) return null;
    const rect = this.canvas.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) return null;
    _ndc.set(
      ((clientX - rect.left) / rect.width) * 2 - 1,
      -((clientY - rect.top) / rect.height) * 2 + 1,
    );
    _raycaster.setFromCamera(_ndc, this.camera);
    // The floor is at `height` along up, which is world y for both up conventions.
    _floor.constant = -(this.desc.floor?.height ?? 0);
    if (!_raycaster.ray.intersectPlane(_floor, _hit)) return null;
    this.root.worldToLocal(_hit);
    return [_hit.x, _hit.y, _hit.z];
  }

  /** Match the drawing buffer to the element's size (call on container resize). */
  resize(width?: number, height?: number): void {
    const el = this.canvas;
    const w = Math.max(
      1,
      Math.floor(width ?? (el.clientWidth || el.parentElement?.clientWidth || 640)),
    );
    const h = Math.max(
      1,
      Math.floor(height ?? (el.clientHeight || el.parentElement?.clientHeight || 480)),
    );
    this.renderer.setSize(w, h, false);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    this.dirty = true;
  }

  /**
   * A PNG of the current view at the screen's full resolution (software GL draws at a lower
   * pixel ratio on screen). Renders first, so no preserveDrawingBuffer is needed: toBlob
   * snapshots the canvas when it is called.
   */
  toPngBlob(): Promise<Blob> {
    const onScreen = this.renderer.getPixelRatio();
    const full = Math.max(onScreen, Math.min(globalThis.devicePixelRatio || 1, 2));
    if (full !== onScreen) this.renderer.setPixelRatio(full);
    this.render();
    const blob = new Promise<Blob>((resolve, reject) =>
      this.canvas.toBlob(
        (b) => (b ? resolve(b) : reject(new Error('canvas.toBlob returned no image'))),
        'image/png',
      ),
    );
    if (full !== onScreen) {
      this.renderer.setPixelRatio(onScreen);
      this.dirty = true;
    }
    return blob;
  }

  private clearScene(): void {
    this.agents?.dispose();
    this.agents = null;
    this.trails?.dispose();
    this.trails = null;
    this.task?.dispose();
    this.task = null;
    this.env?.dispose();
    this.env = null;
    this.geometries?.dispose();
    this.geometries = null;
    this.followAgent = null;
    this.followIndex = -1;
    this.desc = null;
    this.dirty = true;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.renderer.setAnimationLoop(null);
    this.clearScene();
    this.controls.removeEventListener('change', this.markDirty);
    this.controls.dispose();
    if (this.pooled) {
      releaseRenderer(this.renderer);
    } else {
      this.renderer.dispose();
      this.renderer.forceContextLoss();
    }
  }
}
