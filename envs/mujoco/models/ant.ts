// The ant as MJCF: the quadruped of the MAML paper's ant tasks (rllab's ant.xml) and of Gym's
// Ant. Written here from the model's published facts:
// - torso: a sphere of radius 0.25 m on a free joint; density 5 for every geom (inertia from
//   geoms);
// - four legs at 45° in the horizontal plane, each: a hip link (capsule radius 0.08 from the
//   torso centre 0.2·√2 m out), a hip hinge about z with range ±30°, an upper leg capsule of
//   the same length, an ankle hinge perpendicular to the leg in the horizontal plane with
//   range 30°..70° (sign per leg), and a lower leg capsule twice as long;
// - joints: armature 1, damping 1; geoms: friction 1 0.5 0.5, margin 0.01, solref 0.02 1,
//   solimp 0.8 0.8 0.01; the robot collides only with the floor;
// - eight motors with gear 150 and control range [−1, 1] (rllab writes this as gear 1 and a
//   control range of ±150; the torques are the same);
// - timestep 0.02 s with the RK4 integrator (rllab's settings; Gym uses 0.01 s, Euler, with a
//   frame skip of 5).
// `memory` sizes each MjData's arena (MuJoCo's default would be 14 MB per env); 512 KB holds
// the ant's contacts with room to spare (tests assert no arena warnings over long random runs).
// The initial pose is rllab's `init_qpos` (torso at 0.55 m, ankles at ±1 rad), stored as the
// model's keyframe 0.
export const ANT_XML = `<mujoco model="ant">
  <compiler angle="degree" inertiafromgeom="true"/>
  <option timestep="0.02" integrator="RK4"/>
  <size memory="512K"/>
  <default>
    <joint limited="true" armature="1" damping="1"/>
    <geom condim="3" conaffinity="0" margin="0.01" friction="1 0.5 0.5" solref="0.02 1" solimp="0.8 0.8 0.01" density="5" rgba="0.55 0.45 0.9 1"/>
    <motor ctrllimited="true" ctrlrange="-1 1" gear="150"/>
  </default>
  <worldbody>
    <geom name="floor" type="plane" pos="0 0 0" size="40 40 40" conaffinity="1" condim="3" rgba="0.91 0.93 0.95 1"/>
    <body name="torso" pos="0 0 0.75">
      <geom name="torso_geom" type="sphere" size="0.25" pos="0 0 0" rgba="0.43 0.33 0.85 1"/>
      <joint name="root" type="free" limited="false" armature="0" damping="0" margin="0.01"/>
      <body name="front_left_leg" pos="0 0 0">
        <geom name="aux_1_geom" type="capsule" size="0.08" fromto="0 0 0 0.2 0.2 0"/>
        <body name="aux_1" pos="0.2 0.2 0">
          <joint name="hip_1" type="hinge" axis="0 0 1" range="-30 30"/>
          <geom name="left_leg_geom" type="capsule" size="0.08" fromto="0 0 0 0.2 0.2 0"/>
          <body name="front_left_foot" pos="0.2 0.2 0">
            <joint name="ankle_1" type="hinge" axis="-1 1 0" range="30 70"/>
            <geom name="left_ankle_geom" type="capsule" size="0.08" fromto="0 0 0 0.4 0.4 0"/>
          </body>
        </body>
      </body>
      <body name="front_right_leg" pos="0 0 0">
        <geom name="aux_2_geom" type="capsule" size="0.08" fromto="0 0 0 -0.2 0.2 0"/>
        <body name="aux_2" pos="-0.2 0.2 0">
          <joint name="hip_2" type="hinge" axis="0 0 1" range="-30 30"/>
          <geom name="right_leg_geom" type="capsule" size="0.08" fromto="0 0 0 -0.2 0.2 0"/>
          <body name="front_right_foot" pos="-0.2 0.2 0">
            <joint name="ankle_2" type="hinge" axis="1 1 0" range="-70 -30"/>
            <geom name="right_ankle_geom" type="capsule" size="0.08" fromto="0 0 0 -0.4 0.4 0"/>
          </body>
        </body>
      </body>
      <body name="back_leg" pos="0 0 0">
        <geom name="aux_3_geom" type="capsule" size="0.08" fromto="0 0 0 -0.2 -0.2 0"/>
        <body name="aux_3" pos="-0.2 -0.2 0">
          <joint name="hip_3" type="hinge" axis="0 0 1" range="-30 30"/>
          <geom name="back_leg_geom" type="capsule" size="0.08" fromto="0 0 0 -0.2 -0.2 0"/>
          <body name="back_left_foot" pos="-0.2 -0.2 0">
            <joint name="ankle_3" type="hinge" axis="-1 1 0" range="-70 -30"/>
            <geom name="third_ankle_geom" type="capsule" size="0.08" fromto="0 0 0 -0.4 -0.4 0"/>
          </body>
        </body>
      </body>
      <body name="right_back_leg" pos="0 0 0">
        <geom name="aux_4_geom" type="capsule" size="0.08" fromto="0 0 0 0.2 -0.2 0"/>
        <body name="aux_4" pos="0.2 -0.2 0">
          <joint name="hip_4" type="hinge" axis="0 0 1" range="-30 30"/>
          <geom name="rightback_leg_geom" type="capsule" size="0.08" fromto="0 0 0 0.2 -0.2 0"/>
          <body name="back_right_foot" pos="0.2 -0.2 0">
            <joint name="ankle_4" type="hinge" axis="1 1 0" range="30 70"/>
            <geom name="fourth_ankle_geom" type="capsule" size="0.08" fromto="0 0 0 0.4 -0.4 0"/>
          </body>
        </body>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor joint="hip_4"/>
    <motor joint="ankle_4"/>
    <motor joint="hip_1"/>
    <motor joint="ankle_1"/>
    <motor joint="hip_2"/>
    <motor joint="ankle_2"/>
    <motor joint="hip_3"/>
    <motor joint="ankle_3"/>
  </actuator>
  <keyframe>
    <key name="init" qpos="0 0 0.55 1 0 0 0 0 1 0 -1 0 -1 0 1"/>
  </keyframe>
</mujoco>
`;

/**
 * The same ant with Gym's physics settings (timestep 0.01 s, Euler), which Gym's Ant steps 5
 * times per env step; for speed comparisons with Gym-style figures only.
 */
export const ANT_GYM_PHYSICS_XML = ANT_XML.replace(
  '<option timestep="0.02" integrator="RK4"/>',
  '<option timestep="0.01" integrator="Euler"/>',
);
if (ANT_GYM_PHYSICS_XML === ANT_XML)
  throw new Error('ANT_GYM_PHYSICS_XML: the option line of ANT_XML changed');
