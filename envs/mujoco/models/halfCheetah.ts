// The half-cheetah as MJCF: the planar runner of the MAML paper's HalfCheetahVel/Dir and of
// Gym's HalfCheetah (rllab's and Gym's half_cheetah.xml describe the same robot). Written
// here from the model's published facts:
// - torso: a capsule from x = −0.5 to 0.5 m, radius 0.046, with a head capsule; the whole
//   robot is scaled to 14 kg total (settotalmass), inertia from the geoms;
// - root: slide x, slide z, hinge about y (planar, unlimited, no damping/armature);
// - legs: back thigh/shin/foot and front thigh/shin/foot hinges about y with ranges
//   [−0.52, 1.05], [−0.785, 0.785], [−0.4, 0.785], [−1, 0.7], [−1.2, 0.87], [−0.5, 0.5] rad,
//   stiffness 240/180/120/180/120/60, damping 6/4.5/3/4.5/3/1.5, armature 0.1;
// - motors: gears 120/90/60/120/60/30, control range [−1, 1];
// - contacts: friction 0.4, soft limits (solreflimit 0.02 1, solimplimit 0 0.8 0.03), the
//   robot's geoms collide only with the floor (contype 1 / conaffinity 0 vs the floor's 1);
// - timestep 0.01 s, Euler.
// MuJoCo 3 drops the old `coordinate` compiler attribute (local is the only choice) and the
// `nstack` size: neither changes the model. `memory` sizes each MjData's arena (contacts,
// constraints, solver scratch): MuJoCo's default for a model without it is 14 MB per env,
// which a sampler holding dozens of envs cannot afford; 256 KB is several times what the
// cheetah's few floor contacts need (tests assert no arena warnings over long random runs).
export const HALF_CHEETAH_XML = `<mujoco model="half_cheetah">
  <compiler angle="radian" inertiafromgeom="true" settotalmass="14"/>
  <option timestep="0.01" gravity="0 0 -9.81"/>
  <size memory="256K"/>
  <default>
    <joint limited="true" armature="0.1" damping="0.01" stiffness="8" solreflimit="0.02 1" solimplimit="0 0.8 0.03"/>
    <geom contype="1" conaffinity="0" condim="3" friction="0.4 0.1 0.1" solimp="0 0.8 0.01" solref="0.02 1" rgba="0.92 0.45 0.13 1"/>
    <motor ctrllimited="true" ctrlrange="-1 1"/>
  </default>
  <worldbody>
    <geom name="floor" type="plane" pos="0 0 0" size="40 40 40" conaffinity="1" condim="3" rgba="0.91 0.93 0.95 1"/>
    <body name="torso" pos="0 0 0.7">
      <joint name="rootx" type="slide" axis="1 0 0" limited="false" armature="0" damping="0" stiffness="0"/>
      <joint name="rootz" type="slide" axis="0 0 1" limited="false" armature="0" damping="0" stiffness="0"/>
      <joint name="rooty" type="hinge" axis="0 1 0" limited="false" armature="0" damping="0" stiffness="0"/>
      <geom name="torso" type="capsule" fromto="-0.5 0 0 0.5 0 0" size="0.046"/>
      <geom name="head" type="capsule" pos="0.6 0 0.1" axisangle="0 1 0 0.87" size="0.046 0.15"/>
      <body name="bthigh" pos="-0.5 0 0">
        <joint name="bthigh" type="hinge" axis="0 1 0" range="-0.52 1.05" stiffness="240" damping="6"/>
        <geom name="bthigh" type="capsule" pos="0.1 0 -0.13" axisangle="0 1 0 -3.8" size="0.046 0.145"/>
        <body name="bshin" pos="0.16 0 -0.25">
          <joint name="bshin" type="hinge" axis="0 1 0" range="-0.785 0.785" stiffness="180" damping="4.5"/>
          <geom name="bshin" type="capsule" pos="-0.14 0 -0.07" axisangle="0 1 0 -2.03" size="0.046 0.15" rgba="0.98 0.6 0.35 1"/>
          <body name="bfoot" pos="-0.28 0 -0.14">
            <joint name="bfoot" type="hinge" axis="0 1 0" range="-0.4 0.785" stiffness="120" damping="3"/>
            <geom name="bfoot" type="capsule" pos="0.03 0 -0.097" axisangle="0 1 0 -0.27" size="0.046 0.094" rgba="0.98 0.6 0.35 1"/>
          </body>
        </body>
      </body>
      <body name="fthigh" pos="0.5 0 0">
        <joint name="fthigh" type="hinge" axis="0 1 0" range="-1 0.7" stiffness="180" damping="4.5"/>
        <geom name="fthigh" type="capsule" pos="-0.07 0 -0.12" axisangle="0 1 0 0.52" size="0.046 0.133"/>
        <body name="fshin" pos="-0.14 0 -0.24">
          <joint name="fshin" type="hinge" axis="0 1 0" range="-1.2 0.87" stiffness="120" damping="3"/>
          <geom name="fshin" type="capsule" pos="0.065 0 -0.09" axisangle="0 1 0 -0.6" size="0.046 0.106" rgba="0.98 0.6 0.35 1"/>
          <body name="ffoot" pos="0.13 0 -0.18">
            <joint name="ffoot" type="hinge" axis="0 1 0" range="-0.5 0.5" stiffness="60" damping="1.5"/>
            <geom name="ffoot" type="capsule" pos="0.045 0 -0.07" axisangle="0 1 0 -0.6" size="0.046 0.07" rgba="0.98 0.6 0.35 1"/>
          </body>
        </body>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor name="bthigh" joint="bthigh" gear="120"/>
    <motor name="bshin" joint="bshin" gear="90"/>
    <motor name="bfoot" joint="bfoot" gear="60"/>
    <motor name="fthigh" joint="fthigh" gear="120"/>
    <motor name="fshin" joint="fshin" gear="60"/>
    <motor name="ffoot" joint="ffoot" gear="30"/>
  </actuator>
</mujoco>
`;
