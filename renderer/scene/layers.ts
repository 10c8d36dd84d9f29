// The scene layers, one module each under layers/: what SceneView composes.
export { applyPose, type Layer } from './layers/layer';
export { TaskLayer } from './layers/taskLayer';
export { AgentsLayer } from './layers/agentsLayer';
export { TrailsLayer } from './layers/trailsLayer';
export { EnvironmentLayer, litColor } from './layers/environmentLayer';
