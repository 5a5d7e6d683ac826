/**
 * Stands in for the `ws` package in the browser bundle: the SDK's Node transport imports it, but
 * the console always passes nativeWebSocketTransport(), so this is never constructed.
 */
export default class NodeOnlyWebSocket {
  constructor() {
    throw new Error('the ws package is Node-only: use nativeWebSocketTransport() in a browser');
  }
}
