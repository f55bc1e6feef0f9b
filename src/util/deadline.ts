// Racing work against a clock, without leaving the timer behind.

/**
 * What `work` settles with, or what `late()` returns once `ms` have passed first (a throw in `late`
 * rejects). The timer is cleared as soon as the race is decided, so it never holds the process open.
 */
export async function withDeadline<T, L>(work: Promise<T>, ms: number, late: () => L): Promise<T | L> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<L>((resolve, reject) => {
    timer = setTimeout(() => {
      try {
        resolve(late());
      } catch (error) {
        reject(error);
      }
    }, Math.max(0, ms));
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
