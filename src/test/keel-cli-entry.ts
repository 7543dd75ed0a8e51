// Runs the CLI from source in a child process (tests that need a real process to kill).
import { main } from '../cli/main.js';

process.exitCode = await main(process.argv);
setTimeout(() => process.exit(process.exitCode ?? 0), 50).unref();
