// RFC 3339 timestamps as test cases write them (`now: 2025-03-01T09:30:00Z`).
// The schema's pattern checks the shape; this checks that the date exists and
// that the time fits the range CEL timestamps have (years 1 to 9999).

const SHAPE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/** Why `text` is not a valid timestamp, or undefined when it is one. */
export function timestampProblem(text: string): string | undefined {
  const m = SHAPE.exec(text);
  if (!m) return 'it is not of the form 2025-03-01T09:30:00Z';
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (year < 1) return 'the year must be between 0001 and 9999';
  if (month < 1 || month > 12) return `there is no month ${m[2]}`;
  const lastDay = [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (day < 1 || day > lastDay) return `${m[1]}-${m[2]} has no day ${m[3]}`;
  if (hour > 23 || minute > 59 || second > 59) return `${m[4]}:${m[5]}:${m[6]} is not a time of day`;
  if (m[8] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return `${m[8]}${m[9]}:${m[10]} is not a UTC offset`;
  return undefined;
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
