// The addon's imports of the Node-API functions are bound to "node.exe" and delay-loaded; this hook
// resolves them from the executable that is actually running, so a host with another name that
// exports Node-API (node.exe renamed, or an embedder such as Electron) loads the addon too.
#include <windows.h>
// delayimp.h needs windows.h first (a separate include block keeps the formatter from sorting them)
#include <delayimp.h>

#include <cstring>

namespace {

FARPROC WINAPI load_from_host(unsigned event, PDelayLoadInfo info) {
  if (event != dliNotePreLoadLibrary || _stricmp(info->szDll, "node.exe") != 0) return nullptr;
  return reinterpret_cast<FARPROC>(GetModuleHandleW(nullptr));
}

}  // namespace

// Declared extern "C" by delayimp.h; the delay-load helper calls it before loading a DLL.
PfnDliHook __pfnDliNotifyHook2 = load_from_host;
