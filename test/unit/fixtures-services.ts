// Recorded on the x86_64 reference image and its broken variants (kittest run, TCG).
// rng samples 1 and 2 as the reference image printed them (rngd 3 s old only by sample 2).
export const referenceRngSamples = [`sampled_from=12.24
rng_current=virtio_rng.0
rng_available=virtio_rng.0 none
crng=dmesg
crng=random-does-not-block
source=/dev/hwrng a:b7
source=/dev/random 1:8
proc=1 91 init
cap=1 000001ffffffffff
ns=1 mnt:[4026531841] pid:[4026531836] uts:[4026531838] ipc:[4026531839]
cgroup=1 0::/
named=275 rng
proc=275 1083 rngd
cap=275 000001ffffffffff
ns=275 mnt:[4026532164] pid:[4026532167] uts:[4026532165] ipc:[4026532166]
cgroup=275 0::/services.linuxkit/rngd
fdmode=stat
fd=275 0 1:3 /dev/null
fd=275 1 0:0 pipe:[593]
fd=275 2 0:0 pipe:[594]
fd=275 3 a:b7 /dev/hwrng
fd=275 4 1:8 /dev/random
task=services.linuxkit getty 255 S
task=services.linuxkit rngd 275 S
sampled_to=12.39`, `sampled_from=15.58
rng_current=virtio_rng.0
rng_available=virtio_rng.0 none
crng=dmesg
crng=random-does-not-block
source=/dev/hwrng a:b7
source=/dev/random 1:8
proc=1 91 init
cap=1 000001ffffffffff
ns=1 mnt:[4026531841] pid:[4026531836] uts:[4026531838] ipc:[4026531839]
cgroup=1 0::/
named=275 rng
proc=275 1083 rngd
cap=275 000001ffffffffff
ns=275 mnt:[4026532164] pid:[4026532167] uts:[4026532165] ipc:[4026532166]
cgroup=275 0::/services.linuxkit/rngd
fdmode=stat
fd=275 0 1:3 /dev/null
fd=275 1 0:0 pipe:[593]
fd=275 2 0:0 pipe:[594]
fd=275 3 a:b7 /dev/hwrng
fd=275 4 1:8 /dev/random
task=services.linuxkit getty 255 S
task=services.linuxkit rngd 275 S
sampled_to=15.77`];
export const referenceRng = referenceRngSamples[0]!;
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
