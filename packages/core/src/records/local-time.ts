const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/** `YYYYMMDD` of `date` in the host's local time zone (the plant's day). */
export function localDateStamp(date: Date): string {
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}`;
}

/** `HHMMSS` of `date` in the host's local time zone. */
export function localTimeStamp(date: Date): string {
  return `${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}
