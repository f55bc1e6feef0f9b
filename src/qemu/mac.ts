// The MAC address a guest NIC gets.
import { randomBytes } from 'node:crypto';

/** A fresh MAC under QEMU's own prefix 52:54:00, so each machine's frames can be told apart on the wire. */
export function randomMac(): string {
  return `52:54:00:${[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
}
