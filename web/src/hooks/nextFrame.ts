/** A browser gives a hidden tab no frames, and a busy (or headless) one may give few: never wait longer than this for one. */
const longestFrameWaitMs = 100;

/**
 * Resolves after the browser has had the chance to render and paint a frame, or at most `longestFrameWaitMs` later.
 * In a hidden tab nothing is painted, and it resolves at once.
 */
export function nextFrame(): Promise<void> {
  if (document.visibilityState === "hidden") return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, longestFrameWaitMs);
    requestAnimationFrame(() =>
      setTimeout(() => {
        clearTimeout(timer);
        resolve();
      }, 0),
    );
  });
}
