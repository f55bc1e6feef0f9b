// What every part of the bench is given: how many samples to take, where scratch files go, and the
// sample gate that waits for a quiet host and notes disturbances.
export interface BenchPartInput {
  readonly runs: number;
  /** Scratch folder for the part's artifacts. */
  readonly tmpDir: string;
  readonly signal?: AbortSignal;
  readonly progress: (line: string) => void;
  /** Wraps every sample (waits for a quiet host, notes disturbances). */
  readonly sample: <T>(label: string, run: () => Promise<T>) => Promise<T>;
}
