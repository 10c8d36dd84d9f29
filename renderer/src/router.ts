// The app's screens. Hash history: it works for the packaged app's file:// page and keeps
// the web host's ?token=… query untouched in the browser. Screens from other rooms (the
// adaptation viewer) add their route to `routes` here.
import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router';
import DashboardView from './views/DashboardView.vue';
import NewRunView from './views/NewRunView.vue';
import RunDetailView from './views/RunDetailView.vue';
import RunsView from './views/RunsView.vue';
import ViewerView from './viewer/ViewerView.vue';

export const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/new' },
  { path: '/new', name: 'new', component: NewRunView, meta: { title: 'New run' } },
  { path: '/dashboard', name: 'dashboard', component: DashboardView, meta: { title: 'Training' } },
  { path: '/runs', name: 'runs', component: RunsView, meta: { title: 'Runs' } },
  {
    path: '/runs/:runId',
    name: 'run',
    component: RunDetailView,
    props: true,
    meta: { title: 'Run' },
  },
  // The adaptation viewer (?run=<id>&compare=<id>).
  { path: '/viewer', name: 'viewer', component: ViewerView, meta: { title: 'Viewer' } },
];

export function createAppRouter() {
  return createRouter({ history: createWebHashHistory(), routes });
}
