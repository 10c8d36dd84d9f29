// The environment layer: lights, a neutral ground and a grid, sized from the scene's bounds.
// Without shadows the ground is flat-lit (its normal never changes and no shadow falls on
// it), so it is drawn unlit in the colour the lights would give it: the same picture for
// less work per pixel, and the ground covers most of the screen.
import {
  Color,
  DirectionalLight,
  GridHelper,
  Group,
  HemisphereLight,
  Mesh,
  MeshBasicMaterial,
  MeshLambertMaterial,
  PlaneGeometry,
  Vector3,
} from 'three';
import type { Layer } from './layer';

/** Where the sun sits relative to the point it lights, in units of the scene's extent. */
const SUN_OFFSET = new Vector3(0.6, 2.2, 1.1);
/** The two lights: a white sky over a grey-blue ground (hemisphere) and a white sun. */
const SKY = 0xffffff;
const SKY_GROUND = 0xb9c2cc;
const HEMI_INTENSITY = 1.6;
const SUN_INTENSITY = 1.8;

/**
 * The colour a Lambert surface facing straight up shows under the hemisphere light and the
 * sun, unshadowed (three.js's lighting: albedo / π × the irradiance of each light). Flat
 * floors are drawn unlit in this colour when there are no shadows (ground, family floors).
 */
export function litColor(albedo: Color): Color {
  const dotNL = Math.max(0, SUN_OFFSET.clone().normalize().y);
  const irradiance = new Color(SKY)
    .multiplyScalar(HEMI_INTENSITY)
    .add(new Color(0xffffff).multiplyScalar(SUN_INTENSITY * dotNL));
  return albedo
    .clone()
    .multiply(irradiance)
    .multiplyScalar(1 / Math.PI);
}

export class EnvironmentLayer implements Layer {
  readonly object = new Group();
  readonly sun: DirectionalLight;
  private readonly ground: Mesh<PlaneGeometry, MeshLambertMaterial | MeshBasicMaterial>;
  private readonly grid: GridHelper;
  private readonly hemi: HemisphereLight;

  /** `center`/`extent` in world (three.js, y-up) coordinates. */
  constructor(
    floorY: number,
    centerX: number,
    centerZ: number,
    extent: number,
    large: boolean,
    shadows: boolean,
    background: Color = new Color('#f7f8fa'),
  ) {
    // A neutral floor a shade off the background, so a dark theme gets a dark floor (not a white slab).
    const dark = background.getHSL({ h: 0, s: 0, l: 0 }).l < 0.5;
    const white = new Color(0xffffff);
    const groundColor = dark ? background.clone().lerp(white, 0.1) : new Color(0xf3f4f6);
    const gridMajor = dark ? background.clone().lerp(white, 0.24) : new Color(0xc3c9d1);
    const gridMinor = dark ? background.clone().lerp(white, 0.16) : new Color(0xdde1e6);
    this.object.name = 'environment';
    this.hemi = new HemisphereLight(SKY, SKY_GROUND, HEMI_INTENSITY);
    this.object.add(this.hemi);

    this.sun = new DirectionalLight(0xffffff, SUN_INTENSITY);
    this.sun.castShadow = shadows;
    this.sun.shadow.mapSize.set(1024, 1024);
    this.sun.shadow.bias = -0.0005;
    this.sun.shadow.normalBias = 0.01;
    this.sun.shadow.radius = 3;
    const cam = this.sun.shadow.camera;
    const s = extent * 0.75;
    cam.left = -s;
    cam.right = s;
    cam.top = s;
    cam.bottom = -s;
    cam.near = 0.01;
    cam.far = extent * 6;
    this.object.add(this.sun, this.sun.target);
    this.placeSun(centerX, floorY, centerZ, extent);

    const groundSize = large ? Math.max(200, extent * 20) : extent * 4;
    this.ground = new Mesh(
      new PlaneGeometry(groundSize, groundSize).rotateX(-Math.PI / 2),
      shadows
        ? new MeshLambertMaterial({ color: groundColor })
        : new MeshBasicMaterial({ color: litColor(groundColor) }),
    );
    this.ground.name = 'ground';
    // Just below the floor so a family's own floor plane wins the depth test.
    this.ground.position.set(centerX, floorY - extent * 0.002, centerZ);
    this.ground.receiveShadow = true;
    this.ground.renderOrder = -1;
    this.object.add(this.ground);

    const step = niceStep(extent / 10);
    const divisions = Math.min(400, Math.round(groundSize / step));
    this.grid = new GridHelper(divisions * step, divisions, gridMajor, gridMinor);
    this.grid.position.set(snap(centerX, step), floorY + extent * 0.0005, snap(centerZ, step));
    this.object.add(this.grid);
  }

  /** Keep the sun (and its shadow frustum) over the point of interest, e.g. a running agent. */
  placeSun(x: number, floorY: number, z: number, extent: number): void {
    this.sun.position.set(
      x + extent * SUN_OFFSET.x,
      floorY + extent * SUN_OFFSET.y,
      z + extent * SUN_OFFSET.z,
    );
    this.sun.target.position.set(x, floorY, z);
    this.sun.target.updateMatrixWorld();
  }

  dispose(): void {
    this.object.removeFromParent();
    this.ground.geometry.dispose();
    this.ground.material.dispose();
    this.grid.dispose();
    this.sun.shadow.dispose();
    this.sun.dispose();
    this.hemi.dispose();
  }
}

function niceStep(raw: number): number {
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

function snap(v: number, step: number): number {
  return Math.round(v / step) * step;
}
