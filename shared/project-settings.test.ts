import { describe, expect, it } from 'vitest';
import { loadSettings } from './config.ts';
import { PROJECT_SETTINGS, projectSetting, readOverrides, showBytes } from './project-settings.ts';

describe('when a project sets its own settings', () => {
  it('does read sizes and counts as a person types them, 0 meaning no limit', () => {
    expect(PROJECT_SETTINGS.ingestion_rate.parse('16MiB')).toBe(16 * 1024 * 1024);
    expect(PROJECT_SETTINGS.ingestion_burst_size.parse('500KB')).toBe(500_000);
    expect(PROJECT_SETTINGS.ingestion_events_rate.parse('50_000')).toBe(50_000);
    expect(PROJECT_SETTINGS.ingestion_events_rate.parse('0')).toBe(0);
    expect(PROJECT_SETTINGS.ingestion_events_rate.show(0)).toBe('no limit');
    expect(PROJECT_SETTINGS.ingestion_rate.show(8 * 1024 * 1024)).toBe('8MiB/s');
    expect(showBytes(1536)).toBe('1.5KiB');
  });

  it('does refuse what is not one, saying what to type', () => {
    expect(() => PROJECT_SETTINGS.ingestion_rate.parse('lots')).toThrow(/"lots" is not a size such as 4MiB/);
    expect(() => PROJECT_SETTINGS.ingestion_events_burst.parse('-5')).toThrow(/not a whole number of events/);
    expect(() => PROJECT_SETTINGS.ingestion_events_burst.parse('1.5')).toThrow(/not a whole number/);
  });

  it('does take the installation\'s value for what the project did not set, and ignore what this version does not know', () => {
    const settings = loadSettings({ LOGFLOW_INGESTION_EVENTS_RATE: '123' });
    const own = readOverrides({ ingestion_events_burst: 7, retention_ms: 5, ingestion_rate: 'x' });
    expect(own).toEqual({ ingestion_events_burst: 7 });
    expect(projectSetting('ingestion_events_burst', own, settings)).toBe(7);
    expect(projectSetting('ingestion_events_rate', own, settings)).toBe(123);
    expect(readOverrides(null)).toEqual({});
  });
});
