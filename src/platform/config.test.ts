import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('config', () => {
  it('has working defaults', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.KEEL_DEMO).toBe(true);
    expect(c.dataDir.endsWith('.keel')).toBe(true);
    expect(c.DATABASE_URL).toBeUndefined();
  });

  it('names every bad value with its reason', () => {
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', KEEL_DEMO: 'maybe', LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const msg = (err as Error).message;
      expect(msg).toContain('PORT="eighty"');
      expect(msg).toContain('DATABASE_URL must start with postgres://');
      expect(msg).toContain('KEEL_DEMO="maybe"');
      expect(msg).toContain('LOG_LEVEL="loud"');
    }
  });

  it('reads booleans and numbers', () => {
    const c = loadConfig({ KEEL_DEMO: '0', PORT: '8080', KEEL_DATA_DIR: '/tmp/x' });
    expect(c.KEEL_DEMO).toBe(false);
    expect(c.PORT).toBe(8080);
    expect(c.dataDir).toBe('/tmp/x');
  });
});
