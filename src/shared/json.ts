// Plain JSON value types: tasks, configs and snapshots are plain data so they cross any
// transport (IPC, WebSocket, process.send) and land in files unchanged.
export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };
