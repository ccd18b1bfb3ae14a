/* ProcessPrng for Wine releases that lack bcryptprimitives.dll (Debian 12
 * ships Wine 8.0; the DLL arrived in Wine 9). Rust's standard library on
 * Windows takes its random bytes (HashMap seeds) from ProcessPrng, so
 * without this the Windows build does not start under such a Wine.
 * scripts/windows-tests.sh builds it with MinGW-w64 next to exhibit.exe
 * only when the Wine in use has no bcryptprimitives.dll of its own; it is
 * never shipped. It fills the buffer from RtlGenRandom (advapi32's
 * SystemFunction036), the system's own generator. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
