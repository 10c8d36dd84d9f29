// A small MAML-family config on point-nav for the learners' unit tests, with the inner step
// they were written for (0.5, larger than the default): a few small meta-iterations move the
// policy visibly.
export const SMALL_POINT_NAV = {
  hidden: [16, 16],
  metaBatchSize: 6,
  episodesPerTask: 6,
  updateThreads: 1,
  innerLr: 0.5,
};
