/** Runs async tasks one after another, in the order given (a failed task does not stop the ones after it). */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** One Serial per key. */
export class Locks {
  private readonly serials = new Map<string, Serial>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    let serial = this.serials.get(key);
    if (!serial) {
      serial = new Serial();
      this.serials.set(key, serial);
    }
    return serial.run(task);
  }
}
