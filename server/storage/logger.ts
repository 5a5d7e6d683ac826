/** Where storage reports what it repaired. Injected; the default writes to stderr. */
export interface StorageLogger {
  warn(message: string): void;
}

export const consoleLogger: StorageLogger = {
  warn: (message) => console.warn(`concord storage: ${message}`),
};

export const silentLogger: StorageLogger = { warn: () => undefined };
