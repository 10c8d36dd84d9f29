// The three.js scene module: used by the dashboard's live preview and the adaptation viewer.
export { SceneView, type SceneViewOptions, type AgentOptions } from './sceneView';
export { trailFromFrames, poseIndex, checkFrame } from './frames';
export { pooledRenderers, pooledMemory } from './rendererPool';
