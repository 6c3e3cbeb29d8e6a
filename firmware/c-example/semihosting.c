/* Arm semihosting calls: `bkpt 0xab` with the operation in r0 and its
 * argument in r1 (Arm's "Semihosting for AArch32 and AArch64"). */
#include "semihosting.h"

enum { SYS_WRITE0 = 0x04, SYS_EXIT_EXTENDED = 0x20 };
/* ADP_Stopped_ApplicationExit: a normal exit, with the status as subcode. */
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

static int32_t call(int32_t operation, const void *argument) {
    register int32_t r0 __asm__("r0") = operation;
    register const void *r1 __asm__("r1") = argument;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void semihosting_write(const char *text) { call(SYS_WRITE0, text); }

void semihosting_exit(int32_t status) {
    const uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};
    call(SYS_EXIT_EXTENDED, block);
    for (;;) {
    }
}
