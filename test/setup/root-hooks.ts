/**
 * Root hooks for every mocha run: an unhandled rejection or uncaught exception anywhere fails the
 * run instead of scrolling past as a warning.
 */
const failures: unknown[] = [];

process.on('unhandledRejection', (reason) => {
  failures.push(reason);
});

export const mochaHooks = {
  afterEach(): void {
    if (failures.length > 0) {
      const first = failures.splice(0, failures.length)[0];
      throw new Error(
        `unhandled rejection during test: ${String(first instanceof Error ? first.stack : first)}`,
      );
    }
  },
};
