// Recorded on the x86_64 reference image and its broken variants (kittest run, TCG).
export const referenceRng = `rng_current=virtio_rng.0
rng_available=virtio_rng.0 none
crng=dmesg
crng=random-does-not-block
source=/dev/hwrng a:b7
named=281 rng
proc=281 2198 rngd
fdmode=stat
fd=281 0 1:3 /dev/null
fd=281 1 0:0 pipe:[521]
fd=281 2 0:0 pipe:[522]
fd=281 3 a:b7 /dev/hwrng
fd=281 4 1:8 /dev/random`;
export const referenceIsolation = `source=/dev/hwrng a:b7
proc=1 71 init
ns=1 mnt:[4026531841] pid:[4026531836] uts:[4026531838] ipc:[4026531839]
cgroup=1 0::/
named=281 rng
proc=281 2198 rngd
ns=281 mnt:[4026532161] pid:[4026532164] uts:[4026532162] ipc:[4026532163]
cgroup=281 0::/services.linuxkit/rngd
fdmode=stat
fd=281 3 a:b7 /dev/hwrng`;
export const fakeRngd = `rng_current=virtio_rng.0
rng_available=virtio_rng.0 none
crng=dmesg
crng=random-does-not-block
source=/dev/hwrng a:b7
named=284 rng
proc=284 3048 rngd
fdmode=stat
fd=284 0 1:3 /dev/null
fd=284 1 0:0 pipe:[525]
fd=284 10 0:0 /usr/sbin/rngd
fd=284 2 0:0 pipe:[526]`;
export const crashloopRngd = [`rng_current=virtio_rng.0
rng_available=virtio_rng.0 none
crng=dmesg
crng=random-does-not-block
source=/dev/hwrng a:b7
fdmode=stat`, `rng_current=virtio_rng.0
rng_available=virtio_rng.0 none
crng=dmesg
crng=random-does-not-block
source=/dev/hwrng a:b7
named=419 rng
proc=419 2866 rngd
fdmode=stat
fd=419 0 1:3 /dev/null
fd=419 1 0:0 pipe:[525]
fd=419 2 0:0 pipe:[528]
fd=419 3 a:b7 /dev/hwrng
fd=419 4 1:8 /dev/random`, `rng_current=virtio_rng.0
rng_available=virtio_rng.0 none
crng=dmesg
crng=random-does-not-block
source=/dev/hwrng a:b7
fdmode=stat`];
