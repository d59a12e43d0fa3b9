import BerthCLI

// Synchronous commands that ask for it run here, on the main thread;
// the others continue on the concurrency runtime.
let command = Berth.parseRunningOnMainThread()
await Berth.run(parsed: command)
