// Imported first (--import) into a Node child process started by child_process.fork, so that
// it looks to the bundled trainer like the Electron utilityProcess the desktop app starts:
// a `process.parentPort` whose 'message' events carry `.data`, whose postMessage goes to the
// parent, and which, like Electron's, starts delivering only once a 'message' listener is
// attached (earlier messages wait). Underneath, the messages travel over fork's IPC channel
// with structured-clone serialisation, as a utilityProcess's do.
import { EventEmitter } from 'node:events';

const parentPort = Object.assign(new EventEmitter(), {
  postMessage(message) {
    if (process.connected) process.send(message);
  },
});
parentPort.on('newListener', (event) => {
  // Node's IPC channel holds messages until its own first 'message' listener: attach it only now.
  if (event === 'message' && parentPort.listenerCount('message') === 0) {
    process.on('message', (data) => parentPort.emit('message', { data }));
  }
});
process.parentPort = parentPort;
