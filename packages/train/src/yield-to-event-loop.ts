/**
 * Lets pending events run (a browser repaint, a click on "stop", a progress write) between
 * training steps. setImmediate where it exists, because setTimeout(0) is clamped to ≥ 1 ms
 * (≥ 4 ms when nested in browsers); a MessageChannel round trip in browsers for the same reason.
 */
export function yieldToEventLoop(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown })
    .setImmediate;
  if (immediate) return new Promise((resolve) => immediate(resolve));
  if (typeof MessageChannel !== "undefined") {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(undefined);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}
