import { describe, expect, test } from 'vitest';
import { findSecrets } from '../../src/functions/index.js';
import { cel } from './helpers.js';

const found = (text: string): string[] => findSecrets(text).map((f) => `${f.kind}:${text.slice(f.start, f.end)}`);

// Fake credentials in the documented formats (the AWS pair is AWS's own documentation example).
const GHP = 'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';
const PAT = 'github_pat_11ABCDEFG0' + '123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456';
const SLACK = 'xoxb-' + '123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';
const HOOK = 'https://hooks.slack.com/services/' + 'T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX';
const OPENAI = 'sk-proj-' + 'abcDEF123456ghiJKL789012mnoPQR345678stuVWX';
const OPENAI_LEGACY = 'sk-' + 'AbCdEfGhIjKlMnOpQrStT3BlbkFJuVwXyZ0123456789abcd';
const ANTHROPIC = 'sk-ant-api03-' + 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG-xyzAA';
const GOOGLE = 'AIza' + 'SyA-1234567890abcdefghijklmnopqrstu';
const STRIPE = 'sk_live_' + '51HxYzAbCdEfGhIjKlMnOp';
const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const PEM = '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAvRt1aB2cD3eF4gH5\nkL6mN7oP8qR9sT0uV1wX2yZ3==\n-----END RSA PRIVATE KEY-----';

describe('known token formats', () => {
  test.each([
    [`export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE`, ['aws_access_key_id:AKIAIOSFODNN7EXAMPLE']],
    [
      'aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      ['aws_access_key_id:AKIAIOSFODNN7EXAMPLE', 'aws_secret_access_key:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
    ],
    ['creds: AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', ['aws_access_key_id:AKIAIOSFODNN7EXAMPLE', 'aws_secret_access_key:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY']],
    [`token ${GHP} ok`, [`github_token:${GHP}`]],
    [`GITHUB_TOKEN=${PAT}`, [`github_token:${PAT}`]],
    ['glpat-' + 'AbCdEfGhIjKlMnOpQrSt', ['gitlab_token:glpat-AbCdEfGhIjKlMnOpQrSt']],
    [`bot ${SLACK}`, [`slack_token:${SLACK}`]],
    [`post to ${HOOK}`, [`slack_webhook:${HOOK}`]],
    [`OPENAI_API_KEY=${OPENAI}`, [`openai_api_key:${OPENAI}`]],
    [`key ${OPENAI_LEGACY}`, [`openai_api_key:${OPENAI_LEGACY}`]],
    [`x-api-key: ${ANTHROPIC}`, [`anthropic_api_key:${ANTHROPIC}`]],
    [`maps key=${GOOGLE}&q=1`, [`google_api_key:${GOOGLE}`]],
    [`stripe ${STRIPE} and rk_test_abcdefghijklmnop1234`, [`stripe_key:${STRIPE}`, 'stripe_key:rk_test_abcdefghijklmnop1234']],
    [`Authorization: Bearer ${JWT}`, [`jwt:${JWT}`]],
    [`key:\n${PEM}\nafter`, [`private_key:${PEM}`]],
    ['-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n(truncated)', ['private_key:-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n']],
  ])('%j', (text, expected) => expect(found(text)).toEqual(expected));

  test.each([
    'AKIAIOSFODNN7EXAMPL', // 19 characters
    'XAKIAIOSFODNN7EXAMPLE', // inside a longer token
    'ghp_short',
    'sk-not-a-key',
    'the sk_live_ prefix alone',
    'eyJhbGciOiJIUzI1NiJ9 is only a header',
    '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----',
    '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----',
    'sha256:2b7d1c4e9f0a6b3d8e5c2a1f7b9d0c4e6a8f1b3d5c7e9a0b2d4f6a8c0e2b4d6f',
    'commit 7f3c9a1e2b4d6f8a0c1e3b5d7f9a2c4e6b8d0f1a',
    'uuid 123e4567-e89b-12d3-a456-426614174000',
  ])('not a secret: %j', (text) => expect(found(text)).toEqual([]));
});

describe('name = value assignments', () => {
  test.each([
    ['password = "Tr0ub4dor&3"', ['password:Tr0ub4dor&3']],
    ["DB_PASSWORD='s3cr3t-P@ss'", ['password:s3cr3t-P@ss']],
    ['{"password": "hunter2hunter2"}', ['password:hunter2hunter2']],
    ['userPassword: Winter2026!', ['password:Winter2026!']],
    ['login?user=bob&pass=Xy7#kq92z&next=/', ['password:Xy7#kq92z']],
    ['postgres://admin:hunter22@db.internal:5432/app', ['password:hunter22']],
    ['api_key: "zX9kQ2mP7vL4nR8tY1wE"', ['generic_secret:zX9kQ2mP7vL4nR8tY1wE']],
    ['client_secret=7d9f2a1b8c3e4f5a6b7c8d9e0f1a2b3c', ['generic_secret:7d9f2a1b8c3e4f5a6b7c8d9e0f1a2b3c']],
    ['SECRET_KEY = "django-insecure-8h$2k!x9#q"', ['generic_secret:django-insecure-8h$2k!x9#q']],
  ])('%j', (text, expected) => expect(found(text)).toEqual(expected));

  test.each([
    'password = user_input',
    'password: string',
    'password = get_password()',
    'password="changeme"',
    'PASSWORD=${DB_PASSWORD}',
    'password: ********',
    'password = "short"',
    'password: {{ vault.db_password }}',
    'api_key = os.environ["API_KEY"]',
    'api_key: "your-api-key-here"',
    'token: abc123',
    'max_tokens=4096, temperature: 0.7',
    'bypass = true; compass = "north-north-west"',
    'if password == confirm_password:',
    'postgres://user@db.internal:5432/app',
    'See https://example.com:8443/path for docs',
  ])('not a secret: %j', (text) => expect(found(text)).toEqual([]));

  test('a specific format wins over the generic assignment around it', () => {
    expect(found(`api_key = "${OPENAI}"`)).toEqual([`openai_api_key:${OPENAI}`]);
  });
});

describe('secrets() in CEL', () => {
  test('lists kinds once each, in a fixed order', () => {
    const text = `deploy with ${GHP} and ${OPENAI}; ${PEM}; also ghp_${'z'.repeat(36)}`;
    expect(cel('secrets(t)', { t: text })).toEqual(['private_key', 'github_token', 'openai_api_key']);
    expect(cel("secrets('nothing to see')")).toEqual([]);
    expect(cel("size(secrets(t)) > 0 && 'private_key' in secrets(t)", { t: PEM })).toBe(true);
  });

  test('redact() can remove secrets by kind', () => {
    expect(cel("redact(t, ['github_token', 'private_key'])", { t: `use ${GHP}\n${PEM}\nthanks` })).toBe('use [REDACTED:GITHUB_TOKEN]\n[REDACTED:PRIVATE_KEY]\nthanks');
  });
});
