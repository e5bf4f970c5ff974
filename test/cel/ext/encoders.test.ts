import { describe, expect, it } from 'vitest';
import { run, runError } from './helpers.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('base64', () => {
  it('encodes bytes to a padded string', () => {
    expect(run("base64.encode(b'hello')")).toBe('aGVsbG8=');
    expect(run("base64.encode(b'hi')")).toBe('aGk=');
    expect(run("base64.encode(b'')")).toBe('');
    expect(run("base64.encode(b'\\xff\\xfe\\xfd')")).toBe('//79');
  });

  it('decodes with or without padding', () => {
    expect(run("base64.decode('aGVsbG8=')")).toEqual(bytes('hello'));
    expect(run("base64.decode('aGVsbG8')")).toEqual(bytes('hello'));
    expect(run("base64.decode('')")).toEqual(new Uint8Array());
  });

  it('round-trips', () => {
    expect(run("base64.decode(base64.encode(b'Hello World!'))")).toEqual(bytes('Hello World!'));
  });

  it('rejects characters outside the standard alphabet and impossible lengths', () => {
    expect(runError("base64.decode('aGVs!G8=')")).toMatch(/illegal base64/);
    expect(runError("base64.decode('aGVsb')")).toMatch(/invalid base64/);
    expect(runError("base64.decode('a-_b')")).toMatch(/illegal base64/);
    expect(runError("base64.decode('a===')")).toMatch(/base64/);
  });
});
