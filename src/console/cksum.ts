// POSIX cksum (the algorithm of `cksum` in busybox and coreutils), to check that a
// command's output crossed the serial console intact.

// CRC-32 with polynomial 0x04C11DB7, most significant bit first, no reflection.
const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let bit = 0; bit < 8; bit++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    table[i] = c >>> 0;
  }
  return table;
})();

function step(crc: number, byte: number): number {
  return ((crc << 8) ^ (TABLE[((crc >>> 24) ^ byte) & 0xff] ?? 0)) >>> 0;
}

/** POSIX cksum of the bytes: the CRC over the data then its length (low byte first, no trailing zeros), complemented. */
export function posixCksum(data: Uint8Array): number {
  let crc = 0;
  for (const byte of data) crc = step(crc, byte);
  for (let len = data.length; len > 0; len = Math.floor(len / 256)) crc = step(crc, len % 256);
  return ~crc >>> 0;
}
