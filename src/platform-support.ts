// Where the native addon runs: Linux (glibc) on x64 and arm64, Windows on x64. Elsewhere (macOS,
// Alpine/musl, FreeBSD, ...) the package still imports, and its pure-JavaScript parts work; using a
// native object throws ERR_UNSUPPORTED_PLATFORM. (install.cjs, which runs before anything is
// built, makes the same decision in a few lines of its own.)

export const SUPPORTED_TARGETS = ['linux-x64 (glibc)', 'linux-arm64 (glibc)', 'win32-x64'] as const;

/** This process's target, as the error messages name it: `darwin-arm64`, `linux-x64 (musl)`. */
export function currentTarget(): string {
  const base = `${process.platform}-${process.arch}`;
  if (process.platform !== 'linux') return base;
  return `${base} (${isGlibc() ? 'glibc' : 'musl'})`;
}

/** The operating system and CPU are ones the addon is built for (the C library is checked apart). */
export function isSupportedPlatform(): boolean {
  const { platform, arch } = process;
  if (platform === 'win32') return arch === 'x64';
  if (platform === 'linux') return arch === 'x64' || arch === 'arm64';
  return false;
}

/** Linux: whether Node runs on glibc. A diagnostic report is made to tell: call it only when needed. */
export function isGlibc(): boolean {
  // The C library Node itself runs on (what a musl build of Node reports lacks the glibc field).
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return typeof header?.glibcVersionRuntime === 'string';
}
